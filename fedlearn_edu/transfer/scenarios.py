"""The shipped examples of notebook 05: clients, source tasks of chosen relatedness, candidates.

Nothing is downloaded: everything is built from the bundled ``digits`` and ``breast_cancer``.

* :func:`digits_scenario`: the digits training split cut in two disjoint halves: a
  **source pool** (a big, centralised data set) and a **client pool** spread over
  ``num_clients`` clients with Dirichlet label skew (each client's data split in train/test).
* :func:`hospital_clients`: breast-cancer patients shared among hospitals by **tumour size**
  (``mean radius``): small ``alpha`` = every hospital sees mostly one size group (one patient
  population), large ``alpha`` = mixed populations.
* :func:`relabel`: a source task whose labels agree with the target task on a fraction
  ``relatedness`` of examples; the rest are systematically wrong (class ``c`` -> ``c + 1``).
* :func:`source_candidates`: several candidate source tasks (some related, some not).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import (
    Array,
    Real,
    Seed,
    Sequence,
    check_array,
    check_float,
    check_int,
    validated,
)
from ..core.data import load_dataset, partition_dirichlet


@dataclass(frozen=True)
class ClientData:
    """One client's own data: ``X_train (n, d)``, ``y_train (n,)``, ``X_test (m, d)``,
    ``y_test (m,)``; finite, ``n, m >= 1``, both splits with the same ``d`` (checked; the
    fields hold the checked arrays, float ``X``)."""

    X_train: np.ndarray
    y_train: np.ndarray
    X_test: np.ndarray
    y_test: np.ndarray

    def __post_init__(self):
        X = check_array("X_train", self.X_train, ndim=2)
        y = check_array("y_train", self.y_train, ndim=1, kind="real")
        Xt = check_array("X_test", self.X_test, ndim=2)
        yt = check_array("y_test", self.y_test, ndim=1, kind="real")
        for a, b, u, v in (("X_train", "y_train", X, y), ("X_test", "y_test", Xt, yt)):
            if len(v) != len(u):
                raise ValueError(f"{b} must have one entry per row of {a} ({len(u)}), got "
                                 f"{len(v)}")
        if Xt.shape[1] != X.shape[1]:
            raise ValueError(f"X_test must have X_train's {X.shape[1]} feature columns, got "
                             f"shape {Xt.shape}")
        for name, value in (("X_train", X), ("y_train", y), ("X_test", Xt), ("y_test", yt)):
            object.__setattr__(self, name, value)

    @property
    def n_train(self) -> int:
        return len(self.y_train)


@validated(X=Array(ndim=2), y=Array(ndim=1, kind="real"),
           parts=Sequence(Array(ndim=1, kind="int", min_len=0), 1),
           test_fraction=Real(0.0, 1.0, low_open=True, high_open=True), seed=Seed())
def split_clients(X, y, parts, *, test_fraction: float = 0.3, seed: int = 0) -> list[ClientData]:
    """Split every client's examples ``X[part], y[part]`` into its own train and test sets.

    The split is stratified *within the client* (each label the client has goes
    ``round(test_fraction * count)`` to test), so a client's test set follows that client's
    label distribution: personal accuracy is measured on the data the client will really see.
    Every client keeps >= 1 train and >= 1 test example (each part needs >= 2 examples).

    Args:
        X: ``(n, d)``; y: ``(n,)``; parts: one index array per client, distinct entries in
            ``[0, n - 1]``; test_fraction in ``(0, 1)``; seed: seeds the per-client splits.
    """
    if len(y) != len(X):
        raise ValueError(f"y must have one entry per row of X ({len(X)}), got {len(y)}")
    for i, part in enumerate(parts):
        if len(part) < 2:
            raise ValueError(f"parts[{i}]: client {i} needs >= 2 examples to split, got "
                             f"{len(part)}")
        if part.min() < 0 or part.max() >= len(X):
            raise ValueError(f"parts[{i}] must hold row indices of X in [0, {len(X) - 1}], "
                             f"got range [{part.min()}, {part.max()}]")
        if len(np.unique(part)) < len(part):
            raise ValueError(f"parts[{i}] must not repeat an index (one example, one split)")
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(len(parts))]
    clients = []
    for part, rng in zip(parts, rngs, strict=True):
        test = []
        for c in np.unique(y[part]):
            idx = rng.permutation(part[y[part] == c])
            test.extend(idx[: int(round(test_fraction * len(idx)))])
        test = np.array(sorted(test), dtype=int)
        if len(test) == 0:
            test = rng.choice(part, 1)
        if len(test) == len(part):
            test = test[1:]
        train = np.setdiff1d(part, test)
        clients.append(ClientData(X[train], y[train], X[test], y[test]))
    return clients


def _halves(n: int, seed: int) -> tuple[np.ndarray, np.ndarray]:
    perm = np.random.default_rng(np.random.SeedSequence([seed, 1])).permutation(n)
    return np.sort(perm[: n // 2]), np.sort(perm[n // 2 :])


def digits_scenario(num_clients: int = 10, alpha: float = 0.1, *, test_fraction: float = 0.3,
                    min_size: int = 12, seed: int = 0):
    """Digits source pool + non-IID clients.

    Returns:
        ``(X_source (n_s, 64), y_source (n_s,), clients)`` where ``clients`` is a list of
        :class:`ClientData` (labels skewed by ``Dir(alpha)``; every client >= ``min_size``).
    """
    check_int("num_clients", num_clients, 1, 50)
    check_float("alpha", alpha, 0.0, low_open=True)
    d = load_dataset("digits")
    src, pool = _halves(len(d.y_train), seed)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 2]))
    parts = partition_dirichlet(d.y_train[pool], num_clients, alpha, rng, min_size=min_size)
    clients = split_clients(d.X_train[pool], d.y_train[pool], parts,
                            test_fraction=test_fraction, seed=seed)
    return d.X_train[src], d.y_train[src], clients


def hospital_clients(num_clients: int = 4, alpha: float = 0.3, *, test_fraction: float = 0.3,
                     min_size: int = 20, seed: int = 0) -> list[ClientData]:
    """Breast-cancer patients shared among ``num_clients`` hospitals by tumour size.

    Patients are cut into ``num_clients`` tumour-size groups (quantiles of ``mean radius``,
    column 0); each group is spread over hospitals with ``Dir(alpha)`` proportions. Tumour
    size is strongly linked to malignancy, so different hospitals see different mixes of
    benign/malignant cases as well as different feature ranges.
    """
    check_int("num_clients", num_clients, 1, 20)
    check_float("alpha", alpha, 0.0, low_open=True)
    d = load_dataset("breast_cancer")
    X = np.concatenate([d.X_train, d.X_test])  # hospitals hold all patients; each splits its own
    y = np.concatenate([d.y_train, d.y_test])
    size = X[:, 0]
    groups = np.searchsorted(np.quantile(size, np.linspace(0, 1, num_clients + 1)[1:-1]), size)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 3]))
    parts = partition_dirichlet(groups, num_clients, alpha, rng, min_size=min_size)
    return split_clients(X, y, parts, test_fraction=test_fraction, seed=seed)


def relabel(y: np.ndarray, relatedness: float, n_classes: int, seed: int = 0) -> np.ndarray:
    """Labels of a source task: true on a ``relatedness`` fraction, else ``(c + 1) mod k``.

    ``relatedness = 1`` is the target task itself; ``0`` a task with the same inputs whose
    every label is systematically wrong — the recipe for negative transfer (负迁移).
    """
    relatedness = check_float("relatedness", relatedness, 0.0, 1.0)
    y = np.asarray(y)
    keep = np.random.default_rng(np.random.SeedSequence([seed, 4])).random(len(y)) < relatedness
    return np.where(keep, y, (y + 1) % n_classes)


def _noisy(y, frac, k, rng):
    out = np.asarray(y).copy()
    flip = rng.random(len(y)) < frac
    out[flip] = rng.integers(0, k, flip.sum())
    return out


def mirror_digits(X: np.ndarray) -> np.ndarray:
    """Digits images ``(n, 64)`` flipped left-right (a related task in a shifted domain)."""
    return np.asarray(X).reshape(-1, 8, 8)[:, :, ::-1].reshape(-1, 64)


def source_candidates(X: np.ndarray, y: np.ndarray, n_classes: int = 10, seed: int = 0) -> dict:
    """Candidate source tasks ``name -> (X, y)`` built from one source pool, most related first.

    ``same task`` (the target task, other examples); ``30% label noise``; ``mirrored digits``
    (domain shift); ``70% label noise``; ``random labels`` (unrelated); ``relabelled c->c+1``
    (related inputs, systematically wrong outputs: harmful when its head is reused).
    """
    rng = np.random.default_rng(np.random.SeedSequence([seed, 5]))
    return {
        "same task": (X, y),
        "30% label noise": (X, _noisy(y, 0.3, n_classes, rng)),
        "mirrored digits": (mirror_digits(X), y),
        "70% label noise": (X, _noisy(y, 0.7, n_classes, rng)),
        "random labels": (X, rng.integers(0, n_classes, len(y))),
        "relabelled c->c+1": (X, relabel(y, 0.0, n_classes, seed)),
    }


def target_task(n_train: int = 30, n_val: int = 60, seed: int = 0):
    """A small labelled target set from the digits client pool plus the digits test split.

    Returns ``(train, val, test)``, each ``(X, y)``; disjoint from the source pool of
    :func:`digits_scenario` with the same ``seed``.
    """
    d = load_dataset("digits")
    _, pool = _halves(len(d.y_train), seed)
    idx = np.random.default_rng(np.random.SeedSequence([seed, 6])).permutation(pool)
    tr, va = idx[:n_train], idx[n_train : n_train + n_val]
    return ((d.X_train[tr], d.y_train[tr]), (d.X_train[va], d.y_train[va]),
            (d.X_test, d.y_test))
