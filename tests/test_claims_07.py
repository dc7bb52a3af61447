"""Notebook 07's "Things to try", each proved on the notebook's configuration (section 2's
``cfg``) in Flower's Simulation Runtime against ``simulate``, as the notebook compares them."""

import numpy as np
import pytest
from claims import claim

pytest.importorskip("flwr", reason='the flower extra: pip install "fedlearn_edu[flower]"')

from fedlearn_edu import FedConfig, simulate  # noqa: E402
from fedlearn_edu.flower import run_flower  # noqa: E402

CFG = FedConfig(num_clients=3, rounds=4, local_epochs=1, batch_size=16, seed=0)


def both(cfg):
    return run_flower(cfg, runtime="simulation"), simulate(cfg)


@claim("07", "client_fraction=0.5 with 4 clients")
def test_half_the_clients_are_the_same_clients():
    sim, ref = both(CFG.replace(num_clients=4, client_fraction=0.5))
    parts = [p.tolist() for p in ref.participants]
    assert [p.tolist() for p in sim.participants] == parts
    assert all(len(p) == 2 for p in parts) and len({tuple(p) for p in parts}) > 1  # it varies
    assert np.abs(sim.final_weights - ref.final_weights).max() <= 1e-12


@claim("07", 'dtype="float32": still identical weights')
def test_float32_is_identical_too():
    sim, ref = both(CFG.replace(dtype="float32"))
    assert sim.final_weights.dtype == ref.final_weights.dtype == np.float32
    assert np.array_equal(sim.final_weights, ref.final_weights)
    assert np.array_equal(sim.test_accuracy, ref.test_accuracy)


@claim("07", "a different seed: both runs change together")
def test_another_seed_moves_both_runs_together():
    sim0, ref0 = both(CFG)
    sim1, ref1 = both(CFG.replace(seed=5))
    assert np.abs(ref1.final_weights - ref0.final_weights).max() > 1e-3  # the seed matters
    for sim, ref in ((sim0, ref0), (sim1, ref1)):
        assert np.abs(sim.final_weights - ref.final_weights).max() <= 1e-12
