"""Scalar checks and the constraints configs declare beside their fields.

Functions (``check_int``, ``check_float``, ``check_choice``, ``check_bool``) return the
value in its canonical type or raise ``TypeError``/``ValueError`` naming the parameter,
the value and what is allowed.

Configs declare their allowed values beside their fields as ``Int``/``Real``/``Choice``/
``Bool`` constraints (scikit-learn's ``_parameter_constraints`` idea) and check them all
with :func:`validate_fields`.
"""

from __future__ import annotations

import math
import numbers
from dataclasses import dataclass


def check_int(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as int or raise naming ``name``; bounds are inclusive."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value}")
    return value


def check_float(
    name: str,
    value,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """Return ``value`` as float or raise naming ``name`` and the allowed interval."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    bad = math.isnan(value) or (math.isinf(value) and not allow_inf)
    if low is not None:
        bad |= value < low or (low_open and value == low)
    if high is not None:
        bad |= value > high or (high_open and value == high)
    if bad:
        allowed = _allowed_numbers(low, high, low_open, high_open, allow_inf)
        raise ValueError(f"{name} must be {allowed}, got {value}")
    return value


def _allowed_numbers(low, high, low_open, high_open, allow_inf) -> str:
    """What :func:`check_float` accepts, in words: "a finite number > 0.0", "a finite number
    in [0.0, 1.0]", "a number >= 0.0 or inf" (never an interval that ends at inf)."""
    if low is not None and high is not None:
        what = f"in {'(' if low_open else '['}{low}, {high}{')' if high_open else ']'}"
    elif low is not None:
        what = f"{'>' if low_open else '>='} {low}"
    elif high is not None:
        what = f"{'<' if high_open else '<='} {high}"
    else:
        what = ""
    if not allow_inf:
        return f"a finite number {what}".rstrip()
    if low is None and high is None:
        return "a number (inf and -inf allowed, NaN not)"
    if low is not None and high is not None:
        return f"a number {what}"
    return f"a number {what} or {'inf' if high is None else '-inf'}"


def check_choice(name: str, value, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise naming ``name``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


def check_bool(name: str, value) -> bool:
    """Return ``value`` if it is ``True`` or ``False``, else raise naming ``name``."""
    if not isinstance(value, bool):
        raise TypeError(f"{name} must be True or False, got {value!r}")
    return value


# -- declared constraints -----------------------------------------------------------------


@dataclass(frozen=True)
class Int:
    """An integer in ``[low, high]`` (``None`` = unbounded)."""

    low: int | None = None
    high: int | None = None

    def check(self, name, value):
        return check_int(name, value, self.low, self.high)


@dataclass(frozen=True)
class Real:
    """A real number in an interval; ``allow_inf`` admits ``inf`` as a value."""

    low: float | None = None
    high: float | None = None
    low_open: bool = False
    high_open: bool = False
    allow_inf: bool = False

    def check(self, name, value):
        return check_float(name, value, self.low, self.high, low_open=self.low_open,
                           high_open=self.high_open, allow_inf=self.allow_inf)


@dataclass(frozen=True)
class Choice:
    """One of the names in ``options``."""

    options: tuple[str, ...]

    def check(self, name, value):
        return check_choice(name, value, self.options)


@dataclass(frozen=True)
class Bool:
    """``True`` or ``False``."""

    def check(self, name, value):
        return check_bool(name, value)


def validate_fields(obj, constraints: dict, prefix: str = "") -> None:
    """Check every ``obj.<field>`` against ``constraints[field]`` (in declaration order)."""
    for name, rule in constraints.items():
        rule.check(prefix + name, getattr(obj, name))

