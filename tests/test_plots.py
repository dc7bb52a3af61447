"""Plots are drawn once and updated in place; redraws are throttled; ipympl glue works."""

import subprocess
import sys
import time

import numpy as np
import pytest

from fedlearn_edu.core.history import History, RoundRecord
from fedlearn_edu.plots.base import (
    ConvergencePlot,
    Redrawer,
    is_widget_canvas,
    new_figure,
    plot_history,
)

# ipympl's toolbar trips a traitlets deprecation warning on construction (not ours)
pytestmark = pytest.mark.filterwarnings("ignore:Passing unrecognized arguments:DeprecationWarning")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def make_history(rounds=5, done=3, acc0=0.5):
    h = History(rounds)
    for r in range(1, done + 1):
        h.record(RoundRecord(r, acc0 + 0.1 * r, 2.0 / r, 1.5 / r, np.arange(3)))
    return h


def test_update_copies_history_into_lines():
    plot = ConvergencePlot(rounds=5)
    lines_before = {k: id(v) for k, v in plot.lines.items()}
    h = make_history()
    plot.update(h)
    y = plot.lines["test_accuracy"].get_ydata()
    np.testing.assert_array_equal(y, h.test_accuracy)  # NaN for rounds not run yet
    np.testing.assert_array_equal(plot.lines["train_loss"].get_ydata(), h.train_loss)
    np.testing.assert_array_equal(plot.lines["test_loss"].get_xdata(), np.arange(1, 6))
    h.test_accuracy[0] = 123.0  # the line holds a copy
    assert plot.lines["test_accuracy"].get_ydata()[0] == pytest.approx(0.6)
    assert {k: id(v) for k, v in plot.lines.items()} == lines_before  # same artists, in place
    assert len(plot.ax_acc.lines) == 2  # FedAvg curve + hidden baseline, nothing added


def test_rounds_change_resizes_x_and_clears():
    plot = ConvergencePlot(rounds=5)
    plot.update(make_history())
    plot.update(make_history(rounds=8, done=2))
    np.testing.assert_array_equal(plot.lines["test_accuracy"].get_xdata(), np.arange(1, 9))
    assert np.isfinite(plot.lines["test_accuracy"].get_ydata()).sum() == 2
    assert plot.ax_acc.get_xlim() == (0.5, 8.5)


def test_axes_zoom_out_to_keep_the_data_in_view():
    plot = ConvergencePlot(rounds=5)
    plot.update(make_history(acc0=0.2, done=2))  # accuracies 0.3, 0.4 < default 0.8 floor
    low, high = plot.ax_acc.get_ylim()
    assert low <= 0.3 and high > 1.0
    h = make_history()
    h.test_loss[:] = 7.0
    plot.update(h)
    assert plot.ax_loss.get_ylim()[1] >= 7.0


def test_baseline_lines_show_and_hide():
    plot = ConvergencePlot(rounds=5)
    assert not plot.baseline_lines["accuracy"].get_visible()
    plot.set_baseline(0.97, 0.1)
    assert plot.baseline_lines["accuracy"].get_visible()
    np.testing.assert_allclose(plot.baseline_lines["accuracy"].get_ydata(), [0.97, 0.97])
    np.testing.assert_allclose(plot.baseline_lines["loss"].get_ydata(), [0.1, 0.1])
    plot.set_baseline(None, float("nan"))
    assert not plot.baseline_lines["accuracy"].get_visible()
    assert not plot.baseline_lines["loss"].get_visible()


def test_plot_history_static_helper():
    h = make_history()
    _, ax = new_figure()
    line = plot_history(h, ax, metric="test_loss", label="x")
    np.testing.assert_array_equal(line.get_ydata(), h.test_loss)


def test_redrawer_throttles_but_force_always_draws():
    fig, _ = new_figure()
    assert not is_widget_canvas(fig)
    r = Redrawer(fig, min_interval=60.0)
    assert r() is True  # first frame
    assert r() is False  # too soon
    assert r(force=True) is True
    assert r.frames == 2


def ipympl_figure():
    """A figure with an ipympl canvas, without switching the global backend."""
    import matplotlib
    import matplotlib.pyplot as plt

    before = matplotlib.get_backend()
    from ipympl.backend_nbagg import _Backend_ipympl  # importing it switches pyplot's backend

    if matplotlib.get_backend() != before:
        plt.switch_backend(before)  # other tests expect the headless default
    from matplotlib.figure import Figure

    fig = Figure(figsize=(4, 2))
    _Backend_ipympl.new_figure_manager_given_figure(1, fig)
    return fig


def test_redrawer_skips_frames_nobody_can_see():
    fig = ipympl_figure()
    assert is_widget_canvas(fig)
    r = Redrawer(fig, min_interval=0.0)
    assert fig.canvas.syncing_data_url  # no browser attached yet
    assert r() is False and r(force=True) is True
    fig.canvas.syncing_data_url = False  # what ipympl does once a front-end says 'initialized'
    time.sleep(3 * r._cost + 0.01)  # the interval adapts to the cost of a frame
    assert r() is True and r.frames == 2


