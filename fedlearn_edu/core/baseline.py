"""The centralised reference a federated model is compared with."""

from __future__ import annotations

from functools import lru_cache

from threadpoolctl import threadpool_limits

from .._validation import Choice, Real, validated
from .data import DATASET_NAMES, load_dataset


@validated(dataset=Choice(DATASET_NAMES), test_size=Real(0.0, 1.0, low_open=True, high_open=True))
def centralised_baseline(dataset: str = "digits", test_size: float = 0.25) -> tuple[float, float]:
    """``(test_accuracy, test_log_loss)`` of scikit-learn's LogisticRegression trained on the
    union of all clients' data (the same split the federation uses): the centralised
    reference a federated model should approach on IID data. Cached per (dataset, test_size).

    Note: scikit-learn's default L2 penalty (``C=1``) is on, while FedAvg here has none.
    """
    return _baseline(str(dataset), float(test_size))


@lru_cache(maxsize=16)
def _baseline(dataset: str, test_size: float) -> tuple[float, float]:
    from sklearn.linear_model import LogisticRegression
    from sklearn.metrics import log_loss

    d = load_dataset(dataset, test_size)
    if d.task != "classification":
        raise ValueError(f"dataset must be a classification dataset, got {dataset!r}")
    with threadpool_limits(limits=1):  # small problem: extra BLAS threads only slow it down
        clf = LogisticRegression(max_iter=2000).fit(d.X_train, d.y_train)
        proba = clf.predict_proba(d.X_test)
    return float(clf.score(d.X_test, d.y_test)), float(log_loss(d.y_test, proba,
                                                                 labels=clf.classes_))
