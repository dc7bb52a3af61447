"""How personal models are judged: each client's accuracy, and how uncertain it is.

A client with 5 test examples can only score 0, 0.2, ..., 1: its accuracy estimates a
proportion, and a "worst client" picked among such estimates is mostly noise. The **Wilson
score interval** (Wilson 1927) says how wide that noise is. Unlike the textbook
``p ± z sqrt(p (1 - p) / n)`` it stays inside [0, 1] and is not empty at ``p = 0`` or ``1``
(Newcombe 1998 compares seven such intervals; Wilson's is among the recommended ones).

* :func:`wilson_interval`: ``(low, high)`` for ``successes`` out of ``n`` trials.
* :func:`client_intervals`: the interval of each client's test accuracy ``(K,)``.
* :func:`worst_client`: the client with the lowest accuracy, with its test size and interval.
"""

from __future__ import annotations

from statistics import NormalDist

import numpy as np

from .._validation import check_array, check_float

__all__ = ["wilson_interval", "client_intervals", "worst_client"]


def wilson_interval(successes, n, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson score interval of a binomial proportion ``successes / n``.

    With ``p = successes / n`` and ``z`` the standard normal ``(1 + confidence) / 2`` quantile,
    ``centre = (p + z^2 / 2n) / (1 + z^2 / n)`` and
    ``half = z / (1 + z^2 / n) * sqrt(p (1 - p) / n + z^2 / 4n^2)``.

    Args:
        successes: integer counts, scalar or array, each in ``[0, n]``.
        n: numbers of trials (integers >= 1), broadcastable against ``successes``.
        confidence: in (0, 1).

    Returns:
        ``(low, high)``, float arrays of the broadcast shape (NumPy scalars for scalars).
    """
    k = check_array("successes", successes, kind="int", min_len=0)
    m = check_array("n", n, kind="int", min_len=0, low=1)
    conf = check_float("confidence", confidence, 0.0, 1.0, low_open=True, high_open=True)
    try:
        k, m = np.broadcast_arrays(k, m)
    except ValueError:
        raise ValueError(f"successes {k.shape} and n {m.shape} must broadcast to one "
                         f"shape") from None
    if np.any(k < 0) or np.any(k > m):
        raise ValueError(f"successes must be in [0, n] for every entry, got successes={k} "
                         f"for n={m}")
    z = NormalDist().inv_cdf(0.5 + conf / 2)
    m = m.astype(float)
    p = k / m
    denom = 1.0 + z * z / m
    centre = (p + z * z / (2 * m)) / denom
    half = z / denom * np.sqrt(p * (1 - p) / m + z * z / (4 * m * m))
    return np.clip(centre - half, 0.0, 1.0), np.clip(centre + half, 0.0, 1.0)


def client_intervals(acc, n_test, confidence: float = 0.95) -> tuple[np.ndarray, np.ndarray]:
    """Wilson intervals of per-client accuracies ``acc: (K,)`` on ``n_test: (K,)`` examples.

    The number of correct predictions is ``round(acc * n_test)`` (accuracy is a count over
    the client's test split). Returns ``(low (K,), high (K,))``.
    """
    acc = check_array("acc", acc, ndim=1, low=0.0, high=1.0)
    n_test = check_array("n_test", n_test, ndim=1, kind="int", low=1, length=len(acc))
    return wilson_interval(np.rint(acc * n_test).astype(int), n_test, confidence)


def worst_client(acc, n_test, confidence: float = 0.95) -> dict:
    """The client with the lowest accuracy: ``{"client", "acc", "n_test", "low", "high"}``
    (the first such client on ties)."""
    low, high = client_intervals(acc, n_test, confidence)
    acc, n_test = np.asarray(acc, dtype=float), np.asarray(n_test)
    i = int(np.argmin(acc))
    return {"client": i, "acc": float(acc[i]), "n_test": int(n_test[i]),
            "low": float(low[i]), "high": float(high[i])}
