"""Two-party vertical logistic regression = gradient descent on the joined table (to 1e-12),
= scikit-learn at convergence; and its residuals reveal every label."""

import numpy as np
import pytest
from sklearn.linear_model import LogisticRegression

from fedlearn_edu.apps.vertical import joint_scores, labels_from_residuals, vertical_logistic
from fedlearn_edu.core.models import Model


def toy(seed=0, n=300):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 5))
    y = (X @ np.array([1.0, -2.0, 0.5, 0.0, 1.5]) + 0.3 + rng.logistic(size=n) > 0).astype(int)
    return X[:, :2], X[:, 2:], y


@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_vertical_steps_equal_gradient_descent_on_the_joined_columns(l2):
    Xa, Xb, y = toy()
    out = vertical_logistic(Xa, Xb, y, steps=50, lr=0.7, l2=l2)
    model, X = Model("logistic", 5, 2, l2=l2), np.column_stack([Xa, Xb])
    w = model.init()
    losses = []
    for _ in range(50):
        losses.append(model.loss(w, X, y) - model.penalty(w))
        w = w - 0.7 * model.grad(w, X, y)
    np.testing.assert_allclose(np.r_[out["w_a"], out["w_b"], out["bias"]], w, atol=1e-12)
    np.testing.assert_allclose(out["loss"], losses, atol=1e-12)


def test_converged_vertical_model_equals_sklearn():
    Xa, Xb, y = toy(1)
    out = vertical_logistic(Xa, Xb, y, steps=5000, lr=1.0)
    ref = LogisticRegression(C=np.inf, tol=1e-12, max_iter=10_000).fit(np.column_stack([Xa, Xb]), y)
    np.testing.assert_allclose(np.r_[out["w_a"], out["w_b"]], ref.coef_[0], atol=1e-5)
    assert out["bias"] == pytest.approx(ref.intercept_[0], abs=1e-5)
    s = joint_scores(Xa, Xb, out["w_a"], out["w_b"], out["bias"])
    np.testing.assert_allclose(s, ref.decision_function(np.column_stack([Xa, Xb])), atol=1e-4)


def test_traffic_and_the_label_leak():
    Xa, Xb, y = toy(2)
    out = vertical_logistic(Xa, Xb, y, steps=10)
    assert out["messages"] == 20 and out["bytes"]["A->B"] == 10 * len(y) * 8
    assert np.array_equal(labels_from_residuals(out["residuals"]), y)


@pytest.mark.parametrize("call, match", [
    (lambda Xa, Xb, y: vertical_logistic(Xa, Xb[:-1], y), "X_b must hold the same"),
    (lambda Xa, Xb, y: vertical_logistic(Xa, Xb, y + 1), "y entries"),
    (lambda Xa, Xb, y: vertical_logistic(Xa, Xb, y, steps=0), "steps"),
    (lambda Xa, Xb, y: vertical_logistic(Xa, Xb, y, lr=-1.0), "lr"),
    (lambda Xa, Xb, y: vertical_logistic(Xa[:, 0], Xb, y), "X_a must be a 2-D"),
    (lambda Xa, Xb, y: joint_scores(Xa, Xb, np.zeros(3), np.zeros(3)), "must match"),
])
def test_bad_arguments_are_refused(call, match):
    with pytest.raises((ValueError, TypeError), match=match):
        call(*toy())
