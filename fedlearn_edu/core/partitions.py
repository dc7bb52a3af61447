"""The ways to split a training set across clients.

Every partition returns a list of index arrays into the training set, one per client, that
together cover every training example exactly once and are never empty.
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    RNG,
    Array,
    Choice,
    Int,
    Maybe,
    Real,
    Seed,
    Sequence,
    check_budget,
    validated,
)

PARTITION_NAMES = ("iid", "dirichlet", "shards", "quantity", "natural")
LABELS = Array(ndim=1, kind="real")
CLIENTS = Int(1, 10**6)
ALPHA = Real(0.0, low_open=True)


def _check_clients(n: int, num_clients: int) -> None:
    if num_clients > n:
        raise ValueError(
            f"num_clients must be <= the number of training examples ({n}, the length of y or "
            f"n), got {num_clients}"
        )


@validated(n=Int(1), num_clients=CLIENTS, rng=RNG())
def partition_iid(n: int, num_clients: int, rng: np.random.Generator) -> list[np.ndarray]:
    """Shuffle ``n`` indices and cut them into ``num_clients`` near-equal parts."""
    check_budget("n", n)
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


@validated(y=LABELS, num_clients=CLIENTS, alpha=ALPHA, rng=RNG(), min_size=Int(0),
           max_tries=Int(1, 10_000))
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
    _check_clients(len(y), num_clients)
    if min_size * num_clients > len(y):
        raise ValueError(f"min_size={min_size} for {num_clients} clients needs "
                         f"{min_size * num_clients} examples, only {len(y)} given")
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


@validated(y=LABELS, num_clients=CLIENTS, shards_per_client=Int(1), rng=RNG())
def partition_shards(
    y: np.ndarray, num_clients: int, shards_per_client: int, rng: np.random.Generator
) -> list[np.ndarray]:
    """Pathological non-IID (McMahan et al. 2017): sort by label, cut into
    ``num_clients * shards_per_client`` shards, give each client ``shards_per_client``."""
    _check_clients(len(y), num_clients)
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


@validated(n=Int(1), num_clients=CLIENTS, alpha=ALPHA, rng=RNG())
def partition_quantity(
    n: int, num_clients: int, alpha: float, rng: np.random.Generator
) -> list[np.ndarray]:
    """Quantity skew: IID labels, client sizes ``1 + Multinomial(n - m, Dir(alpha))``."""
    check_budget("n", n)
    _check_clients(n, num_clients)
    sizes = 1 + rng.multinomial(n - num_clients, rng.dirichlet(np.full(num_clients, alpha)))
    cuts = np.cumsum(sizes)[:-1]
    return [np.sort(p) for p in np.split(rng.permutation(n), cuts)]


@validated(y=LABELS, num_clients=CLIENTS, method=Choice(PARTITION_NAMES), alpha=ALPHA,
           shards_per_client=Int(1), rng=Maybe(RNG()), seed=Maybe(Seed()))
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
    raise ValueError("method='natural' is the dataset's own users, not a split of y: use "
                     "Dataset.users (load_dataset('fedprox_synthetic', num_users=...))")


@validated(y=Array(ndim=1, kind="int", low=0), parts=Sequence(Array(ndim=1, kind="int"), 1),
           n_classes=Int(1, 100_000))
def label_histogram(y: np.ndarray, parts: list[np.ndarray], n_classes: int) -> np.ndarray:
    """Counts ``(num_clients, n_classes)`` of each label on each client.

    Args:
        y: ``(n,)`` labels in ``[0, n_classes)``; parts: index arrays into ``y``.
    """
    if len(y) and y.max() >= n_classes:
        raise ValueError(f"y holds label {y.max()}, outside [0, n_classes={n_classes})")
    for i, p in enumerate(parts):
        if p.min() < 0 or p.max() >= len(y):
            raise ValueError(f"parts[{i}] holds indices outside [0, {len(y)})")
    return np.stack([np.bincount(y[p], minlength=n_classes) for p in parts])
