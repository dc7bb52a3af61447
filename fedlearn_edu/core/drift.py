"""Client drift as disagreement between client updates: cosine similarity, NumPy only.

Every round, client ``i`` starts from the global model ``w`` and returns its local model
``w_i``; its **update** is ``Δ_i = w_i - w``. If the clients' data looked alike, their updates
would point the same way; on label-skewed data each client walks towards its own few labels,
and the updates point in different directions (client drift, 客户端漂移). The angle between
two updates measures that, whatever their lengths::

    cos_ij        = <Δ_i, Δ_j> / (||Δ_i|| ||Δ_j||)                      in [-1, 1]
    update_cosine = sum_{i != j} p_i p_j cos_ij / sum_{i != j} p_i p_j   (pairs weighted by
                                                                        the FedAvg weights)

1 = every client moves the same way, 0 = unrelated (orthogonal) directions, < 0 = clients
undo each other's work. A step length such as ``sum_i p_i ||Δ_i||`` is no measure of drift:
it grows with the number of SGD steps a client takes, also on IID data.

:func:`update_cosine` checks its arguments; :func:`cosine_kernel` is the unchecked version the
round loop calls (a diverged client gives NaN there, and the loop reports the divergence).
"""

from __future__ import annotations

import numpy as np

from .._validation import Array, Maybe, check_budget, validated

__all__ = ["cosine_matrix", "cosine_kernel", "update_cosine"]


def cosine_matrix(updates: np.ndarray) -> np.ndarray:
    """``(m, m)`` cosines between the rows of ``updates: (m, p)``; NaN where a row is zero."""
    U = np.asarray(updates, dtype=np.float64)
    norms = np.linalg.norm(U, axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        unit = U / norms[:, None]
    C = np.clip(unit @ unit.T, -1.0, 1.0)
    C[norms == 0, :] = np.nan
    C[:, norms == 0] = np.nan
    return C


def cosine_kernel(updates: np.ndarray, weights: np.ndarray | None = None) -> float:
    """:func:`update_cosine` without the checks (NaN for non-finite updates)."""
    U = np.asarray(updates, dtype=np.float64)
    p = np.ones(len(U)) if weights is None else np.asarray(weights, dtype=np.float64)
    if len(U) < 2 or not np.isfinite(U).all():
        return float("nan")
    keep = (np.linalg.norm(U, axis=1) > 0) & (p > 0)  # a zero update has no direction
    if keep.sum() < 2:
        return float("nan")
    C, p = cosine_matrix(U[keep]), p[keep]
    P = np.outer(p, p)
    np.fill_diagonal(P, 0.0)
    np.fill_diagonal(C, 0.0)
    return float((P * C).sum() / P.sum())


@validated(updates=Array(ndim=2, min_len=0), weights=Maybe(Array(ndim=1, low=0.0, min_len=0)))
def update_cosine(updates: np.ndarray, weights: np.ndarray | None = None) -> float:
    """Weighted mean cosine similarity over all pairs of different clients' updates.

    Args:
        updates: ``(m, p)`` one update ``Δ_i = w_i - w`` per row (any scale).
        weights: ``(m,)`` non-negative client weights (e.g. example counts; FedAvg's
            ``p_i``); pair ``(i, j)`` counts ``p_i p_j``. ``None``: all equal.

    Returns:
        A number in ``[-1, 1]``; NaN when fewer than two clients have a non-zero update
        (and a positive weight): one client cannot disagree with anybody.
    """
    if weights is not None and len(weights) != len(updates):
        raise ValueError(f"weights must have one entry per row of updates ({len(updates)}), "
                         f"got {len(weights)}")
    check_budget("len(updates)**2", len(updates) ** 2)  # the (m, m) cosines
    return cosine_kernel(updates, weights)
