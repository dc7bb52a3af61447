"""Notebook-05 dashboard without a browser: set control values, check results and plot data."""

import numpy as np
import pytest

from fedlearn_edu.plots.fedtransfer import FedTransferPlot
from fedlearn_edu.transfer.mlp import MLP
from fedlearn_edu.transfer.personalization import personalize
from fedlearn_edu.transfer.scenarios import digits_scenario
from fedlearn_edu.widgets.fedtransfer import MAX_CLIENTS, FedTransferDashboard


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


def test_invalid_setting_shows_a_message_and_keeps_the_plot(dash, monkeypatch):
    # the slider stops at 50 clients (digits_scenario's limit); a smaller client pool makes
    # 10 clients too many, and the status line must say so without touching the plot
    runs, heights = dash.runs, dash.plot.client_heights()[1].copy()
    monkeypatch.setattr(dash, "_pool_size", lambda: 100)
    dash.refresh()
    assert dash.level == "error" and "num_clients=10 is too many" in dash.message
    assert "at most 8 clients" in dash.message and dash.runs == runs
    np.testing.assert_array_equal(dash.plot.client_heights()[1], heights)
    monkeypatch.undo()
    dash.refresh()
    assert dash.level == "info"
    assert dash.controls["num_clients"].max == MAX_CLIENTS
    with pytest.raises(ValueError, match="num_clients must be an integer in \\[1, 50\\]"):
        digits_scenario(MAX_CLIENTS + 1, 0.1)  # why the slider stops there


def test_intervals_are_wilson_intervals_of_each_clients_test_split(dash):
    from scipy.stats import binomtest

    dash.reset()
    res = dash.result
    n = res["n_test"]
    _, _, clients = digits_scenario(10, 0.1, min_size=12, seed=0)
    np.testing.assert_array_equal(n, [len(c.y_test) for c in clients])
    for key in ("global", "personal"):
        acc = res["personal"][f"{key}_acc"]
        low, high = res["intervals"][key]
        for i in range(len(n)):
            k = round(acc[i] * n[i])
            assert k == pytest.approx(acc[i] * n[i], abs=1e-9)  # accuracy is a count / n
            ref = binomtest(k, int(n[i])).proportion_ci(0.95, method="wilson")
            assert (low[i], high[i]) == pytest.approx((ref.low, ref.high), abs=1e-12)
        worst = res["worst"][key]
        assert worst["acc"] == acc.min() and worst["n_test"] == n[int(np.argmin(acc))]
        assert worst["low"] <= worst["acc"] <= worst["high"]
    g_ci, p_ci = dash.plot.client_intervals()
    np.testing.assert_allclose(g_ci, np.column_stack(res["intervals"]["global"]))
    np.testing.assert_allclose(p_ci, np.column_stack(res["intervals"]["personal"]))
    w = res["worst"]["global"]  # the status line reports the worst client with its interval
    assert f"{w['acc']:.2f} [95% CI {w['low']:.2f}–{w['high']:.2f}, n = {w['n_test']}]" \
        in dash.message
    # the smallest client's interval is wide: its "worst" rank is mostly noise
    small = int(np.argmin(n))
    assert n[small] <= 8 and high[small] - low[small] > 0.3


def test_default_result_is_kept_while_the_sliders_move(dash):
    dash.reset()
    kept = dash.default_result
    assert kept is dash.result and kept["values"] == dash.defaults
    dash.set_values(method="local", rounds=5)
    assert dash.default_result is kept and dash.result is not kept
    dash.reset()


def test_the_largest_settings_run_in_a_few_seconds(dash):
    import time

    start = time.perf_counter()
    dash.set_values(**dash.extreme_values("max"))
    elapsed = time.perf_counter() - start
    assert dash.level in ("info", "warning"), dash.message
    assert len(dash.result["n_test"]) == MAX_CLIENTS
    assert elapsed < 20, elapsed  # ~2 s alone; generous for a busy CI machine
    dash.reset()


def test_plot_rejects_wrong_number_of_sources():
    plot = FedTransferPlot(num_sources=3)
    with pytest.raises(ValueError, match="expected 3 sources"):
        plot.update_ranking([{"gain": 0.0}])


# ---- engine side: the Wilson interval --------------------------------------------------
def test_wilson_interval_matches_scipy_and_a_published_value():
    from scipy.stats import binomtest

    from fedlearn_edu.transfer.evaluation import wilson_interval

    # Newcombe (1998, Stat. Med. 17:857), worked example 81/263: Wilson 0.2553 to 0.3662
    low, high = wilson_interval(81, 263)
    assert (round(float(low), 4), round(float(high), 4)) == (0.2553, 0.3662)
    k = np.array([0, 1, 4, 5, 12, 30])
    n = np.array([5, 5, 8, 5, 40, 30])
    for conf in (0.8, 0.95, 0.99):
        low, high = wilson_interval(k, n, conf)
        for i in range(len(k)):
            ref = binomtest(int(k[i]), int(n[i])).proportion_ci(conf, method="wilson")
            assert (low[i], high[i]) == pytest.approx((ref.low, ref.high), abs=1e-12)
    # by hand, 4 of 8 at z = 1.96 (conf 0.95): centre 0.5, half = z sqrt(1/32 + z^2/256)/(1+z^2/8)
    z = 1.959963984540054
    half = z * np.sqrt(0.25 / 8 + z * z / 256) / (1 + z * z / 8)
    assert wilson_interval(4, 8)[1] == pytest.approx(0.5 + half, rel=1e-12)
    low, high = wilson_interval(0, 5)  # never empty, never outside [0, 1]
    assert low == 0.0 and 0.4 < high < 0.5


def test_wilson_interval_bad_input_names_the_parameter():
    from fedlearn_edu.transfer.evaluation import client_intervals, wilson_interval, worst_client

    with pytest.raises(ValueError, match="successes must be in \\[0, n\\]"):
        wilson_interval(6, 5)
    with pytest.raises(ValueError, match="successes must hold whole numbers"):
        wilson_interval(1.5, 5)
    with pytest.raises(ValueError, match="^n "):
        wilson_interval(0, 0)
    with pytest.raises(ValueError, match="confidence must be"):
        wilson_interval(1, 5, confidence=1.0)
    with pytest.raises(ValueError, match="must broadcast"):
        wilson_interval([1, 2], [3, 4, 5])
    with pytest.raises(ValueError, match="acc"):
        client_intervals([1.2], [5])
    with pytest.raises(ValueError, match="n_test"):
        client_intervals([0.5, 0.5], [4])
    w = worst_client([0.9, 0.5, 0.5], [10, 8, 4])
    assert w["client"] == 1 and w["n_test"] == 8  # first of the ties
