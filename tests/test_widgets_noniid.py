"""Notebook 02 without a browser: client-drift engine functions and the non-IID dashboard."""

import numpy as np
import pytest

from fedlearn_edu.core.data import label_histogram
from fedlearn_edu.core.drift import update_cosine
from fedlearn_edu.core.federation import Federation
from fedlearn_edu.core.loop import iterate, run_history
from fedlearn_edu.core.noniid import NONIID_DEFAULTS, iterate_with_drift, run_noniid
from fedlearn_edu.plots.base import MAX_FIGURE_WIDTH_IN
from fedlearn_edu.widgets.noniid import NonIIDDashboard

SMALL = NONIID_DEFAULTS.replace(rounds=3, local_epochs=2)
F32 = SMALL.replace(dtype="float32")  # what the dashboards run (their default dtype)


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


# ---- engine side ------------------------------------------------------------------------
def test_run_noniid_has_the_same_numbers_as_iterate():
    res = run_noniid(SMALL)
    ref = run_history(SMALL, iterate(SMALL))
    np.testing.assert_array_equal(res.history.test_accuracy, ref.test_accuracy)
    np.testing.assert_array_equal(res.history.train_loss, ref.train_loss)
    np.testing.assert_array_equal(res.history.final_weights, ref.final_weights)
    assert np.all(np.isfinite(res.update_cosine)) and np.all(np.abs(res.update_cosine) <= 1)
    assert np.all((res.local_accuracy >= 0) & (res.local_accuracy <= 1))
    fed = Federation(SMALL)
    np.testing.assert_array_equal(res.counts, label_histogram(fed.data.y_train, fed.parts, 10))


def test_drift_matches_a_manual_round():
    fed = Federation(SMALL)
    rec, w1, (cosine, local) = next(iterate_with_drift(SMALL))
    sel = fed.strategy.sample_clients(SMALL.num_clients, fed.sample_rng)
    W = fed.train(fed.model.init(), sel)
    np.testing.assert_array_equal(rec.participants, sel)
    p = fed.counts[sel] / fed.counts[sel].sum()
    assert cosine == pytest.approx(update_cosine(W - fed.model.init(), p), rel=1e-12)
    scores = [fed.model.score(wi, fed.data.X_test, fed.data.y_test) for wi in W]
    assert local == pytest.approx(p @ scores, rel=1e-12)
    np.testing.assert_allclose(w1, p @ W, rtol=1e-12)


def test_fedprox_mu_pulls_the_updates_together():
    """FedProx (mu > 0) runs through the same loop; its clients' updates agree more."""
    cfg = SMALL.replace(local_epochs=5)
    plain, prox = run_noniid(cfg), run_noniid(cfg.replace(mu=1.0))
    assert prox.history.config.mu == 1.0
    assert prox.update_cosine.mean() > plain.update_cosine.mean()


def test_run_noniid_is_deterministic_and_callback_can_stop():
    a, b = run_noniid(SMALL), run_noniid(SMALL)
    np.testing.assert_array_equal(a.local_accuracy, b.local_accuracy)
    seen = []
    res = run_noniid(SMALL, lambda rec, r: seen.append(rec.round) or rec.round < 2)
    assert seen == [1, 2] and res.history.completed == 2
    assert np.isnan(res.local_accuracy[2]) and np.isfinite(res.local_accuracy[1])


def test_smaller_alpha_gives_lower_accuracy_and_more_drift():
    """The notebook's claim on a cheaper setting: 2 seeds, 6 rounds."""
    def mean_acc(alpha):
        runs = [run_noniid(NONIID_DEFAULTS.replace(rounds=6, dirichlet_alpha=alpha, seed=s))
                for s in (0, 1)]
        return (np.mean([r.history.test_accuracy.mean() for r in runs]),
                np.mean([r.local_accuracy.mean() for r in runs]),
                np.mean([r.update_cosine.mean() for r in runs]))

    (acc_100, loc_100, cos_100), (acc_01, loc_01, cos_01), (acc_001, loc_001, cos_001) = map(
        mean_acc, (100, 0.1, 0.01))
    assert acc_100 > acc_01 + 0.02 > acc_001 + 0.04
    assert loc_100 > loc_01 + 0.05 > loc_001 + 0.05  # local models specialise
    assert cos_100 > cos_01 + 0.05 > cos_001 + 0.05  # their updates point apart


