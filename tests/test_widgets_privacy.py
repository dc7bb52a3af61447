"""Notebook 06 dashboards without a browser: set slider values, check data and messages."""

import numpy as np
import pytest

from fedlearn_edu import FedConfig, simulate
from fedlearn_edu.privacy.accountant import epsilon
from fedlearn_edu.privacy.config import AttackConfig, DPConfig
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
    dash.controls["dropout"].value = 0.5  # 5 uploads < t = 6
    assert dash.level == "error" and "threshold" in dash.message
    dash.controls["threshold"].value = 25
    assert dash.level == "error" and "threshold t must be <= clients n" in dash.message
