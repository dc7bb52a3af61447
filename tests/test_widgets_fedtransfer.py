"""Notebook-05 dashboard without a browser: set control values, check results and plot data."""

import numpy as np
import pytest

from fedlearn_edu.plots.fedtransfer import FedTransferPlot
from fedlearn_edu.transfer.mlp import MLP
from fedlearn_edu.transfer.personalization import personalize
from fedlearn_edu.transfer.scenarios import digits_scenario
from fedlearn_edu.widgets.fedtransfer import FedTransferDashboard


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def dash():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        d = FedTransferDashboard(background=False)
    return d


def test_initial_run_draws_all_three_panels(dash):
    assert dash.runs >= 1 and dash.level == "info", dash.message
    res = dash.result
    g, p = dash.plot.client_heights()
    np.testing.assert_array_equal(g, res["personal"]["global_acc"])
    np.testing.assert_array_equal(p, res["personal"]["personal_acc"])
    # the bars are the same numbers as a direct call of the engine
    _, _, clients = digits_scenario(10, 0.1, min_size=12, seed=0)
    ref = personalize("finetune", MLP(64, 32, 10), clients, rounds=15, finetune_steps=10)
    np.testing.assert_array_equal(p, ref["personal_acc"])
    np.testing.assert_array_equal(dash.plot.line_pre.get_ydata(),
                                  res["curves"]["pretrained"]["mean"])
    np.testing.assert_allclose(dash.plot.gain_widths(), [r["gain"] for r in res["rows"]])
    assert res["rows"][0]["name"] == "same task"
    assert "Spearman" in dash.table.value and "same task" in dash.table.value
    assert p.mean() > g.mean()  # alpha = 0.1: personalization helps


def test_method_and_lambda_change_the_personal_bars(dash):
    before = dash.plot.client_heights()[1].copy()
    curve_before = np.array(dash.plot.line_pre.get_ydata(), float)
    dash.controls["method"].value = "ditto"
    ditto_small = dash.plot.client_heights()[1].copy()
    assert not np.array_equal(before, ditto_small)
    dash.controls["lam"].value = 100.0
    ditto_big = dash.plot.client_heights()[1].copy()
    g = dash.plot.client_heights()[0]
    # a strong pull makes the personal models (almost) the global model
    assert np.abs(ditto_big - g).mean() < np.abs(ditto_small - g).mean()
    np.testing.assert_array_equal(dash.plot.line_pre.get_ydata(), curve_before)  # untouched
    dash.reset()
    assert dash.values() == dash.defaults
    np.testing.assert_array_equal(dash.plot.client_heights()[1], before)


def test_relatedness_shows_negative_transfer(dash):
    dash.controls["relatedness"].value = 0.0
    pre = np.array(dash.plot.line_pre.get_ydata(), float)
    scr = np.array(dash.plot.line_scratch.get_ydata(), float)
    assert pre[-1] < scr[-1]
    assert dash.level == "warning" and "negative transfer" in dash.message
    names = [t.get_text() for t in dash.plot.ax_c.get_yticklabels()]
    assert "slider source r=0.00" in names
    dash.controls["relatedness"].value = 1.0
    assert dash.level == "info"
    assert np.array(dash.plot.line_pre.get_ydata(), float)[0] > 0.9


def test_alpha_and_clients_change_the_bars(dash):
    g0 = dash.plot.client_heights()[0].copy()
    dash.set_values(alpha=100.0, num_clients=6)
    g1, p1 = dash.plot.client_heights()
    assert len(g1) == 6 and len(p1) == 6
    assert not np.array_equal(g0[:6], g1)
    dash.reset()


def test_invalid_setting_shows_a_message_and_keeps_the_plot(dash):
    runs, heights = dash.runs, dash.plot.client_heights()[1].copy()
    dash.controls["num_clients"].value = 60
    assert dash.level == "error" and "num_clients=60" in dash.message
    assert dash.runs == runs
    np.testing.assert_array_equal(dash.plot.client_heights()[1], heights)
    dash.controls["num_clients"].value = 10
    assert dash.level == "info"


def test_plot_rejects_wrong_number_of_sources():
    plot = FedTransferPlot(num_sources=3)
    with pytest.raises(ValueError, match="expected 3 sources"):
        plot.update_ranking([{"gain": 0.0}])
