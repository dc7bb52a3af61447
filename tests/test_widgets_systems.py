"""Notebook 04 dashboard without a browser: move controls, check runs and plotted data."""

import numpy as np
import pytest

from fedlearn_edu import FedConfig
from fedlearn_edu.core.history import time_to_accuracy
from fedlearn_edu.plots.systems import GanttPlot
from fedlearn_edu.runner import run_systems
from fedlearn_edu.systems.config import SystemsConfig
from fedlearn_edu.widgets.systems import SystemsDashboard

BASE = FedConfig(
    dtype="float32",  # the dashboards' default
    num_clients=8,
    rounds=5,
    local_epochs=1,
    mu=0.1,
    systems=SystemsConfig(
        preset="mobile",
        latency_ms=200.0,
        latency_spread=0.5,
        straggler_fraction=0.3,
        deadline_s=1.0,
        mode="fedprox",
        buffer_size=4,
    ),
)


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def dash():
    return SystemsDashboard(BASE, background=False)


def xy(line):
    return np.asarray(line.get_xdata(), float), np.asarray(line.get_ydata(), float)


def test_initial_runs_match_the_engine(dash):
    assert dash.runs == 1 and dash.level == "info", dash.message
    ref = run_systems(BASE).history
    x, y = xy(dash.plot.time.lines["chosen"])
    np.testing.assert_array_equal(x, ref.wall_clock)
    np.testing.assert_array_equal(y, ref.test_accuracy)
    bx, _ = xy(dash.plot.bytes.lines["no compression"])
    np.testing.assert_array_equal(bx, np.cumsum(ref.bytes_up))  # all > 0 here
    assert "time to" in dash.message and "fewer bytes" in dash.message


def test_latency_slider_moves_time_not_sync_accuracy(dash):
    x0, y0 = xy(dash.plot.time.lines["sync"])
    dash.controls["latency_ms"].value = 1500
    x1, y1 = xy(dash.plot.time.lines["sync"])
    assert dash.runs == 2
    np.testing.assert_array_equal(y1, y0)  # sync: same accuracy per round ...
    assert np.all(x1 > x0 + 2 * 1.0)  # ... on a slower clock (>= 2 messages of +1.3 s)


def test_mode_and_mu_controls_rerun_the_chosen_curve(dash):
    _, y0 = xy(dash.plot.time.lines["chosen"])
    dash.controls["mode"].value = "async"
    assert dash.result["chosen"].config.systems.mode == "async"
    assert "async" in dash.plot.time.lines["chosen"].get_label()
    _, y1 = xy(dash.plot.time.lines["chosen"])
    assert not np.array_equal(y0, y1)
    dash.set_values(mode="fedprox", mu=0.8)
    assert dash.result["chosen"].config.mu == 0.8 and dash.runs == 3


def test_stragglers_and_deadline_change_the_gantt_chart(dash):
    dash.set_values(straggler_fraction=0.0, deadline_s=100.0, mode="deadline")
    verts0 = [p.vertices.copy() for p in dash.plot.gantt.collections["compute"].get_paths()]
    assert len(dash.plot.gantt.marks["failed"].get_xdata()) == 0 or dash.message
    dash.set_values(straggler_fraction=0.9, deadline_s=0.5)
    verts1 = [p.vertices.copy() for p in dash.plot.gantt.collections["compute"].get_paths()]
    assert len(verts0) != len(verts1) or not all(
        np.array_equal(a, b) for a, b in zip(verts0, verts1, strict=True)
    )
    assert dash.plot.gantt.deadline_line.get_visible()
    np.testing.assert_array_equal(dash.plot.gantt.deadline_line.get_xdata(), [0.5, 0.5])


def test_compression_line_sends_fewer_bytes(dash):
    bx, _ = xy(dash.plot.bytes.lines["no compression"])
    cx, _ = xy(dash.plot.bytes.lines["compressed"])
    assert bx[-1] / cx[-1] >= 4
    dash.controls["compression"].value = "int8"
    cx8, _ = xy(dash.plot.bytes.lines["compressed"])
    assert not np.array_equal(cx, cx8) and bx[-1] / cx8[-1] >= 4


def test_invalid_setting_shows_a_message_not_a_traceback(dash):
    runs = dash.runs
    dash.set_values(mode="fedbuff", num_clients=3)  # buffer_size 4 > 3 clients per round
    assert dash.level == "error" and "buffer_size" in dash.message
    assert dash.runs == runs
    dash.reset()
    assert dash.level == "info" and dash.values() == dash.defaults


def test_impossible_deadline_warns(dash):
    dash.set_values(mode="deadline", deadline_s=0.1, latency_ms=2000)
    assert dash.level == "warning" and "deadline" in dash.message


