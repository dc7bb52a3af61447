"""Personalization: FedAvg = engine, Ditto limits, FedPer with one client, fine-tuning, splits."""

import numpy as np
import pytest

from fedlearn_edu.core.client import local_sgd
from fedlearn_edu.core.config import FedConfig
from fedlearn_edu.core.federation import Federation
from fedlearn_edu.core.loop import iterate
from fedlearn_edu.core.models import Model
from fedlearn_edu.transfer.mlp import MLP
from fedlearn_edu.transfer.personalization import (
    client_accuracy,
    client_streams,
    ditto,
    fedavg,
    fedper,
    finetune_clients,
    local_only,
    personalize,
    pretrained_vs_scratch,
    rounds_to_reach,
    summarize,
)
from fedlearn_edu.transfer.scenarios import (
    ClientData,
    digits_scenario,
    hospital_clients,
    relabel,
    split_clients,
)


def _toy_clients(K=3, n=30, d=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(K * n, d))
    y = (np.argmax(X[:, :k], axis=1) + np.repeat(np.arange(K), n)) % k  # each client differs
    parts = np.split(np.arange(K * n), K)
    return split_clients(X, y, parts, test_fraction=0.3, seed=seed)


# ---------------------------------------------------------------------------- splits
def test_split_clients_is_a_stratified_disjoint_cover():
    rng = np.random.default_rng(1)
    X, y = rng.normal(size=(100, 2)), rng.integers(0, 3, 100)
    parts = [np.arange(0, 40), np.arange(40, 100)]
    clients = split_clients(X, y, parts, test_fraction=0.25, seed=3)
    for c, part in zip(clients, parts, strict=True):
        assert c.n_train + len(c.y_test) == len(part)
        rows = {tuple(r) for r in np.concatenate([c.X_train, c.X_test])}
        assert rows == {tuple(r) for r in X[part]}  # every example exactly once
        for lab in np.unique(y[part]):
            cnt = np.sum(y[part] == lab)
            assert np.sum(c.y_test == lab) == round(0.25 * cnt)
    again = split_clients(X, y, parts, test_fraction=0.25, seed=3)
    np.testing.assert_array_equal(again[1].y_test, clients[1].y_test)


def test_split_clients_bad_inputs():
    X, y = np.zeros((5, 2)), np.zeros(5, int)
    with pytest.raises(ValueError, match="client 1 needs >= 2"):
        split_clients(X, y, [np.arange(4), np.array([4])])
    with pytest.raises(ValueError, match="test_fraction"):
        split_clients(X, y, [np.arange(5)], test_fraction=1.0)
    tiny = split_clients(X, y, [np.arange(2)], test_fraction=0.1)[0]
    assert tiny.n_train == 1 and len(tiny.y_test) == 1


def test_client_streams_do_not_depend_on_the_number_of_clients():
    g3, p3 = client_streams(7, 3)
    g5, p5 = client_streams(7, 5)
    assert g3[2].random() == g5[2].random() and p3[0].random() == p5[0].random()
    assert client_streams(7, 1)[0][0].random() != client_streams(7, 1)[1][0].random()


# ------------------------------------------------------------------------------ FedAvg
def test_fedavg_equals_the_engine_round_loop():
    cfg = FedConfig(dataset="wine", model="softmax", num_clients=4, rounds=3, local_epochs=2,
                    batch_size=8, lr=0.05, partition="dirichlet", dirichlet_alpha=0.5,
                    engine="loop")
    fed = Federation(cfg)
    clients = [ClientData(*fed.client_data(i), fed.data.X_test, fed.data.y_test)
               for i in range(cfg.num_clients)]
    w, curves = fedavg(fed.model, clients, rounds=3, local_epochs=2, batch_size=8, lr=0.05,
                       rngs=fed.client_rngs)
    w_engine = [w_r for _, w_r in iterate(cfg)][-1]
    np.testing.assert_allclose(w, w_engine, atol=1e-12)
    assert curves["mean"].shape == (3,) and np.all(curves["worst"] <= curves["mean"])


def test_fedavg_callback_stops_and_divergence_is_reported():
    clients = _toy_clients()
    m = Model("softmax", 4, 3)
    seen = []
    _, curves = fedavg(m, clients, rounds=5, callback=lambda r, w: seen.append(r) or r < 2)
    assert seen == [1, 2] and np.isnan(curves["mean"][2:]).all()
    big = [ClientData(c.X_train * 1e200, c.y_train, c.X_test, c.y_test) for c in clients]
    with pytest.raises(FloatingPointError, match="lower lr"):
        fedavg(Model("softmax", 4, 3), big, rounds=2, lr=10.0)


