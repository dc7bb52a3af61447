"""Alone / pooled / federated training, DP-SGD in the hospitals, hashed text features."""

import numpy as np
import pytest

from fedlearn_edu.apps import dpsgd
from fedlearn_edu.apps.loaders import load_hospitals
from fedlearn_edu.apps.silos import client_scores, fedavg, summary, three_ways
from fedlearn_edu.apps.text import hash_features, shop_of, tokens
from fedlearn_edu.core.client import local_sgd
from fedlearn_edu.core.models import Model
from fedlearn_edu.privacy.accountant import epsilon


@pytest.fixture(scope="module")
def hosp():
    return load_hospitals(4, 0.3, seed=0)


def test_one_client_federation_equals_local_training(hosp):
    """FedAvg with one client and one round is that client's local SGD (same stream)."""
    m = Model("logistic", 30, 2)
    X, y = hosp.data.X_train, hosp.data.y_train
    w_fed = fedavg(m, [(X, y)], rounds=1, local_epochs=3, batch_size=16, lr=0.1, seed=5)
    from fedlearn_edu.core.federation import Federation
    from fedlearn_edu.core.training import LocalTraining

    fed = Federation.from_clients(m, [(X, y)], training=LocalTraining(3, 16, 0.1), seed=5)
    w_ref = local_sgd(m, m.init(), X, y, epochs=3, batch_size=16, lr=0.1,
                      rng=fed.client_rngs[0])
    np.testing.assert_allclose(w_fed, w_ref, atol=1e-12)


def test_three_ways_scores_each_client_on_its_own_rows(hosp):
    m = Model("logistic", 30, 2)
    r = three_ways(hosp, m, rounds=5, seed=0)
    assert len(r["curve"]) == 5
    for method in ("alone", "pooled", "federated"):
        for i, s in enumerate(r[method]["scores"]):
            X_te, y_te = hosp.client(i)[2:]
            assert s["accuracy"] == pytest.approx(m.score(r[method]["w"][i], X_te, y_te))
            assert s["n"] == len(y_te)
    acc = summary(r)
    assert set(acc) == {"alone", "pooled", "federated"} and acc["alone"].shape == (4,)


def test_client_scores_auc_and_recall_match_sklearn():
    from sklearn.metrics import recall_score, roc_auc_score

    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(80, 3)), rng.integers(0, 2, 80)
    m, w = Model("logistic", 3, 2), rng.normal(size=4)
    s = client_scores(m, w, X, y)
    z = m.decision(w, X)
    assert s["auc"] == pytest.approx(roc_auc_score(y, z))
    assert s["recall"] == pytest.approx(recall_score(y, z > 0))


def test_three_ways_refuses_bad_arguments(hosp):
    m = Model("logistic", 30, 2)
    with pytest.raises(ValueError, match="parts must hold 4"):
        three_ways(hosp, m, parts=list(hosp.data.users)[:3])
    with pytest.raises(ValueError, match="on must be"):
        three_ways(hosp, m, on="mine")
    with pytest.raises(TypeError, match="app must be"):
        three_ways("hospitals", m)


@pytest.mark.parametrize("target, q, steps", [(1.0, 0.1, 100), (8.0, 0.5, 200), (3.0, 0.05, 50)])
def test_noise_for_epsilon_is_the_smallest_sigma_meeting_the_target(target, q, steps):
    sigma = dpsgd.noise_for_epsilon(target, q, steps, 1e-5)
    assert epsilon(q, sigma, steps, 1e-5) <= target
    assert epsilon(q, 0.98 * sigma, steps, 1e-5) > target  # 1 % bisection tolerance


def test_dp_sgd_without_noise_and_clipping_is_poisson_sampled_sgd():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(40, 3)), rng.integers(0, 2, 40)
    m = Model("logistic", 3, 2)
    w = dpsgd.dp_sgd_steps(m, m.init(), X, y, steps=1, q=1.0, clip=1e9, sigma=0.0, lr=0.5,
                           rng=np.random.default_rng(1))
    np.testing.assert_allclose(w, -0.5 * m.grad(m.init(), X, y), atol=1e-12)  # one GD step


def test_dp_federated_spends_at_most_the_target_and_costs_accuracy(hosp):
    m = Model("logistic", 30, 2)
    strong = dpsgd.dp_federated(hosp, m, 0.5, rounds=10, seed=0)
    assert max(strong["epsilons"]) <= 0.5
    assert np.argmax(strong["sigmas"]) == np.argmin([len(u) for u in hosp.data.users])
    none = dpsgd.dp_federated(hosp, m, np.inf, rounds=10, seed=0)
    assert none["sigmas"] == [0.0] * 4
    acc = [np.mean([s["accuracy"] for s in r["scores"]]) for r in (strong, none)]
    assert acc[0] < acc[1]
    with pytest.raises(ValueError, match="out of reach"):
        dpsgd.noise_for_epsilon(0.01, 1.0, 10**5, 1e-5)
    with pytest.raises(ValueError, match="logistic"):
        dpsgd.dp_federated(hosp, Model("softmax", 30, 2), 1.0)


def test_hashed_features_are_stable_unit_rows():
    X = hash_features(["Great coffee, great price!", "", "great"], n_features=32, ngram=2)
    assert X.shape == (3, 32)
    assert np.allclose(np.linalg.norm(X[[0, 2]], axis=1), 1) and not X[1].any()
    import zlib

    col = zlib.crc32(b"great") % 32
    assert X[2, col] == 1.0
    grams = ["great", "coffee", "great", "price", "great coffee", "coffee great", "great price"]
    counts = np.bincount([zlib.crc32(g.encode()) % 32 for g in grams], minlength=32)
    ref = np.log1p(counts)
    np.testing.assert_allclose(X[0], ref / np.linalg.norm(ref), atol=1e-12)
    assert tokens("A<br />B") == ["a", "b"]
    with pytest.raises(TypeError, match="texts"):
        hash_features("just one string")
    with pytest.raises(ValueError, match="ngram"):
        hash_features(["x"], ngram=0)


def test_shop_of_picks_the_topic_with_most_keywords():
    assert shop_of("My dog loves these treats, the cat too") == 1
    assert shop_of("Strong coffee") == 0
    assert shop_of("Arrived quickly") == 4
