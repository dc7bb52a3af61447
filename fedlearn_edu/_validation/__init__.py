"""Argument checks shared by every subpackage; imports nothing else of the package.

* :mod:`.scalars`: ``check_int/float/choice/bool`` and the ``Int/Real/Choice/Bool``
  constraints configs declare beside their fields (:func:`validate_fields`);
* :mod:`.arrays`: :func:`check_array` and the memory/iteration budget;
* :mod:`.rules`: rules for function arguments and the :func:`validated` decorator.
"""

from .arrays import MAX_ITERATIONS, MEMORY_BUDGET_BYTES, Array, check_array, check_budget
from .errors import DivergenceError
from .rules import (
    RNG,
    Anything,
    Duck,
    Func,
    Instance,
    Mapping,
    Maybe,
    Pair,
    Seed,
    Sequence,
    validated,
)
from .scalars import (
    Bool,
    Choice,
    Int,
    Real,
    check_bool,
    check_choice,
    check_float,
    check_int,
    validate_fields,
)

__all__ = [
    "DivergenceError",
    "MAX_ITERATIONS", "MEMORY_BUDGET_BYTES", "Array", "check_array", "check_budget", "RNG",
    "Anything", "Duck", "Func", "Instance", "Mapping", "Maybe", "Pair", "Seed", "Sequence",
    "validated", "Bool", "Choice", "Int", "Real", "check_bool", "check_choice", "check_float",
    "check_int", "validate_fields",
]
