"""The float32 fast path (issue 13): same algorithms, same answers to float32 precision.

float64 stays the reference (every closed-form, finite-difference and scikit-learn test runs
in it); these tests pin what float32 changes and what it must not.
"""

import numpy as np
import pytest

from fedlearn_edu import FedConfig, simulate
from fedlearn_edu.core.data import DATASET_NAMES

ALL = [(ds, "auto") for ds in DATASET_NAMES]


@pytest.mark.parametrize("dataset,model", ALL)
def test_batched_and_loop_engines_agree_in_float32(dataset, model):
    # Both engines do the same float32 operations in a different order (one batched matmul vs
    # per-client products), so they differ by rounding only: float32's eps is 6e-8 and 5
    # rounds of local SGD measured <= 2e-7 relative to the largest weight. 1e-5 leaves a 50x
    # margin, while a wrong step (a missed batch, a wrong lr) differs by > 1e-2.
    cfg = FedConfig(dataset=dataset, model=model, rounds=5, dtype="float32")
    a = simulate(cfg).final_weights
    b = simulate(cfg.replace(engine="loop")).final_weights
    assert a.dtype == b.dtype == np.float32
    assert np.abs(a - b).max() <= 1e-5 * np.abs(a).max()


@pytest.mark.parametrize("dataset,model", ALL)
def test_float32_accuracy_is_within_half_a_point_of_float64(dataset, model):
    for seed in (0, 1, 2):
        cfg = FedConfig(dataset=dataset, model=model, seed=seed)  # default settings
        h64, h32 = simulate(cfg), simulate(cfg.replace(dtype="float32"))
        assert h64.dtype == "float64" and h32.dtype == "float32"
        assert h64.ok and h32.ok
        # accuracy (R^2 for the regression datasets), in points of 100
        diff = 100 * abs(h32.final()["test_accuracy"] - h64.final()["test_accuracy"])
        assert diff <= 0.5, (dataset, seed, diff)


def test_float32_divergence_is_still_detected():
    h = simulate(FedConfig(dataset="diabetes", model="linear", lr=50.0, rounds=10,
                           dtype="float32"))
    assert h.diverged and "lower the learning rate" in h.message
    assert h.completed < 10


def test_float32_softmax_overflow_takes_the_shifted_logits_path():
    # A model whose logits reach ~200: past 88.7, where float32's exp overflows, and below
    # 709, where float64's would. The batched float32 kernel must notice the overflow and
    # redo the round with shifted logits, giving float64's answer to float32 precision.
    from fedlearn_edu.core import Federation
    cfg = FedConfig(lr=0.01, local_epochs=1)
    w = 20 * simulate(cfg.replace(lr=0.1, rounds=5)).final_weights
    f64, f32 = Federation(cfg), Federation(cfg.replace(dtype="float32"))
    top = np.abs(f64.model.decision(w, f64.data.X_train)).max()
    assert 88.7 < top < 709
    clients = np.arange(cfg.num_clients)
    a, b = f64.train(w, clients), f32.train(w, clients)
    assert b.dtype == np.float32 and np.isfinite(b).all()
    assert np.abs(a - b).max() <= 1e-5 * np.abs(a).max()


@pytest.mark.parametrize("kw", [dict(strategy="fedsgd", lr=0.5), dict(mu=0.1),
                                dict(aggregator="median"), dict(client_fraction=0.5)])
def test_other_settings_run_in_float32_and_match_float64(kw):
    cfg = FedConfig(rounds=10, **kw)
    h64, h32 = simulate(cfg), simulate(cfg.replace(dtype="float32"))
    assert h32.final_weights.dtype == np.float32
    np.testing.assert_allclose(h32.test_accuracy, h64.test_accuracy, atol=0.01)


def test_history_says_which_precision_ran():
    assert simulate(FedConfig(rounds=1, dtype="float32")).dtype == "float32"
    with pytest.raises(ValueError, match="dtype must be one of"):
        FedConfig(dtype="float16")
