"""Notebook 02 without a browser: client-drift engine functions and the non-IID dashboard."""

import numpy as np
import pytest

from fedlearn_edu.core.data import label_histogram
from fedlearn_edu.core.federation import Federation
from fedlearn_edu.core.loop import iterate, run_history
from fedlearn_edu.core.models import make_model
from fedlearn_edu.core.noniid import NONIID_DEFAULTS, drift_stats, iterate_with_drift, run_noniid
from fedlearn_edu.widgets.noniid import NonIIDDashboard

SMALL = NONIID_DEFAULTS.replace(rounds=3, local_epochs=2)
F32 = SMALL.replace(dtype="float32")  # what the dashboards run (their default dtype)


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


# ---- engine side ------------------------------------------------------------------------
def test_drift_stats_hand_computed():
    model = make_model("softmax", 2, 2)  # params: W^T (2, 2) then bias (2,)
    w = np.zeros(model.num_params)
    w0 = np.array([1.0, 0.0, -1.0, 0.0, 0.0, 0.0])  # class 1 iff x0 < 0: predicts sign
    w1 = -w0  # the opposite rule: always wrong
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [2.0, 1.0], [-3.0, 0.0]])
    y = np.array([0, 1, 0, 1])
    W_clients = np.stack([w0, 2 * w1])
    drift, local = drift_stats(model, w, W_clients, [1, 3], X, y)
    # weights 1/4, 3/4; ||w0|| = sqrt(2), ||2 w1|| = 2 sqrt(2)
    assert drift == pytest.approx(0.25 * np.sqrt(2) + 0.75 * 2 * np.sqrt(2))
    assert local == pytest.approx(0.25 * 1.0 + 0.75 * 0.0)
    assert np.array_equal(W_clients[0], w0)  # not mutated


def test_run_noniid_has_the_same_numbers_as_iterate():
    res = run_noniid(SMALL)
    ref = run_history(SMALL, iterate(SMALL))
    np.testing.assert_array_equal(res.history.test_accuracy, ref.test_accuracy)
    np.testing.assert_array_equal(res.history.train_loss, ref.train_loss)
    np.testing.assert_array_equal(res.history.final_weights, ref.final_weights)
    assert np.all(np.isfinite(res.drift)) and np.all(res.drift > 0)
    assert np.all((res.local_accuracy >= 0) & (res.local_accuracy <= 1))
    fed = Federation(SMALL)
    np.testing.assert_array_equal(res.counts, label_histogram(fed.data.y_train, fed.parts, 10))


def test_drift_matches_a_manual_round():
    fed = Federation(SMALL)
    rec, w1, (drift, local) = next(iterate_with_drift(SMALL))
    sel = fed.strategy.sample_clients(SMALL.num_clients, fed.sample_rng)
    W = fed.train(fed.model.init(), sel)
    np.testing.assert_array_equal(rec.participants, sel)
    p = fed.counts[sel] / fed.counts[sel].sum()
    assert drift == pytest.approx(p @ np.linalg.norm(W - fed.model.init(), axis=1), rel=1e-12)
    np.testing.assert_allclose(w1, p @ W, rtol=1e-12)


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
                np.mean([r.local_accuracy.mean() for r in runs]))

    (acc_100, loc_100), (acc_01, loc_01), (acc_001, loc_001) = map(mean_acc, (100, 0.1, 0.01))
    assert acc_100 > acc_01 + 0.02 > acc_001 + 0.04
    assert loc_100 > loc_01 + 0.05 > loc_001 + 0.05  # local models specialise


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
    lines = d.plot.acc_lines if which == "acc" else d.plot.local_lines
    return np.asarray(lines[key].get_ydata(), dtype=float)


def test_initial_run_shows_skewed_and_iid(dash):
    assert dash.runs == 1 and dash.level == "info", dash.message
    ref = run_noniid(F32)
    iid = run_noniid(F32.replace(partition="iid"))
    np.testing.assert_array_equal(line(dash, "skewed"), ref.history.test_accuracy)
    np.testing.assert_array_equal(line(dash, "iid"), iid.history.test_accuracy)
    np.testing.assert_array_equal(line(dash, "skewed", "local"), ref.local_accuracy)
    np.testing.assert_array_equal(dash.plot.histogram_heights(), ref.counts)
    assert "mean test accuracy" in dash.message and "α=0.05" in dash.message


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
    assert "1 shard(s)/client" in dash.message


def test_rounds_slider_resizes_curves(dash):
    dash.controls["rounds"].value = 5
    np.testing.assert_array_equal(dash.plot.acc_lines["skewed"].get_xdata(), np.arange(1, 6))
    assert np.all(np.isfinite(line(dash, "skewed"))) and np.all(np.isfinite(line(dash, "iid")))


def test_curves_update_round_by_round(dash):
    seen = []
    orig = dash.plot.update

    def spy(key, acc, local):
        orig(key, acc, local)
        seen.append((key, int(np.isfinite(line(dash, key)).sum())))

    dash.plot.update = spy
    dash.controls["seed"].value = 1  # new seed: both runs recompute
    assert seen[:3] == [("iid", 1), ("iid", 2), ("iid", 3)]
    assert ("skewed", 1) in seen and ("skewed", 2) in seen
    assert dash.progress.value == dash.progress.max == 6


def test_bad_setting_shows_message_not_traceback(dash):
    runs = dash.runs
    dash.set_values(partition="shards", shards_per_client=10, num_clients=200)
    assert dash.level == "error" and dash.runs == runs
    assert "shards_per_client * num_clients" in dash.message
    assert "Setting not allowed" in dash.status.value
    dash.controls["alpha"].value = 1e-5  # the slider clamps to its minimum 0.01
    assert dash.controls["alpha"].value == pytest.approx(0.01)


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
