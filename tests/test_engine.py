"""The federated engine against independent references."""

import dataclasses

import numpy as np
import pytest

from fedlearn_edu import DivergenceError, FedConfig, simulate
from fedlearn_edu.core.client import ClientStack, local_sgd, pad_clients
from fedlearn_edu.core.data import load_dataset, partition
from fedlearn_edu.core.federation import Federation
from fedlearn_edu.core.models import Model


def test_local_sgd_full_batch_is_gradient_descent():
    d = load_dataset("iris")
    model = Model("softmax", 4, 3)
    w = model.init()
    out = local_sgd(
        model,
        w,
        d.X_train,
        d.y_train,
        epochs=7,
        batch_size=10_000,
        lr=0.3,
        rng=np.random.default_rng(0),
    )
    ref = w.copy()
    for _ in range(7):
        ref = ref - 0.3 * model.grad(ref, d.X_train, d.y_train)
    np.testing.assert_allclose(out, ref, rtol=1e-12, atol=1e-14)
    np.testing.assert_array_equal(w, 0.0)  # input not mutated


def test_local_sgd_proximal_term_pulls_toward_start():
    d = load_dataset("iris")
    model = Model("softmax", 4, 3)
    w = np.full(model.num_params, 0.5)
    far = local_sgd(
        model,
        w,
        d.X_train,
        d.y_train,
        epochs=20,
        batch_size=16,
        lr=0.2,
        rng=np.random.default_rng(0),
    )
    near = local_sgd(
        model,
        w,
        d.X_train,
        d.y_train,
        epochs=20,
        batch_size=16,
        lr=0.2,
        rng=np.random.default_rng(0),
        mu=5.0,
    )
    assert np.linalg.norm(near - w) < 0.5 * np.linalg.norm(far - w)


@pytest.mark.parametrize(
    "kind,dataset,k",
    [("softmax", "wine", 3), ("logistic", "breast_cancer", 2), ("linear", "diabetes", 1)],
)
@pytest.mark.parametrize("mu", [0.0, 0.7])
def test_batched_local_sgd_equals_reference_loop(mu, kind, dataset, k):
    d = load_dataset(dataset)
    model = Model(kind, d.n_features, k, l2=0.01)
    parts = partition(d.y_train, 6, "quantity", alpha=0.5, seed=2)
    Xp, yp, counts = pad_clients(d.X_train, d.y_train, parts)
    W = np.random.default_rng(5).normal(size=(6, model.num_params))
    steps = np.array([100, 1, 3, 0, 100, 2])
    opts = dict(epochs=3, batch_size=8, lr=0.05, mu=mu)
    batched = ClientStack(Xp, yp, counts).local_sgd(
        model,
        W,
        np.arange(len(counts)),
        rngs=[np.random.default_rng(i) for i in range(6)],
        max_steps=steps,
        **opts,
    )
    for i, p in enumerate(parts):
        ref = local_sgd(
            model,
            W[i],
            d.X_train[p],
            d.y_train[p],
            rng=np.random.default_rng(i),
            max_steps=int(steps[i]),
            **opts,
        )
        np.testing.assert_allclose(batched[i], ref, rtol=1e-10, atol=1e-12)


def test_fedsgd_full_batch_all_clients_equals_centralised_gradient_descent():
    cfg = FedConfig(
        dataset="wine",
        strategy="fedsgd",
        num_clients=7,
        rounds=15,
        lr=0.5,
        partition="quantity",
        dirichlet_alpha=0.5,
        l2=0.01,
    )
    hist = simulate(cfg)
    fed = Federation(cfg)
    X, y = fed.data.X_train, fed.data.y_train
    n = np.array([len(p) for p in fed.parts])
    model = fed.model
    w = model.init()
    for _ in range(cfg.rounds):
        # gradient of sum_i (n_i / n) f_i, written out client by client
        g = sum(n_i / n.sum() * model.grad(w, X[p], y[p]) for n_i, p in zip(n, fed.parts))
        w = w - cfg.lr * g
    np.testing.assert_allclose(hist.final_weights, w, rtol=1e-10, atol=1e-10)
    assert hist.train_loss[-1] == pytest.approx(model.loss(w, X, y), rel=1e-10)


def test_fedavg_with_one_client_equals_local_training():
    cfg = FedConfig(dataset="iris", num_clients=1, rounds=4, local_epochs=2, batch_size=16)
    hist = simulate(cfg)
    fed = Federation(cfg)
    rng = fed.client_rngs[0]  # the client's own stream, fresh
    X, y = fed.data.X_train, fed.data.y_train  # one client holds all the data
    w = fed.model.init()
    for _ in range(cfg.rounds):
        w = local_sgd(fed.model, w, X, y, epochs=2, batch_size=16, lr=cfg.lr, rng=rng)
    np.testing.assert_allclose(hist.final_weights, w, rtol=1e-12, atol=1e-13)


@pytest.mark.parametrize(
    "changes",
    [
        {},
        {"partition": "dirichlet", "dirichlet_alpha": 0.1, "client_fraction": 0.3},
        {"partition": "shards", "strategy": "fedsgd", "lr": 0.5},
        {"dataset": "breast_cancer", "model": "logistic", "partition": "quantity"},
        {"dataset": "synthetic", "model": "linear", "lr": 0.01, "l2": 0.1},
    ],
)
def test_batched_engine_equals_loop_engine(changes):
    cfg = FedConfig(rounds=5, **changes)
    a = simulate(cfg)
    b = simulate(cfg.replace(engine="loop"))
    np.testing.assert_allclose(a.final_weights, b.final_weights, rtol=1e-10, atol=1e-12)
    np.testing.assert_allclose(a.test_loss, b.test_loss, rtol=1e-10)
    np.testing.assert_array_equal(a.num_participants, b.num_participants)


