"""Notebook 01 section 4: the scale dashboard (its "Things to try" are in test_claims_01.py)."""

import numpy as np
import pytest

from fedlearn_edu import simulate
from fedlearn_edu.widgets import ScaleDashboard
from fedlearn_edu.widgets.scale import MAX_CLIENT_UPDATES


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def test_budget_of_local_trainings_is_exact_and_named():
    dash = ScaleDashboard(background=False, autostart=False)
    at_budget = {"num_clients": 1_000, "client_fraction": 1.0, "rounds": 10}
    assert dash.prepare(at_budget).clients_per_round * 10 == MAX_CLIENT_UPDATES  # allowed
    with pytest.raises(ValueError, match=r"1000 clients per round x 11 rounds = 11,000"):
        dash.prepare({**at_budget, "rounds": 11})
    dash.set_values(**{**at_budget, "rounds": 11})  # refused visibly, nothing runs
    assert dash.level == "error" and dash.message.startswith("Setting not allowed")
    assert "lower the client fraction or the rounds" in dash.message
    assert dash.runs == 0 and dash.result is None


def test_default_result_is_the_default_run_whatever_the_sliders():
    dash = ScaleDashboard(background=False)
    hist, per_round = dash.result
    ref = simulate(dash.base)  # the engine's own run of the same config
    np.testing.assert_array_equal(hist.test_accuracy, ref.test_accuracy)
    assert hist.dtype == "float32" and np.all(hist.num_participants == 100)
    assert np.isfinite(per_round) and per_round > 0
    assert "1000 clients, 100 trained per round" in dash.message
    dash.set_values(num_clients=100, rounds=2)
    assert dash.result[0].completed == 2
    assert dash.default_result[0] is hist  # kept, not recomputed
    lazy = ScaleDashboard(background=False, autostart=False)
    np.testing.assert_array_equal(lazy.default_result[0].test_accuracy, ref.test_accuracy)
    assert np.all(np.isnan(lazy.plot.lines["test_accuracy"].get_ydata()))  # nothing drawn


def test_extremes_run_or_are_refused():
    dash = ScaleDashboard(background=False, autostart=False)
    dash.set_extremes("min")  # 100 clients, 1% (1 client per round), 1 round
    assert dash.level == "info" and np.all(dash.result[0].num_participants == 1)
    dash.set_extremes("max")  # 10,000 clients, all of them, 30 rounds: over the budget
    assert dash.level == "error" and "300,000 local trainings" in dash.message
