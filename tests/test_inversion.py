"""Gradient inversion is exact for one example of a linear layer with bias; batches/DP blur it."""

import numpy as np
import pytest

from fedlearn_edu.core.data import load_dataset
from fedlearn_edu.core.models import Model
from fedlearn_edu.privacy.inversion import (
    batch_mixture,
    dp_noised_gradient,
    example_gradient,
    invert_all_classes,
    invert_gradient,
    relative_error,
)


@pytest.fixture(scope="module")
def digits():
    return load_dataset("digits")


@pytest.mark.parametrize("l2", [0.0, 0.3])
def test_softmax_single_example_exact(digits, l2):
    model = Model("softmax", 64, 10, l2)
    w = np.random.default_rng(0).normal(scale=0.1, size=model.num_params)
    x, y = digits.X_train[5], digits.y_train[5]
    g = example_gradient(model, w, x, y)
    x_hat, label = invert_gradient(model, w, g)
    np.testing.assert_allclose(x_hat, x, rtol=0, atol=1e-10)
    assert label == y
    # every class row gives the same image (all bias gradients are non-zero here)
    np.testing.assert_allclose(invert_all_classes(model, w, g), np.tile(x, (10, 1)), atol=1e-9)


def test_layout_is_class_major_so_unpack_matters(digits):
    model = Model("softmax", 64, 10)
    w = model.init()
    g = example_gradient(model, w, digits.X_train[0], digits.y_train[0])
    # naive reshape of the flat gradient as (d, k) does NOT give the image
    naive = g[: 640].reshape(64, 10)[:, 0] / g[640]
    assert relative_error(naive, digits.X_train[0]) > 0.5


@pytest.mark.parametrize("kind,y", [("logistic", 1), ("linear", 2.5)])
def test_binary_and_linear_exact(kind, y):
    rng = np.random.default_rng(1)
    model = Model(kind, 7, 2 if kind == "logistic" else 1)
    w = rng.normal(size=model.num_params)
    x = rng.normal(size=7)
    x_hat, label = invert_gradient(model, w, example_gradient(model, w, x, y))
    np.testing.assert_allclose(x_hat, x, atol=1e-10)
    assert label is None


def test_batch_is_a_blur_given_by_the_mixture_formula(digits):
    model = Model("softmax", 64, 10)
    w = np.random.default_rng(2).normal(scale=0.05, size=model.num_params)
    X, y = digits.X_train[:8], digits.y_train[:8]
    g = example_gradient(model, w, X, y)
    rows = invert_all_classes(model, w, g)
    for c in range(10):
        np.testing.assert_allclose(rows[c], batch_mixture(model, w, X, y, c), atol=1e-9)
    x_hat, _ = invert_gradient(model, w, g)
    assert min(relative_error(x_hat, x) for x in X) > 0.2  # no single digit comes back


def test_dp_noise_blurs_more_with_more_noise(digits):
    model = Model("softmax", 64, 10)
    w = model.init()
    x, y = digits.X_train[3], digits.y_train[3]
    g = example_gradient(model, w, x, y)
    errs = []
    for sigma in (0.0, 1e-3, 1e-2, 1e-1):  # mean error over 20 noise draws
        errs.append(np.mean([
            relative_error(invert_gradient(model, w, dp_noised_gradient(
                g, 1.0, sigma, np.random.default_rng(k)))[0], x) for k in range(20)]))
    assert errs[0] < 1e-9 and errs[0] < errs[1] < errs[2] < errs[3]
    assert errs[3] > 0.5  # the digit is gone
    g0 = g.copy()
    dp_noised_gradient(g, 1.0, 1.0, np.random.default_rng(0))
    np.testing.assert_array_equal(g, g0)  # not mutated


def test_bad_inputs():
    model = Model("softmax", 4, 3)
    with pytest.raises(ValueError, match="shape"):
        invert_gradient(model, np.zeros(15), np.zeros(14))
    with pytest.raises(ValueError, match="bias gradient is zero"):
        invert_gradient(model, np.zeros(15), np.zeros(15))
    with pytest.raises(ValueError, match="same number of rows"):
        example_gradient(model, np.zeros(15), np.zeros((2, 4)), [0])
    with pytest.raises(ValueError, match="clip_norm"):
        dp_noised_gradient(np.ones(3), 0.0, 1.0, np.random.default_rng(0))
