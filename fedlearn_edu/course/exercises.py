"""Self-checks for exercise cells that work before, and after, the student wrote an answer.

An exercise in a notebook is two cells. The first is the student's, a skeleton that starts
with the line that loads our solution when uncommented (the jupyter-widgets tutorial's
pattern)::

    # %load solutions/01_fedavg_aggregate.py
    def fedavg_aggregate(local_models, n):
        raise NotImplementedError("your code here")

The second checks it::

    with self_check("fedavg_aggregate"):
        assert np.allclose(fedavg_aggregate(toy, [1, 1, 2]), [1.75, 1.75]), "hand case"
        print("✓ matches the hand-computed case")

While the skeleton still raises ``NotImplementedError`` the check says how to go on and the
notebook keeps running; a wrong answer fails with its assertion message. In the instructor
edition (and in CI, which runs it) the environment variable ``FEDLEARN_EDU_SOLUTIONS=required``
turns "not attempted" into a failure, so every solution is checked for real.
"""

from __future__ import annotations

import os
from contextlib import contextmanager

SOLUTIONS_ENV = "FEDLEARN_EDU_SOLUTIONS"


class _Outcome:
    """What happened inside a :func:`self_check` block: ``attempted`` and ``passed``."""

    def __init__(self, name: str):
        self.name, self.attempted, self.passed = name, True, False


@contextmanager
def self_check(name: str):
    """Run the ``with`` block as the check of exercise ``name`` (see the module docstring).

    Yields an object with ``attempted``/``passed`` flags. ``NotImplementedError`` raised
    anywhere in the block (the skeleton) means "not attempted yet": a hint is printed, unless
    ``FEDLEARN_EDU_SOLUTIONS=required``, when it is re-raised. Anything else propagates.
    """
    if not isinstance(name, str) or not name:
        raise TypeError(f"name must be a non-empty string, got {name!r}")
    outcome = _Outcome(name)
    try:
        yield outcome
    except NotImplementedError:
        if os.environ.get(SOLUTIONS_ENV) == "required":
            raise
        outcome.attempted = False
        print(f"… {name} is not written yet: fill in the cell above and run it, then run this "
              f"check again. Stuck? Uncomment its first line (%load solutions/…) and run it.")
        return
    outcome.passed = True