def test_fedsgd_has_no_drift():
    with pytest.raises(ValueError, match="strategy must be 'fedavg'"):
        next(iterate_with_drift(SMALL.replace(strategy="fedsgd")))
    with pytest.raises(TypeError, match="config must be a FedConfig"):
        run_noniid({"rounds": 3})


# ---- dashboard ------------------------------------------------------------------------
@pytest.fixture
def dash():
    import matplotlib.pyplot as plt

    d = NonIIDDashboard(SMALL, background=False)
    yield d
    plt.close(d.fig)


def line(d, key, which="acc"):
    lines = {"acc": d.plot.acc_lines, "cos": d.plot.cos_lines, "local": d.plot.local_lines}
    return np.asarray(lines[which][key].get_ydata(), dtype=float)


def test_initial_run_shows_skewed_and_iid(dash):
    assert dash.runs == 1 and dash.level == "info", dash.message
    ref = run_noniid(F32)
    iid = run_noniid(F32.replace(partition="iid"))
    np.testing.assert_array_equal(line(dash, "skewed"), ref.history.test_accuracy)
    np.testing.assert_array_equal(line(dash, "iid"), iid.history.test_accuracy)
    np.testing.assert_array_equal(line(dash, "skewed", "local"), ref.local_accuracy)
    np.testing.assert_array_equal(line(dash, "skewed", "cos"), ref.update_cosine)
    np.testing.assert_array_equal(line(dash, "iid", "cos"), iid.update_cosine)
    np.testing.assert_array_equal(dash.plot.histogram_heights(), ref.counts)
    assert "mean test accuracy" in dash.message and "α=0.05" in dash.message
    assert f"mean cosine {np.mean(ref.update_cosine):.2f}" in dash.message
    assert dash.message.startswith("3 rounds,")


def test_figure_fits_the_notebook_column_in_two_rows(dash):
    w, h = dash.fig.get_size_inches()
    assert w <= MAX_FIGURE_WIDTH_IN
    rows = sorted({round(ax.get_position().y0, 2) for ax in dash.fig.axes})
    assert len(dash.fig.axes) == 4 and len(rows) == 2  # the drift panel on the second row
    dash.fig.canvas.draw()
    fig_box = dash.fig.bbox
    for ax in dash.fig.axes:  # every panel and its labels inside the figure
        box = ax.get_tightbbox(dash.fig.canvas.get_renderer())
        assert box.x0 >= fig_box.x0 - 1 and box.x1 <= fig_box.x1 + 1, ax.get_title()
        assert box.y0 >= fig_box.y0 - 1 and box.y1 <= fig_box.y1 + 1, ax.get_title()


def test_default_result_is_kept_whatever_the_sliders_show(dash):
    kept = dash.default_result
    assert kept is dash.result  # the first run was the default setting
    dash.set_values(alpha=100.0, mu=0.5)
    assert dash.default_result is kept and dash.result is not kept
    fresh = NonIIDDashboard(SMALL, background=False, autostart=False)
    try:
        np.testing.assert_array_equal(fresh.default_result["skewed"].history.test_accuracy,
                                      kept["skewed"].history.test_accuracy)
    finally:
        import matplotlib.pyplot as plt

        plt.close(fresh.fig)


def test_mu_slider_runs_fedprox_on_both_runs(dash):
    dash.controls["mu"].value = 0.3
    assert dash.result["skewed"].history.config.mu == 0.3  # not 0.30000000000000004
    assert dash.result["iid"].history.config.mu == 0.3
    ref = run_noniid(F32.replace(mu=0.3))
    np.testing.assert_array_equal(line(dash, "skewed"), ref.history.test_accuracy)


