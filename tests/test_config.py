"""FedConfig validation: every bad field raises the promised error naming field and value."""

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedlearn_edu import FedConfig, simulate

BAD = [
    ("num_clients", 0, ValueError, r"num_clients must be an integer in \[1, inf\], got 0"),
    ("num_clients", 2000, ValueError, "num_clients must be <= the 1347 training examples"),
    ("num_clients", 2.5, TypeError, "num_clients must be an integer, got 2.5"),
    ("num_clients", True, TypeError, "num_clients must be an integer"),
    ("rounds", -1, ValueError, r"rounds must be an integer in \[1, 100000\], got -1"),
    ("local_epochs", 0, ValueError, "local_epochs"),
    ("batch_size", 0, ValueError, "batch_size"),
    ("lr", -0.1, ValueError, r"lr must be a finite number > 0.0, got -0.1"),
    ("lr", 0.0, ValueError, "lr must be"),
    ("lr", float("nan"), ValueError, "lr must be"),
    ("lr", float("inf"), ValueError, "lr must be"),
    ("lr", "fast", TypeError, "lr must be a number, got 'fast'"),
    ("client_fraction", 0.0, ValueError, r"client_fraction must be a finite number in \(0.0"),
    ("client_fraction", 1.5, ValueError, "client_fraction"),
    ("dataset", "mnist", ValueError, "dataset must be one of .* got 'mnist'"),
    ("model", "cnn", ValueError, "model must be one of"),
    ("model", "linear", ValueError, "model must be 'softmax', 'logistic' or 'auto'"),
    ("model", "logistic", ValueError, "logistic"),
    ("partition", "random", ValueError, "partition must be one of"),
    ("dirichlet_alpha", 0.0, ValueError, "dirichlet_alpha"),
    ("strategy", "fedadam", ValueError, "strategy must be one of"),
    ("seed", -3, ValueError, "seed"),
    ("l2", -1.0, ValueError, "l2"),
    ("test_size", 1.0, ValueError, "test_size"),
    ("engine", "gpu", ValueError, "engine must be one of"),
]


@pytest.mark.parametrize("field,value,exc,match", BAD)
def test_bad_field_raises_named_error(field, value, exc, match):
    with pytest.raises(exc, match=match):
        FedConfig(**{field: value})


def test_regression_dataset_needs_linear_model():
    with pytest.raises(ValueError, match="model must be 'linear'"):
        FedConfig(dataset="synthetic", model="softmax")
    assert FedConfig(dataset="diabetes", model="auto").resolved_model == "linear"


def test_shards_need_enough_examples():
    with pytest.raises(ValueError, match="shards_per_client"):
        FedConfig(dataset="iris", num_clients=100, partition="shards", shards_per_client=2)


@pytest.mark.parametrize("dataset", ["digits", "breast_cancer", "wine", "iris", "diabetes"])
def test_test_size_must_leave_every_class_in_both_parts(dataset):
    from fedlearn_edu.core.data import DATASET_CLASSES, DATASET_SIZES, load_dataset

    n, k = DATASET_SIZES[dataset], DATASET_CLASSES[dataset]
    smallest, largest = k / n, (n - k) / n  # k test rows, k training rows
    for ok in (smallest, largest):
        data = load_dataset(dataset, test_size=ok)
        assert min(len(data.y_test), len(data.y_train)) >= k
        if k > 1:  # stratified: every class on both sides
            assert len(np.unique(data.y_test)) == len(np.unique(data.y_train)) == k
    for bad in ((k - 1.5) / n, largest + 0.5 / n):  # k - 1 test or k - 1 training rows
        if 0 < bad < 1:
            with pytest.raises(ValueError, match=f"test_size={bad} splits {dataset!r}"):
                FedConfig(dataset=dataset, model="auto", num_clients=1, test_size=bad)


def test_unknown_field_is_a_type_error():
    with pytest.raises(TypeError):
        FedConfig(clients=10)


WEIRD = st.one_of(
    st.integers(-5, 3000),
    st.floats(allow_nan=True, allow_infinity=True),
    st.text(max_size=8),
    st.sampled_from(["digits", "iris", "wine", "softmax", "linear", "auto", "iid", "shards",
                     "dirichlet", "quantity", "fedavg", "fedsgd", "loop", "batched"]),
    st.none(),
    st.booleans(),
)
FIELDS = ["dataset", "model", "num_clients", "rounds", "local_epochs", "batch_size", "lr",
          "client_fraction", "partition", "dirichlet_alpha", "strategy", "seed",
          "shards_per_client", "l2", "test_size", "engine"]


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.dictionaries(st.sampled_from(FIELDS), WEIRD, min_size=1, max_size=4))
def test_random_configs_raise_only_promised_errors(changes):
    base = dict(dataset="iris", rounds=2, local_epochs=1)
    try:
        cfg = FedConfig(**{**base, **changes})
    except (ValueError, TypeError) as exc:
        assert str(exc)  # a message, never a bare error
        return
    # a valid config must simulate without any other exception (capped to stay fast)
    small = cfg.replace(rounds=min(cfg.rounds, 2), local_epochs=min(cfg.local_epochs, 2))
    hist = simulate(small)
    assert hist.completed == small.rounds or hist.diverged
    assert len(hist.test_accuracy) == small.rounds
    assert np.isfinite(hist.test_accuracy[: hist.completed]).all()