def test_fedavg_iid_digits_matches_sklearn_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    hist = simulate(FedConfig())  # digits, 10 clients, 30 rounds, IID
    d = load_dataset("digits")
    ref = LogisticRegression(max_iter=5000).fit(d.X_train, d.y_train).score(d.X_test, d.y_test)
    assert hist.ok and len(hist.test_accuracy) == 30
    assert abs(hist.test_accuracy[-1] - ref) <= 0.015


def test_dirichlet_label_skew_is_measurably_worse_than_iid():
    """On convex softmax regression the final accuracy gap on digits is small, but skewed
    clients drift: the global model's test loss and its accuracy along the way are worse."""

    def stats(**kw):
        hs = [simulate(FedConfig(seed=s, **kw)) for s in range(3)]
        return (
            np.mean([h.test_loss[-1] for h in hs]),
            np.mean([h.test_accuracy.mean() for h in hs]),
        )

    iid_loss, iid_auc = stats(partition="iid")
    skew_loss, skew_auc = stats(partition="dirichlet", dirichlet_alpha=0.1)
    assert skew_loss > 1.05 * iid_loss
    assert skew_auc < iid_auc - 0.005


def test_same_seed_identical_history_different_seed_differs():
    cfg = FedConfig(rounds=5, client_fraction=0.5, partition="dirichlet")
    a, b = simulate(cfg), simulate(cfg)
    for f in ("test_accuracy", "test_loss", "train_loss", "bytes_up"):
        np.testing.assert_array_equal(getattr(a, f), getattr(b, f))
    np.testing.assert_array_equal(a.final_weights, b.final_weights)
    assert all(np.array_equal(p, q) for p, q in zip(a.participants, b.participants))
    c = simulate(cfg.replace(seed=1))
    assert not np.array_equal(a.final_weights, c.final_weights)


def test_client_fraction_samples_that_many_clients():
    hist = simulate(FedConfig(num_clients=20, client_fraction=0.25, rounds=6))
    assert np.all(hist.num_participants == 5)
    assert len({tuple(p) for p in hist.participants}) > 1  # different clients each round


def test_bytes_are_counted_per_participant():
    hist = simulate(FedConfig(dataset="iris", num_clients=4, rounds=2))
    p = (4 + 1) * 3
    np.testing.assert_array_equal(hist.bytes_up, 4 * p * 8)


def test_divergence_is_flagged_not_plotted():
    cfg = FedConfig(dataset="synthetic", model="linear", lr=50.0, rounds=30, local_epochs=1)
    hist = simulate(cfg)
    assert hist.diverged and not hist.ok
    assert "diverged" in hist.message and "lr" in hist.message
    assert hist.completed < 30 and np.all(np.isnan(hist.train_loss[hist.completed :]))
    with pytest.raises(DivergenceError, match="diverged"):
        simulate(cfg, raise_on_divergence=True)


def test_callback_sees_every_round_and_can_stop():
    seen = []

    def cb(rec, hist):
        seen.append((rec.round, rec.test_accuracy, hist.completed))
        return rec.round < 3

    hist = simulate(FedConfig(rounds=10), callback=cb)
    assert [s[0] for s in seen] == [1, 2, 3] and hist.completed == 3
    assert seen[-1][1] == hist.test_accuracy[2]
    assert np.isnan(hist.test_accuracy[3:]).all()


def test_simulate_rejects_non_config():
    with pytest.raises(TypeError, match="FedConfig"):
        simulate({"dataset": "digits"})


def test_config_is_frozen_and_replace_validates():
    cfg = FedConfig()
    with pytest.raises(dataclasses.FrozenInstanceError):
        cfg.num_clients = 3
    with pytest.raises(ValueError, match="num_clients"):
        cfg.replace(num_clients=0)


def test_batched_softmax_survives_huge_logits_like_the_reference():
    # logits of about 1e3 overflow exp() in the fast path; the engine redoes the round with
    # max-shifted logits and must match the (always shifted) reference loop
    d = load_dataset("iris")
    model = Model("softmax", d.n_features, 3)
    parts = partition(d.y_train, 3, "iid", seed=0)
    Xp, yp, counts = pad_clients(d.X_train, d.y_train, parts)
    W = 400.0 * np.random.default_rng(1).normal(size=(3, model.num_params))
    opts = dict(epochs=2, batch_size=16, lr=0.1)
    out = ClientStack(Xp, yp, counts).local_sgd(
        model, W, np.arange(len(counts)), rngs=[np.random.default_rng(i) for i in range(3)], **opts
    )
    assert np.isfinite(out).all()
    for i, p in enumerate(parts):
        ref = local_sgd(
            model, W[i], d.X_train[p], d.y_train[p], rng=np.random.default_rng(i), **opts
        )
        np.testing.assert_allclose(out[i], ref, rtol=1e-10, atol=1e-9)


def test_a_clients_update_does_not_depend_on_who_trains_with_it():
    fed = Federation(FedConfig(num_clients=6, partition="quantity", dirichlet_alpha=0.5))
    w = 0.01 * np.random.default_rng(0).normal(size=fed.num_params)
    W = np.tile(w, (6, 1))
    opts = dict(epochs=2, batch_size=8, lr=0.1)
    together = fed.stack.local_sgd(
        fed.model, W, np.arange(6), **opts, rngs=[np.random.default_rng(i) for i in range(6)]
    )
    for i in range(6):
        alone = fed.stack.local_sgd(
            fed.model, W[i : i + 1], [i], **opts, rngs=[np.random.default_rng(i)]
        )
        np.testing.assert_array_equal(alone[0], together[i])
