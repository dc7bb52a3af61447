"""Pure aggregation functions: stacked client vectors in, one vector out.

No randomness, no state, no knowledge of who the clients are: the strategy decides
*who* takes part and *what* they send; these functions only do the arithmetic
(the split Flower uses between ``Strategy`` and ``aggregate``).
"""

from __future__ import annotations

import numpy as np


def _as_stack(updates, name: str = "updates") -> np.ndarray:
    U = np.asarray(updates, dtype=float)
    if U.ndim != 2 or U.shape[0] < 1:
        raise ValueError(f"{name} must be a non-empty (m, p) array of client vectors, got shape "
                         f"{U.shape}")
    return U


def weighted_average(updates, weights) -> np.ndarray:
    """Weighted mean ``sum_i weights_i * updates_i / sum_i weights_i``.

    Args:
        updates: ``(m, p)`` one parameter (or gradient) vector per client.
        weights: ``(m,)`` non-negative weights, usually example counts ``n_i``.

    Returns:
        ``(p,)``.
    """
    U = _as_stack(updates)
    wts = np.asarray(weights, dtype=float)
    if wts.shape != (U.shape[0],):
        raise ValueError(f"weights must have shape ({U.shape[0]},), got {wts.shape}")
    if not np.all(np.isfinite(wts)) or np.any(wts < 0) or wts.sum() <= 0:
        raise ValueError(f"weights must be finite, >= 0 and not all 0, got {wts}")
    return (wts / wts.sum()) @ U


def mean(updates) -> np.ndarray:
    """Unweighted mean of the client vectors, ``(p,)``."""
    return _as_stack(updates).mean(axis=0)
