"""Transfer: alpha f + beta g (GD vs closed form), fine-tuning, feature extraction, L2-SP,
negative transfer."""

import numpy as np
import pytest
from gradcheck import finite_difference

from fedlearn_edu.core.models import Model
from fedlearn_edu.transfer.finetune import (
    feature_extraction,
    finetune,
    fit,
    l2sp_closed_form,
    l2sp_grad,
    l2sp_loss,
    param_mask,
)
from fedlearn_edu.transfer.joint import joint_closed_form, joint_grad, joint_loss, joint_train
from fedlearn_edu.transfer.mlp import MLP


def _lin_task(n, w, b, noise, seed):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, len(w)))
    return X, X @ w + b + noise * rng.normal(size=n)


W_T = np.array([1.0, -2.0, 0.5])
SOURCE = _lin_task(200, W_T + np.array([0.3, 0.2, -0.1]), 0.5, 0.3, 1)
TARGET = _lin_task(15, W_T, 0.0, 0.3, 2)


@pytest.mark.parametrize("alpha, beta", [(1.0, 1.0), (0.0, 1.0), (1.0, 0.0), (0.2, 3.0),
                                         (5.0, 0.5)])
@pytest.mark.parametrize("l2", [0.0, 0.1])
def test_joint_gd_equals_closed_form(alpha, beta, l2):
    model = Model("linear", 3, 1, l2)
    w_cf = joint_closed_form(SOURCE, TARGET, alpha, beta, l2=l2)
    lr = 0.2 / (alpha + beta)
    w_gd, losses = joint_train(model, SOURCE, TARGET, alpha, beta, lr=lr, steps=800)
    np.testing.assert_allclose(w_gd, w_cf, atol=1e-8)
    assert np.all(np.diff(losses) <= 1e-12)  # GD on a convex quadratic never goes up
    g = joint_grad(model, w_cf, SOURCE, TARGET, alpha, beta)
    assert np.max(np.abs(g)) < 1e-9  # stationary point


def test_joint_grad_finite_differences_softmax():
    rng = np.random.default_rng(0)
    model = Model("softmax", 3, 4, 0.1)
    src = (rng.normal(size=(10, 3)), rng.integers(0, 4, 10))
    tgt = (rng.normal(size=(7, 3)), rng.integers(0, 4, 7))
    w = rng.normal(size=model.num_params)
    g = joint_grad(model, w, src, tgt, 0.3, 0.7)
    fd = finite_difference(lambda v: joint_loss(model, v, src, tgt, 0.3, 0.7), w)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)


def test_negative_transfer_is_measured():
    """An anti-related source (w_src = -w_target) makes the joint model worse than target-only
    training: the transfer gain (target-only test loss - joint test loss) is negative, while a
    related source gives a positive gain."""
    test = _lin_task(500, W_T, 0.0, 0.3, 9)
    model = Model("linear", 3)
    anti = _lin_task(200, -W_T, 0.0, 0.3, 3)
    related = _lin_task(200, W_T, 0.0, 0.3, 4)
    target = _lin_task(6, W_T, 0.0, 1.0, 5)  # few, noisy target examples
    w_target_only = joint_closed_form(related, target, 0.0, 1.0)
    base = model.loss(w_target_only, *test)
    gain_related = base - model.loss(joint_closed_form(related, target, 1.0, 1.0), *test)
    gain_anti = base - model.loss(joint_closed_form(anti, target, 1.0, 1.0), *test)
    assert gain_related > 0
    assert gain_anti < -1.0  # much worse than ignoring the source


# ---------------------------------------------------------------- L2-SP and fine-tuning
@pytest.mark.parametrize("l2sp", [0.0, 0.05, 1.0, 10.0])
def test_l2sp_gd_equals_closed_form(l2sp):
    model = Model("linear", 3)
    w_src = joint_closed_form(SOURCE, TARGET, 1.0, 0.0)  # the source model
    w_cf = l2sp_closed_form(*TARGET, w_src, l2sp)
    w_gd, _ = finetune(model, w_src, *TARGET, steps=3000, lr=0.05, l2sp=l2sp)
    np.testing.assert_allclose(w_gd, w_cf, atol=1e-8)


def test_l2sp_limits():
    w_src = np.array([3.0, 2.0, 1.0, 0.0])
    np.testing.assert_allclose(l2sp_closed_form(*TARGET, w_src, 1e12), w_src, atol=1e-9)
    A = np.column_stack([TARGET[0], np.ones(15)])
    ols = np.linalg.lstsq(A, TARGET[1], rcond=None)[0]
    np.testing.assert_allclose(l2sp_closed_form(*TARGET, w_src, 0.0), ols, atol=1e-10)


def test_l2sp_grad_finite_differences_on_shared_subset():
    X, y = np.random.default_rng(0).normal(size=(9, 3)), np.arange(9) % 2
    m = MLP(3, 4, 2)
    w, w_src = m.init(seed=1), m.init(seed=2)
    shared = param_mask(m, "body")
    g = l2sp_grad(m, w, X, y, w_src, 0.7, shared)
    fd = finite_difference(lambda v: l2sp_loss(m, v, X, y, w_src, 0.7, shared), w)
    np.testing.assert_allclose(g, fd, rtol=1e-6, atol=1e-9)


def _clf(n, seed, flip=False):
    rng = np.random.default_rng(seed)
    X = rng.normal(size=(n, 4))
    y = ((X[:, 0] + X[:, 1] ** 2 - 1 > 0) ^ flip).astype(int)
    return X, y


