"""Rules for function arguments and the :func:`validated` decorator that applies them.

A public engine function declares one rule per parameter::

    @validated(X=Array(ndim=2), lr=Real(0, low_open=True), rng=RNG())
    def train(X, lr, rng): ...

The decorator checks each argument on every call and hands the function the canonical
value, so bad input fails with a ``TypeError``/``ValueError`` naming the parameter before any
arithmetic runs. The fuzz test (``tests/test_fuzz.py``) uses ``fn.__constraints__`` to check
that every parameter of every public function has a rule.
"""

from __future__ import annotations

import functools
import inspect
import numbers
from dataclasses import dataclass

import numpy as np

from .arrays import _describe, check_array
from .scalars import check_int


@dataclass(frozen=True)
class Instance:
    """An instance of ``cls`` (a class or a tuple of classes)."""

    cls: type | tuple

    def check(self, name, value):
        if not isinstance(value, self.cls):
            names = (self.cls,) if isinstance(self.cls, type) else self.cls
            allowed = " or ".join(c.__name__ for c in names)
            raise TypeError(f"{name} must be a {allowed}, got {_describe(value)} "
                            f"({type(value).__name__})")
        return value


@dataclass(frozen=True)
class Duck:
    """Any object with the named attributes (e.g. a model: ``init``, ``grad``, ``loss``)."""

    attrs: tuple[str, ...]
    what: str = "object"

    def check(self, name, value):
        missing = [a for a in self.attrs if not hasattr(value, a)]
        if missing or isinstance(value, (str, bytes, numbers.Number, np.ndarray)):
            raise TypeError(f"{name} must be a {self.what} (with {', '.join(self.attrs)}), got "
                            f"{_describe(value)} ({type(value).__name__})")
        return value


@dataclass(frozen=True)
class RNG:
    """A ``numpy.random.Generator``."""

    def check(self, name, value):
        if not isinstance(value, np.random.Generator):
            raise TypeError(f"{name} must be a numpy.random.Generator (np.random.default_rng("
                            f"seed)), got {_describe(value)} ({type(value).__name__})")
        return value


@dataclass(frozen=True)
class Seed:
    """A seed for ``numpy.random.SeedSequence``: an integer in [0, 2**63)."""

    def check(self, name, value):
        return check_int(name, value, 0, 2**63 - 1)


@dataclass(frozen=True)
class Maybe:
    """``None`` or a value accepted by ``rule``."""

    rule: object

    def check(self, name, value):
        return None if value is None else self.rule.check(name, value)


@dataclass(frozen=True)
class Func:
    """A callable."""

    def check(self, name, value):
        if not callable(value):
            raise TypeError(f"{name} must be callable, got {_describe(value)}")
        return value


@dataclass(frozen=True)
class Sequence:
    """A list or tuple (not a string) of values each accepted by ``item``; ``min_len`` items."""

    item: object
    min_len: int = 0

    def check(self, name, value):
        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__") \
                or isinstance(value, np.ndarray) and value.ndim == 0:
            raise TypeError(f"{name} must be a list of values, got {_describe(value)}")
        items = list(value)
        if len(items) < self.min_len:
            raise ValueError(f"{name} must hold at least {self.min_len} items, got {len(items)}")
        return [self.item.check(f"{name}[{i}]", v) for i, v in enumerate(items)]


@dataclass(frozen=True)
class Mapping:
    """A dict whose values are each accepted by ``value``."""

    value: object
    min_len: int = 1

    def check(self, name, value):
        if not isinstance(value, dict):
            raise TypeError(f"{name} must be a dict, got {_describe(value)}")
        if len(value) < self.min_len:
            raise ValueError(f"{name} must hold at least {self.min_len} entries, got 0")
        return {k: self.value.check(f"{name}[{k!r}]", v) for k, v in value.items()}


@dataclass(frozen=True)
class Pair:
    """A tuple ``(X, y)``: features ``(n, d)`` and labels/targets ``(n,)`` of equal length."""

    y_kind: str = "float"

    def check(self, name, value):
        if not isinstance(value, (tuple, list)) or len(value) != 2:
            raise TypeError(f"{name} must be a pair (X, y), got {_describe(value)}")
        X = check_array(f"{name}[0]", value[0], ndim=2)
        y = check_array(f"{name}[1]", value[1], ndim=1, kind=self.y_kind, length=len(X),
                        like=f"row of {name}[0]")
        return (X, y)


@dataclass(frozen=True)
class Anything:
    """No check: the parameter is handed on as is (documented at the function)."""

    why: str = ""

    def check(self, name, value):
        return value


def validated(**rules):
    """Check a function's arguments against ``rules`` (parameter name -> rule) on every call.

    The checked, canonical value (e.g. the array) is what the function receives; arguments
    left at their defaults are not checked. The rules are kept as ``fn.__constraints__`` so a
    test can verify that every parameter of every public function has one.
    """

    def decorate(fn):
        sig = inspect.signature(fn)
        unknown = set(rules) - set(sig.parameters)
        if unknown:
            raise TypeError(f"{fn.__qualname__} has no parameters {sorted(unknown)}")
        items = tuple(rules.items())

        @functools.wraps(fn)
        def wrapper(*args, **kwargs):
            try:
                bound = sig.bind(*args, **kwargs)
            except TypeError as err:
                raise TypeError(f"{fn.__name__}(): {err}") from None
            arguments = bound.arguments
            for name, rule in items:
                if name in arguments:
                    arguments[name] = rule.check(name, arguments[name])
            return fn(*bound.args, **bound.kwargs)

        wrapper.__constraints__ = dict(rules)
        return wrapper

    return decorate
