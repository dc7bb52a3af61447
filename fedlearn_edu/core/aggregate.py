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
    total = wts.sum()
    if not (np.isfinite(total) and total > 0 and wts.min() >= 0):  # NaN fails every test
        raise ValueError(f"weights must be finite, >= 0 and not all 0, got {wts}")
    return (wts / total) @ U


def mean(updates) -> np.ndarray:
    """Unweighted mean of the client vectors, ``(p,)``."""
    return _as_stack(updates).mean(axis=0)


# --------------------------------------------------------------------------------------
# Robust aggregation against poisoning (issue 7). Each takes the stacked client vectors
# (models, deltas or gradients: all rules below are translation invariant, so passing
# models or deltas gives the same answer) and returns one vector. None of them looks at
# example counts: an attacker could lie about those.


def clip_to_norm(updates, max_norm: float) -> np.ndarray:
    """Scale each row down to L2 norm <= ``max_norm`` (rows already inside are unchanged).

    Args:
        updates: ``(m, p)``.
        max_norm: > 0; ``inf`` leaves every row as is.

    Returns:
        a new ``(m, p)`` array ``u_i * min(1, max_norm / ||u_i||)``.
    """
    U = _as_stack(updates)
    if not (isinstance(max_norm, (int, float, np.floating)) and max_norm > 0):
        raise ValueError(f"max_norm must be a number > 0 (inf allowed), got {max_norm!r}")
    norms = np.linalg.norm(U, axis=1)
    scale = np.minimum(1.0, max_norm / np.maximum(norms, 1e-300))
    return U * scale[:, None]


def norm_clipped_mean(updates, max_norm: float, weights=None) -> np.ndarray:
    """Clip every update to L2 norm ``max_norm``, then take the (weighted) mean, ``(p,)``.

    Bounds how far any single client (e.g. a boosted attacker) can move the model:
    at most ``max_norm * w_i / sum(w)``.
    """
    C = clip_to_norm(updates, max_norm)
    return mean(C) if weights is None else weighted_average(C, weights)


def coordinate_median(updates) -> np.ndarray:
    """Coordinate-wise median (Yin et al. 2018), ``(p,)``; for even ``m`` the mean of the
    two middle values. Tolerates up to ``ceil(m/2) - 1`` arbitrary clients per coordinate."""
    return np.median(_as_stack(updates), axis=0)


def trimmed_mean(updates, f: int) -> np.ndarray:
    """Coordinate-wise trimmed mean: drop the ``f`` largest and ``f`` smallest values of
    every coordinate and average the remaining ``m - 2f`` (Yin et al. 2018), ``(p,)``.

    Raises:
        ValueError: unless ``0 <= f`` and ``2f < m``.
    """
    U = _as_stack(updates)
    m = U.shape[0]
    if isinstance(f, bool) or not isinstance(f, (int, np.integer)) or f < 0 or 2 * f >= m:
        raise ValueError(f"f must be an integer with 0 <= 2*f < m={m} (trimmed from each end), "
                         f"got {f!r}")
    S = np.sort(U, axis=0)
    return S[f: m - f].mean(axis=0)


def krum_scores(updates, f: int) -> np.ndarray:
    """Krum score of every client (Blanchard et al. 2017), ``(m,)``.

    ``score_i = sum of squared distances from u_i to its m - f - 2 nearest other vectors``.

    Raises:
        ValueError: unless ``m > 2f + 2`` (Krum's guarantee needs it; we refuse otherwise).
    """
    U = _as_stack(updates)
    m = U.shape[0]
    if isinstance(f, bool) or not isinstance(f, (int, np.integer)) or f < 0:
        raise ValueError(f"f must be an integer >= 0 (assumed number of attackers), got {f!r}")
    if m <= 2 * f + 2:
        raise ValueError(f"Krum needs m > 2f + 2 clients: got m={m} clients for f={f} "
                         f"attackers; use more clients per round or a smaller f")
    sq = np.sum(U * U, axis=1)
    D = np.maximum(sq[:, None] + sq[None, :] - 2.0 * U @ U.T, 0.0)  # squared distances
    np.fill_diagonal(D, np.inf)  # a vector is not its own neighbour
    nearest = np.sort(D, axis=1)[:, : m - f - 2]
    return nearest.sum(axis=1)


def multi_krum(updates, f: int, num_selected: int = 1) -> np.ndarray:
    """Average of the ``num_selected`` vectors with the lowest Krum scores, ``(p,)``.

    ``num_selected=1`` is Krum (returns one client's vector); ``num_selected = m - f`` is the
    usual Multi-Krum. Ties are broken by client order (stable sort), so it is deterministic.

    Raises:
        ValueError: unless ``m > 2f + 2`` and ``1 <= num_selected <= m``.
    """
    U = _as_stack(updates)
    scores = krum_scores(U, f)
    m = U.shape[0]
    if (isinstance(num_selected, bool) or not isinstance(num_selected, (int, np.integer))
            or not 1 <= num_selected <= m):
        raise ValueError(f"num_selected must be an integer in [1, {m}], got {num_selected!r}")
    best = np.argsort(scores, kind="stable")[:num_selected]
    return U[best].mean(axis=0)


def krum(updates, f: int) -> np.ndarray:
    """Krum: the single client vector with the lowest score, ``(p,)``."""
    return multi_krum(updates, f, 1)


def norm_clip_median(updates, weights) -> np.ndarray:
    """Clip every update to the round's median update norm (a parameter-free bound), then
    take the weighted mean, ``(p,)``."""
    U = _as_stack(updates)
    bound = float(np.median(np.linalg.norm(U, axis=1)))
    return norm_clipped_mean(U, bound if bound > 0 else np.inf, weights)


# How the server may combine the updates ``U: (m, p)`` of a round, by the name
# ``FedConfig.aggregator`` uses; each rule is called as ``rule(U, f, weights)``.
RULES = {
    "mean": lambda U, f, n: weighted_average(U, n),
    "median": lambda U, f, n: coordinate_median(U),
    "trimmed_mean": lambda U, f, n: trimmed_mean(U, f),
    "krum": lambda U, f, n: krum(U, f),
    "multi_krum": lambda U, f, n: multi_krum(U, f, len(U) - f),
    "norm_clip": lambda U, f, n: norm_clip_median(U, n),
}
AGGREGATORS = tuple(RULES)


def combine(updates, aggregator: str, f: int, weights) -> np.ndarray:
    """Combine client updates ``(m, p)`` with the rule named ``aggregator`` (see :data:`RULES`).

    ``mean`` is the example-weighted average (FedAvg); the others are the robust rules above.
    """
    if aggregator not in RULES:
        raise ValueError(f"aggregator must be one of {AGGREGATORS}, got {aggregator!r}")
    return RULES[aggregator](np.asarray(updates, dtype=float), f, weights)
