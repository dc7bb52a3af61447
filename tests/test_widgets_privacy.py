"""Notebook 06 dashboards without a browser: set slider values, check data and messages."""

import math

import matplotlib
import numpy as np
import pytest

from fedlearn_edu import FedConfig, Federation, simulate
from fedlearn_edu.plots.base import MAX_FIGURE_WIDTH_IN
from fedlearn_edu.privacy.accountant import epsilon
from fedlearn_edu.privacy.config import AttackConfig, DPConfig
from fedlearn_edu.privacy.dp import average_noise_std, measured_noise_std
from fedlearn_edu.privacy.secagg import SecAggError, secure_sum
from fedlearn_edu.widgets.privacy import AttackDashboard, DPDashboard, SecAggDashboard

DP_BASE = FedConfig(
    dtype="float32",  # the dashboards' default
    num_clients=50,
    local_epochs=1,
    rounds=5,
    client_fraction=0.2,
    dp=DPConfig(noise_multiplier=1.0, clip_norm=0.3),
)
ATTACK_BASE = FedConfig(
    dtype="float32",
    rounds=4,
    local_epochs=1,
    aggregator="median",
    attack=AttackConfig(kind="sign_flip", fraction=0.3),
)


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def ydata(plot, name):
    return np.asarray(plot.lines[name].get_ydata(), dtype=float)


def test_dp_dashboard_curves_match_engine_and_accountant():
    dash = DPDashboard(DP_BASE, background=False)
    ref = simulate(DP_BASE)
    np.testing.assert_array_equal(dash.result.test_accuracy, ref.test_accuracy)
    np.testing.assert_array_equal(ydata(dash.plot, "accuracy"), ref.test_accuracy)
    np.testing.assert_allclose(
        ydata(dash.plot, "epsilon"), [epsilon(0.2, 1.0, r, 1e-5) for r in range(1, 6)], rtol=1e-12
    )
    assert "ε =" in dash.message and dash.level == "info"


def test_dp_dashboard_sliders_change_the_data():
    dash = DPDashboard(DP_BASE, background=False)
    eps_before = ydata(dash.plot, "epsilon").copy()
    dash.controls["dp_noise_multiplier"].value = 2.0
    assert dash.runs == 2 and dash.result.config.dp.noise_multiplier == 2.0
    assert np.all(ydata(dash.plot, "epsilon") < eps_before)  # more noise, less epsilon
    dash.controls["rounds"].value = 8
    assert len(ydata(dash.plot, "epsilon")) == 8 and dash.result.completed == 8
    dash.controls["dp_noise_multiplier"].value = 0.0
    assert dash.level == "warning" and "no privacy" in dash.message
    dash.reset()
    assert dash.values() == dash.defaults


def test_attack_dashboard_collapse_and_defence():
    dash = AttackDashboard(ATTACK_BASE, background=False)
    assert dash.result["config"].aggregator_f == 3  # the defence knows there are 3 attackers
    median_acc = dash.result["accuracy"][-1]
    dash.controls["aggregator"].value = "mean"
    assert dash.result["accuracy"][-1] < median_acc - 0.3  # plain mean collapses
    np.testing.assert_array_equal(ydata(dash.plot, "accuracy"), dash.result["accuracy"])
    clean = ydata(dash.plot, "reference")
    assert np.all(np.isfinite(clean)) and clean[-1] > 0.85


def test_attack_dashboard_backdoor_curve():
    dash = AttackDashboard(ATTACK_BASE.replace(rounds=8), background=False)
    dash.set_values(attack="backdoor", aggregator="mean")
    assert dash.result["backdoor"][-1] > 0.5
    np.testing.assert_array_equal(ydata(dash.plot, "backdoor"), dash.result["backdoor"])


def test_attack_dashboard_invalid_setting_shows_message():
    dash = AttackDashboard(ATTACK_BASE, background=False)
    runs = dash.runs
    dash.set_values(aggregator="krum", attacker_fraction=0.4)  # 10 <= 2*4 + 2
    assert dash.level == "error" and "2*aggregator_f + 2" in dash.message
    assert dash.runs == runs  # nothing ran


