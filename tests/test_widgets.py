"""Dashboards without a browser: set ``slider.value``, then check History and line data."""

import threading

import numpy as np
import pytest

from fedlearn_edu import FedConfig, simulate
from fedlearn_edu import runner as simulation_module
from fedlearn_edu.core.baseline import centralised_baseline
from fedlearn_edu.core.history import History, RoundRecord
from fedlearn_edu.widgets.base import Dashboard
from fedlearn_edu.widgets.intro import FedAvgDashboard

SMALL = FedConfig(rounds=4, local_epochs=1, dtype="float32")  # the dashboards' default


@pytest.fixture(autouse=True)
def one_blas_thread():
    """Small matrices: extra BLAS threads only fight each other on a busy machine."""
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def acc_line(dash):
    return np.asarray(dash.plot.lines["test_accuracy"].get_ydata(), dtype=float)


@pytest.fixture
def dash():
    return FedAvgDashboard(SMALL, background=False)


def test_initial_run_matches_simulate(dash):
    ref = simulate(SMALL.replace(model="auto"))
    assert dash.runs == 1 and dash.level == "info"
    np.testing.assert_array_equal(dash.history.test_accuracy, ref.test_accuracy)
    np.testing.assert_array_equal(acc_line(dash), ref.test_accuracy)
    np.testing.assert_array_equal(dash.plot.lines["test_loss"].get_ydata(), ref.test_loss)
    assert "test accuracy" in dash.message


def test_slider_change_reruns_with_new_value(dash):
    before = acc_line(dash).copy()
    dash.controls["num_clients"].value = 40
    assert dash.runs == 2
    assert dash.history.config.num_clients == 40
    assert dash.history.num_participants[0] == 40
    ref = simulate(SMALL.replace(model="auto", num_clients=40))
    np.testing.assert_array_equal(acc_line(dash), ref.test_accuracy)
    assert not np.array_equal(before, acc_line(dash))


def test_rounds_slider_resizes_the_curves(dash):
    dash.controls["rounds"].value = 7
    x = dash.plot.lines["test_accuracy"].get_xdata()
    np.testing.assert_array_equal(x, np.arange(1, 8))
    assert np.all(np.isfinite(acc_line(dash)))
    assert dash.history.completed == 7


def test_client_fraction_changes_participants(dash):
    dash.set_values(num_clients=20, client_fraction=0.25)
    assert dash.runs == 2  # one recompute for two changes
    assert np.all(dash.history.num_participants == 5)


def test_curves_grow_every_round(dash):
    seen = []
    orig = dash.plot.update

    def spy(hist):
        orig(hist)
        seen.append(int(np.isfinite(acc_line(dash)).sum()))

    dash.plot.update = spy
    dash.controls["rounds"].value = 6
    assert seen[:6] == [1, 2, 3, 4, 5, 6]  # the line grows while training, not only at the end
    assert dash.progress.value == dash.progress.max == 6


def test_sliders_recompute_on_release():
    d = FedAvgDashboard(SMALL, background=False, autostart=False)
    for name, c in d.controls.items():
        if "continuous_update" in c.keys:
            assert c.continuous_update is False, name
    assert d.runs == 0 and d.result is None


def test_baseline_reference_line(dash):
    acc, loss = centralised_baseline("digits")
    line = dash.plot.baseline_lines["accuracy"]
    assert line.get_visible() and np.allclose(line.get_ydata(), acc)
    # independent reference: a plain sklearn fit on the same split
    from sklearn.linear_model import LogisticRegression

    from fedlearn_edu.core.data import load_dataset

    d = load_dataset("digits")
    ref = LogisticRegression(max_iter=2000).fit(d.X_train, d.y_train).score(d.X_test, d.y_test)
    assert acc == pytest.approx(ref)
    assert 0.9 < acc < 1.0 and 0 < loss < 1


def test_more_clients_than_examples_shows_message(dash):
    before = acc_line(dash).copy()
    dash.set_values(dataset="iris", num_clients=150)  # iris has 112 training examples
    assert dash.level == "error"
    assert "num_clients" in dash.message and "112" in dash.message
    assert "num_clients" in dash.status.value  # visible in the widget, not a traceback
    assert dash.runs == 1
    np.testing.assert_array_equal(before, acc_line(dash))  # old curves stay
    dash.controls["num_clients"].value = 20  # fixing the setting clears the error
    assert dash.level == "info" and dash.runs == 2
    assert dash.history.config.dataset == "iris"


def test_reset_restores_defaults(dash):
    dash.set_values(num_clients=33, lr=0.01, local_epochs=2, dataset="wine")
    dash.reset_button.click()
    assert dash.values() == dash.defaults
    assert dash.defaults["num_clients"] == SMALL.num_clients
    np.testing.assert_array_equal(
        dash.history.test_accuracy, simulate(SMALL.replace(model="auto")).test_accuracy
    )


