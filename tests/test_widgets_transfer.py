"""Notebook 03 without a browser: transfer helpers and the alpha/beta dashboard."""

import numpy as np
import pytest

from fedlearn_edu import article
from fedlearn_edu.transfer.joint import joint_closed_form, joint_loss, joint_train
from fedlearn_edu.transfer.tasks import (
    article_tasks,
    compare_methods,
    gd_curve,
    lipschitz_lr,
    slice_landscape,
)
from fedlearn_edu.widgets.transfer import TransferDashboard


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


# ---- engine side ------------------------------------------------------------------------
def test_article_tasks_truths_and_shapes():
    t = article_tasks(7, "related", seed=3)
    assert t.source[0].shape == (100, 10) and t.target[0].shape == (7, 10)
    np.testing.assert_array_equal(t.w_source, article.true_weights())
    np.testing.assert_array_equal(t.w_target, article.target_weights())
    np.testing.assert_array_equal(t.target[0], t.pool[0][:7])  # nested target samples
    # labels follow the truths up to the article's noise (0.1)
    assert np.std(t.source[1] - t.source[0] @ t.w_source) < 0.15
    assert np.std(t.test[1] - t.test[0] @ t.w_target) < 0.15
    np.testing.assert_array_equal(article_tasks(7, "opposite").w_source, -t.w_target)
    u = article_tasks(7, "unrelated").w_source
    assert abs(np.corrcoef(u, t.w_target)[0, 1]) < 0.7
    a, b = article_tasks(7, seed=3), article_tasks(7, seed=3)
    np.testing.assert_array_equal(a.source[1], b.source[1])  # same seed, same data


def test_article_tasks_bad_input():
    with pytest.raises(ValueError, match="relation must be one of"):
        article_tasks(5, "cousin")
    with pytest.raises(ValueError, match="n_target must be an integer in"):
        article_tasks(500)
    with pytest.raises(TypeError, match="seed must be an integer"):
        article_tasks(5, seed=1.5)


def test_lipschitz_lr_is_one_over_the_largest_curvature():
    t = article_tasks(20)
    lr = lipschitz_lr(t.source, t.target, 2.0, 0.5)
    # finite-difference Hessian of the joint loss (quadratic, so exact up to rounding)
    m, p = t.model, t.model.num_params
    w0 = np.zeros(p)
    g0 = 2.0 * m.grad(w0, *t.source) + 0.5 * m.grad(w0, *t.target)
    H = np.stack(
        [(2.0 * m.grad(e, *t.source) + 0.5 * m.grad(e, *t.target)) - g0 for e in np.eye(p)]
    )
    assert 1 / lr == pytest.approx(np.linalg.eigvalsh((H + H.T) / 2)[-1], rel=1e-8)
    with pytest.raises(ValueError, match="alpha \\+ beta must be > 0"):
        lipschitz_lr(t.source, t.target, 0.0, 0.0)


def test_gd_curve_equals_joint_train_and_reaches_closed_form():
    t = article_tasks(20)
    lr = lipschitz_lr(t.source, t.target, 1.0, 1.0)
    errors, path = gd_curve(t.model, t.source, t.target, 1.0, 1.0, test=t.test, steps=50)
    w50, _ = joint_train(t.model, t.source, t.target, 1.0, 1.0, lr=lr, steps=50)
    np.testing.assert_allclose(path[-1], w50, rtol=0, atol=1e-13)
    assert errors.shape == (51,) and errors[0] == pytest.approx(t.model.loss(path[0], *t.test))
    w, _ = joint_train(t.model, t.source, t.target, 1.0, 1.0, lr=lr, steps=5000)
    np.testing.assert_allclose(w, joint_closed_form(t.source, t.target, 1.0, 1.0), atol=1e-9)


def test_slice_landscape_matches_joint_loss_and_is_minimal_at_the_minimiser():
    t = article_tasks(8)
    a, b = 0.7, 2.0
    c = joint_closed_form(t.source, t.target, a, b)
    xs, ys = np.linspace(c[0] - 1, c[0] + 1, 41), np.linspace(c[1] - 1, c[1] + 1, 41)
    J = slice_landscape(t.source, t.target, a, b, c, xs, ys)
    for ix, iy in ((0, 0), (5, 33), (20, 20), (40, 7)):
        w = c.copy()
        w[0], w[1] = xs[ix], ys[iy]
        assert J[iy, ix] == pytest.approx(
            joint_loss(t.model, w, t.source, t.target, a, b), rel=1e-12
        )
    iy, ix = np.unravel_index(np.argmin(J), J.shape)
    assert (ix, iy) == (20, 20)  # the grid centre is the closed-form minimiser
    assert J.min() == pytest.approx(joint_loss(t.model, c, t.source, t.target, a, b))


def test_transfer_beats_scratch_with_few_target_examples_and_not_when_unrelated():
    for s in (0, 1, 2):
        rel = compare_methods(article_tasks(5, "related", s), 1.0, 1.0, 200)["errors"]
        assert rel["finetune"] < 0.3 * rel["scratch"] and rel["joint"] < 0.5 * rel["scratch"]
        for relation in ("unrelated", "opposite"):
            bad = compare_methods(article_tasks(5, relation, s), 1.0, 1.0, 200)["errors"]
            assert bad["joint"] > 1.5 * bad["scratch"]  # negative transfer
            if relation == "opposite":  # (from an unrelated start, fine-tuning is a coin flip)
                assert bad["finetune"] > 1.5 * bad["scratch"]


