"""10,000 clients (issue 13): users as clients, a layout that touches only the selected
clients, and an evaluation whose cost does not grow with the registered users."""

import numpy as np
import pytest

from fedlearn_edu import FedConfig, simulate
from fedlearn_edu.core import Federation, evaluation, federation, partition, run_rounds
from fedlearn_edu.core.data import _load_users, load_dataset


def users_config(k=40, **kw):
    return FedConfig(dataset="fedprox_synthetic", partition="natural", num_clients=k,
                     lr=0.01, rounds=3, **kw)


def test_natural_partition_gives_every_user_its_own_client():
    cfg = users_config(40)
    fed = Federation(cfg)
    data = load_dataset("fedprox_synthetic", cfg.test_size, num_users=40)
    assert len(fed.parts) == 40 == len(data.users)
    for part, user in zip(fed.parts, data.users, strict=True):
        np.testing.assert_array_equal(part, user)
    sizes = np.array([len(p) for p in fed.parts])
    assert sizes.min() >= int(0.75 * 50) and sizes.max() <= 200  # 50 + LogNormal, capped
    assert len(np.unique(np.concatenate(fed.parts))) == len(data.y_train)


def test_natural_is_refused_for_datasets_without_users():
    with pytest.raises(ValueError, match="'digits' has no users"):
        FedConfig(partition="natural")
    with pytest.raises(ValueError, match="natural"):
        partition(np.arange(10) % 2, 2, "natural")
    with pytest.raises(ValueError, match="num_clients must be <= 10000 users"):
        users_config(10_001)


@pytest.mark.parametrize("cfg", [
    FedConfig(rounds=3), FedConfig(rounds=3, dtype="float32"),
    FedConfig(rounds=3, client_fraction=0.5, mu=0.1), FedConfig(rounds=3, strategy="fedsgd"),
    users_config(30)], ids=["fedavg", "float32", "fedprox-sampled", "fedsgd", "users"])
def test_gathering_the_selected_clients_gives_the_padded_layouts_numbers(cfg, monkeypatch):
    padded = simulate(cfg)
    monkeypatch.setattr(federation, "STACK_BUDGET_BYTES", 20_000)  # tiny chunks, lazy layout
    assert Federation(cfg).lazy
    gathered = simulate(cfg)
    np.testing.assert_allclose(gathered.final_weights, padded.final_weights, rtol=0,
                               atol=1e-12)
    np.testing.assert_array_equal(gathered.test_accuracy, padded.test_accuracy)


def test_a_sampled_evaluation_estimates_the_exact_one(monkeypatch):
    cfg = FedConfig(rounds=5)
    exact = simulate(cfg)
    monkeypatch.setattr(evaluation, "EVAL_ROWS", 600)  # digits has 1797 rows: sample 300+300
    sampled = simulate(cfg)
    np.testing.assert_array_equal(sampled.final_weights, exact.final_weights)  # same training
    # 300 test rows: standard error of an accuracy near 0.95 is about 1.3 points
    assert np.abs(sampled.test_accuracy - exact.test_accuracy).max() < 0.05
    assert np.abs(sampled.train_loss - exact.train_loss).max() < 0.1 * exact.train_loss.max()


def test_ten_thousand_clients_one_round():
    try:
        cfg = users_config(10_000, client_fraction=0.1, dtype="float32")
        fed = Federation(cfg)
        assert fed.lazy and fed.num_clients == 10_000
        rec, w = next(iter(run_rounds(fed, 1)))
        assert len(rec.participants) == 1_000 and np.isfinite(w).all()
        assert 0 < rec.test_accuracy <= 1
    finally:
        _load_users.cache_clear()  # ~0.6 GB: do not keep it for the rest of the tests