# ------------------------------------------------------------------------------- Ditto
def test_ditto_lambda_infinite_gives_the_global_model():
    clients = _toy_clients()
    m = MLP(4, 5, 3)
    w, V = ditto(m, clients, lam=np.inf, rounds=3, lr=0.1)
    for v in V:
        np.testing.assert_array_equal(v, w)
    w_huge, V_huge = ditto(m, clients, lam=1e12, rounds=3, lr=0.1)
    np.testing.assert_allclose(V_huge, np.tile(w_huge, (3, 1)), atol=1e-9)


def test_ditto_lambda_zero_is_local_training_and_global_part_is_fedavg():
    clients = _toy_clients()
    m = MLP(4, 5, 3)
    w, V = ditto(m, clients, lam=0.0, rounds=3, local_epochs=2, batch_size=7, lr=0.1, seed=4)
    V_local = local_only(m, clients, epochs=6, batch_size=7, lr=0.1, seed=4)
    np.testing.assert_allclose(V, V_local, atol=1e-12)
    w_avg, _ = fedavg(m, clients, rounds=3, local_epochs=2, batch_size=7, lr=0.1, seed=4)
    np.testing.assert_array_equal(w, w_avg)


def test_ditto_interpolates_between_local_and_global():
    clients = _toy_clients()
    m = Model("softmax", 4, 3)
    w, _ = ditto(m, clients, lam=0.0, rounds=3)
    dists = [np.linalg.norm(ditto(m, clients, lam=lam, rounds=3)[1] - w, axis=1).mean()
             for lam in (0.0, 0.3, 3.0, 30.0)]
    assert all(a > b for a, b in zip(dists, dists[1:], strict=False))


# ------------------------------------------------------------------------------ FedPer
def test_fedper_with_one_client_equals_centralised_training():
    c = _toy_clients(K=1, n=50)[0]
    m = MLP(4, 5, 3)
    _, V = fedper(m, [c], rounds=4, local_epochs=2, batch_size=8, lr=0.1, seed=2)
    rng = client_streams(2, 1)[0][0]
    w_central = local_sgd(m, m.init(), c.X_train, c.y_train, epochs=8, batch_size=8, lr=0.1,
                          rng=rng)
    np.testing.assert_allclose(V[0], w_central, atol=1e-12)


def test_fedper_shares_the_body_and_keeps_personal_heads():
    clients = _toy_clients()
    m = MLP(4, 5, 3)
    shared, V = fedper(m, clients, rounds=2)
    for v in V:
        np.testing.assert_array_equal(v[m.body_slice], shared[m.body_slice])
    assert not np.allclose(V[0][m.head_slice], V[1][m.head_slice])
    # a convex model has no body: FedPer is local training on every client
    g = Model("softmax", 4, 3)
    V_glm = fedper(g, clients, rounds=3, local_epochs=1, batch_size=16, lr=0.1, seed=0)[1]
    rngs = client_streams(0, 3)[0]
    for i, c in enumerate(clients):
        ref = local_sgd(g, g.init(), c.X_train, c.y_train, epochs=3, batch_size=16, lr=0.1,
                        rng=rngs[i])
        np.testing.assert_allclose(V_glm[i], ref, atol=1e-12)


# ------------------------------------------------------------------ fine-tuning, metrics
def test_finetune_clients_zero_steps_is_global_and_steps_lower_the_client_loss():
    clients = _toy_clients()
    m = MLP(4, 5, 3)
    w, _ = fedavg(m, clients, rounds=3)
    np.testing.assert_array_equal(finetune_clients(m, w, clients, steps=0), np.tile(w, (3, 1)))
    V = finetune_clients(m, w, clients, steps=20, lr=0.2)
    for v, c in zip(V, clients, strict=True):
        assert m.loss(v, c.X_train, c.y_train) < m.loss(w, c.X_train, c.y_train)
    Vh = finetune_clients(m, w, clients, steps=5, params="head")
    np.testing.assert_array_equal(Vh[:, m.body_slice], np.tile(w[m.body_slice], (3, 1)))