def test_alpha_slider_redraws_histogram_and_curves(dash):
    hist_before = dash.plot.histogram_heights().copy()
    skewed_before, iid_before = line(dash, "skewed"), line(dash, "iid")
    bars_before = dash.plot.bars[0]
    dash.controls["alpha"].value = 100.0
    assert dash.runs == 2
    assert dash.result["skewed"].history.config.dirichlet_alpha == 100.0
    after = dash.plot.histogram_heights()
    assert not np.array_equal(after, hist_before)
    assert after.max(axis=1).mean() < hist_before.max(axis=1).mean()  # less dominated clients
    assert dash.plot.bars[0] is bars_before  # same artists, updated in place
    assert not np.array_equal(line(dash, "skewed"), skewed_before)
    np.testing.assert_array_equal(line(dash, "iid"), iid_before)  # reference unchanged (cached)
    assert "α=100" in dash.message


def test_shards_and_num_clients(dash):
    dash.set_values(partition="shards", shards_per_client=1, num_clients=10)
    assert dash.runs == 2 and dash.level == "info"
    counts = dash.plot.histogram_heights()
    assert counts.shape == (10, 10)
    # one label-sorted shard per client: each client is dominated by one label
    assert np.mean(counts.max(axis=1) / counts.sum(axis=1)) > 0.8
    assert "1 shard per client" in dash.message
    dash.controls["shards_per_client"].value = 2
    assert "2 shards per client" in dash.message


def test_rounds_slider_resizes_curves(dash):
    dash.controls["rounds"].value = 5
    np.testing.assert_array_equal(dash.plot.acc_lines["skewed"].get_xdata(), np.arange(1, 6))
    assert np.all(np.isfinite(line(dash, "skewed"))) and np.all(np.isfinite(line(dash, "iid")))


def test_curves_update_round_by_round(dash):
    seen = []
    orig = dash.plot.update

    def spy(key, acc, cos, local):
        orig(key, acc, cos, local)
        seen.append((key, int(np.isfinite(line(dash, key)).sum())))

    dash.plot.update = spy
    dash.controls["seed"].value = 1  # new seed: both runs recompute, the skewed one first
    assert seen[:3] == [("skewed", 1), ("skewed", 2), ("skewed", 3)]
    assert ("iid", 1) in seen and ("iid", 2) in seen
    assert dash.progress.value == dash.progress.max == 6


def test_bad_setting_shows_message_not_traceback(dash):
    runs = dash.runs
    dash.set_values(partition="shards", shards_per_client=10, num_clients=200)
    assert dash.level == "error" and dash.runs == runs
    assert "shards_per_client * num_clients" in dash.message
    assert "Setting not allowed" in dash.status.value
    dash.controls["alpha"].value = 1e-5  # the slider clamps to its minimum 0.01
    assert dash.controls["alpha"].value == pytest.approx(0.01)


def test_one_client_per_round_has_no_cosine_and_says_so(dash):
    dash.set_values(num_clients=2, client_fraction=0.05)
    assert dash.level == "info", dash.message
    assert np.all(np.isnan(dash.result["skewed"].update_cosine))
    assert "no update cosine: 1 client per round cannot disagree" in dash.message


def test_reset_restores_defaults(dash):
    dash.set_values(partition="shards", num_clients=10, seed=3)
    dash.reset()
    assert dash.values() == dash.defaults
    assert dash.result["skewed"].history.config == F32
    assert dash.level == "info"


def test_iid_partition_reuses_the_cached_reference(dash):
    iid_line = line(dash, "iid")
    dash.controls["partition"].value = "iid"
    np.testing.assert_array_equal(line(dash, "skewed"), iid_line)  # same config, same run
    assert dash.result["skewed"] is dash.result["iid"]
    assert "skewed (IID)" in dash.message and "gap +0.0 points" in dash.message


def test_background_mode_finishes_and_matches():
    import matplotlib.pyplot as plt

    d = NonIIDDashboard(SMALL, background=True, debounce=0.0)
    try:
        assert d.wait(120)
        assert d.level == "info" and d.runs == 1
        np.testing.assert_array_equal(line(d, "skewed"), run_noniid(F32).history.test_accuracy)
    finally:
        plt.close(d.fig)
