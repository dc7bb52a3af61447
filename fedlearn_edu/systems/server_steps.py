"""The asynchronous server's arithmetic: staleness functions and the FedAsync/FedBuff steps.

A client update computed from model version ``v0`` that arrives at version ``v`` has
staleness ``tau = v - v0 >= 0``; the server scales it by ``s(tau)`` in ``[0, 1]``
(Xie, Koyejo & Gupta 2019, "Asynchronous Federated Optimization", arXiv:1903.03934):

* ``constant``: ``s(tau) = 1``;
* ``polynomial``: ``s(tau) = (tau + 1)^(-p)`` (the paper's ``a`` is our ``p``);
* ``hinge``: ``s(tau) = 1`` for ``tau <= b`` and ``1 / (a (tau - b) + 1)`` beyond, with
  ``a = slope >= 0`` (how fast late updates lose weight) and ``b = cutoff >= 0`` (the
  staleness tolerated at full weight).

Each is 1 at ``tau = 0`` and non-increasing in ``tau``. :data:`STALENESS` holds the
unchecked kernels ``f(tau, p, slope, cutoff)`` the event loop calls once per arrival;
:func:`staleness_weight` is the checked public face.
"""

from __future__ import annotations

import numpy as np

from .._validation import Array, Choice, Real, validated

_MAX = float(np.finfo(np.float64).max)


def _constant(tau, p, slope, cutoff):
    return np.ones_like(np.asarray(tau, dtype=float)) if np.ndim(tau) else 1.0


def _polynomial(tau, p, slope, cutoff):
    return (tau + 1.0) ** (-p)


def _hinge(tau, p, slope, cutoff):
    t = np.asarray(tau, dtype=float)
    with np.errstate(over="ignore"):  # a huge a (tau - b) gives weight 1/inf = 0
        late = 1.0 / (slope * np.maximum(t - cutoff, 0.0) + 1.0)
    out = np.where(t <= cutoff, 1.0, late)
    return out if np.ndim(tau) else float(out)


# name -> s(tau, p, slope, cutoff); order = SystemsConfig's allowed `staleness` values
STALENESS = {"polynomial": _polynomial, "constant": _constant, "hinge": _hinge}
DEFAULT_P, DEFAULT_SLOPE, DEFAULT_CUTOFF = 0.5, 10.0, 4.0
_SLOPE = Real(0.0, 1e6)
_CUTOFF = Real(0.0, 1e6)


@validated(tau=Array(low=0.0, min_len=0), kind=Choice(tuple(STALENESS)), p=Real(0.0, 100.0),
           slope=_SLOPE, cutoff=_CUTOFF)
def staleness_weight(tau, kind: str = "polynomial", p: float = DEFAULT_P,
                     slope: float = DEFAULT_SLOPE, cutoff: float = DEFAULT_CUTOFF):
    """The staleness factor ``s(tau)`` in ``[0, 1]`` (see the module docstring).

    Args:
        tau: staleness, a finite number or array ``>= 0`` (model versions; any shape).
        kind: ``"polynomial"``, ``"constant"`` or ``"hinge"``.
        p: polynomial exponent, in ``[0, 100]`` (``SystemsConfig.staleness_exp``).
        slope: hinge ``a`` in ``[0, 1e6]`` (``SystemsConfig.staleness_slope``).
        cutoff: hinge ``b`` in ``[0, 1e6]`` (``SystemsConfig.staleness_cutoff``).

    Returns:
        ``s(tau)``, an array of ``tau``'s shape (a 0-d array for a number).
    """
    with np.errstate(under="ignore"):
        return np.asarray(STALENESS[kind](tau, p, slope, cutoff), dtype=float)


def mix(w: np.ndarray, v: np.ndarray, alpha: float) -> np.ndarray:
    """Kernel of :func:`fedasync_mix` (no checks)."""
    return (1.0 - alpha) * np.asarray(w, dtype=float) + alpha * np.asarray(v, dtype=float)