def test_gantt_plot_hand_case():
    """One sync round of the 3-client hand case: bars end where the clock says."""
    import matplotlib.pyplot as plt

    from fedlearn_edu.systems.timeline import Timeline

    tl = Timeline()
    tl.add(
        1,
        [0, 1, 2],
        0.0,
        [0.1, 0.2, 0.1],
        [1.0, 2.0, 0.5],
        [0.1, 0.2, 0.1],
        [1.2, 2.4, 0.7],
        [0, 0, 0],
    )
    tl.record_end.append(2.4)
    fig, ax = plt.subplots()
    parts = GanttPlot(ax).update(tl, 1)
    idle = np.array([v[1][0] - v[0][0] for v in parts["idle"]])
    np.testing.assert_allclose(sorted(idle), [1.2, 1.7])  # client 1 is the straggler
    comp_right = sorted(v[1][0] for v in parts["compute"])
    np.testing.assert_allclose(comp_right, [0.6, 1.1, 2.2])
    with pytest.raises(ValueError, match="round must be in"):
        GanttPlot(ax).update(tl, 3)
    plt.close(fig)


def test_time_to_accuracy():
    h = run_systems(BASE.replace(systems=BASE.systems.replace(mode="sync"))).history
    t = time_to_accuracy(h, float(h.test_accuracy[2]))
    assert t <= h.wall_clock[2]
    assert time_to_accuracy(h, 2.0) == float("inf")


def test_redraw_fixes_ipympl_bare_base64_data_url(dash):
    """ipympl 0.10 stores a frame drawn before the browser connects without the
    ``data:`` prefix; the dashboard sends the prefixed value instead (one message)."""
    import contextlib

    class FakeCanvas:  # the parts of ipympl's Canvas that redraw touches
        syncing_data_url = True
        _data_url = None
        held = 0

        @contextlib.contextmanager
        def hold_sync(self):
            self.held += 1
            yield

        def draw(self):
            self._data_url = "iVBORw0KGgo="  # what ipympl's send_binary stores

    fake = FakeCanvas()
    real = dash.fig.canvas
    dash.fig.set_canvas(fake)
    try:
        assert dash.redraw(force=True)
        assert fake._data_url == "data:image/png;base64,iVBORw0KGgo=" and fake.held >= 1
        dash.redraw(force=True)  # every new frame is fixed, never double-prefixed
        assert fake._data_url.count("data:") == 1
    finally:
        dash.fig.set_canvas(real)


def test_gantt_chart_has_its_legend(dash):
    labels = [t.get_text() for t in dash.plot.gantt.ax.get_legend().get_texts()]
    assert labels == ["download", "compute", "partial", "upload", "idle", "late / crashed",
                      "offline", "deadline"]
    handles, names = dash.plot.gantt.legend_entries()
    assert names == labels and all(h.get_visible() for h in handles)  # even when absent
    import matplotlib.pyplot as plt

    fig, ax = plt.subplots()
    assert GanttPlot(ax, legend=False).ax.get_legend() is None  # for one shared fig.legend
    plt.close(fig)


def test_figure_fits_the_column_and_labels_are_not_clipped(dash):
    from fedlearn_edu.plots.base import MAX_FIGURE_WIDTH_IN

    fig = dash.fig
    assert fig.get_size_inches()[0] <= MAX_FIGURE_WIDTH_IN
    fig.canvas.draw()
    box = fig.bbox
    for ax in fig.axes:
        for label in (ax.xaxis.label, ax.yaxis.label, ax.title):
            e = label.get_window_extent()
            assert box.x0 <= e.x0 and e.x1 <= box.x1 and box.y0 <= e.y0 and e.y1 <= box.y1
        legend = ax.get_legend()
        if legend is not None:
            e = legend.get_window_extent()
            assert box.x0 <= e.x0 and e.x1 <= box.x1 and box.y0 <= e.y0, legend


def test_default_result_is_kept_while_exploring(dash):
    default = dash.default_result
    dash.set_values(mode="async", latency_ms=1500)
    assert dash.default_result is default
    ref = run_systems(BASE).history
    np.testing.assert_array_equal(default["chosen"].history.test_accuracy, ref.test_accuracy)
    late = SystemsDashboard(BASE, background=False, autostart=False)
    late.set_values(mode="sync")  # the default never ran: computed on demand, same numbers
    np.testing.assert_array_equal(late.default_result["chosen"].history.wall_clock,
                                  ref.wall_clock)


def test_engine_messages_count_clients_correctly():
    from fedlearn_edu import Federation
    from fedlearn_edu.systems.profiles import make_profiles
    from fedlearn_edu.systems.rounds import SystemsRounds
    from fedlearn_edu.systems.timeline import Timeline

    cfg = FedConfig(num_clients=1, rounds=1, systems=SystemsConfig())
    with pytest.raises(ValueError, match=r"as many clients as config.num_clients=1, got 2") as e:
        SystemsRounds(cfg, Federation(cfg), make_profiles(2, "ideal"), Timeline())
    assert "1 clients" not in str(e.value)
