"""Scores for imbalanced classes and ratings: ROC AUC, recall, precision, RMSE.

Accuracy hides a rare class: when 3 % of card holders default, "nobody defaults" is 97 %
accurate and useless. The area under the ROC curve (AUC) is the probability that a random
positive gets a higher score than a random negative (ties count one half: the Mann-Whitney U
statistic divided by ``n_pos * n_neg``); recall is the share of positives found.
"""

from __future__ import annotations

import numpy as np

from .._validation import Array, validated

LABELS01 = Array(ndim=1, kind="int", low=0, high=1)
SCORES = Array(ndim=1)


def _same_length(a: np.ndarray, b: np.ndarray, names: tuple[str, str]) -> None:
    if len(a) != len(b):
        raise ValueError(f"{names[0]} and {names[1]} must have the same length, got {len(a)} "
                         f"and {len(b)}")


@validated(y_true=LABELS01, scores=SCORES)
def roc_auc(y_true, scores) -> float:
    """Area under the ROC curve of ``scores: (n,)`` for labels ``y_true: (n,)`` in {0, 1}.

    Raises:
        ValueError: when ``y_true`` holds only one class (the AUC is undefined).
    """
    _same_length(y_true, scores, ("y_true", "scores"))
    pos = y_true == 1
    n_pos, n_neg = int(pos.sum()), int((~pos).sum())
    if n_pos == 0 or n_neg == 0:
        raise ValueError(f"roc_auc needs both classes in y_true, got {n_pos} positives and "
                         f"{n_neg} negatives")
    from scipy.stats import rankdata  # SciPy's statistics load in 0.7 s: only when needed

    ranks = rankdata(scores)  # average ranks: ties count one half
    u = ranks[pos].sum() - n_pos * (n_pos + 1) / 2
    return float(u / (n_pos * n_neg))


@validated(y_true=LABELS01, y_pred=LABELS01)
def recall(y_true, y_pred) -> float:
    """Share of the positives (``y_true == 1``) predicted positive; NaN without positives."""
    _same_length(y_true, y_pred, ("y_true", "y_pred"))
    pos = y_true == 1
    return float(np.mean(y_pred[pos] == 1)) if pos.any() else float("nan")


@validated(y_true=LABELS01, y_pred=LABELS01)
def precision(y_true, y_pred) -> float:
    """Share of the predicted positives that are positive; NaN when nothing is predicted
    positive."""
    _same_length(y_true, y_pred, ("y_true", "y_pred"))
    said = y_pred == 1
    return float(np.mean(y_true[said] == 1)) if said.any() else float("nan")


@validated(y_true=Array(ndim=1), y_pred=Array(ndim=1))
def rmse(y_true, y_pred) -> float:
    """Root mean squared error ``sqrt(mean((y_true - y_pred)^2))``.

    Raises:
        ValueError: also when the RMSE itself exceeds float64 (entries near 1e308).
    """
    _same_length(y_true, y_pred, ("y_true", "y_pred"))
    with np.errstate(over="ignore"):
        out = float(np.sqrt(np.mean((y_true - y_pred) ** 2)))
        if np.isfinite(out):
            return out
        # the squares overflowed: the same RMSE from errors scaled into [-2, 2]
        s = max(np.abs(y_true).max(), np.abs(y_pred).max())
        out = float(s * np.sqrt(np.mean((y_true / s - y_pred / s) ** 2)))
    if not np.isfinite(out):
        raise ValueError(f"the RMSE of y_true and y_pred exceeds float64 (entries up to {s:.3g} "
                         f"with opposite signs); rescale them")
    return out