def test_head_finetuning_freezes_the_body_and_equals_training_a_softmax_head():
    m = MLP(4, 6, 2, "tanh", 0.01)
    w_src, _ = fit(m, *_clf(300, 0), w0=m.init(seed=0), steps=300, lr=0.5)
    X, y = _clf(40, 1)
    w_ft, losses = finetune(m, w_src, X, y, steps=100, lr=0.3, params="head")
    np.testing.assert_array_equal(w_ft[m.body_slice], w_src[m.body_slice])
    assert losses[-1] < m.loss(w_src, X, y)
    # independent path: softmax regression on the frozen features, same start and steps
    head = m.head_model()
    wh, _ = fit(head, m.features(w_src, X), y, w0=w_src[m.head_slice], steps=100, lr=0.3)
    np.testing.assert_allclose(w_ft[m.head_slice], wh, atol=1e-12)
    w_all, _ = finetune(m, w_src, X, y, steps=5, lr=0.3, params="all")
    assert not np.array_equal(w_all[m.body_slice], w_src[m.body_slice])


def test_feature_extraction_matches_sklearn_logistic_regression():
    from sklearn.linear_model import LogisticRegression

    m = MLP(4, 6, 2, "tanh")
    w_src, _ = fit(m, *_clf(300, 0), w0=m.init(seed=0), steps=200, lr=0.5)
    X, y3 = np.random.default_rng(4).normal(size=(60, 4)), np.arange(60) % 3  # new 3-class task
    l2 = 0.05
    tm, w_new, _ = feature_extraction(m, w_src, X, y3, n_classes=3, steps=1500, lr=0.5, l2=l2)
    assert tm.n_classes == 3 and w_new.shape == (tm.num_params,)
    np.testing.assert_array_equal(w_new[tm.body_slice], w_src[m.body_slice])
    H = m.features(w_src, X)
    # ours: mean CE + l2/2 ||W||^2  <=>  sklearn: 1/2 ||W||^2 + C * sum CE with C = 1/(n l2)
    sk = LogisticRegression(C=1.0 / (len(X) * l2), tol=1e-12, max_iter=10_000).fit(H, y3)
    _, _, W2, b2 = tm.unpack(w_new)
    np.testing.assert_allclose(W2.T, sk.coef_, atol=1e-5)
    # softmax is shift-invariant in the bias; sklearn's has mean zero, ours too (GD from 0)
    np.testing.assert_allclose(b2, sk.intercept_, atol=1e-5)


def test_finetune_and_fit_bad_inputs():
    m = Model("linear", 3)
    X, y = TARGET
    with pytest.raises(ValueError, match="params"):
        finetune(m, np.zeros(4), X, y, params="middle")
    with pytest.raises(ValueError, match="w_src must have shape"):
        finetune(m, np.zeros(3), X, y)
    with pytest.raises(ValueError, match="lr"):
        fit(m, X, y, lr=0.0)
    with pytest.raises(TypeError, match="steps"):
        fit(m, X, y, steps=2.5)
    with pytest.raises(ValueError, match="w_src is required"):
        fit(m, X, y, l2sp=1.0)
    with pytest.raises(ValueError, match="X must be"):
        fit(m, X[:, :2], y)
    with pytest.raises(FloatingPointError, match="lower lr"):
        fit(m, X, y * 1e3, lr=50.0, steps=100)
    with pytest.raises(TypeError, match="MLP"):
        feature_extraction(m, np.zeros(4), X, y)
    mlp = MLP(3, 2, 2)
    with pytest.raises(ValueError, match="labels"):
        feature_extraction(mlp, mlp.init(), X, np.arange(15) % 3)
    with pytest.raises(ValueError, match="alpha \\+ beta"):
        joint_train(m, TARGET, TARGET, 0.0, 0.0)


def test_inputs_not_mutated_and_deterministic():
    m = MLP(4, 3, 2)
    X, y = _clf(30, 2)
    w0 = m.init(seed=9)
    copies = (w0.copy(), X.copy(), y.copy())
    a = finetune(m, w0, X, y, steps=20, l2sp=0.1)[0]
    b = finetune(m, w0, X, y, steps=20, l2sp=0.1)[0]
    np.testing.assert_array_equal(a, b)
    for orig, arr in zip(copies, (w0, X, y), strict=True):
        np.testing.assert_array_equal(orig, arr)


def test_fit_fast_path_equals_generic_path():
    """MLP.loss_grad (one pass) gives the same training run as separate loss/grad calls."""
    m = MLP(4, 3, 2, "tanh", 0.05)

    class Plain:  # the MLP without loss_grad: forces the generic loss + grad path
        num_params, n_features = m.num_params, m.n_features
        loss, grad, init = m.loss, m.grad, m.init

    X, y = _clf(30, 3)
    w_src = m.init(seed=4)
    shared = param_mask(m, "body")
    kw = dict(w0=m.init(seed=5), steps=15, lr=0.2, l2sp=0.3, w_src=w_src, shared=shared)
    w_fast, l_fast = fit(m, X, y, **kw)
    w_slow, l_slow = fit(Plain(), X, y, **kw)
    np.testing.assert_allclose(w_fast, w_slow, atol=1e-13)
    np.testing.assert_allclose(l_fast, l_slow, atol=1e-13)
    lg = m.loss_grad(w_src, X, y)
    assert lg[0] == pytest.approx(m.loss(w_src, X, y), abs=1e-14)
