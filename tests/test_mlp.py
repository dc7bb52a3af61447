"""Two-layer model: finite differences, head = softmax Model on features, bad inputs."""

import numpy as np
import pytest
from gradcheck import finite_difference

from fedlearn_edu.core.client import local_sgd
from fedlearn_edu.core.models import Model
from fedlearn_edu.transfer.mlp import MLP


def _data(n=13, d=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), rng.integers(0, k, n)


@pytest.mark.parametrize("activation", ["tanh", "relu"])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_grad_matches_finite_differences(activation, l2):
    X, y = _data()
    m = MLP(4, 5, 3, activation, l2)
    w = m.init(seed=1) + 0.1  # nonzero biases too
    g = m.grad(w, X, y)
    g_fd = finite_difference(lambda v: m.loss(v, X, y), w)
    np.testing.assert_allclose(g, g_fd, rtol=1e-6, atol=1e-8)


def test_layout_sizes_and_slices():
    m = MLP(4, 5, 3)
    assert m.num_params == 4 * 5 + 5 + 5 * 3 + 3
    assert m.body_slice == slice(0, 25) and m.head_slice == slice(25, 43)
    w = np.arange(m.num_params, dtype=float)
    W1, b1, W2, b2 = m.unpack(w)
    assert W1.shape == (4, 5) and b1.shape == (5,) and W2.shape == (5, 3) and b2.shape == (3,)
    assert W1[0, 1] == 1 and b1[0] == 20 and W2[0, 1] == 25 + 5 and b2[0] == 40


def test_head_is_softmax_model_on_hidden_features():
    """Loss, gradient of the head block and predictions agree with Model('softmax', h, k)."""
    X, y = _data(n=20)
    m = MLP(4, 6, 3, "tanh", 0.1)
    w = m.init(seed=2)
    H = m.features(w, X)
    head = m.head_model()
    wh = w[m.head_slice]
    np.testing.assert_allclose(m.decision(w, X), head.decision(wh, H), atol=1e-12)
    body_pen = 0.5 * 0.1 * np.sum(w[: 4 * 6] ** 2)
    assert m.loss(w, X, y) == pytest.approx(head.loss(wh, H, y) + body_pen, abs=1e-12)
    np.testing.assert_allclose(m.grad(w, X, y)[m.head_slice], head.grad(wh, H, y), atol=1e-12)
    np.testing.assert_array_equal(m.predict(w, X), head.predict(wh, H))
    np.testing.assert_allclose(m.predict_proba(w, X).sum(1), 1.0)


def test_relu_features_hand_computed():
    m = MLP(2, 2, 2, "relu")
    w = np.zeros(m.num_params)
    W1, b1, W2, b2 = m.unpack(w)
    W1[...] = [[1.0, -1.0], [2.0, 0.5]]
    b1[...] = [0.0, -1.0]
    H = m.features(w, np.array([[1.0, 1.0]]))
    np.testing.assert_allclose(H, [[3.0, 0.0]])  # [1+2, max(-1+0.5-1, 0)]


def test_trains_with_local_sgd_and_is_deterministic():
    rng = np.random.default_rng(0)
    X = rng.normal(size=(200, 2))
    y = (X[:, 0] * X[:, 1] > 0).astype(int)  # XOR-like: no linear model can do this
    m = MLP(2, 16, 2, "tanh")
    runs = [local_sgd(m, m.init(seed=0), X, y, epochs=150, batch_size=20, lr=0.3,
                      rng=np.random.default_rng(5)) for _ in range(2)]
    np.testing.assert_array_equal(runs[0], runs[1])
    assert m.score(runs[0], X, y) > 0.9
    lin = Model("softmax", 2, 2)
    w_lin = local_sgd(lin, lin.init(), X, y, epochs=150, batch_size=20, lr=0.3,
                      rng=np.random.default_rng(5))
    assert lin.score(w_lin, X, y) < 0.75


def test_init_is_seeded_and_inputs_not_mutated():
    m = MLP(3, 4, 2)
    np.testing.assert_array_equal(m.init(seed=3), m.init(seed=3))
    assert not np.array_equal(m.init(seed=3), m.init(seed=4))
    X, y = _data(d=3, k=2)
    w = m.init()
    w_copy, X_copy = w.copy(), X.copy()
    m.grad(w, X, y)
    np.testing.assert_array_equal(w, w_copy)
    np.testing.assert_array_equal(X, X_copy)


@pytest.mark.parametrize(
    "kwargs, err, match",
    [
        (dict(n_features=0), ValueError, "n_features"),
        (dict(n_features=3, n_hidden=0), ValueError, "n_hidden"),
        (dict(n_features=3, n_classes=1), ValueError, "n_classes"),
        (dict(n_features=3, activation="sigmoid"), ValueError, "activation"),
        (dict(n_features=3, l2=-1.0), ValueError, "l2"),
        (dict(n_features=2.5), TypeError, "n_features"),
    ],
)
def test_bad_config_raises(kwargs, err, match):
    with pytest.raises(err, match=match):
        MLP(**kwargs)


def test_wrong_parameter_length_raises():
    m = MLP(3, 4, 2)
    with pytest.raises(ValueError, match="w must have shape"):
        m.loss(np.zeros(5), np.zeros((2, 3)), np.zeros(2, int))
