"""Datasets (nothing is ever downloaded) and the ways to split them across clients.

Datasets: scikit-learn's bundled ``digits``, ``breast_cancer``, ``wine``, ``iris`` and
``diabetes`` (regression), plus ``synthetic``: the article's linear task
``y = X w_true + noise`` with ``X ~ U[0, 1)^(n x 10)``.
Features are standardised with statistics of the training split only.

The ways to split a training set across clients live in :mod:`.partitions` (handed on
here, where they used to live).
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._validation import Choice, Int, Real, check_array, check_int, validated
from .partitions import (  # noqa: F401 - handed on: their old home
    PARTITION_NAMES,
    label_histogram,
    partition,
    partition_dirichlet,
    partition_iid,
    partition_quantity,
    partition_shards,
)

DATASET_NAMES = ("digits", "breast_cancer", "wine", "iris", "diabetes", "synthetic")

# Total number of rows of each dataset; used to validate configs without loading.
DATASET_SIZES = {
    "digits": 1797,
    "breast_cancer": 569,
    "wine": 178,
    "iris": 150,
    "diabetes": 442,
    "synthetic": 1000,
}
# Number of classes (1 = regression): a stratified split needs each class in both parts.
DATASET_CLASSES = {"digits": 10, "breast_cancer": 2, "wine": 3, "iris": 3, "diabetes": 1,
                   "synthetic": 1}


@dataclass(frozen=True)
class Dataset:
    """A standardised train/test split.

    Attributes:
        name: dataset name.
        X_train: ``(n_train, d)``; X_test: ``(n_test, d)``.
        y_train: ``(n_train,)``; y_test: ``(n_test,)`` int labels or float targets.
        n_classes: number of classes, 1 for regression.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int

    def __post_init__(self):
        if not isinstance(self.name, str):
            raise TypeError(f"name must be a string, got {self.name!r}")
        check_int("n_classes", self.n_classes, 1, 100_000)
        kind = "real" if self.n_classes == 1 else "int"
        X = check_array("X_train", self.X_train, ndim=2)
        y = check_array("y_train", self.y_train, ndim=1, kind=kind, length=len(X),
                        like="row of X_train")
        Xt = check_array("X_test", self.X_test, ndim=2, min_len=0)
        yt = check_array("y_test", self.y_test, ndim=1, kind=kind, min_len=0, length=len(Xt),
                         like="row of X_test")
        if Xt.shape[1] != X.shape[1]:
            raise ValueError(f"X_test must have X_train's {X.shape[1]} columns, got {Xt.shape}")
        for name, labels in (("y_train", y), ("y_test", yt)):
            if self.n_classes > 1 and len(labels) and not 0 <= labels.min() <= labels.max() \
                    < self.n_classes:
                raise ValueError(f"{name} must hold labels in [0, {self.n_classes - 1}]")
        for name, value in (("X_train", X), ("y_train", y), ("X_test", Xt), ("y_test", yt)):
            object.__setattr__(self, name, value)

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def task(self) -> str:
        return "regression" if self.n_classes == 1 else "classification"


def train_size(name: str, test_size: float = 0.25) -> int:
    """Number of training rows ``load_dataset(name, test_size=...)`` will return."""
    n = DATASET_SIZES[name]
    return n - int(np.ceil(test_size * n))


def check_test_size(name: str, test_size: float) -> None:
    """Raise ``ValueError`` unless the split leaves every class in both the train and the
    test part (at least one row each for regression)."""
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
           seed=Int(0, 2**32 - 1))
def load_dataset(name: str = "digits", test_size: float = 0.25, seed: int = 0) -> Dataset:
    """Load, split (stratified for classification) and standardise a bundled dataset.

    The result is cached and its arrays are read-only, so callers cannot corrupt it.

    Raises:
        ValueError: unknown ``name`` or ``test_size`` outside (0, 1).
    """
    return _load_dataset(name, float(test_size), int(seed))


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
