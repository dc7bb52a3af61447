"""Issue 12, privacy room: each defect of the audit as a property that would have caught it.

* 4: ``secure_sum`` wrapped silently when the *sum* left the ring;
* 5: a NaN/inf client turned DP-FedAvg's model NaN; the ``nonfinite`` attack end to end;
* 6: NaN slipped through the DP weight check and ``adaptive_clip_norm``;
* 7: hangs and raw tracebacks (``shamir_share(n=1e12)``, ``prg``), messages naming the wrong
  parameter; the RDP accountant refuses NaN/inf/negative arguments.
"""

import math
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fedlearn_edu import FedConfig, privacy, simulate
from fedlearn_edu.core.federation import Federation
from fedlearn_edu.privacy import dp as dp_module
from fedlearn_edu.privacy.accountant import RDPAccountant, compute_rdp, epsilon, rdp_to_epsilon
from fedlearn_edu.privacy.attacks import MODEL_ATTACKS, num_attackers
from fedlearn_edu.privacy.config import AttackConfig, DPConfig
from fedlearn_edu.privacy.secagg import (
    SecAggError,
    decode,
    encode,
    fixed_point_sum,
    prg,
    secure_sum,
    shamir_reconstruct,
    shamir_share,
)
from fedlearn_edu.privacy.server import PrivateServer

FAST = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


# ------------------------------------------------------------------ 4: the ring sum
def test_secure_sum_refuses_the_audit_case():
    """4 clients x 12000 with a 2^15 limit used to return -17536."""
    X = np.full((4, 1), 12000.0)
    with pytest.raises(ValueError, match="wrap around") as err:
        secure_sum(X, 2)
    assert "frac_bits" in str(err.value) and "ring_bits" in str(err.value)
    # ... and the fixes the message names work: a bigger ring, or fewer fractional bits
    assert secure_sum(X, 2, ring_bits=40).total[0] == 48000.0
    assert secure_sum(X, 2, frac_bits=8).total[0] == 48000.0


@FAST
@given(n=st.integers(2, 6), p=st.integers(1, 4), ring_bits=st.integers(8, 62),
       data=st.data())
def test_secure_sum_is_exact_or_refuses(n, p, ring_bits, data):
    frac_bits = data.draw(st.integers(0, ring_bits - 2), label="frac_bits")
    # magnitudes around the ring's limit 2^(ring_bits - frac_bits - 1): both outcomes occur
    e = data.draw(st.floats(-4.0, 1.0), label="log2 of size relative to the limit")
    scale = 2.0 ** (ring_bits - frac_bits - 1 + e)
    X = np.random.default_rng(n * 100 + p).uniform(-1, 1, size=(n, p)) * scale
    gone = data.draw(st.lists(st.integers(0, n - 1), max_size=n - 2, unique=True), label="gone")
    try:
        res = secure_sum(X, 2, drop_before_upload=gone, frac_bits=frac_bits, ring_bits=ring_bits)
    except ValueError as err:
        assert "wrap around" in str(err) and not isinstance(err, SecAggError)
        q = np.round(X * 2.0**frac_bits)
        assert n * np.abs(q).max() > 2.0 ** (ring_bits - 1) - 1  # refused only when it could
        return
    np.testing.assert_array_equal(res.total, fixed_point_sum(X[res.included], frac_bits))


@FAST
@given(k=st.integers(1, 8), ring_bits=st.integers(8, 40), e=st.floats(-3.0, 1.0))
def test_encoded_sum_of_num_inputs_vectors_decodes_exactly_or_encode_refuses(k, ring_bits, e):
    frac_bits = ring_bits // 2
    X = np.random.default_rng(k).uniform(-1, 1, size=(k, 3)) * 2.0 ** (
        ring_bits - frac_bits - 1 + e)
    try:
        enc = [encode(x, frac_bits, ring_bits, num_inputs=k) for x in X]
    except ValueError as err:
        assert "x: inputs must lie" in str(err)
        return
    total = np.zeros(3, dtype=np.uint64)
    for v in enc:
        total = (total + v) & np.uint64(2**ring_bits - 1)
    np.testing.assert_array_equal(decode(total, frac_bits, ring_bits),
                                  fixed_point_sum(X, frac_bits))


def test_rounding_up_to_the_ring_edge_is_refused():
    """x * 2^frac_bits just below 2^(ring_bits-1) rounds *to* it, which decodes negative."""
    x = np.array([2.0**15 - 2.0**-18])  # frac_bits=16, ring_bits=32: rounds to 2^31
    with pytest.raises(ValueError, match="x: inputs must lie"):
        encode(x)


