"""Models: finite-difference gradients, batched = reference, sklearn agreement, stability."""

import numpy as np
import pytest
from gradcheck import finite_difference

from fedlearn_edu.core.models import Model, make_model


def _problem(kind, n=23, d=5, k=4, l2=0.0, seed=0):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, d))
    if kind == "linear":
        y = rng.normal(size=n)
        model = Model("linear", d, 1, l2)
    elif kind == "logistic":
        y = rng.integers(0, 2, size=n)
        model = Model("logistic", d, 2, l2)
    else:
        y = rng.integers(0, k, size=n)
        model = Model("softmax", d, k, l2)
    w = rng.normal(size=model.num_params)
    return model, w, X, y


@pytest.mark.parametrize("kind", ["linear", "logistic", "softmax"])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_gradient_matches_finite_differences(kind, l2):
    model, w, X, y = _problem(kind, l2=l2)
    fd = finite_difference(lambda v: model.loss(v, X, y), w)
    np.testing.assert_allclose(model.grad(w, X, y), fd, rtol=1e-6, atol=1e-8)


@pytest.mark.parametrize("kind", ["linear", "logistic", "softmax"])
@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_batched_gradient_equals_reference_per_client(kind, l2):
    model, _, _, _ = _problem(kind, l2=l2)
    rng = np.random.default_rng(1)
    m, b, d = 4, 7, model.n_features
    W = rng.normal(size=(m, model.num_params))
    X = rng.normal(size=(m, b, d))
    y = (rng.normal(size=(m, b)) if kind == "linear"
         else rng.integers(0, model.n_classes, size=(m, b)))
    counts = np.array([7, 3, 1, 0])  # the last client has an empty batch
    mask = np.arange(b)[None, :] < counts[:, None]
    G = model.grad_batched(W, X, y, mask)
    for i in range(m):
        if counts[i] == 0:
            expected = l2 * model._penalty_mask() * W[i]  # only the penalty
        else:
            expected = model.grad(W[i], X[i, : counts[i]], y[i, : counts[i]])
        np.testing.assert_allclose(G[i], expected, rtol=1e-12, atol=1e-13)


def test_linear_loss_is_mse_and_score_is_r2():
    from sklearn.metrics import r2_score

    model, w, X, y = _problem("linear")
    coef, bias = model.unpack(w)
    pred = X @ coef + bias
    assert model.loss(w, X, y) == pytest.approx(np.mean((pred - y) ** 2))
    assert model.score(w, X, y) == pytest.approx(r2_score(y, pred))


def test_softmax_loss_matches_sklearn_log_loss():
    from sklearn.metrics import log_loss

    model, w, X, y = _problem("softmax")
    proba = model.predict_proba(w, X)
    np.testing.assert_allclose(proba.sum(axis=1), 1.0)
    assert model.loss(w, X, y) == pytest.approx(log_loss(y, proba, labels=range(4)))


def test_logistic_loss_matches_sklearn_log_loss():
    from sklearn.metrics import log_loss

    model, w, X, y = _problem("logistic")
    proba = model.predict_proba(w, X)
    assert model.loss(w, X, y) == pytest.approx(log_loss(y, proba))


def test_softmax_unpack_is_d_by_k_view_of_class_major_storage():
    model = Model("softmax", 3, 2)
    w = np.arange(8.0)
    coef, bias = model.unpack(w)
    assert coef.shape == (3, 2)
    # storage is [W^T (k, d), b]: class 0's weights are w[0:3]
    np.testing.assert_array_equal(coef[:, 0], [0, 1, 2])
    np.testing.assert_array_equal(bias, [6, 7])
    coef[0, 1] = -1.0  # a view: writing through changes w
    assert w[3] == -1.0


def test_large_logits_stay_finite():
    model = Model("softmax", 2, 3)
    X = np.array([[1e3, -1e3], [5e2, 0.0]])
    y = np.array([0, 2])
    w = np.array([1.0, 0, 0, 1, 2, 0, 0, 0, 0.0])
    assert np.isfinite(model.loss(w, X, y))
    assert np.all(np.isfinite(model.grad(w, X, y)))
    logistic = Model("logistic", 2, 2)
    assert np.isfinite(logistic.loss(np.array([1.0, 0, 0]), X, np.array([0, 1])))


def test_sklearn_logistic_regression_optimum_has_zero_gradient():
    """Our loss + L2 is sklearn's objective (scaled): its optimum is our stationary point."""
    from sklearn.datasets import load_breast_cancer
    from sklearn.linear_model import LogisticRegression
    from sklearn.preprocessing import StandardScaler

    X, y = load_breast_cancer(return_X_y=True)
    X = StandardScaler().fit_transform(X)
    C = 0.5
    clf = LogisticRegression(C=C, tol=1e-12, max_iter=10_000).fit(X, y)
    # sklearn minimises 0.5||w||^2 + C * sum(loss); ours is mean(loss) + l2/2 ||w||^2
    model = Model("logistic", X.shape[1], 2, l2=1.0 / (C * len(y)))
    w = np.concatenate([clf.coef_[0], clf.intercept_])
    assert np.abs(model.grad(w, X, y)).max() < 1e-6


@pytest.mark.parametrize(
    "kind,k,match",
    [("logistic", 3, "binary"), ("linear", 3, "regression"), ("softmax", 1, "classification"),
     ("tree", 2, "kind must be one of")],
)
def test_make_model_rejects_mismatch(kind, k, match):
    with pytest.raises(ValueError, match=match):
        make_model(kind, 4, k)


def test_model_rejects_negative_l2():
    with pytest.raises(ValueError, match="l2"):
        Model("linear", 3, 1, l2=-1.0)


@pytest.mark.parametrize("kind", ["linear", "logistic", "softmax"])
def test_evaluate_is_score_and_loss(kind):
    model, w, X, y = _problem(kind, l2=0.1)
    assert model.evaluate(w, X, y) == (model.score(w, X, y), model.loss(w, X, y))


@pytest.mark.parametrize("kind", ["linear", "logistic", "softmax"])
def test_predict_and_losses_per_example(kind):
    model, w, X, y = _problem(kind, l2=0.1)
    pred, losses = model.predict_and_losses(w, X, y, n_predict=5)
    np.testing.assert_array_equal(pred, model.predict(w, X[:5]))
    z = model.decision(w, X)
    if kind == "linear":
        expected = (z - y) ** 2
    elif kind == "logistic":  # textbook binary cross-entropy
        p1 = 1.0 / (1.0 + np.exp(-z))
        expected = -(y * np.log(p1) + (1 - y) * np.log(1 - p1))
    else:  # textbook -log p_y
        p = np.exp(z) / np.exp(z).sum(axis=1, keepdims=True)
        expected = -np.log(p[np.arange(len(y)), y])
    np.testing.assert_allclose(losses, expected, rtol=1e-10, atol=1e-14)
