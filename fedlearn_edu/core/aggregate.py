"""Pure aggregation functions: stacked client vectors in, one vector out.

No randomness, no state, no knowledge of who the clients are: the strategy decides
*who* takes part and *what* they send; these functions only do the arithmetic
(the split Flower uses between ``Strategy`` and ``aggregate``).
"""

from __future__ import annotations

import numpy as np

from .._validation import Array, Choice, Int, Real, check_array, validated


def _as_stack(updates, name: str = "updates") -> np.ndarray:
    U = np.asarray(updates)
    if U.dtype.kind not in "f":
        U = U.astype(float)
    if U.ndim != 2 or U.shape[0] < 1 or U.shape[1] < 1:
        raise ValueError(f"{name} must be a non-empty (m, p) array of client vectors, got shape "
                         f"{U.shape}")
    return U


def finite_rows(updates) -> np.ndarray:
    """``(m,)`` bool: which client vectors of ``updates: (m, p)`` hold only finite numbers."""
    return _finite_rows(check_array("updates", updates, ndim=2, finite=False))


def _finite_rows(U: np.ndarray) -> np.ndarray:
    return np.isfinite(U).all(axis=1)


def _check_f(f, name: str = "f") -> int:
    if isinstance(f, bool) or not isinstance(f, (int, np.integer)) or f < 0:
        raise ValueError(f"{name} must be an integer >= 0 (assumed number of attackers), "
                         f"got {f!r}")
    return int(f)


def _weights(weights, m: int) -> np.ndarray:
    wts = check_array("weights", weights, ndim=1, low=0.0)
    if len(wts) != m:
        raise ValueError(f"weights must have length {m} (one per row of updates), got "
                         f"{len(wts)}")
    if not wts.sum() > 0:
        raise ValueError(f"weights must not all be 0, got {wts}")
    return wts


UPDATES = Array(ndim=2)  # the plain mean: refuses NaN/inf (it has no defence against them)
ANY_UPDATES = Array(ndim=2, finite=False)  # robust rules: a non-finite update is the worst one


@validated(updates=UPDATES)
def weighted_average(updates, weights) -> np.ndarray:
    """Weighted mean ``sum_i weights_i * updates_i / sum_i weights_i``.

    Args:
        updates: ``(m, p)`` one parameter (or gradient) vector per client; finite (the mean
            has no defence against a NaN/inf client: use a robust rule).
        weights: ``(m,)`` non-negative weights, usually example counts ``n_i``, not all 0.

    Returns:
        ``(p,)``.
    """
    U = _as_stack(updates)
    return _weighted_mean(U, _weights(weights, U.shape[0]))


def _weighted_mean(U: np.ndarray, wts: np.ndarray) -> np.ndarray:
    """The unchecked kernel the round loop uses (a diverged client gives NaN, which the loop
    detects and reports)."""
    return (wts / wts.sum()).astype(U.dtype, copy=False) @ U


@validated(updates=UPDATES)
def mean(updates) -> np.ndarray:
    """Unweighted mean of the client vectors, ``(p,)``."""
    return _as_stack(updates).mean(axis=0)


# --------------------------------------------------------------------------------------
# Robust aggregation against poisoning. Each takes the stacked client vectors (models, deltas
# or gradients: all rules below are translation invariant, so passing models or deltas gives
# the same answer) and returns one vector. None of them looks at example counts: an attacker
# could lie about those.
#
# A client vector holding NaN or inf is the worst update there is: the median, trimmed mean
# and Krum rules drop it (and assume one attacker fewer among the rest); the norm-clipping
# rules give it zero contribution. ``finite_rows`` says which were kept; the round loop
# records their number as ``History.rejected``.


@validated(updates=ANY_UPDATES, max_norm=Real(0.0, low_open=True, allow_inf=True))
def clip_to_norm(updates, max_norm: float) -> np.ndarray:
    """Scale each row down to L2 norm <= ``max_norm`` (rows already inside are unchanged).

    Args:
        updates: ``(m, p)``; a row holding NaN/inf becomes a zero row (no contribution).
        max_norm: > 0; ``inf`` leaves every finite row as is.

    Returns:
        a new ``(m, p)`` array ``u_i * min(1, max_norm / ||u_i||)``.
    """
    return _clip(_as_stack(updates), max_norm)


def _clip(U: np.ndarray, max_norm: float) -> np.ndarray:
    ok = _finite_rows(U)
    U = np.where(ok[:, None], U, 0.0)
    # the norm of a row of huge finite numbers overflows: scale by its largest entry first
    big = np.max(np.abs(U), axis=1)
    safe = np.where(big > 0, big, 1.0)
    norms = safe * np.linalg.norm(U / safe[:, None], axis=1)
    scale = np.minimum(1.0, max_norm / np.maximum(norms, 1e-300))
    return U * scale[:, None]


