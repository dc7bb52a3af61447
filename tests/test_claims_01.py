"""Notebook 01's "Things to try", each proved on the dashboard the notebook shows.

The FedAvg dashboard is built on ``FedConfig()`` as in the notebook; the scale dashboard with
its defaults. The scale claims use fewer rounds than the slider's default (a claim is about
clients per round and round time, not about the round count), so each test stays near 10 s.
"""

import numpy as np
import pytest
from claims import claim

from fedlearn_edu import FedConfig, Federation
from fedlearn_edu.core.data import load_dataset
from fedlearn_edu.widgets import FedAvgDashboard, ScaleDashboard


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def dash():
    return FedAvgDashboard(FedConfig(), background=False)


def rounds_to(history, target):
    hit = np.flatnonzero(history.test_accuracy >= target)
    return int(hit[0]) + 1 if hit.size else np.inf


def roughness(history):
    """Mean absolute change of the test accuracy from one round to the next (rounds 5..)."""
    return float(np.mean(np.abs(np.diff(history.test_accuracy[4:]))))


@claim("01", "clients 1 → 100")
def test_many_small_clients_lose_only_a_couple_of_points(dash):
    dash.set_values(num_clients=1)
    one = dash.result
    assert dash.message.startswith("1 client,")
    dash.set_values(num_clients=100)
    hundred = dash.result
    n_train = len(load_dataset("digits").y_train)
    counts = Federation(hundred.config).counts
    assert n_train == 1347 and counts.sum() == n_train and counts.max() <= 14  # ~13 each
    drop = one.test_accuracy[-1] - hundred.test_accuracy[-1]
    assert 0.0 < drop < 0.04  # "about 2 points"
    assert hundred.test_accuracy[-1] > 0.9


@claim("01", "local epochs 1 vs 10")
def test_more_local_epochs_fewer_rounds(dash):
    dash.set_values(local_epochs=10)
    assert rounds_to(dash.result, 0.95) <= 5
    dash.set_values(local_epochs=1)
    assert dash.result.completed == 30 and rounds_to(dash.result, 0.95) == np.inf


@claim("01", "learning rate 0.001 vs 10")
def test_tiny_lr_creeps_huge_lr_is_overconfident_not_divergent(dash):
    default = dash.default_result
    dash.set_values(lr=0.001)
    assert dash.result.test_accuracy[-1] < 0.9
    dash.set_values(lr=10.0)
    big = dash.result
    assert dash.level == "info" and "Diverged" not in dash.message
    assert "test accuracy" in dash.message
    assert big.ok and not big.diverged and big.completed == 30
    assert abs(big.test_accuracy[-1] - default.test_accuracy[-1]) <= 0.015
    assert 1.5 < big.test_loss[-1] / default.test_loss[-1] < 3.0  # "about twice as high"


@claim("01", "client fraction 0.1: only 1 of the 10 clients")
def test_one_client_per_round_zigzags(dash):
    everyone = dash.default_result
    dash.set_values(client_fraction=0.1)
    assert np.all(dash.result.num_participants == 1) and "(1 per round)" in dash.message
    assert roughness(dash.result) > 3 * roughness(everyone)


@claim("01", "choose iris (112 training examples) with 150 clients")
def test_iris_with_150_clients_is_refused(dash):
    dash.set_values(dataset="iris", num_clients=150)
    assert dash.level == "error" and dash.message.startswith("Setting not allowed")
    assert "num_clients" in dash.message and "112" in dash.message
    assert len(load_dataset("iris").y_train) == 112


# ---- section 4: the scale dashboard ----------------------------------------------------

@pytest.fixture(scope="module")
def scale():
    return ScaleDashboard(background=False, autostart=False)  # the claims' runs only


@pytest.fixture(scope="module")
def ten_thousand_at_a_tenth(scale):
    scale.set_values(num_clients=10_000, client_fraction=0.1, rounds=3)
    return scale.result, scale.message


@claim("01", "clients 10,000 with client fraction 0.1")
def test_ten_thousand_clients_train_a_thousand(ten_thousand_at_a_tenth):
    (hist, per_round), message = ten_thousand_at_a_tenth
    assert hist.ok and hist.config.num_clients == 10_000
    assert np.all(hist.num_participants == 1_000)
    assert message.startswith("10000 clients, 1000 trained per round")
    assert f"{per_round:.2f} s per round" in message and per_round > 0


@claim("01", "client fraction 0.01 at 10,000 clients")
def test_a_hundredth_trains_a_hundred_in_a_fraction_of_the_time(scale, ten_thousand_at_a_tenth):
    (_, tenth_round), _ = ten_thousand_at_a_tenth
    scale.set_values(num_clients=10_000, client_fraction=0.01, rounds=3)
    hist, per_round = scale.result
    assert np.all(hist.num_participants == 100) and "100 trained per round" in scale.message
    assert per_round < 0.6 * tenth_round  # 10x fewer clients train: a fraction of the time
    scale.set_values(num_clients=1_000, client_fraction=0.1, rounds=3)
    assert np.all(scale.result[0].num_participants == 100)  # as 0.1 at 1,000


@claim("01", "client fraction 1 at 10,000 clients")
def test_all_ten_thousand_train_for_one_round_only(scale):
    scale.set_values(num_clients=10_000, client_fraction=1.0, rounds=1)
    assert scale.level == "info"
    assert np.all(scale.result[0].num_participants == 10_000)
    before = scale.result
    scale.set_values(rounds=2)
    assert scale.level == "error" and scale.message.startswith("Setting not allowed")
    assert "20,000 local trainings" in scale.message and "10,000" in scale.message
    assert scale.result is before  # the refused setting did not run