def test_secagg_error_is_also_a_value_error_naming_the_arguments():
    X = np.zeros((4, 2))
    with pytest.raises(ValueError, match="drop_before_upload.*threshold"):
        secure_sum(X, 3, drop_before_upload=[0, 1])
    with pytest.raises(SecAggError, match="drop_before_unmask"):
        secure_sum(X, 3, drop_before_unmask=[0, 1])
    with pytest.raises(ValueError, match="at least t=3"):
        shamir_reconstruct([(1, 2), (2, 3)], 3)


# ------------------------------------------------------------------ 5: non-finite clients
def corrupt(M, rows, pattern):
    M = M.copy()
    M[rows] = pattern
    return M


@FAST
@given(m=st.integers(1, 6), p=st.integers(1, 5), sigma=st.sampled_from([0.0, 0.7]),
       data=st.data())
def test_dp_fedavg_gives_a_nonfinite_client_zero_contribution(m, p, sigma, data):
    rng = np.random.default_rng(m * 10 + p)
    w = rng.normal(size=p)
    M = w + rng.normal(size=(m, p)) * 3
    c = rng.uniform(0.1, 1.0, size=m)
    rows = data.draw(st.lists(st.integers(0, m - 1), unique=True), label="bad rows")
    pattern = data.draw(st.sampled_from([np.nan, np.inf, -np.inf]), label="value")
    bad = corrupt(M, rows, pattern)
    kw = dict(clip_norm=1.0, noise_multiplier=sigma, expected_weight=2.0)
    got = dp_module.dp_fedavg_aggregate(w, bad, c, rng=np.random.default_rng(1), **kw)
    ref = dp_module.dp_fedavg_aggregate(w, corrupt(M, rows, w), c,
                                        rng=np.random.default_rng(1), **kw)  # zero update
    assert np.all(np.isfinite(got))
    np.testing.assert_array_equal(got, ref)


def test_dp_fedavg_update_that_overflows_is_nonfinite_but_a_huge_one_is_clipped():
    kw = dict(clip_norm=1.0, noise_multiplier=0.0, expected_weight=1.0)
    w = np.array([-1e308])
    assert dp_module.dp_fedavg_aggregate(w, [[1e308]], [1.0], **kw)[0] == -1e308  # inf: zero
    w = np.array([1.0])
    got = dp_module.dp_fedavg_aggregate(w, [[-1.7e308]], [1.0], **kw)
    np.testing.assert_allclose(got, [0.0], atol=1e-12)  # finite: clipped to norm 1


def test_dp_fedavg_does_not_rely_on_core_clipping_of_nonfinite_rows(monkeypatch):
    """The pre-issue-12 ``clip_to_norm`` turned a NaN row into NaN: DP must not depend on it."""
    def naive_clip(U, max_norm):
        norms = np.linalg.norm(U, axis=1)
        return U * np.minimum(1.0, max_norm / np.maximum(norms, 1e-300))[:, None]

    monkeypatch.setattr(dp_module.agg, "clip_to_norm", naive_clip)
    M = np.array([[np.nan, 1.0], [np.inf, -np.inf], [0.3, 0.4]])
    got = dp_module.dp_fedavg_aggregate(np.zeros(2), M, [1.0, 1.0, 1.0], clip_norm=1.0,
                                        noise_multiplier=0.0, expected_weight=1.0)
    np.testing.assert_allclose(got, [0.3, 0.4])


def test_nonfinite_attack_is_deterministic_nan_and_inf():
    U = np.arange(10.0).reshape(2, 5)
    a = privacy.poison_updates(U, "nonfinite", 1.0, np.random.default_rng(0))
    b = privacy.poison_updates(U, "nonfinite", 9.0, np.random.default_rng(5))
    np.testing.assert_array_equal(a, b)
    assert a.shape == U.shape and np.isnan(a).any() and np.isposinf(a).any() \
        and np.isneginf(a).any() and not np.isfinite(a).any()
    assert "nonfinite" in MODEL_ATTACKS and AttackConfig("nonfinite").kind == "nonfinite"


