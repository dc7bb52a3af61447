"""8-bit quantisation of update vectors: 256 evenly spaced levels between min and max.

An update ``x: (p,)`` is sent as ``p`` uint8 levels ``q`` plus ``lo = min(x)`` and
``scale = (max(x) - min(x)) / 255`` (2 x 8 bytes); the server reconstructs
``x_hat = lo + scale * q``.

Rounding (``rounding=``):

* ``"nearest"`` (default): ``q = round((x - lo) / scale)``. Deterministic, error at most
  ``scale / 2`` per entry, but **biased**: an entry a fraction ``f`` of a level above a grid
  point is always rounded the same way, so its error ``-f * scale`` (``f < 1/2``) or
  ``(1 - f) * scale`` never averages out over rounds or clients.
* ``"stochastic"``: round up with probability equal to the fractional part (QSGD, Alistarh
  et al. 2017), down otherwise. **Unbiased**: ``E[x_hat] = x``; the error of one draw is at
  most ``scale`` (one level). Needs a ``numpy.random.Generator``.

The arithmetic never overflows, whatever the magnitudes: the span ``max - min`` (up to
``2 * 1.8e308``) is formed from halves, ``x_hat`` from quarters (multiplying by powers of
two is exact, so for ordinary inputs the numbers are bit for bit those of the textbook
formulas). The stated error bounds hold up to floating-point rounding (a few units in the
last place of ``max |x|``; for subnormal inputs, about ``256 * 5e-324``).
"""

from __future__ import annotations

import numpy as np

from .._validation import RNG, Array, Choice, Maybe, Real, validated

ROUNDING_NAMES = ("nearest", "stochastic")
LEVELS = 255  # highest level; 256 levels 0..255
_MAX = float(np.finfo(np.float64).max)


def int8_range(X: np.ndarray, axis=None):
    """``(lo, scale)`` of the quantiser for ``X`` (along ``axis``, kept as a column for 2-D).

    ``scale = (hi/2 - lo/2) / 127.5``, the same number as ``(hi - lo) / 255`` but without the
    overflow of ``hi - lo`` (e.g. ``-1e308`` to ``1e308``).
    """
    keep = axis is not None
    lo = X.min(axis=axis, keepdims=keep)
    hi = X.max(axis=axis, keepdims=keep)
    return lo, (0.5 * hi - 0.5 * lo) / (LEVELS / 2)


def int8_levels(X: np.ndarray, lo, scale, uniforms: np.ndarray | None = None) -> np.ndarray:
    """uint8 levels of ``X`` for the grid ``lo + scale * k``, ``k = 0..255`` (broadcasting).

    ``uniforms``: ``None`` for round-to-nearest, else ``U[0, 1)`` draws of ``X``'s shape for
    stochastic rounding (level ``floor(t) + 1`` with probability ``t - floor(t)``).
    A zero ``scale`` (constant input) gives level 0 everywhere.
    """
    positive = scale > 0
    t = (0.5 * X - 0.5 * lo) / (0.5 * np.where(positive, scale, 1.0))  # (X - lo) / scale
    t = np.where(positive, t, 0.0)
    if uniforms is None:
        q = np.rint(t)
    else:
        low = np.floor(t)
        q = low + (uniforms < t - low)
    return np.clip(q, 0, LEVELS).astype(np.uint8)


def int8_values(q: np.ndarray, lo, scale) -> np.ndarray:
    """``lo + scale * q`` as float64, formed from quarters so it cannot overflow."""
    y = 0.25 * lo + (0.25 * scale) * np.asarray(q, dtype=float)
    # 4 y is within rounding of a value in [lo, hi]; clip the last-ulp overshoot at the edge
    with np.errstate(over="ignore"):
        return np.clip(4.0 * y, -_MAX, _MAX)


def check_rng_for(rounding: str, rng) -> None:
    """Stochastic rounding needs a generator; refuse ``rng=None`` naming both."""
    if rounding == "stochastic" and rng is None:
        raise ValueError("rng must be a numpy.random.Generator when rounding='stochastic', "
                         "got None (pass rng=np.random.default_rng(seed))")


@validated(x=Array(ndim=1), rounding=Choice(ROUNDING_NAMES), rng=Maybe(RNG()))
def quantize_int8(x, rounding: str = "nearest", rng=None) -> tuple[np.ndarray, float, float]:
    """Uniform 8-bit quantisation of ``x: (p,)`` between its min and max.

    Args:
        x: finite update vector ``(p,)``, ``p >= 1`` (not modified).
        rounding: ``"nearest"`` (deterministic, biased by up to half a level) or
            ``"stochastic"`` (unbiased: ``E[lo + scale * q] = x``), see the module docstring.
        rng: ``numpy.random.Generator`` for ``"stochastic"`` (draws ``p`` uniforms, also for
            a constant ``x``); unused for ``"nearest"``.

    Returns:
        ``(q, lo, scale)`` with ``q: (p,)`` uint8 levels and ``x ~ lo + scale * q``, error at
        most ``scale / 2`` (nearest) or ``scale`` (stochastic) per entry, up to rounding.
        A constant vector has ``scale = 0`` and ``q = 0``.

    Raises:
        ValueError: ``x`` empty, not 1-D or not finite; ``rounding="stochastic"`` without
            ``rng``.
    """
    check_rng_for(rounding, rng)
    lo, scale = int8_range(x)
    uniforms = rng.random(len(x)) if rounding == "stochastic" else None
    return int8_levels(x, lo, scale, uniforms), float(lo), float(scale)


@validated(q=Array(ndim=1, kind="int", low=0, high=LEVELS, min_len=0), lo=Real(),
           scale=Real(0.0))
def dequantize_int8(q, lo: float, scale: float) -> np.ndarray:
    """``lo + scale * q`` as float64 ``(p,)``.

    Args:
        q: levels ``(p,)``, whole numbers in ``[0, 255]``; lo: finite offset;
        scale: finite level spacing ``>= 0``.

    Raises:
        ValueError: bad ``q``/``lo``/``scale``, or ``lo + scale * q`` beyond the float64
            range (about ``1.8e308``); a pair from :func:`quantize_int8` never is.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        y = 0.25 * lo + (0.25 * scale) * q.astype(float)
    if y.size and np.abs(y).max() > _MAX / 4 * (1 + 2.0**-40):
        raise ValueError(f"lo + scale * q overflows float64 (lo={lo}, scale={scale}, max q="
                         f"{int(q.max())}); lo and scale must describe a range within "
                         f"+-{_MAX:.3g}")
    return int8_values(q, lo, scale)
