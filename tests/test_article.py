"""The article's functions: the originals fail as documented, the fixes are correct."""

import numpy as np
import pytest

from fedlearn_edu import article


def test_article_call_shape_works_and_learns():
    w = article.federated_train(np.zeros(10), 5)  # exactly the article's call
    test = article.generate_data(2000, seed=12345)  # fresh data, same generator
    assert article.mse(test, w) < 0.10 * article.mse(test, np.zeros(10))


def test_federated_train_is_weighted_fedavg_not_a_chain():
    """Hand-rolled FedAvg on the same per-device data gives the same weights."""
    sizes = [30, 100, 55]
    w = article.federated_train(
        np.zeros(4), 3, rounds=4, local_steps=3, lr=0.1, samples_per_device=sizes, seed=9
    )
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(9).spawn(3)]
    devices = [article.generate_data(n, 4, rng=r) for n, r in zip(sizes, rngs)]
    ref = np.zeros(4)
    for _ in range(4):
        locals_ = []
        for X, y in devices:
            v = ref.copy()
            for _ in range(3):
                v = v - 0.1 * 2 / len(y) * X.T @ (X @ v - y)
            locals_.append(v)
        ref = sum(n * v for n, v in zip(sizes, locals_)) / sum(sizes)
    np.testing.assert_allclose(w, ref, rtol=1e-12)


def test_local_train_moves_from_zero_and_descends():
    data = article.generate_data(seed=0)
    w = article.local_train(data, np.zeros(10))
    assert np.linalg.norm(w) > 0
    assert article.mse(data, w) < article.mse(data, np.zeros(10))


def test_local_train_converges_to_least_squares_solution():
    X, y = article.generate_data(200, 3, w_true=np.array([1.0, -2.0, 0.5]), seed=1)
    w = article.local_train((X, y), np.zeros(3), lr=0.2, steps=5000)
    np.testing.assert_allclose(w, np.linalg.lstsq(X, y, rcond=None)[0], atol=1e-8)


def test_transfer_beats_scratch_with_small_budget():
    source = article.generate_source_data()
    target = article.generate_target_data()
    source_w = article.source_train(source, np.zeros(10))
    fresh = article.generate_data(2000, w_true=article.target_weights(), seed=77)
    fine_tuned = article.target_train(target, source_w)
    scratch = article.target_train(target, np.zeros(10))
    assert article.mse(fresh, fine_tuned) < 0.5 * article.mse(fresh, scratch)


def test_target_train_descends_the_target_loss():
    target = article.generate_target_data()
    w0 = np.ones(10)
    assert article.mse(target, article.target_train(target, w0)) < article.mse(target, w0)


def test_inputs_are_not_mutated():
    X, y = article.generate_data(seed=3)
    X0, y0, w = X.copy(), y.copy(), np.zeros(10)
    article.local_train((X, y), w)
    np.testing.assert_array_equal(X, X0)
    np.testing.assert_array_equal(y, y0)
    np.testing.assert_array_equal(w, 0.0)


def test_generators_are_deterministic():
    a, b = article.generate_data(seed=5), article.generate_data(seed=5)
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])
    r = np.random.default_rng(1)
    assert not np.array_equal(article.generate_data(rng=r)[0], article.generate_data(rng=r)[0])


def test_original_local_train_has_the_shape_bug():
    with pytest.raises(ValueError, match="broadcast"):
        article.original.federated_train(np.zeros(10), 5)
    with pytest.raises(ValueError, match="broadcast"):
        article.original.target_train(article.original.generate_target_data(), np.zeros(10))


def test_original_zero_is_a_fixed_point_even_with_shapes_patched():
    data = np.random.default_rng(0).random((100, 10))
    w = np.zeros(10)
    for _ in range(50):
        w = article.original.local_train_shape_patched(data, w)
    np.testing.assert_array_equal(w, 0.0)


def test_original_data_has_no_labels():
    assert article.original.generate_data().shape == (100, 10)


@pytest.mark.parametrize(
    "call,exc,match",
    [
        (lambda: article.federated_train(np.zeros(10), 0), ValueError, "num_devices"),
        (lambda: article.federated_train(np.zeros((2, 5)), 2), ValueError, "w must be a 1-D"),
        (lambda: article.local_train(np.zeros((5, 10)), np.zeros(10)), TypeError, "data must be"),
        (
            lambda: article.local_train(article.generate_data(seed=0), np.zeros(3)),
            ValueError,
            r"w must have shape \(10,\)",
        ),
        (
            lambda: article.local_train(article.generate_data(seed=0), np.zeros(10), lr=-1),
            ValueError,
            "lr",
        ),
        (lambda: article.generate_data(0), ValueError, "n must be"),
        (lambda: article.generate_data(rng=3), TypeError, "rng must be"),
    ],
)
def test_bad_inputs(call, exc, match):
    with pytest.raises(exc, match=match):
        call()
