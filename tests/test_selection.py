"""Source selection: LogME against the direct Gaussian evidence, Spearman against scipy,
ranking on the shipped example, alpha/beta by validation."""

import numpy as np
import pytest
from scipy import optimize, stats

from fedlearn_edu.core.models import Model
from fedlearn_edu.transfer.joint import joint_closed_form
from fedlearn_edu.transfer.mlp import MLP
from fedlearn_edu.transfer.scenarios import (
    digits_scenario,
    mirror_digits,
    source_candidates,
    target_task,
)
from fedlearn_edu.transfer.selection import (
    choose_alpha_beta,
    logme,
    logme_evidence,
    logme_fit,
    rank_sources,
    spearman,
)


def _direct_evidence(F, t, alpha, beta):
    """log N(t | 0, F F^T / alpha + I / beta), straight from the definition."""
    C = F @ F.T / alpha + np.eye(len(t)) / beta
    return stats.multivariate_normal(mean=np.zeros(len(t)), cov=C).logpdf(t)


@pytest.mark.parametrize("n, D", [(30, 5), (8, 12)])  # more examples than features, and fewer
def test_logme_evidence_equals_direct_gaussian_marginal_likelihood(n, D):
    rng = np.random.default_rng(n)
    F = rng.normal(size=(n, D))
    t = F @ rng.normal(size=D) + 0.5 * rng.normal(size=n)
    for alpha, beta in [(1.0, 1.0), (0.3, 4.0), (7.0, 0.2)]:
        assert logme_evidence(F, t, alpha, beta) == pytest.approx(
            _direct_evidence(F, t, alpha, beta), rel=1e-10, abs=1e-9)


def test_logme_fixed_point_maximises_the_evidence():
    rng = np.random.default_rng(0)
    F = rng.normal(size=(40, 6))
    t = (F[:, 0] + 0.3 * rng.normal(size=40) > 0).astype(float)
    ev, a, b = logme_fit(F, t, max_iter=1000, tol=1e-12)
    res = optimize.minimize(lambda z: -_direct_evidence(F, t, np.exp(z[0]), np.exp(z[1])),
                            x0=[0.0, 0.0], method="Nelder-Mead",
                            options=dict(xatol=1e-10, fatol=1e-12, maxiter=5000))
    assert ev == pytest.approx(-res.fun, abs=1e-6)
    np.testing.assert_allclose([np.log(a), np.log(b)], res.x, atol=1e-3)


def test_logme_prefers_informative_features_and_validates():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 90)
    good = np.eye(3)[y] + 0.1 * rng.normal(size=(90, 3))
    noise = rng.normal(size=(90, 3))
    assert logme(good, y) > logme(noise, y) + 0.5
    with pytest.raises(ValueError, match="F must be"):
        logme(good[:, 0], y)
    with pytest.raises(ValueError, match="n_classes"):
        logme(good, y, n_classes=1)


@pytest.mark.parametrize("seed", range(4))
def test_spearman_matches_scipy_including_ties(seed):
    rng = np.random.default_rng(seed)
    a, b = rng.integers(0, 4, 12).astype(float), rng.normal(size=12)
    assert spearman(a, b) == pytest.approx(stats.spearmanr(a, b).statistic, abs=1e-12)
    assert spearman(b, b) == pytest.approx(1.0)
    assert spearman(b, -b) == pytest.approx(-1.0)


def test_spearman_bad_inputs():
    with pytest.raises(ValueError, match="equal length"):
        spearman([1, 2, 3], [1, 2])


def test_ranking_on_the_shipped_example():
    Xs, ys, _ = digits_scenario(10, 0.1, seed=0)
    train, val, test = target_task(30, 60, seed=0)
    rows = rank_sources(MLP(64, 32, 10), source_candidates(Xs, ys), train, val, test)
    by = {r["name"]: r for r in rows}
    assert rows[0]["name"] == "same task" and by["same task"]["rank_gain"] == 1
    g = lambda k: [r[k] for r in rows]  # noqa: E731
    assert spearman(g("probe"), g("gain")) >= 0.8
    # negative transfer (负迁移) is measured: a source with wrong labels hurts fine-tuning ...
    assert by["relabelled c->c+1"]["gain"] < 0 and by["random labels"]["gain"] < 0
    # ... while its frozen features are fine, which is what LogME sees
    assert by["relabelled c->c+1"]["gain_fx"] > 0.1
    assert spearman(g("logme"), g("gain_fx")) >= 0.8


def test_mirror_digits_is_a_left_right_flip():
    X = np.arange(64.0)[None, :]
    np.testing.assert_array_equal(mirror_digits(X)[0, :8], np.arange(8.0)[::-1])
    np.testing.assert_array_equal(mirror_digits(mirror_digits(X)), X)


def test_choose_alpha_beta_linear_matches_closed_form_search():
    rng = np.random.default_rng(0)
    w = np.array([1.0, -1.0])
    Xs, Xt, Xv = rng.normal(size=(100, 2)), rng.normal(size=(6, 2)), rng.normal(size=(200, 2))
    src = (Xs, Xs @ (w + 0.2))
    tr = (Xt, Xt @ w + rng.normal(size=6))
    va = (Xv, Xv @ w)
    m = Model("linear", 2)
    grid = (0.0, 0.2, 0.5, 0.8)
    out = choose_alpha_beta(m, src, tr, va, grid=grid, steps=2000, lr=0.2, solver="gd")
    exact = choose_alpha_beta(m, src, tr, va, grid=grid)  # auto: closed form for linear
    np.testing.assert_allclose(exact["val_loss"], out["val_loss"], rtol=1e-6)
    ref = [m.loss(joint_closed_form(src, tr, a, 1 - a), *va) for a in grid]
    np.testing.assert_allclose(out["val_loss"], ref, rtol=1e-6)
    assert out["alpha"] == grid[int(np.argmin(ref))] and out["alpha"] > 0
    anti = (Xs, -Xs @ w)  # an anti-related source: any weight on it hurts a clean target
    clean = (Xt, Xt @ w + 0.1 * rng.normal(size=6))
    assert choose_alpha_beta(m, anti, clean, va, grid=grid, steps=500, lr=0.2)["alpha"] == 0.0
    with pytest.raises(ValueError, match="grid"):
        choose_alpha_beta(m, src, tr, va, grid=(0.5, 1.0))
    with pytest.raises(ValueError, match="solver"):
        choose_alpha_beta(m, src, tr, va, solver="newton")
    with pytest.raises(ValueError, match="closed_form"):
        choose_alpha_beta(Model("softmax", 2, 2), src, tr, va, solver="closed_form")
