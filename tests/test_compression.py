"""Compression of client updates: hand cases, round trips, error feedback, honest bytes."""

import numpy as np
import pytest

from fedlearn_edu.systems.compression import (
    compress,
    compress_with_feedback,
    compressed_bytes,
    dequantize_int8,
    quantize_int8,
    topk_compress,
    topk_count,
    topk_decompress,
)


def test_topk_hand_case_and_tie_break():
    x = np.array([0.5, -3.0, 1.0, 3.0, -0.1])
    idx, vals = topk_compress(x, 2)
    assert idx.dtype == np.int32
    np.testing.assert_array_equal(idx, [1, 3])
    np.testing.assert_array_equal(vals, [-3.0, 3.0])
    np.testing.assert_array_equal(topk_decompress(idx, vals, 5), [0, -3, 0, 3, 0])
    # equal magnitudes: the lower index wins, deterministically
    idx, _ = topk_compress(np.array([1.0, -1.0, 1.0]), 2)
    np.testing.assert_array_equal(idx, [0, 1])


def test_topk_all_entries_is_lossless():
    x = np.random.default_rng(0).normal(size=37)
    x_hat, nbytes = compress(x, "topk", 1.0)
    np.testing.assert_array_equal(x_hat, x)
    assert nbytes == 12 * 37  # values + indices: more than dense 8 * 37


def test_int8_hand_case():
    q, lo, scale = quantize_int8(np.array([-1.0, 0.0, 1.0]))
    assert q.dtype == np.uint8 and lo == -1.0 and scale == pytest.approx(2 / 255)
    np.testing.assert_array_equal(q, [0, 128, 255])  # 127.5 rounds half to even -> 128
    np.testing.assert_allclose(dequantize_int8(q, lo, scale), [-1.0, 1 / 255, 1.0])


def test_int8_error_bound_and_exact_grid():
    x = np.random.default_rng(1).normal(size=1000)
    q, lo, scale = quantize_int8(x)
    err = np.abs(dequantize_int8(q, lo, scale) - x)
    assert err.max() <= scale / 2 + 1e-12
    grid = -2.0 + 0.5 * np.arange(256)  # already on a 256-level grid: exact round trip
    np.testing.assert_allclose(compress(grid, "int8")[0], grid, atol=1e-12)
    const = np.full(5, 3.0)
    np.testing.assert_array_equal(compress(const, "int8")[0], const)


def test_bytes_are_honest():
    p = 650
    assert compressed_bytes("none", p) == 8 * p
    assert topk_count(p, 0.1) == 65
    assert compressed_bytes("topk", p, 0.1) == 65 * (8 + 4)
    assert compressed_bytes("int8", p) == p + 16
    assert compressed_bytes("none", p) / compressed_bytes("topk", p, 0.1) >= 4
    assert compressed_bytes("none", p) / compressed_bytes("int8", p) >= 4


def test_error_feedback_hand_case():
    """x = [3, 1, 2] every round, top-1 with error feedback, worked out by hand."""
    x, e = np.array([3.0, 1.0, 2.0]), np.zeros(3)
    expected = [([3, 0, 0], [0, 1, 2]), ([0, 0, 4], [3, 2, 0]), ([6, 0, 0], [0, 3, 2])]
    for sent, resid in expected:
        x_hat, e, nbytes = compress_with_feedback(x, e, "topk", 1 / 3)
        np.testing.assert_array_equal(x_hat, sent)
        np.testing.assert_array_equal(e, resid)
        assert nbytes == 12


def test_error_feedback_loses_nothing_in_the_long_run():
    rng = np.random.default_rng(2)
    xs = rng.normal(size=(200, 50))
    e = np.zeros(50)
    total_sent = np.zeros(50)
    for x in xs:
        x_hat, e_new, _ = compress_with_feedback(x, e, "topk", 0.1)
        np.testing.assert_allclose(x_hat + e_new, x + e, atol=1e-12)  # conservation
        total_sent += x_hat
        e = e_new
    # what was sent equals what was produced, up to the bounded residual
    np.testing.assert_allclose(total_sent + e, xs.sum(axis=0), atol=1e-9)
    no_ef = sum(compress(x, "topk", 0.1)[0] for x in xs)
    assert np.linalg.norm(total_sent - xs.sum(0)) < np.linalg.norm(no_ef - xs.sum(0))


def test_inputs_not_mutated_and_bad_input():
    x = np.array([1.0, -2.0, 3.0])
    r = np.array([0.5, 0.5, 0.5])
    x0, r0 = x.copy(), r.copy()
    for method in ("none", "topk", "int8"):
        compress(x, method, 0.5)
        compress_with_feedback(x, r, method, 0.5)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(r, r0)
    with pytest.raises(ValueError, match="method must be one of"):
        compress(x, "zip")
    with pytest.raises(ValueError, match="fraction must be a finite number in"):
        compress(x, "topk", 0.0)
    with pytest.raises(ValueError, match="k must be in"):
        topk_compress(x, 4)
    with pytest.raises(ValueError, match="1-D"):
        compress(np.ones((2, 2)), "int8")


@pytest.mark.parametrize("method", ["none", "topk", "int8"])
def test_vectorised_rows_equal_the_row_by_row_reference(method):
    from fedlearn_edu.systems.compression import compress_rows

    X = np.random.default_rng(3).normal(size=(7, 40))
    X[2] = 1.5  # a constant row
    X[3, :4] = [2.0, -2.0, 2.0, -2.0]  # ties
    X0 = X.copy()
    out, nbytes = compress_rows(X, method, 0.1)
    ref = np.stack([compress(x, method, 0.1)[0] for x in X])
    np.testing.assert_array_equal(out, ref)
    assert nbytes == compress(X[0], method, 0.1)[1]
    np.testing.assert_array_equal(X, X0)


def test_vectorised_topk_tie_heavy_rows_match_the_reference():
    from fedlearn_edu.systems.compression import compress_rows

    rng = np.random.default_rng(4)
    X = rng.integers(-3, 4, size=(50, 30)).astype(float)  # many equal magnitudes
    for frac in (0.05, 0.1, 0.37, 1.0):
        out, _ = compress_rows(X, "topk", frac)
        ref = np.stack([compress(x, "topk", frac)[0] for x in X])
        np.testing.assert_array_equal(out, ref)
        assert np.all((out != 0).sum(axis=1) <= topk_count(30, frac))