def test_secagg_dashboard_exact_and_failure():
    dash = SecAggDashboard(background=False)
    assert dash.result["exact"] and dash.level == "info"
    assert len(dash.result["dropped"]) == 2
    secure_line = dash.plot.secure.get_ydata()
    np.testing.assert_array_equal(secure_line, dash.result["secagg"].total[:40])
    dash.controls["dropout"].value = 0.4  # 6 uploads = t: still recoverable
    assert dash.result["exact"] and len(dash.result["dropped"]) == 4
    dash.controls["dropout"].value = 0.5  # 5 uploads < t = 6: the protocol refuses, visibly
    assert dash.level == "warning" and "threshold" in dash.message and dash.result is None
    assert "5 of 10 clients dropped" in dash.message
    dash.controls["threshold"].value = 25
    assert dash.level == "error" and "threshold t must be <= clients n" in dash.message


def test_noise_on_the_average_falls_like_one_over_n():
    """sigma S / (q sum_k c_k): against the closed form sigma S max(n) / (q sum n) computed
    here from the clients' sizes, the engine's measured DP step, and 1/N between runs."""
    dash = DPDashboard(DP_BASE, background=False)
    noise = {}
    for n in (50, 200):
        dash.set_values(num_clients=n)
        counts = Federation(DP_BASE.replace(num_clients=n)).counts
        closed = 1.0 * 0.3 * counts.max() / (0.2 * counts.sum())  # sigma S / (q sum c_k)
        assert dash.noise["closed_form"] == pytest.approx(closed, rel=1e-12)
        assert dash.noise["measured"] == pytest.approx(closed, rel=0.05)  # 8 x 650 draws
        np.testing.assert_allclose(dash.plot.noise_curve.get_ydata(),
                                   1.0 * 0.3 / (0.2 * dash.plot.clients))
        assert dash.plot.noise_marks["measured"].get_ydata()[0] == dash.noise["measured"]
        noise[n] = closed
    # 4x the clients: a quarter of the noise (up to the sizes' rounding, max n / mean n)
    assert 4 / 1.15 < noise[50] / noise[200] < 4 * 1.15


def test_measured_noise_matches_closed_form_with_many_draws():
    c = np.array([1.0, 0.5, 0.5, 1.0])
    closed = average_noise_std(2.0, 0.7, 0.25, c)
    assert closed == pytest.approx(2.0 * 0.7 / (0.25 * 3.0))
    rng = np.random.default_rng(0)
    assert measured_noise_std(2.0, 0.7, 0.25, c, 1000, rng, draws=40) == pytest.approx(
        closed, rel=0.02)  # 40 000 Gaussian draws: the std is known to ~0.4 %
    assert measured_noise_std(0.0, 0.7, 0.25, c, 10, rng) == 0.0


@pytest.mark.parametrize("sigma, tier", [(3.0, "strong privacy"), (1.0, "common in deployments")])
def test_epsilon_message_says_what_it_means(sigma, tier):
    base = DP_BASE.replace(dp=DP_BASE.dp.replace(noise_multiplier=sigma))
    dash = DPDashboard(base, background=False)
    eps = epsilon(0.2, sigma, 5, 1e-5)
    tpr = min(1.0, math.exp(eps) * 0.05 + 1e-5)  # hypothesis-testing bound at FPR 5 %
    assert tier in dash.message and f"{tpr:.0%}" in dash.message, dash.message
    assert f"ε = {eps:.2f}" in dash.message and "after round 5" in dash.message


def test_weak_epsilon_and_one_round_message():
    base = DP_BASE.replace(rounds=1, client_fraction=1.0,
                           dp=DP_BASE.dp.replace(noise_multiplier=0.3))
    dash = DPDashboard(base, background=False)
    assert epsilon(1.0, 0.3, 1, 1e-5) > 10
    assert "weak privacy" in dash.message and "after round 1:" in dash.message


