"""Datasets (nothing is ever downloaded) and the ways to split them across clients.

Datasets: scikit-learn's bundled ``digits``, ``breast_cancer``, ``wine``, ``iris`` and
``diabetes`` (regression), plus ``synthetic``: the article's linear task
``y = X w_true + noise`` with ``X ~ U[0, 1)^(n x 10)``.
Features are standardised with statistics of the training split only; ``fedprox_synthetic``
(the FedProx paper's users, see :data:`USER_DATASETS`) keeps the paper's raw features.

The ways to split a training set across clients live in :mod:`.partitions` (handed on
here, where they used to live).
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

from .._validation import Choice, Int, Maybe, Real, validated
from .dataset import Dataset
from .partitions import (  # noqa: F401 - handed on: their old home
    PARTITION_NAMES,
    label_histogram,
    partition,
    partition_dirichlet,
    partition_iid,
    partition_quantity,
    partition_shards,
)

DATASET_NAMES = ("digits", "breast_cancer", "wine", "iris", "diabetes", "synthetic",
                 "fedprox_synthetic")
# Datasets made of users (LEAF's idea): their "natural" partition gives each user a client.
# fedprox_synthetic is the FedProx paper's Synthetic(1, 1) (Li et al. 2020, Section 5.1), user
# sizes capped at 200 so that 10,000 users fit in memory (about 1.2 M rows).
USER_DATASETS = {"fedprox_synthetic": dict(alpha=1.0, beta=1.0, max_samples=200)}
MAX_USERS = 10_000
DEFAULT_USERS = 30  # the paper's number of devices

# Total number of rows of each dataset; used to validate configs without loading.
DATASET_SIZES = {
    "digits": 1797,
    "breast_cancer": 569,
    "wine": 178,
    "iris": 150,
    "diabetes": 442,
    "synthetic": 1000,
    "fedprox_synthetic": 50 * DEFAULT_USERS,  # at least 50 per user; the size grows with users
}
# Number of classes (1 = regression): a stratified split needs each class in both parts.
DATASET_CLASSES = {"digits": 10, "breast_cancer": 2, "wine": 3, "iris": 3, "diabetes": 1,
                   "synthetic": 1, "fedprox_synthetic": 10}


def train_size(name: str, test_size: float = 0.25) -> int:
    """Number of training rows ``load_dataset(name, test_size=...)`` will return (for a
    dataset made of users, a lower bound: every user has at least 50 rows)."""
    n = DATASET_SIZES[name]
    return n - int(np.ceil(test_size * n))


def check_test_size(name: str, test_size: float) -> None:
    """Raise ``ValueError`` unless the split leaves every class in both the train and the
    test part (at least one row each for regression)."""
    if name in USER_DATASETS:  # each user keeps int((1 - test_size) n_u) of its >= 50 rows
        if int((1 - test_size) * 50) < 1:
            raise ValueError(f"test_size={test_size} leaves a 50-example user of {name!r} no "
                             f"training example; use test_size <= 0.98")
        return
    n, k = DATASET_SIZES[name], DATASET_CLASSES[name]
    n_test = n - train_size(name, test_size)
    if min(n_test, n - n_test) < k:
        need = f"{k} (one per class)" if k > 1 else "1"
        raise ValueError(
            f"test_size={test_size} splits {name!r} ({n} rows) into {n - n_test} train and "
            f"{n_test} test rows; each part needs at least {need}: use "
            f"{(k - 1) / n:.4g} < test_size <= {(n - k) / n:.4g}"
        )


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


def synthetic_linear(
    n: int = 1000, d: int = 10, noise: float = 0.1, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """The article's synthetic task with a hidden linear truth.

    Returns:
        ``X: (n, d)`` uniform on [0, 1), ``y: (n,)`` and the true weights ``w_true: (d,)``.
    """
    rng = np.random.default_rng(seed)
    w_true = rng.normal(size=d)
    X = rng.random((n, d))
    y = X @ w_true + noise * rng.normal(size=n)
    return X, y, w_true


def _raw(name: str) -> tuple[np.ndarray, np.ndarray, int]:
    if name == "synthetic":
        X, y, _ = synthetic_linear(DATASET_SIZES["synthetic"])
        return X, y, 1
    from sklearn import datasets as skd

    loader = {
        "digits": skd.load_digits,
        "breast_cancer": skd.load_breast_cancer,
        "wine": skd.load_wine,
        "iris": skd.load_iris,
        "diabetes": skd.load_diabetes,
    }[name]
    bunch = loader()
    X = np.asarray(bunch.data, dtype=float)
    if name == "diabetes":
        y = np.asarray(bunch.target, dtype=float)
        return X, (y - y.mean()) / y.std(), 1
    y = np.asarray(bunch.target, dtype=int)
    return X, y, int(y.max()) + 1


@validated(name=Choice(DATASET_NAMES), test_size=Real(0.0, 1.0, low_open=True, high_open=True),
           seed=Int(0, 2**32 - 1), num_users=Maybe(Int(1, MAX_USERS)))
def load_dataset(name: str = "digits", test_size: float = 0.25, seed: int = 0,
                 num_users: int | None = None) -> Dataset:
    """Load, split (stratified for classification) and standardise a bundled dataset.

    The result is cached and its arrays are read-only, so callers cannot corrupt it.
    ``num_users`` (default 30) is for the datasets made of users (``"fedprox_synthetic"``):
    that many users are generated (from ``seed``), each keeping ``1 - test_size`` of its
    examples for training and giving the rest to the shared test set.

    Raises:
        ValueError: unknown ``name`` or ``test_size`` outside (0, 1).
    """
    if name in USER_DATASETS:
        check_test_size(name, test_size)
        return _load_users(name, float(test_size), int(seed),
                           DEFAULT_USERS if num_users is None else int(num_users))
    if num_users is not None:
        raise ValueError(f"num_users is for datasets made of users {tuple(USER_DATASETS)}, "
                         f"not {name!r}")
    return _load_dataset(name, float(test_size), int(seed))


@lru_cache(maxsize=2)  # a 10,000-user population is ~0.6 GB: keep few
def _load_users(name: str, test_size: float, seed: int, num_users: int) -> Dataset:
    from .synthetic_users import synthetic_fedprox

    data, parts = synthetic_fedprox(**USER_DATASETS[name], num_devices=num_users,
                                    train_fraction=1.0 - test_size, seed=seed)
    return Dataset(name, data.X_train, data.y_train, data.X_test, data.y_test,
                   data.n_classes, users=tuple(parts))


@lru_cache(maxsize=32)
def _load_dataset(name: str, test_size: float, seed: int) -> Dataset:
    check_test_size(name, test_size)
    from sklearn.model_selection import train_test_split

    X, y, k = _raw(name)
    X_tr, X_te, y_tr, y_te = train_test_split(
        X, y, test_size=test_size, random_state=seed, stratify=y if k > 1 else None
    )
    mu = X_tr.mean(axis=0)
    sd = X_tr.std(axis=0)
    sd[sd == 0] = 1.0  # constant pixels in digits
    X_tr = (X_tr - mu) / sd
    X_te = (X_te - mu) / sd
    return Dataset(name, _readonly(X_tr), _readonly(y_tr), _readonly(X_te), _readonly(y_te), k)
