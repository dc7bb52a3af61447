"""Array checks and the work budget: what :func:`check_array` accepts and refuses."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

# Work a single call may ask for. A size argument whose result would need more than this is
# refused up front with a clear message instead of a MemoryError (or a machine that swaps).
MEMORY_BUDGET_BYTES = 2**30  # 1 GiB
MAX_ITERATIONS = 10**6  # loop counts (rounds, steps, epochs ...) a call may be asked to run


def check_budget(name: str, count, bytes_per_item: int = 8) -> int:
    """Refuse ``count`` items of ``bytes_per_item`` bytes if they exceed the memory budget."""
    need = int(count) * int(bytes_per_item)
    if need > MEMORY_BUDGET_BYTES:
        raise ValueError(f"{name}={count} would need {need / 2**30:.1f} GiB, more than the "
                         f"{MEMORY_BUDGET_BYTES / 2**30:.0f} GiB a call may allocate; use a "
                         f"smaller {name}")
    return int(count)


def _describe(value) -> str:
    text = repr(value)
    return (text[:60] + "...") if len(text) > 60 else text


def check_array(name: str, value, *, ndim=None, kind: str = "float", finite: bool = True,
                min_len: int = 1, low: float | None = None, high: float | None = None,
                length: int | None = None, like: str = "") -> np.ndarray:
    """Return ``value`` as a NumPy array or raise naming ``name``.

    Args:
        ndim: allowed number of dimensions (int or tuple of ints; ``None`` = any).
        kind: ``"float"`` (real numbers; integer input becomes float64, float32 stays
            float32), ``"real"`` (real numbers, dtype kept: labels or targets),
            ``"int"`` (integer values, e.g. labels or client ids; integral floats
            are accepted and returned as int64) or ``"bool"`` (a mask).
        finite: refuse NaN and inf.
        min_len: smallest allowed ``len`` along the first axis (0 admits empty arrays).
        low, high: inclusive bounds every entry must respect.
        length: required ``len`` along the first axis; ``like`` names the argument that
            fixes it (for the message, e.g. ``"rows of X"``).

    Raises:
        TypeError: not an array of numbers (None, strings, objects, complex, bools for a
            numeric array).
        ValueError: wrong rank, length, non-finite or out-of-range entries.
    """
    if value is None or isinstance(value, (str, bytes, dict, set, bool)):
        raise TypeError(f"{name} must be an array of numbers, got {_describe(value)} "
                        f"({type(value).__name__})")
    try:
        arr = np.asarray(value)
    except (ValueError, TypeError) as err:  # ragged nested lists
        raise ValueError(f"{name} must be a rectangular array of numbers, got "
                         f"{_describe(value)}") from err
    dk = arr.dtype.kind
    if kind == "bool":
        if dk != "b":
            raise TypeError(f"{name} must be an array of True/False, got dtype {arr.dtype}")
    elif dk not in "iuf":
        raise TypeError(f"{name} must be an array of real numbers, got dtype {arr.dtype} "
                        f"from {_describe(value)}")
    if ndim is not None:
        allowed = (ndim,) if isinstance(ndim, int) else tuple(ndim)
        if arr.ndim not in allowed:
            want = " or ".join(f"{d}-D" for d in allowed)
            raise ValueError(f"{name} must be a {want} array, got shape {arr.shape}")
    if arr.ndim and len(arr) < min_len:
        raise ValueError(f"{name} must hold at least {min_len} entries along its first axis, "
                         f"got shape {arr.shape}")
    if arr.ndim > 1 and min(arr.shape[1:]) < 1:
        raise ValueError(f"{name} must not have an empty axis, got shape {arr.shape}")
    if length is not None and (arr.ndim == 0 or len(arr) != length):
        why = f" (one per {like})" if like else ""
        raise ValueError(f"{name} must have length {length}{why}, got shape {arr.shape}")
    if kind in ("float", "real"):
        if dk in "iu" and kind == "float":
            arr = arr.astype(float)
        if finite and arr.size and not np.isfinite(arr).all():
            bad = int(arr.size - np.count_nonzero(np.isfinite(arr)))
            raise ValueError(f"{name} must be finite, got {bad} NaN/inf entr"
                             f"{'y' if bad == 1 else 'ies'}")
    elif kind == "int":
        if dk == "f":
            if arr.size and not (np.isfinite(arr).all() and np.all(arr == np.round(arr))):
                raise ValueError(f"{name} must hold whole numbers, got {_describe(value)}")
            arr = arr.astype(np.int64)
        elif dk in "iu":
            arr = arr.astype(np.int64, copy=False)
    if arr.size and kind != "bool" and (low is not None or high is not None):
        lo, hi = arr.min(), arr.max()
        if (low is not None and lo < low) or (high is not None and hi > high):
            raise ValueError(f"{name} entries must lie in [{'-inf' if low is None else low}, "
                             f"{'inf' if high is None else high}], got range [{lo}, {hi}]")
    return arr


@dataclass(frozen=True)
class Array:
    """A NumPy array; see :func:`check_array` for the fields."""

    ndim: int | tuple | None = None
    kind: str = "float"
    finite: bool = True
    min_len: int = 1
    low: float | None = None
    high: float | None = None

    def check(self, name, value):
        return check_array(name, value, ndim=self.ndim, kind=self.kind, finite=self.finite,
                           min_len=self.min_len, low=self.low, high=self.high)