def test_divergence_is_a_visible_warning(dash, monkeypatch):
    def diverging(cfg, callback=None, **kw):
        def records():
            w = np.zeros(3)
            yield RoundRecord(1, 0.5, 1.0, 1.0, np.arange(2)), w
            yield RoundRecord(2, np.nan, np.nan, np.nan, np.arange(2)), w * np.nan

        return simulation_module.run_history(cfg, records(), callback)

    monkeypatch.setattr(simulation_module, "simulate", diverging)
    dash.controls["lr"].value = 10.0
    assert dash.level == "warning" and dash.message.startswith("Diverged")
    assert "lower the learning rate" in dash.message
    assert dash.history.diverged
    y = acc_line(dash)
    assert y[0] == 0.5 and np.all(np.isnan(y[1:]))  # no NaN/garbage point is drawn


def test_background_runs_cancel_and_keep_last_setting():
    d = FedAvgDashboard(SMALL, background=True, debounce=0.05)
    assert d.wait(120)
    for n in (11, 12, 13, 14):  # a burst of keyboard steps
        d.controls["num_clients"].value = n
    assert d.wait(120)
    assert d.history.config.num_clients == 14
    np.testing.assert_array_equal(
        acc_line(d), simulate(SMALL.replace(model="auto", num_clients=14)).test_accuracy
    )
    assert d.runs < 5  # superseded runs were cancelled


class Toy(Dashboard):
    """A minimal subclass, as the base-class docstring describes."""

    def make_controls(self):
        import ipywidgets as W

        return {"n": W.IntSlider(3, min=-5, max=10)}

    def make_figure(self):
        from fedlearn_edu.plots.base import new_figure

        fig, self.ax = new_figure()
        (self.line,) = self.ax.plot([], [])
        return fig

    def prepare(self, values):
        if values["n"] < 0:
            raise ValueError(f"n must be >= 0, got {values['n']}")
        return values["n"]

    def compute(self, n, report):
        if n == 7:
            raise RuntimeError("boom")
        for i in range(n):
            report(i + 1, n)
        self.line.set_data(np.arange(n), np.arange(n) ** 2)
        return n * n


def test_base_class_contract():
    t = Toy(background=False)
    assert t.result == 9 and t.progress.value == 3
    t.controls["n"].value = 4
    assert t.result == 16 and len(t.line.get_xdata()) == 4
    t.controls["n"].value = -1
    assert t.level == "error" and "n must be >= 0" in t.message and t.result == 16
    t.controls["n"].value = 7  # unexpected error: shown, never raised
    assert t.level == "error" and "RuntimeError: boom" in t.message
    t.reset()
    assert t.values() == {"n": 3} and t.result == 9
    with pytest.raises(ValueError, match="unknown controls"):
        t.set_values(m=1)
    assert t.widget.children[2] is t.status


def test_worker_thread_is_not_the_main_thread():
    seen = []

    class T(Toy):
        def compute(self, n, report):
            seen.append(threading.current_thread() is threading.main_thread())
            return n

    t = T(background=True, debounce=0)
    assert t.wait(30) and seen == [False] and t.result == 3


def test_history_type(dash):
    assert isinstance(dash.result, History) and dash.result is dash.history


def test_article_dashboard_matches_seed_federated_train():
    from fedlearn_edu import article
    from fedlearn_edu.widgets.intro import ArticleFLDashboard

    d = ArticleFLDashboard(background=False)
    test = article.generate_data(1000, seed=123)
    ref = [
        article.mse(test, article.federated_train(np.zeros(10), 5, rounds=r)) for r in range(1, 21)
    ]
    np.testing.assert_allclose(d.result, ref, rtol=1e-12)
    np.testing.assert_allclose(d.line.get_ydata(), ref, rtol=1e-12)
    d.set_values(num_devices=12, rounds=6)
    ref12 = article.federated_train(np.zeros(10), 12, rounds=6)
    assert d.result[-1] == pytest.approx(article.mse(test, ref12), rel=1e-12)
    assert d.message.startswith("12 devices")


def test_article_dashboard_reports_real_divergence():
    from fedlearn_edu.widgets.intro import ArticleFLDashboard

    d = ArticleFLDashboard(background=False)
    d.controls["lr"].value = 1.0  # above 2 / lambda_max of the least-squares Hessian
    assert d.level == "warning" and d.message.startswith("Diverged in round")
    assert "lower the learning rate" in d.message
    y = np.asarray(d.line.get_ydata(), dtype=float)
    assert np.all(np.isnan(y) | (y < 1e6))  # nothing huge or infinite is drawn
    d.reset()
    assert d.level == "info" and d.values()["lr"] == pytest.approx(0.2)