def test_private_server_counts_nonfinite_updates():
    cfg = FedConfig(rounds=1, aggregator="median", attack=AttackConfig("nonfinite", 0.3))
    fed = Federation(cfg)
    server = PrivateServer(cfg, fed)
    w = fed.model.init()
    clients = server.sample_clients(cfg.num_clients, fed.sample_rng)
    assert server.last_nonfinite == 0
    results = fed.train(w, clients)
    w_new = server.aggregate_round(fed, w, clients, results)
    assert server.last_nonfinite == 3 and np.all(np.isfinite(w_new))


ROBUST = [("median", 0), ("trimmed_mean", 3), ("krum", 3), ("multi_krum", 3), ("norm_clip", 0)]
BASE = FedConfig(rounds=8)


@pytest.mark.parametrize("aggregator,f", ROBUST)
def test_nonfinite_attackers_leave_robust_runs_finite_and_accurate(aggregator, f):
    clean = simulate(BASE.replace(aggregator=aggregator, aggregator_f=f))
    for k in range(1, max(f, 3) + 1):  # 1..f attackers (median/norm_clip: 1..3)
        cfg = BASE.replace(aggregator=aggregator, aggregator_f=f,
                           attack=AttackConfig("nonfinite", fraction=k / BASE.num_clients))
        h = simulate(cfg)
        assert h.ok and np.all(np.isfinite(h.final_weights)), (aggregator, k)
        assert h.test_accuracy[-1] > clean.test_accuracy[-1] - 0.03, (aggregator, k)
        np.testing.assert_array_equal(h.rejected, k)  # every round, every attacker


def test_nonfinite_attackers_turn_the_plain_mean_nan():
    h = simulate(BASE.replace(attack=AttackConfig("nonfinite", fraction=0.1)))
    assert not h.ok  # the mean has no defence: the run reports the divergence


def test_dp_run_with_nonfinite_attackers_stays_finite():
    dp = DPConfig(noise_multiplier=0.3, clip_norm=1.0)
    clean = simulate(BASE.replace(dp=dp))
    h = simulate(BASE.replace(dp=dp, attack=AttackConfig("nonfinite", fraction=0.3)))
    assert h.ok and np.all(np.isfinite(h.final_weights)) and np.all(np.isfinite(h.epsilon))
    assert np.all(h.rejected <= 3) and h.rejected.sum() > 0
    assert h.test_accuracy[-1] > clean.test_accuracy[-1] - 0.1  # 3 of 10 send nothing useful


# ------------------------------------------------------------------ 6: silent NaN
def test_nan_dp_weights_are_refused():
    with pytest.raises(ValueError, match="weights must be finite"):
        privacy.dp_fedavg_aggregate(np.zeros(2), np.zeros((2, 2)), [np.nan, np.nan],
                                    clip_norm=1.0, noise_multiplier=0.0, expected_weight=1.0)


@FAST
@given(weights=hnp.arrays(np.float64, 3, elements=st.floats(allow_nan=True,
                                                           allow_infinity=True)))
def test_dp_weights_outside_0_1_or_nonfinite_are_refused(weights):
    call = lambda: privacy.dp_fedavg_aggregate(  # noqa: E731
        np.zeros(2), np.ones((3, 2)), weights, clip_norm=1.0, noise_multiplier=0.0,
        expected_weight=1.0)
    if np.all(np.isfinite(weights)) and np.all((weights >= 0) & (weights <= 1)):
        assert np.all(np.isfinite(call()))
    else:
        with pytest.raises(ValueError, match="weights"):
            call()


@pytest.mark.parametrize("param", ["lr", "count_noise", "clip_norm", "target_quantile"])
@pytest.mark.parametrize("value", [math.nan, math.inf, -math.inf])
def test_adaptive_clip_refuses_nonfinite_settings(param, value):
    kw = dict(clip_norm=1.0, update_norms=[1.0, 2.0], lr=0.2, count_noise=0.5,
              rng=np.random.default_rng(0))
    kw[param] = value
    with pytest.raises(ValueError, match=param):
        privacy.adaptive_clip_norm(**kw)


@FAST
@given(lr=st.floats(allow_nan=True, allow_infinity=True),
       count_noise=st.floats(0, 1e300), clip=st.floats(1e-300, 1e300))
def test_adaptive_clip_is_positive_and_finite_or_refuses(lr, count_noise, clip):
    try:
        out = privacy.adaptive_clip_norm(clip, [0.5, 1.0, 3.0], lr=lr, count_noise=count_noise,
                                         rng=np.random.default_rng(0))
    except ValueError as err:
        assert "lr" in str(err)
        return
    assert 0 < out < math.inf


