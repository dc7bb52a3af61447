"""The :class:`Dataset` record: a checked, standardised train/test split."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import Array, Sequence, check_array, check_int


@dataclass(frozen=True)
class Dataset:
    """A standardised train/test split.

    Attributes:
        name: dataset name.
        X_train: ``(n_train, d)``; X_test: ``(n_test, d)``.
        y_train: ``(n_train,)``; y_test: ``(n_test,)`` int labels or float targets.
        n_classes: number of classes, 1 for regression.
        users: for a dataset with users (``"fedprox_synthetic"``): one index array into
            ``X_train`` per user, the ``"natural"`` partition (as LEAF's datasets); else None.
    """

    name: str
    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray
    n_classes: int
    users: tuple | None = None

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
        if self.users is not None:
            rule = Sequence(Array(ndim=1, kind="int", low=0, high=len(X) - 1), 1)
            object.__setattr__(self, "users", tuple(rule.check("users", self.users)))

    @property
    def n_features(self) -> int:
        return self.X_train.shape[1]

    @property
    def task(self) -> str:
        return "regression" if self.n_classes == 1 else "classification"