def test_bad_setting_during_a_background_run_keeps_the_error():
    import time

    class Slow(Toy):
        def compute(self, n, report):
            for i in range(100):
                time.sleep(0.02)
                report(i + 1, 100)
            return n

    t = Slow(background=True, debounce=0)
    time.sleep(0.2)  # the first run is under way
    t.controls["n"].value = -1
    assert t.wait(30)
    assert t.level == "error" and "n must be >= 0" in t.message  # not overwritten
    assert t.result is None and t.runs == 0  # the superseded run stored nothing
    t.controls["n"].value = 2
    assert t.wait(30) and t.result == 2 and t.message == "done"


def test_dashboards_run_float32_by_default():
    from fedlearn_edu.widgets import (
        AttackDashboard,
        DPDashboard,
        NonIIDDashboard,
        SystemsDashboard,
    )

    d = FedAvgDashboard(FedConfig(rounds=2), background=False)
    assert d.history.dtype == "float32" and d.base.dtype == "float32"
    assert FedAvgDashboard(SMALL, dtype="float64", background=False).history.dtype == "float64"
    kept = FedAvgDashboard(SMALL.replace(dtype="float64"), dtype=None, autostart=False)
    assert kept.base.dtype == "float64"
    for cls in (NonIIDDashboard, SystemsDashboard, DPDashboard, AttackDashboard):
        assert cls(autostart=False).base.dtype == "float32", cls.__name__


def test_a_single_change_starts_at_once_a_burst_waits():
    import time

    starts = []

    class T(Toy):
        def compute(self, n, report):
            starts.append(time.monotonic())
            return n

    t = T(background=True, debounce=0.5)
    assert t.wait(30)
    time.sleep(0.6)  # a single step, well after the last one
    t0 = time.monotonic()
    t.controls["n"].value = 4
    assert t.wait(30) and starts[-1] - t0 < 0.3  # no debounce wait
    t0 = time.monotonic()
    t.controls["n"].value = 5  # a burst: each change within 0.5 s of the previous one
    t.controls["n"].value = 6
    assert t.wait(30) and t.result == 6
    assert starts[-1] - t0 >= 0.45  # the last of the burst waited for the burst to end


def test_first_round_drawn_at_once_and_no_duplicate_last_frame(dash):
    r = dash._redraw
    frames = []
    orig = dash.plot.update

    def spy(hist):
        orig(hist)
        frames.append(r.frames)

    r.min_interval = 60.0  # only the first and the last frame may pass the throttle
    dash.plot.update = spy
    before = r.frames
    dash.controls["num_clients"].value = 12
    assert frames[1] == before + 1  # round 1 was drawn right away (spy sees it next round)
    assert r.frames == before + 2  # then only the final frame
    assert not dash.fig.stale
    dash.redraw(force=True)  # a browser asking for a frame always gets one
    assert r.frames == before + 3 and r.last_mode == "blit"


def test_fedavg_default_result_survives_the_sliders():
    ref = simulate(SMALL.replace(model="auto"))  # the default setting, run by the engine
    d = FedAvgDashboard(SMALL, background=False)
    kept = d.default_result
    assert kept is d.result  # the first run's History, not a second run
    d.set_values(num_clients=3, lr=1.0)
    assert d.default_result is kept
    np.testing.assert_array_equal(kept.test_accuracy, ref.test_accuracy)
    lazy = FedAvgDashboard(SMALL, background=False, autostart=False)
    np.testing.assert_array_equal(lazy.default_result.test_accuracy, ref.test_accuracy)
    assert np.all(np.isnan(acc_line(lazy)))  # computed without drawing


def test_fedavg_messages_count_clients_in_the_singular_and_plural(dash):
    dash.set_values(num_clients=1)
    assert dash.message.startswith("1 client, round 4: FedAvg test accuracy")
    dash.set_values(num_clients=2, client_fraction=0.5)
    assert dash.message.startswith("2 clients (1 per round), round 4")


def test_article_dashboard_default_result_survives_the_sliders():
    from fedlearn_edu import article
    from fedlearn_edu.widgets.intro import ArticleFLDashboard

    test = article.generate_data(1000, seed=123)
    ref = [article.mse(test, article.federated_train(np.zeros(10), 5, rounds=r))
           for r in range(1, 21)]
    d = ArticleFLDashboard(background=False)
    d.set_values(num_devices=1, lr=0.9)  # a student moved on (and diverged)
    assert d.level == "warning"
    np.testing.assert_allclose(d.default_result, ref, rtol=1e-12)
    lazy = ArticleFLDashboard(background=False, autostart=False)
    np.testing.assert_allclose(lazy.default_result, ref, rtol=1e-12)
    assert len(lazy.line.get_ydata()) == 0  # computed without drawing


def test_article_dashboard_says_1_device_not_1_devices():
    from fedlearn_edu.widgets.intro import ArticleFLDashboard

    d = ArticleFLDashboard(background=False)
    d.set_values(num_devices=1, rounds=3)
    assert d.message.startswith("1 device, round 3: test MSE")
    d.set_values(num_devices=2)
    assert d.message.startswith("2 devices, round 3")
