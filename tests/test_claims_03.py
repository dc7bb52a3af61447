"""Notebook 03's "Things to try" bullets, each set on the dashboard and checked (claims.py)."""

import numpy as np
import pytest
from claims import claim

from fedlearn_edu.transfer.joint import joint_closed_form
from fedlearn_edu.widgets.transfer import TransferDashboard


@pytest.fixture(scope="module")
def dash():
    import matplotlib.pyplot as plt
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        d = TransferDashboard(background=False)
        yield d
    plt.close(d.fig)


@pytest.fixture(autouse=True)
def fresh(dash):
    dash.reset()
    yield
    dash.reset()


@claim("03", "move β from 0 to 5 with α = 1")
def test_beta_moves_the_star_off_the_source_optimum_and_lowers_the_error(dash):
    dash.set_values(alpha=1.0, beta=0.0)
    r = dash.result
    np.testing.assert_allclose(r["closed_form"], r["w_source"], atol=1e-10)  # β = 0: source only
    np.testing.assert_allclose(dash.plot.markers["closed_form"].get_xydata()[0],
                               dash.plot.markers["source"].get_xydata()[0], atol=1e-10)
    errors, dist = [], []
    for beta in (0.0, 0.5, 1.0, 2.0, 5.0):
        dash.set_values(beta=beta)
        errors.append(dash.result["closed_form_error"])
        dist.append(np.linalg.norm(dash.result["closed_form"] - r["w_source"]))
        assert f"(closed form {errors[-1]:.3g})" in dash.message
    assert np.all(np.diff(errors) < 0), errors  # the error falls at every step of β ...
    assert errors[-1] < 0.7 * errors[0]
    assert np.all(np.diff(dist) > 0), dist  # ... while the star moves away from ▲


@claim("03", "target examples 5 → 200")
def test_scratch_catches_up_with_and_passes_the_joint_objective(dash):
    dash.set_values(n_target=5)
    few = dash.result["errors"]
    dash.set_values(n_target=200)
    many = dash.result["errors"]
    assert few["scratch"] > 3 * few["joint"]  # 5 examples: scratch far behind
    assert many["scratch"] < many["joint"]  # 200 examples: scratch ahead
    assert many["scratch"] < 0.1 * few["scratch"]


@claim("03", "source task = opposite")
def test_opposite_source_is_negative_transfer_at_every_seed(dash):
    for seed in (0, 3, 6, 9):
        dash.set_values(relation="opposite", seed=seed)
        e = dash.result["errors"]
        assert "negative transfer" in dash.message, dash.message
        assert e["finetune"] > e["scratch"] and e["joint"] > e["scratch"]


@claim("03", "source task = unrelated")
def test_unrelated_source_hurts_the_joint_objective_and_fine_tuning_is_a_coin_flip(dash):
    verdicts = set()
    for seed in range(10):
        dash.set_values(relation="unrelated", seed=seed)
        e = dash.result["errors"]
        assert e["joint"] > 2 * e["scratch"], (seed, e)  # the joint objective always hurts
        verdicts.add(dash.result["verdict"])
    assert {"helps", "hurts"} <= verdicts  # fine-tuning: sometimes better, sometimes worse


@claim("03", "GD steps 10 → 500")
def test_more_steps_bring_the_red_dot_to_the_star_and_fine_tuning_away_from_the_source(dash):
    out = {}
    for steps in (10, 500):
        dash.set_values(steps=steps)
        r = dash.result
        gd = dash.plot.markers["gd"].get_xydata()[0]
        star = dash.plot.markers["closed_form"].get_xydata()[0]
        out[steps] = (np.linalg.norm(gd - star), np.linalg.norm(r["w"]["joint"] - r["closed_form"]),
                      np.linalg.norm(r["w"]["finetune"] - r["w_source"]))
    assert out[500][0] < 0.2 * out[10][0] and out[500][1] < 0.2 * out[10][1]
    assert out[10][2] < out[500][2]  # after 10 steps fine-tuning is still near the source


@claim("03", "set α = β = 0")
def test_zero_weights_are_refused_with_the_reason(dash):
    runs = dash.runs
    dash.set_values(alpha=0.0, beta=0.0)
    assert dash.level == "error" and dash.runs == runs
    assert dash.message.startswith("Setting not allowed")
    assert "alpha + beta must be > 0" in dash.message
    t = dash.result["tasks"]  # the last valid run stays on screen
    np.testing.assert_allclose(dash.result["closed_form"],
                               joint_closed_form(t.source, t.target, 1.0, 1.0))