@validated(updates=ANY_UPDATES, max_norm=Real(0.0, low_open=True, allow_inf=True))
def norm_clipped_mean(updates, max_norm: float, weights=None) -> np.ndarray:
    """Clip every update to L2 norm ``max_norm``, then take the (weighted) mean, ``(p,)``.

    Bounds how far any single client (e.g. a boosted attacker) can move the model:
    at most ``max_norm * w_i / sum(w)``. A NaN/inf update contributes zero.
    """
    C = _clip(_as_stack(updates), max_norm)
    if weights is None:
        return C.mean(axis=0)
    return _weighted_mean(C, _weights(weights, C.shape[0]))


def _kept(U: np.ndarray, f: int) -> tuple[np.ndarray, int]:
    """The finite rows, and the attackers still to assume among them."""
    ok = _finite_rows(U)
    if not ok.any():
        raise ValueError(f"updates: all {len(U)} client vectors hold NaN/inf; nothing to "
                         f"aggregate")
    dropped = len(U) - int(ok.sum())
    return (U if dropped == 0 else U[ok]), max(f - dropped, 0)


@validated(updates=ANY_UPDATES)
def coordinate_median(updates) -> np.ndarray:
    """Coordinate-wise median (Yin et al. 2018), ``(p,)``; for even ``m`` the mean of the
    two middle values. Tolerates up to ``ceil(m/2) - 1`` arbitrary clients per coordinate;
    NaN/inf clients are dropped first."""
    U, _ = _kept(_as_stack(updates), 0)
    return np.median(U, axis=0)


@validated(updates=ANY_UPDATES, f=Int(0))
def trimmed_mean(updates, f: int) -> np.ndarray:
    """Coordinate-wise trimmed mean: drop the ``f`` largest and ``f`` smallest values of
    every coordinate and average the remaining ``m - 2f`` (Yin et al. 2018), ``(p,)``.

    NaN/inf clients are dropped first and count as ``f``'s attackers: ``k`` of them leave
    ``f - k`` to trim among the rest.

    Raises:
        ValueError: unless ``0 <= f`` and ``2f < m``.
    """
    U0 = _as_stack(updates)
    m = U0.shape[0]
    if 2 * f >= m:
        raise ValueError(f"f must be an integer with 0 <= 2*f < m={m} (rows of updates; f are "
                         f"trimmed from each end), got {f!r}")
    U, f = _kept(U0, f)
    S = np.sort(U, axis=0)
    return S[f: len(U) - f].mean(axis=0)


