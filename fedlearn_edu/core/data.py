"""Datasets (nothing is ever downloaded) and the ways to split them across clients.

Datasets: scikit-learn's bundled ``digits``, ``breast_cancer``, ``wine``, ``iris`` and
``diabetes`` (regression), plus ``synthetic``: the article's linear task
``y = X w_true + noise`` with ``X ~ U[0, 1)^(n x 10)``.
Features are standardised with statistics of the training split only.

Partitions return a list of index arrays into the training set, one per client,
that together cover every training example exactly once and are never empty.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache

import numpy as np

DATASET_NAMES = ("digits", "breast_cancer", "wine", "iris", "diabetes", "synthetic")
PARTITION_NAMES = ("iid", "dirichlet", "shards", "quantity")

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


@lru_cache(maxsize=32)
def load_dataset(name: str = "digits", test_size: float = 0.25, seed: int = 0) -> Dataset:
    """Load, split (stratified for classification) and standardise a bundled dataset.

    The result is cached and its arrays are read-only, so callers cannot corrupt it.

    Raises:
        ValueError: unknown ``name`` or ``test_size`` outside (0, 1).
    """
    if name not in DATASET_NAMES:
        raise ValueError(f"dataset must be one of {DATASET_NAMES}, got {name!r}")
    if not 0.0 < test_size < 1.0:
        raise ValueError(f"test_size must be in (0, 1), got {test_size}")
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


# ---------------------------------------------------------------- partitions
def _check_clients(n: int, num_clients: int) -> None:
    if int(num_clients) < 1:
        raise ValueError(f"num_clients must be >= 1, got {num_clients}")
    if num_clients > n:
        raise ValueError(
            f"num_clients must be <= the number of training examples ({n}), got {num_clients}"
        )


def partition_iid(n: int, num_clients: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffle ``n`` indices and cut them into ``num_clients`` near-equal parts."""
    _check_clients(n, num_clients)
    return [np.sort(p) for p in np.array_split(rng.permutation(n), num_clients)]


def _fill_empty(parts: list[np.ndarray], min_size: int) -> list[np.ndarray]:
    """Move examples from the largest clients to any client below ``min_size``."""
    parts = [p.copy() for p in parts]
    for i in range(len(parts)):
        while len(parts[i]) < min_size:
            donor = int(np.argmax([len(p) for p in parts]))
            parts[i] = np.append(parts[i], parts[donor][-1])
            parts[donor] = parts[donor][:-1]
    return parts


def partition_dirichlet(
    y: np.ndarray,
    num_clients: int,
    alpha: float,
    rng: np.random.Generator,
    min_size: int = 1,
    max_tries: int = 100,
) -> list[np.ndarray]:
    """Label skew: for every class, split its examples by proportions ~ Dir(alpha * 1).

    Small ``alpha`` (0.01) gives each client almost a single class; large ``alpha``
    (100) is close to IID. Draws are repeated up to ``max_tries`` times until every
    client has ``min_size`` examples; if that never happens (tiny alpha, many
    clients) the smallest clients borrow examples from the largest ones, so no
    client is ever empty.
    """
    y = np.asarray(y)
    _check_clients(len(y), num_clients)
    if not np.isfinite(alpha) or alpha <= 0:
        raise ValueError(f"dirichlet_alpha must be a finite number > 0, got {alpha}")
    classes = np.unique(y)
    parts: list[np.ndarray] = []
    for _ in range(max_tries):
        buckets: list[list[np.ndarray]] = [[] for _ in range(num_clients)]
        for c in classes:
            idx = rng.permutation(np.flatnonzero(y == c))
            props = rng.dirichlet(np.full(num_clients, alpha))
            cuts = (np.cumsum(props)[:-1] * len(idx)).astype(int)
            for i, chunk in enumerate(np.split(idx, cuts)):
                buckets[i].append(chunk)
        parts = [np.sort(np.concatenate(b)) for b in buckets]
        if min(len(p) for p in parts) >= min_size:
            return parts
    return [np.sort(p) for p in _fill_empty(parts, min_size)]


def partition_shards(
    y: np.ndarray, num_clients: int, shards_per_client: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Pathological non-IID (McMahan et al. 2017): sort by label, cut into
    ``num_clients * shards_per_client`` shards, give each client ``shards_per_client``."""
    y = np.asarray(y)
    _check_clients(len(y), num_clients)
    if int(shards_per_client) < 1:
        raise ValueError(f"shards_per_client must be >= 1, got {shards_per_client}")
    n_shards = num_clients * shards_per_client
    if n_shards > len(y):
        raise ValueError(
            f"num_clients * shards_per_client must be <= {len(y)} training examples, "
            f"got {num_clients} * {shards_per_client} = {n_shards}"
        )
    order = np.argsort(y, kind="stable")
    shards = np.array_split(order, n_shards)
    assignment = rng.permutation(n_shards).reshape(num_clients, shards_per_client)
    return [np.sort(np.concatenate([shards[s] for s in row])) for row in assignment]


def partition_quantity(
    n: int, num_clients: int, alpha: float, rng: np.random.Generator
) -> list[np.ndarray]:
    """Quantity skew: IID labels, client sizes ``1 + Multinomial(n - m, Dir(alpha))``."""
    _check_clients(n, num_clients)
    if not np.isfinite(alpha) or alpha <= 0:
        raise ValueError(f"dirichlet_alpha must be a finite number > 0, got {alpha}")
    sizes = 1 + rng.multinomial(n - num_clients, rng.dirichlet(np.full(num_clients, alpha)))
    cuts = np.cumsum(sizes)[:-1]
    return [np.sort(p) for p in np.split(rng.permutation(n), cuts)]


def partition(
    y: np.ndarray,
    num_clients: int,
    method: str = "iid",
    *,
    alpha: float = 0.5,
    shards_per_client: int = 2,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
) -> list[np.ndarray]:
    """Split the training examples among clients with the named ``method``.

    Args:
        y: ``(n,)`` training labels (used by label-skew methods).
        num_clients: number of clients, 1 <= num_clients <= n.
        method: one of ``"iid"``, ``"dirichlet"``, ``"shards"``, ``"quantity"``.
        alpha: Dirichlet concentration for ``dirichlet`` and ``quantity``.
        shards_per_client: labels-shards per client for ``shards``.
        rng / seed: randomness source.

    Returns:
        ``num_clients`` sorted, non-empty, disjoint index arrays covering ``range(n)``.
    """
    rng = rng if rng is not None else np.random.default_rng(seed)
    n = len(y)
    if method == "iid":
        return partition_iid(n, num_clients, rng)
    if method == "dirichlet":
        return partition_dirichlet(y, num_clients, alpha, rng)
    if method == "shards":
        return partition_shards(y, num_clients, shards_per_client, rng)
    if method == "quantity":
        return partition_quantity(n, num_clients, alpha, rng)
    raise ValueError(f"partition must be one of {PARTITION_NAMES}, got {method!r}")


def label_histogram(y: np.ndarray, parts: list[np.ndarray], n_classes: int) -> np.ndarray:
    """Counts ``(num_clients, n_classes)`` of each label on each client."""
    y = np.asarray(y, dtype=int)
    return np.stack([np.bincount(y[p], minlength=n_classes) for p in parts])