def buffer_step(w: np.ndarray, D: np.ndarray, n: np.ndarray, s: np.ndarray) -> np.ndarray:
    """Kernel of :func:`fedbuff_aggregate` (no checks)."""
    return np.asarray(w, dtype=float) + (n * s) @ D / n.sum()


def _refuse_overflow(out: np.ndarray, names: str) -> np.ndarray:
    if not np.isfinite(out).all():
        raise ValueError(f"the server step overflows float64 (entries beyond {_MAX:.3g}); "
                         f"{names} must be smaller in magnitude")
    return out


@validated(w=Array(ndim=1), v=Array(ndim=1), alpha=Real(0.0, 1.0))
def fedasync_mix(w, v, alpha: float) -> np.ndarray:
    """FedAsync server step ``(1 - alpha) w + alpha v`` (new array; inputs untouched).

    Args:
        w: current global model ``(p,)``; v: the arriving client model ``(p,)``, both finite;
        alpha: mixing weight in ``[0, 1]`` (``a * s(tau)`` in the event loop).

    Raises:
        ValueError: shapes differ, non-finite input, or a result beyond the float64 range.
    """
    if v.shape != w.shape:
        raise ValueError(f"v must have the shape of w {w.shape}, got {v.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        return _refuse_overflow(mix(w, v, alpha), "w and v")


@validated(w=Array(ndim=1), deltas=Array(ndim=2), num_examples=Array(ndim=1, low=0.0),
           stale_weights=Array(ndim=1, low=0.0, high=1.0))
def fedbuff_aggregate(w, deltas, num_examples, stale_weights) -> np.ndarray:
    """FedBuff server step ``w + sum_i n_i s_i Delta_i / sum_i n_i``.

    Args:
        w: current global model ``(p,)``.
        deltas: the buffered updates ``Delta_i = v_i - w_start_i``, ``(K, p)``.
        num_examples: ``n_i``, finite, ``>= 0`` and not all 0, ``(K,)``.
        stale_weights: ``s_i = s(tau_i)``, finite, in ``[0, 1]``, ``(K,)``.

    Returns:
        The new global model ``(p,)`` (inputs untouched). The counts are rescaled by a power
        of two first (exact, so ordinary inputs give the plain formula's numbers; counts
        near 1e308 or 5e-324 neither overflow nor underflow); if the weighted sum of updates
        overflows (updates near 1e308), it is formed from weights normalised to sum <= 1.

    Raises:
        ValueError: shapes disagree, counts negative/non-finite/all zero, weights outside
            ``[0, 1]``, or a result beyond the float64 range.
    """
    K = len(deltas)
    if deltas.shape[1] != len(w):
        raise ValueError(f"deltas must be (K, p) with p = len(w) = {len(w)}, got shape "
                         f"{deltas.shape}")
    for name, a in (("num_examples", num_examples), ("stale_weights", stale_weights)):
        if a.shape != (K,):
            raise ValueError(f"{name} must have one entry per row of deltas (K={K}), got "
                             f"shape {a.shape}")
    if not num_examples.max() > 0:
        raise ValueError(f"num_examples must not be all 0 (the step divides by their sum), "
                         f"got {num_examples}")
    # rescale the counts by a power of two (exact: for ordinary counts the numbers are those
    # of the plain formula) so that neither their sum nor n_i * s_i can overflow or underflow
    r = np.ldexp(num_examples, -int(np.frexp(num_examples.max())[1]))
    with np.errstate(over="ignore", invalid="ignore", under="ignore"):
        out = buffer_step(w, deltas, r, stale_weights)
        if not np.isfinite(out).all():  # sum_i r_i s_i Delta_i overflowed (|Delta| ~ 1e308)
            out = w + (r * stale_weights / r.sum()) @ deltas  # weights <= 1: bounded by max|Delta|
    return _refuse_overflow(out, "w and deltas")