def _squared_distances(U: np.ndarray) -> np.ndarray:
    """``(m, m)`` squared distances ``||u_i - u_j||^2``, one matrix, accurate and translation
    invariant in floating point.

    ``||a||^2 + ||b||^2 - 2 a.b`` from one Gram product is fast but loses the digits of
    ``||a - b||^2`` when the vectors are far from the origin (full models instead of deltas,
    or one boosted attacker setting the scale). So: centre on the coordinate-wise median
    (the honest bulk, which an attacker cannot drag away), take the Gram form, and recompute
    from differences the few pairs where cancellation could cost more than a few digits
    (``||a||^2 + ||b||^2 > 16 ||a - b||^2``: e.g. colluding copies far from the bulk).
    """
    C = U - np.median(U, axis=0)
    sq = np.einsum("ij,ij->i", C, C)
    norms = sq[:, None] + sq[None, :]
    D = np.maximum(norms - 2.0 * (C @ C.T), 0.0)
    i, j = np.nonzero(np.triu(norms > 16.0 * D, 1))
    step = max(1, 2**22 // max(C.shape[1], 1))  # bounded memory for the differences
    for a in range(0, len(i), step):
        ii, jj = i[a: a + step], j[a: a + step]
        diff = C[ii] - C[jj]
        D[ii, jj] = D[jj, ii] = np.einsum("ij,ij->i", diff, diff)
    return D


def _krum_scores(U: np.ndarray, f: int) -> np.ndarray:
    m = U.shape[0]
    if m <= 2 * f + 2:
        raise ValueError(f"Krum needs m > 2f + 2 clients: got m={m} clients (rows of updates) "
                         f"for f={f} "
                         f"attackers; use more clients per round or a smaller f")
    D = _squared_distances(U)
    np.fill_diagonal(D, np.inf)  # a vector is not its own neighbour
    nearest = np.sort(D, axis=1)[:, : m - f - 2]
    return nearest.sum(axis=1)


@validated(updates=ANY_UPDATES, f=Int(0))
def krum_scores(updates, f: int) -> np.ndarray:
    """Krum score of every client (Blanchard et al. 2017), ``(m,)``.

    ``score_i = sum of squared distances from u_i to its m - f - 2 nearest other vectors``.
    Cost: one ``(m, m)`` distance matrix from one Gram product, O(m^2 p) time and O(m^2)
    memory in the *selected* clients (fine for hundreds per round, not for 10,000);
    a NaN/inf client scores ``inf`` (and is left out of the others' neighbours, counting as
    one of the ``f`` attackers).

    Raises:
        ValueError: unless ``m > 2f + 2`` (Krum's guarantee needs it; we refuse otherwise).
    """
    U0 = _as_stack(updates)
    if U0.shape[0] <= 2 * f + 2:
        _krum_scores(U0, f)  # raises the message
    ok = _finite_rows(U0)
    U, f_left = _kept(U0, f)
    scores = np.full(len(U0), np.inf)
    scores[ok] = _krum_scores(U, f_left) if len(U) > 2 * f_left + 2 else 0.0
    return scores


@validated(updates=ANY_UPDATES, f=Int(0), num_selected=Int(1))
def multi_krum(updates, f: int, num_selected: int = 1) -> np.ndarray:
    """Average of the ``num_selected`` vectors with the lowest Krum scores, ``(p,)``.

    ``num_selected=1`` is Krum (returns one client's vector); ``num_selected = m - f`` is the
    usual Multi-Krum. Ties are broken by client order (stable sort), so it is deterministic.
    NaN/inf clients are never selected (at most the finite ones are averaged).

    Raises:
        ValueError: unless ``m > 2f + 2`` and ``1 <= num_selected <= m``.
    """
    U = _as_stack(updates)
    scores = krum_scores(U, f)
    m = U.shape[0]
    if num_selected > m:
        raise ValueError(f"num_selected must be an integer in [1, {m}], got {num_selected!r}")
    k = min(num_selected, int(np.isfinite(scores).sum()))
    best = np.argsort(scores, kind="stable")[:k]
    return U[best].mean(axis=0)


@validated(updates=ANY_UPDATES, f=Int(0))
def krum(updates, f: int) -> np.ndarray:
    """Krum: the single client vector with the lowest score, ``(p,)``."""
    return multi_krum(updates, f, 1)


@validated(updates=ANY_UPDATES)
def norm_clip_median(updates, weights) -> np.ndarray:
    """Clip every update to the round's median update norm (a parameter-free bound), then
    take the weighted mean, ``(p,)``. NaN/inf updates contribute zero and do not move the
    median norm."""
    U = _as_stack(updates)
    ok = _finite_rows(U)
    if not ok.any():
        raise ValueError(f"updates: all {len(U)} client vectors hold NaN/inf; nothing to "
                         f"aggregate")
    bound = float(np.median(np.linalg.norm(U[ok], axis=1)))
    C = _clip(U, bound if 0 < bound < np.inf else np.inf)
    return _weighted_mean(C, _weights(weights, len(U)))


# How the server may combine the updates ``U: (m, p)`` of a round, by the name
# ``FedConfig.aggregator`` uses; each rule is called as ``rule(U, f, weights)``. The round loop
# calls these directly: "mean" is the unchecked kernel there, so a diverged client turns the
# model NaN and the loop reports the divergence.
RULES = {
    "mean": lambda U, f, n: _weighted_mean(U, np.asarray(n, dtype=float)),
    "median": lambda U, f, n: coordinate_median(U),
    "trimmed_mean": lambda U, f, n: trimmed_mean(U, f),
    "krum": lambda U, f, n: krum(U, f),
    "multi_krum": lambda U, f, n: multi_krum(U, f, len(U) - f),
    "norm_clip": lambda U, f, n: norm_clip_median(U, n),
}
AGGREGATORS = tuple(RULES)


@validated(updates=ANY_UPDATES, aggregator=Choice(AGGREGATORS), f=Int(0))
def combine(updates, aggregator: str, f: int, weights) -> np.ndarray:
    """Combine client updates ``(m, p)`` with the rule named ``aggregator`` (see :data:`RULES`).

    ``mean`` is the example-weighted average (FedAvg; refuses NaN/inf updates); the others are
    the robust rules above (they drop or zero NaN/inf updates). ``weights``: ``(m,)``.
    """
    U = _as_stack(updates)
    _weights(weights, U.shape[0])
    if aggregator == "mean":
        return weighted_average(U, weights)
    return RULES[aggregator](U, f, weights)