def test_compare_methods_does_not_mutate_and_curves_match():
    t = article_tasks(10)
    Xs = t.source[0].copy()
    r = compare_methods(t, 1.0, 2.0, 30, curves=True)
    np.testing.assert_array_equal(Xs, t.source[0])
    for m in ("scratch", "finetune", "joint"):
        assert r["curves"][m][-1] == pytest.approx(r["errors"][m], rel=1e-12)
    # fine-tuning starts at the source optimum
    np.testing.assert_allclose(
        r["paths"]["finetune"][0], joint_closed_form(t.source, t.target, 1.0, 0.0)
    )


# ---- dashboard ------------------------------------------------------------------------
@pytest.fixture(scope="module")
def dash():
    import matplotlib.pyplot as plt

    d = TransferDashboard(background=False)
    d.set_values(steps=60)  # cheaper runs
    yield d
    plt.close(d.fig)


def test_initial_state_and_lines(dash):
    dash.reset()
    dash.set_values(steps=60)
    assert dash.level == "info" and "transfer helps" in dash.message, dash.message
    r = dash.result
    np.testing.assert_allclose(dash.plot.step_lines["joint"].get_ydata(), r["curves"]["joint"])
    np.testing.assert_array_equal(dash.plot.n_lines["scratch"].get_xdata(), dash.NS)
    star = dash.plot.markers["closed_form"].get_xydata()[0]
    np.testing.assert_allclose(star, r["closed_form"][:2])


def test_alpha_beta_move_the_minimiser(dash):
    dash.set_values(alpha=1.0, beta=1.0, relation="related", n_target=5, steps=60)
    star_before = dash.plot.markers["closed_form"].get_xydata()[0].copy()
    image_before = np.array(dash.plot.image.get_array()).copy()
    dash.set_values(alpha=0.05, beta=5.0)  # almost only the target loss
    t = dash.result["tasks"]
    star = dash.plot.markers["closed_form"].get_xydata()[0]
    np.testing.assert_allclose(star, joint_closed_form(t.source, t.target, 0.05, 5.0)[:2])
    assert np.linalg.norm(star - star_before) > 0.01
    assert not np.array_equal(np.array(dash.plot.image.get_array()), image_before)
    # the minimiser moves towards the target-only solution as beta/alpha grows
    w_t = joint_closed_form(t.source, t.target, 0.0, 1.0)[:2]
    assert np.linalg.norm(star - w_t) < np.linalg.norm(star_before - w_t)


def test_n_target_and_relation_change_curves(dash):
    dash.set_values(alpha=1.0, beta=1.0, relation="related", n_target=5, steps=60)
    scratch_5 = dash.result["errors"]["scratch"]
    dash.controls["n_target"].value = 100
    assert dash.result["errors"]["scratch"] < 0.2 * scratch_5  # more target data helps
    assert dash.plot.n_marker.get_xdata()[0] == 100
    dash.set_values(n_target=5, relation="opposite")
    assert "negative transfer" in dash.message
    e = dash.result["errors"]
    assert e["joint"] > e["scratch"] and e["finetune"] > e["scratch"]


def test_bad_setting_shows_message(dash):
    runs = dash.runs
    dash.set_values(alpha=0.0, beta=0.0)
    assert dash.level == "error" and dash.runs == runs
    assert "alpha + beta must be > 0" in dash.message
    assert "Setting not allowed" in dash.status.value
    dash.controls["beta"].value = 1.0  # a valid setting recovers
    assert dash.level == "info" and dash.runs == runs + 1


def test_reset_restores_defaults(dash):
    dash.set_values(alpha=3.0, relation="unrelated", seed=4)
    dash.reset()
    assert dash.values() == dash.defaults
    assert dash.result["tasks"].relation == "related"


def test_verdict_needs_a_clear_margin():
    from fedlearn_edu.widgets.transfer import MARGIN, VERDICTS, verdict

    assert verdict({"scratch": 1.0, "finetune": 0.5, "joint": 2.0}) == "helps"
    assert verdict({"scratch": 1.0, "finetune": 1.2, "joint": 3.0}) == "hurts"
    # fine-tuning from an opposite source with enough target data ends where scratch ends:
    # that is no gain, not "transfer helps"
    assert verdict({"scratch": 1.0, "finetune": 1 - MARGIN / 2, "joint": 3.0}) == "even"
    assert verdict({"scratch": 1.0, "finetune": 1 + MARGIN / 2, "joint": 3.0}) == "even"
    assert set(VERDICTS) == {"helps", "hurts", "even"}


def test_message_verdict_follows_the_errors(dash):
    from fedlearn_edu.widgets.transfer import VERDICTS, verdict

    for relation, n in (("related", 5), ("opposite", 5), ("opposite", 200)):
        dash.set_values(relation=relation, n_target=n, steps=60)
        e = dash.result["errors"]
        assert dash.result["verdict"] == verdict(e)
        assert dash.message.endswith(VERDICTS[verdict(e)])
        assert f"target examples: {n}, source: {relation}" in dash.message
    dash.reset()


def test_default_result_is_kept_while_the_sliders_move():
    import matplotlib.pyplot as plt

    d = TransferDashboard(background=False)
    kept = d.default_result
    assert kept is d.result and kept["verdict"] == "helps"
    ref = compare_methods(article_tasks(5, "related", 0), 1.0, 1.0, 200)  # the same run, alone
    assert kept["errors"] == pytest.approx(ref["errors"], rel=1e-12)
    d.set_values(relation="opposite")
    assert d.default_result is kept and d.result["verdict"] == "hurts"
    plt.close(d.fig)


def test_the_largest_settings_run_in_a_few_seconds(dash):
    import time

    start = time.perf_counter()
    dash.set_values(**dash.extreme_values("max"))
    elapsed = time.perf_counter() - start
    assert dash.level == "info" and dash.values()["steps"] == TransferDashboard.MAX_STEPS
    assert elapsed < 20, elapsed  # ~2.5 s alone; generous for a busy CI machine
    dash.reset()
