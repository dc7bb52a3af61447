"""Parity: ``run_flower(cfg, runtime=...)`` equals ``simulate(cfg)`` (the engine the notebooks
teach) to 1e-12 in the final weights, with the same per-round test accuracy and the same
participants, in Flower's Simulation Runtime and in a real deployment (one SuperLink and
one SuperNode per client, OS processes on 127.0.0.1)."""

from __future__ import annotations

import numpy as np
import pytest

pytest.importorskip("flwr", reason='the flower extra: pip install "fedlearn_edu[flower]"')

from fedlearn_edu import FedConfig, History, simulate  # noqa: E402
from fedlearn_edu.flower import Deployment, run_flower  # noqa: E402
from fedlearn_edu.flower.processes import marked  # noqa: E402
from fedlearn_edu.privacy import DPConfig  # noqa: E402

NUM_CLIENTS = 4
BASE = FedConfig(num_clients=NUM_CLIENTS, rounds=2, local_epochs=1, batch_size=16, seed=3)
CASES = {
    "fedavg_iid": BASE,
    "dirichlet_half": BASE.replace(partition="dirichlet", dirichlet_alpha=0.3,
                                   client_fraction=0.5),
    "fedprox": BASE.replace(partition="dirichlet", dirichlet_alpha=0.3, mu=0.5),
    "median": BASE.replace(aggregator="median"),
    "dp_fedavg": BASE.replace(dp=DPConfig(noise_multiplier=0.8, clip_norm=1.0),
                              client_fraction=0.5, lr=0.05),
}


def assert_parity(hist: History, ref: History) -> None:
    assert isinstance(hist, History) and hist.ok
    assert np.max(np.abs(hist.final_weights - ref.final_weights)) <= 1e-12
    np.testing.assert_array_equal(hist.test_accuracy, ref.test_accuracy)
    np.testing.assert_allclose(hist.train_loss, ref.train_loss, rtol=0, atol=1e-12)
    assert [p.tolist() for p in hist.participants] == [p.tolist() for p in ref.participants]
    np.testing.assert_array_equal(np.isnan(hist.epsilon), np.isnan(ref.epsilon))
    np.testing.assert_allclose(hist.epsilon[~np.isnan(ref.epsilon)],
                               ref.epsilon[~np.isnan(ref.epsilon)], rtol=1e-12)


@pytest.fixture(scope="module")
def references():
    return {name: simulate(cfg) for name, cfg in CASES.items()}


@pytest.mark.parametrize("name", list(CASES))
def test_simulation_runtime_matches_simulate(name, references):
    assert_parity(run_flower(CASES[name], runtime="simulation"), references[name])


def test_samples_differ_between_rounds_so_parity_is_not_trivial(references):
    # client_fraction=0.5: the server's own rng picks different clients each round, and
    # the Poisson sampling of DP-FedAvg too: the Flower server must reproduce both
    for name in ("dirichlet_half", "dp_fedavg"):
        parts = [p.tolist() for p in references[name].participants]
        assert parts[0] != parts[1] or len(parts[0]) < NUM_CLIENTS


@pytest.mark.parametrize("name", list(CASES))
def test_deployment_matches_simulate(name, deployment, references):
    # one SuperLink and its four SuperNodes serve the five runs one after the other, each an
    # independent Flower run (its own ServerApp process, its own node contexts)
    assert_parity(run_flower(CASES[name], runtime="deployment", deployment=deployment),
                  references[name])


def test_callback_sees_every_round_live_and_can_stop():
    seen = []
    hist = run_flower(BASE.replace(rounds=3), runtime="simulation",
                      callback=lambda rec, h: seen.append((rec.round, h.completed)) or
                      (rec.round < 2))
    assert seen == [(1, 1), (2, 2)] and hist.completed == 2
    assert "stopped by callback" in hist.message


@pytest.fixture(scope="module")
def deployment():
    with Deployment(NUM_CLIENTS) as dep:
        yield dep
        started = dep.procs.log_text("warm")
    assert marked(str(dep.tmp)) == []  # every process of the deployment is gone
    # Flower's apps were started warm (forked from one process that imported Flower once):
    # every run's ServerApp and flwr run, and one ClientApp per message
    runs = dep.runs
    assert started.count("started flwr-serverapp") == started.count("started flwr as") == runs
    assert started.count("started flwr-clientapp") >= runs * NUM_CLIENTS