def test_client_accuracy_and_summary_hand_computed():
    m = Model("softmax", 1, 2)
    w = np.array([-1.0, 1.0, 0.0, 0.0])  # predicts class 1 iff x > 0
    cl = [ClientData(np.zeros((1, 1)), np.zeros(1, int), np.array([[1.0], [-1.0]]),
                     np.array([1, 1])),
          ClientData(np.zeros((1, 1)), np.zeros(1, int), np.array([[2.0]]), np.array([1]))]
    acc = client_accuracy(m, w, cl)
    np.testing.assert_allclose(acc, [0.5, 1.0])
    assert summarize(acc) == {"mean": 0.75, "worst": 0.5, "best": 1.0}
    np.testing.assert_allclose(client_accuracy(m, np.stack([w, -w]), cl), [0.5, 0.0])


def test_personalization_beats_the_global_model_on_strong_skew():
    _, _, clients = digits_scenario(10, 0.1, seed=0)
    m = MLP(64, 32, 10)
    for method in ("finetune", "fedper", "ditto"):
        out = personalize(method, m, clients, rounds=15, lam=0.5, finetune_steps=10)
        assert out["personal_acc"].mean() > out["global_acc"].mean() + 0.03, method


def test_pretrained_start_is_faster_and_a_wrong_source_hurts():
    Xs, ys, clients = digits_scenario(10, 0.5, seed=0)
    m = Model("softmax", 64, 10)
    good = pretrained_vs_scratch(m, (Xs, ys), clients, rounds=12)
    r_pre = rounds_to_reach(good["pretrained"]["mean"], 0.9)
    r_scr = rounds_to_reach(good["scratch"]["mean"], 0.9)
    assert r_pre is not None and (r_scr is None or r_pre < r_scr)
    bad = pretrained_vs_scratch(m, (Xs, relabel(ys, 0.0, 10)), clients, rounds=5)
    assert bad["pretrained"]["mean"][-1] < bad["scratch"]["mean"][-1] - 0.2  # negative transfer


def test_rounds_to_reach():
    assert rounds_to_reach(np.array([0.1, 0.5, 0.9, 0.95]), 0.9) == 3
    assert rounds_to_reach(np.array([0.1, np.nan]), 0.9) is None


def test_personalize_is_deterministic_and_validates():
    clients = _toy_clients()
    m = MLP(4, 5, 3)
    a = personalize("ditto", m, clients, rounds=2, seed=1)
    b = personalize("ditto", m, clients, rounds=2, seed=1)
    c = personalize("ditto", m, clients, rounds=2, seed=2)
    np.testing.assert_array_equal(a["V"], b["V"])
    assert not np.array_equal(a["V"], c["V"])
    with pytest.raises(ValueError, match="method"):
        personalize("fedbn", m, clients)
    with pytest.raises(ValueError, match="lam"):
        ditto(m, clients, lam=-1.0)
    with pytest.raises(ValueError, match="rounds"):
        fedavg(m, clients, rounds=0)
    with pytest.raises(ValueError, match="lr"):
        fedper(m, clients, lr=0.0)
    with pytest.raises(TypeError, match="local_epochs"):
        fedavg(m, clients, local_epochs=1.5)


def test_clients_data_not_mutated():
    clients = _toy_clients()
    before = [c.X_train.copy() for c in clients]
    personalize("fedper", MLP(4, 5, 3), clients, rounds=2)
    for c, b in zip(clients, before, strict=True):
        np.testing.assert_array_equal(c.X_train, b)


# ------------------------------------------------------------------------ scenarios
def test_hospitals_differ_in_tumour_size_and_are_deterministic():
    hc = hospital_clients(4, alpha=0.1, seed=0)
    sizes = [np.concatenate([c.X_train[:, 0], c.X_test[:, 0]]).mean() for c in hc]
    assert max(sizes) - min(sizes) > 1.0  # standardised units: clearly different populations
    again = hospital_clients(4, alpha=0.1, seed=0)
    np.testing.assert_array_equal(again[2].X_test, hc[2].X_test)


def test_relabel():
    y = np.arange(1000) % 10
    np.testing.assert_array_equal(relabel(y, 1.0, 10), y)
    np.testing.assert_array_equal(relabel(y, 0.0, 10), (y + 1) % 10)
    assert abs(np.mean(relabel(y, 0.7, 10) == y) - 0.7) < 0.05
    with pytest.raises(ValueError, match="relatedness"):
        relabel(y, 1.5, 10)


def test_scenario_bad_inputs():
    with pytest.raises(ValueError, match="num_clients"):
        digits_scenario(0)
    with pytest.raises(ValueError, match="alpha"):
        digits_scenario(5, alpha=0.0)
    with pytest.raises(TypeError, match="num_clients"):
        hospital_clients(2.5)
