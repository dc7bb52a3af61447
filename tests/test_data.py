"""Datasets and partitions: coverage, non-emptiness, skew, validation, read-only caching."""

import numpy as np
import pytest

from fedlearn_edu.core.data import (
    DATASET_NAMES,
    USER_DATASETS,
    label_histogram,
    load_dataset,
    partition,
    train_size,
)


@pytest.mark.parametrize("name", [n for n in DATASET_NAMES if n not in USER_DATASETS])
def test_datasets_are_standardised_and_sized(name):
    d = load_dataset(name)
    assert len(d.X_train) == train_size(name)
    assert len(d.X_train) + len(d.X_test) == {"digits": 1797, "breast_cancer": 569, "wine": 178,
                                              "iris": 150, "diabetes": 442,
                                              "synthetic": 1000}[name]
    np.testing.assert_allclose(d.X_train.mean(axis=0), 0.0, atol=1e-10)
    sd = d.X_train.std(axis=0)
    assert np.all((np.abs(sd - 1) < 1e-10) | (sd == 0))


def test_split_is_stratified():
    d = load_dataset("digits")
    tr = np.bincount(d.y_train) / len(d.y_train)
    te = np.bincount(d.y_test) / len(d.y_test)
    assert np.abs(tr - te).max() < 0.01


def test_cached_arrays_are_read_only():
    d = load_dataset("iris")
    with pytest.raises(ValueError):
        d.X_train[0, 0] = 1.0


@pytest.mark.parametrize("method", ["iid", "dirichlet", "shards", "quantity"])
@pytest.mark.parametrize("num_clients", [1, 7, 50])
def test_partitions_cover_every_example_once_and_are_non_empty(method, num_clients):
    y = load_dataset("digits").y_train
    parts = partition(y, num_clients, method, alpha=0.1, rng=np.random.default_rng(3))
    assert len(parts) == num_clients
    assert min(len(p) for p in parts) >= 1
    allidx = np.concatenate(parts)
    np.testing.assert_array_equal(np.sort(allidx), np.arange(len(y)))


def test_dirichlet_tiny_alpha_never_leaves_a_client_empty():
    y = load_dataset("iris").y_train
    for seed in range(20):
        parts = partition(y, 40, "dirichlet", alpha=0.01, seed=seed)
        assert min(len(p) for p in parts) >= 1
        assert sum(len(p) for p in parts) == len(y)


def test_dirichlet_alpha_controls_label_skew():
    y = load_dataset("digits").y_train

    def mean_max_share(alpha):
        h = label_histogram(y, partition(y, 10, "dirichlet", alpha=alpha, seed=0), 10)
        return np.mean(h.max(axis=1) / h.sum(axis=1))

    assert mean_max_share(0.05) > 0.6 > 0.2 > mean_max_share(100.0)


def test_shards_give_each_client_few_labels():
    y = load_dataset("digits").y_train
    h = label_histogram(y, partition(y, 10, "shards", shards_per_client=2, seed=0), 10)
    assert np.all((h > 0).sum(axis=1) <= 4)  # 2 shards, each spans at most 2 labels


def test_quantity_skew_keeps_labels_iid_but_sizes_vary():
    y = load_dataset("digits").y_train
    sizes = [len(p) for p in partition(y, 10, "quantity", alpha=0.3, seed=0)]
    assert max(sizes) > 3 * min(sizes)


def test_partition_is_deterministic_and_does_not_mutate_labels():
    y = np.array(load_dataset("wine").y_train)
    y0 = y.copy()
    a = partition(y, 5, "dirichlet", alpha=0.5, seed=11)
    b = partition(y, 5, "dirichlet", alpha=0.5, seed=11)
    assert all(np.array_equal(p, q) for p, q in zip(a, b))
    np.testing.assert_array_equal(y, y0)


@pytest.mark.parametrize(
    "kwargs,match",
    [
        (dict(num_clients=0, method="iid"), r"num_clients must be an integer in \[1, \d+\], got 0"),
        (dict(num_clients=10_000, method="iid"), "num_clients must be <= the number"),
        (dict(num_clients=3, method="bogus"), "method must be one of"),
        (dict(num_clients=3, method="dirichlet", alpha=0.0), "alpha must be a finite number"),
        (dict(num_clients=3, method="shards", shards_per_client=0), "shards_per_client"),
        (dict(num_clients=100, method="shards", shards_per_client=2), "shards_per_client"),
    ],
)
def test_bad_partition_arguments(kwargs, match):
    y = load_dataset("iris").y_train
    with pytest.raises(ValueError, match=match):
        partition(y, **kwargs, seed=0)


def test_unknown_dataset():
    with pytest.raises(ValueError, match="name must be one of"):
        load_dataset("mnist")