# ------------------------------------------------------------------ 7: hangs and messages
@pytest.mark.parametrize("call,param", [
    (lambda: shamir_share(5, 10**12, 3, np.random.default_rng(0)), "n"),
    (lambda: shamir_share(5, 100, 10**12, np.random.default_rng(0)), "t"),
    (lambda: shamir_share(5, 10_000, 10_000, np.random.default_rng(0)), "n or t"),
    (lambda: shamir_reconstruct([(1, 2)], 10**12), "t"),
    (lambda: prg(-1, 5), "seed"),
    (lambda: prg(1.5, 5), "seed"),
    (lambda: prg(1, 10**12), "size"),
    (lambda: prg(1, -3), "size"),
    (lambda: prg(1, 5, ring_bits=64), "ring_bits"),
    (lambda: secure_sum(np.zeros((500, 2)), 2), "X"),
    (lambda: epsilon(0.1, 1.0, 10, 1e-5, orders=[1e12]), "orders"),
    (lambda: compute_rdp(0.1, 1.0, 10, np.linspace(1.5, 9000, 5000)), "orders"),
])
def test_sizes_are_bounded_and_refused_fast(call, param):
    t0 = time.perf_counter()
    with pytest.raises((ValueError, TypeError), match=rf"\b{param}\b"):
        call()
    assert time.perf_counter() - t0 < 1.0


def test_messages_name_the_parameter():
    with pytest.raises(ValueError, match=r"^fraction must be"):
        num_attackers(10, 1.5)
    with pytest.raises(ValueError, match=r"^scale must be"):
        privacy.poison_updates(np.ones((1, 2)), "scale", -1.0, np.random.default_rng(0))
    with pytest.raises(ValueError, match="scale=1e.308 makes"):
        privacy.poison_updates(np.full((1, 2), 10.0), "scale", 1e308, np.random.default_rng(0))
    with pytest.raises(TypeError, match="fed must be a Federation"):
        PrivateServer(FedConfig(), "fed")


def test_audit_named_functions_are_public():
    for name in ("shamir_share", "shamir_reconstruct", "encode", "decode", "prg",
                 "fixed_point_sum"):
        assert name in privacy.__all__ and hasattr(privacy, name)


# ------------------------------------------------------------------ the accountant
BAD = [math.nan, math.inf, -math.inf, -1.0]


@pytest.mark.parametrize("value", BAD)
@pytest.mark.parametrize("param", ["q", "noise_multiplier", "steps", "delta", "orders"])
def test_accountant_refuses_nan_inf_negative(param, value):
    kw = dict(q=0.1, noise_multiplier=1.0, steps=10, delta=1e-5, orders=[2.0, 8.0])
    kw[param] = [value] if param == "orders" else value
    with pytest.raises((ValueError, TypeError), match=rf"\b{param}\b"):
        epsilon(**kw)
    if param in ("q", "noise_multiplier"):
        with pytest.raises(ValueError, match=param):
            RDPAccountant().step(**{"q": 0.1, "noise_multiplier": 1.0, param: value})
        with pytest.raises(ValueError, match=param):
            compute_rdp(**{"q": 0.1, "noise_multiplier": 1.0, "steps": 1, param: value})
    if param == "delta":
        with pytest.raises(ValueError, match="delta"):
            RDPAccountant().epsilon(value)  # also before any step
        with pytest.raises(ValueError, match="delta"):
            rdp_to_epsilon([2.0], [0.1], value)
    if param == "orders":
        with pytest.raises(ValueError, match="orders"):
            RDPAccountant(orders=[value])


@FAST
@given(q=st.floats(allow_nan=True, allow_infinity=True),
       sigma=st.floats(allow_nan=True, allow_infinity=True),
       steps=st.integers(-5, 10**9))
def test_epsilon_is_finite_or_refused(q, sigma, steps):
    try:
        eps = epsilon(q, sigma, steps, 1e-5, orders=[1.5, 2.0, 10.0, 64.0])
    except ValueError:
        return
    assert 0 <= eps < math.inf


def test_no_noise_is_refused_by_epsilon_but_counted_as_inf_by_the_accountant():
    with pytest.raises(ValueError, match="noise_multiplier"):
        epsilon(0.1, 0.0, 10, 1e-5)
    acc = RDPAccountant()
    acc.step(0.1, 0.0)
    assert acc.epsilon(1e-5) == math.inf
    assert epsilon(0.0, 0.0, 10, 1e-5) == 0.0 and epsilon(0.1, 0.0, 0, 1e-5) == 0.0