def test_default_result_survives_moved_sliders():
    dash = DPDashboard(DP_BASE, background=False)
    default = dash.default_result
    dash.set_values(dp_noise_multiplier=2.5, rounds=3)
    assert dash.default_result is default
    np.testing.assert_array_equal(default.test_accuracy, simulate(DP_BASE).test_accuracy)
    # moved before the first run: the default is computed on demand, without drawing
    late = DPDashboard(DP_BASE, background=False, autostart=False)
    late.set_values(dp_noise_multiplier=2.5)
    np.testing.assert_array_equal(late.default_result.test_accuracy, default.test_accuracy)
    atk = AttackDashboard(ATTACK_BASE, background=False)
    first = atk.default_result["accuracy"].copy()
    atk.set_values(aggregator="mean")
    np.testing.assert_array_equal(atk.default_result["accuracy"], first)
    sa = SecAggDashboard(background=False)
    sa.set_values(dropout=0.5)
    assert sa.result is None and sa.default_result["exact"]


def test_secagg_traffic_is_compared_like_with_like():
    dash = SecAggDashboard(background=False)
    res, p = dash.result["secagg"], len(dash.result["secagg"].total)
    assert res.clear_bytes_up == 8 * p * 4  # 8 uploaders, 32-bit fixed point, in the clear
    vec = [r.get_height() * 1024 for r in dash.plot.vectors]
    extra = [r.get_height() * 1024 for r in dash.plot.extra]
    assert vec[0] == vec[1] == res.clear_bytes_up  # masking adds no byte to a vector
    assert extra[1] == res.bytes_up - res.clear_bytes_up > 0  # keys and shares: the cost
    assert extra[2] == res.bytes_down
    assert res.overhead == pytest.approx((res.bytes_up + res.bytes_down) / res.clear_bytes_up)


def test_secagg_messages_count_correctly():
    X = np.zeros((3, 2))
    with pytest.raises(SecAggError, match=r"only 1 of the n=3 clients") as err:
        secure_sum(X, 2, drop_before_upload=[0, 2])
    assert "1 masked inputs" not in str(err.value) and "1 clients" not in str(err.value)
    with pytest.raises(SecAggError, match=r"only 1 of the n=3 clients \(rows of X\) answered"):
        secure_sum(X, 2, drop_before_unmask=[0, 2])
    atk = AttackDashboard(ATTACK_BASE.replace(rounds=2), background=False)
    atk.set_values(attacker_fraction=0.1)
    assert "attackers: 1 of 10 clients" in atk.message


@pytest.mark.parametrize("cls, base", [(DPDashboard, DP_BASE), (AttackDashboard, ATTACK_BASE)])
def test_round_axes_labels_are_not_clipped(cls, base):
    dash = cls(base, background=False)
    fig = dash.fig
    assert fig.get_size_inches()[0] <= MAX_FIGURE_WIDTH_IN
    fig.canvas.draw()
    box = fig.bbox
    for ax in fig.axes:
        for label in (ax.xaxis.label, ax.yaxis.label, ax.title):
            ext = label.get_window_extent()
            assert box.x0 <= ext.x0 and ext.x1 <= box.x1 and box.y0 <= ext.y0 <= ext.y1 <= box.y1, \
                (label.get_text(), ext, box)
    assert isinstance(fig.get_layout_engine(), matplotlib.layout_engine.ConstrainedLayoutEngine)


def test_engine_messages_do_not_say_1_clients_or_1_shares():
    from fedlearn_edu.privacy.dp import dp_fedavg_aggregate
    from fedlearn_edu.privacy.shamir import shamir_reconstruct

    with pytest.raises(ValueError, match=r"weights must be numbers in \[0, 1\], one per row of "
                                         r"client_models \(m = 1\)"):
        dp_fedavg_aggregate(np.zeros(2), np.zeros((1, 2)), np.array([2.0]), clip_norm=1.0,
                            noise_multiplier=0.0, expected_weight=1.0)
    with pytest.raises(SecAggError, match=r"need at least t=3 distinct shares to reconstruct, "
                                          r"got 1 of them"):
        shamir_reconstruct([(1, 5)], 3)
