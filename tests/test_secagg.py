"""Secure aggregation: exact sums with random dropouts, loud failure past the threshold."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fedlearn_edu.privacy.secagg import (
    PRIME,
    SecAggError,
    decode,
    encode,
    fixed_point_sum,
    secure_sum,
    shamir_reconstruct,
    shamir_share,
)


def test_shamir_any_t_shares_reconstruct():
    rng = np.random.default_rng(0)
    secret = 123456789012345
    shares = shamir_share(secret, 6, 3, rng)
    for idx in ([0, 1, 2], [5, 3, 1], [2, 4, 5, 0]):
        assert shamir_reconstruct([shares[i] for i in idx], 3) == secret
    with pytest.raises(SecAggError, match="at least t=3"):
        shamir_reconstruct(shares[:2], 3)
    # two shares are consistent with any secret: a wrong 3rd point gives another secret
    assert shamir_reconstruct(shares[:2] + [(3, (shares[2][1] + 1) % PRIME)], 3) != secret


def test_fixed_point_roundtrip_and_range():
    x = np.array([-3.25, 0.0, 1e-6, 2.5])
    np.testing.assert_allclose(decode(encode(x)), x, atol=2**-17)
    with pytest.raises(ValueError, match="inputs must lie"):
        encode(np.array([40000.0]))
    with pytest.raises(ValueError, match="finite"):
        encode(np.array([np.nan]))


@settings(max_examples=25, deadline=None)
@given(n=st.integers(3, 9), p=st.integers(1, 40), seed=st.integers(0, 2**31), data=st.data())
def test_secure_sum_equals_plain_sum_with_random_dropouts(n, p, seed, data):
    t = data.draw(st.integers(2, n))
    order = np.random.default_rng(seed).permutation(n)
    k1 = data.draw(st.integers(0, n - t))  # uploads still >= t
    k2 = data.draw(st.integers(0, n - t - k1))  # responders still >= t
    gone1, gone2 = order[:k1].tolist(), order[k1:k1 + k2].tolist()
    X = np.random.default_rng(seed + 1).normal(scale=5.0, size=(n, p))
    res = secure_sum(X, t, drop_before_upload=gone1, drop_before_unmask=gone2, seed=seed)
    included = sorted(set(range(n)) - set(gone1))
    assert res.included == included and res.dropped == sorted(gone1)
    np.testing.assert_array_equal(res.total, fixed_point_sum(X[included]))  # bit-exact
    np.testing.assert_allclose(res.total, X[included].sum(axis=0), atol=n * 2.0**-17)


@settings(max_examples=15, deadline=None)
@given(n=st.integers(3, 8), seed=st.integers(0, 2**31), data=st.data())
def test_too_many_dropouts_fail_loudly(n, seed, data):
    t = data.draw(st.integers(2, n))
    X = np.random.default_rng(seed).normal(size=(n, 4))
    gone = np.random.default_rng(seed).permutation(n)[: n - t + 1].tolist()  # t - 1 left
    with pytest.raises(SecAggError, match="threshold"):
        secure_sum(X, t, drop_before_upload=gone, seed=seed)
    with pytest.raises(SecAggError, match="unmasking"):
        secure_sum(X, t, drop_before_unmask=gone, seed=seed)


def test_server_sees_only_masked_vectors():
    X = np.zeros((5, 2000))  # every client's input is all zeros
    res = secure_sum(X, 3, seed=1)
    for u, y in res.masked.items():
        assert not np.array_equal(y, encode(X[u]))
        # a masked vector looks uniform on [0, 2^32): mean ~ 2^31, not 0
        assert abs(y.astype(float).mean() / 2**31 - 1) < 0.05
    np.testing.assert_array_equal(res.total, np.zeros(2000))


def test_traffic_is_counted():
    n, p = 6, 100
    res = secure_sum(np.ones((n, p)), 4, drop_before_upload=[0], seed=0)
    assert res.messages_up == n + n + (n - 1) + (n - 1)  # keys, shares, inputs, unmask shares
    assert res.bytes_up == n * 8 + n * (n - 1) * 16 + (n - 1) * p * 4 + (n - 1) * (n - 1) * 8
    assert res.key_and_share_bytes == res.bytes_up + res.bytes_down - (n - 1) * p * 4
    assert res.plain_bytes_up == n * p * 8 and res.overhead > 0


def test_deterministic_and_validated():
    X = np.random.default_rng(0).normal(size=(4, 3))
    a, b = secure_sum(X, 2, seed=5), secure_sum(X, 2, seed=5)
    assert all(np.array_equal(a.masked[u], b.masked[u]) for u in a.masked)
    with pytest.raises(ValueError, match="threshold"):
        secure_sum(X, 1)
    with pytest.raises(ValueError, match="threshold"):
        secure_sum(X, 5)
    with pytest.raises(ValueError, match="drop_before_upload"):
        secure_sum(X, 2, drop_before_upload=[7])
    with pytest.raises(ValueError, match="both"):
        secure_sum(X, 2, drop_before_upload=[1], drop_before_unmask=[1])
    with pytest.raises(ValueError, match=r"X must be a 2-D array"):
        secure_sum(np.zeros(3), 2)
