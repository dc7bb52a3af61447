"""The course kit: exercises with self-checks, student and instructor editions, the lab folder.

Nothing here imports the engine: a student's notebook uses :func:`self_check`, the
``fedlearn-edu lab`` command uses :mod:`.editions` to hand out a working copy.
"""

from .exercises import SOLUTIONS_ENV, self_check

__all__ = ["SOLUTIONS_ENV", "self_check"]