def test_dashboard_uses_the_ipympl_canvas_and_resends_its_size(monkeypatch):
    import ipywidgets as W

    from fedlearn_edu.widgets.base import Dashboard

    class Tiny(Dashboard):
        def make_controls(self):
            return {"a": W.IntSlider(1)}

        def make_figure(self):
            return ipympl_figure()

        def compute(self, job, report):
            return job["a"]

    d = Tiny(background=False)
    assert d.result == 1 and d.fig.canvas in d.widget.children  # the canvas is the view
    sizes = []
    monkeypatch.setattr(d.fig.canvas.manager, "resize", lambda w, h, **kw: sizes.append((w, h)))
    d.fig.canvas._handle_custom_msg({"type": "initialized"}, [])  # as sent by the browser
    deadline = time.monotonic() + 10
    while len(sizes) < 2 and time.monotonic() < deadline:
        time.sleep(0.05)
    assert len(sizes) >= 2  # ipympl's own answer + the delayed re-send
    assert sizes[-1] == (400.0, 200.0)
    assert d.redraw(force=True)
    assert d.fig.canvas._data_url.startswith("data:image/png;base64,")  # a usable snapshot


def test_plots_module_does_not_import_ipywidgets():
    code = ("import sys, fedlearn_edu.plots; "
            "assert 'ipywidgets' not in sys.modules, 'plots.py must be matplotlib-only'")
    subprocess.run([sys.executable, "-c", code], check=True, env={"MPLBACKEND": "Agg"})


def _run_curves(plot, acc, loss, baseline=(0.9, 0.5)):
    """Feed a run round by round; after every blitted frame compare with a full render."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg

    plot.set_baseline(*baseline)
    r, canvas = plot.redraw, plot.fig.canvas
    h = History(len(acc))
    modes = []
    for k, (a, b) in enumerate(zip(acc, loss), start=1):
        h.record(RoundRecord(k, a, b, 0.9 * b, np.arange(3)))
        plot.update(h)
        assert r(force=True)
        modes.append(r.last_mode)
        frame = np.asarray(canvas.buffer_rgba()).copy()
        FigureCanvasAgg.draw(canvas)  # what a full render shows
        full = np.asarray(canvas.buffer_rgba())
        assert np.array_equal(frame, full), f"round {k} ({r.last_mode}): " \
            f"{np.any(frame != full, axis=-1).sum()} pixels differ from a full render"
    return modes


def test_blitted_frames_equal_a_full_render_pixel_for_pixel():
    plot = ConvergencePlot(rounds=15)
    acc = np.linspace(0.82, 0.96, 15)  # crosses the dotted baseline at 0.9
    loss = np.linspace(0.9, 0.2, 15)  # crosses the loss baseline at 0.5
    modes = _run_curves(plot, acc, loss)
    assert modes[0] == "full" and modes.count("blit") >= 12, modes
    # a second run over the same axes is blitted from its first round on
    plot.set_rounds(15)  # what the dashboard does at the start of every run
    assert _run_curves(plot, acc, loss) == ["blit"] * 15


def test_blitting_redraws_what_a_curve_passes_under():
    plot = ConvergencePlot(rounds=10)  # accuracy legend: lower right; loss legend: upper right
    acc = np.r_[np.full(5, 0.97), np.linspace(0.95, 0.81, 5)]  # runs under the accuracy legend
    loss = np.r_[np.full(5, 0.1), np.full(5, 0.95)]  # ... and under the loss legend
    modes = _run_curves(plot, acc, loss)
    assert "blit" in modes
    late = {type(a).__name__ for a in plot.redraw._bg[2]}
    assert "Legend" in late  # the legends are drawn over the curves, as in a full render


def test_blit_background_follows_limits_and_invalidate():
    plot = ConvergencePlot(rounds=6)
    r = plot.redraw
    h = make_history(rounds=6, done=2)
    plot.update(h)
    assert r(force=True) and r.last_mode == "full"
    assert r(force=True) and r.last_mode == "blit"
    h.test_loss[:2] = 3.0  # the loss axis grows (in steps of 0.25)
    plot.update(h)
    assert plot.ax_loss.get_ylim()[1] == 3.25
    assert r(force=True) and r.last_mode == "full"
    plot.set_baseline(0.9, 0.5)  # a new reference line: the background is re-rendered
    assert r(force=True) and r.last_mode == "full"
    plot.set_baseline(0.9, 0.5)  # the same values: nothing to re-render
    assert r(force=True) and r.last_mode == "blit"
    assert r.blits == 2 and r.frames == 5


def test_redrawer_restart_draws_the_next_frame_at_once():
    fig, _ = new_figure()
    r = Redrawer(fig, min_interval=60.0)
    assert r() and not r()
    r.restart()
    assert r() and r.frames == 2
    assert not fig.stale  # a drawn figure is up to date until something changes
