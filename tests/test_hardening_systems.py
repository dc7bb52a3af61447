"""Issue 12, systems room: the defects the audit found, each with a property test that would
have caught it, plus the hinge staleness function and stochastic int8 rounding."""

import math

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fedlearn_edu import FedConfig, systems
from fedlearn_edu.runner import run_systems
from fedlearn_edu.systems import (
    SystemsConfig,
    asynchronous,
    compress,
    compress_rows,
    compression,
    config,
    dequantize_int8,
    fedasync_mix,
    fedbuff_aggregate,
    quantize,
    quantize_int8,
    staleness_weight,
)

MAX = np.finfo(np.float64).max
EPS = np.finfo(np.float64).eps
# any finite float64, subnormals and +-1.8e308 included
FINITE = st.floats(allow_nan=False, allow_infinity=False)
PROPERTY = settings(max_examples=300, deadline=None, derandomize=True)


def vectors(min_side=1, max_side=30):
    return hnp.arrays(np.float64, st.integers(min_side, max_side), elements=FINITE)


def rounding_slack(x):
    """Floating-point rounding on top of the exact bounds: a few ulps of max|x|, and the
    float64 subnormal step times the 256 levels for inputs near 5e-324."""
    return 8 * EPS * float(np.max(np.abs(x))) + 256 * 5e-324


# -- defect 6: fedbuff_aggregate -------------------------------------------------------------


@pytest.mark.parametrize("counts, match", [
    ([0.0, 0.0], "num_examples must not be all 0"),
    ([3.0, -3.0], r"num_examples entries must lie in \[0.0"),
    ([-1.0, -2.0], r"num_examples entries must lie in \[0.0"),
    ([math.nan, 1.0], "num_examples must be finite"),
    ([math.inf, 1.0], "num_examples must be finite"),
])
def test_fedbuff_refuses_counts_that_made_nan(counts, match):
    with pytest.raises(ValueError, match=match):
        fedbuff_aggregate(np.zeros(2), np.ones((2, 2)), counts, [1.0, 1.0])


@pytest.mark.parametrize("weights", [[math.nan, 1.0], [1.5, 1.0], [-0.1, 1.0], [math.inf, 0]])
def test_fedbuff_refuses_stale_weights_outside_0_1(weights):
    with pytest.raises(ValueError, match="stale_weights"):
        fedbuff_aggregate(np.zeros(2), np.ones((2, 2)), [1.0, 2.0], weights)


@PROPERTY
@given(data=st.data())
def test_fedbuff_is_finite_and_exact_or_refuses_naming_the_argument(data):
    """Any finite input: the result is the FedBuff formula (checked in 80-bit long double,
    which cannot overflow here) or a refusal that names the offending argument."""
    K, p = data.draw(st.integers(1, 5)), data.draw(st.integers(1, 4))
    w = data.draw(hnp.arrays(np.float64, p, elements=FINITE))
    D = data.draw(hnp.arrays(np.float64, (K, p), elements=FINITE))
    n = data.draw(hnp.arrays(np.float64, K, elements=st.floats(-1e308, 1e308)))
    s = data.draw(hnp.arrays(np.float64, K, elements=st.floats(-0.5, 1.5)))
    try:
        out = fedbuff_aggregate(w, D, n, s)
    except ValueError as err:
        msg = str(err)
        bad_n = np.any(n < 0) or not np.any(n > 0)
        bad_s = np.any((s < 0) | (s > 1))
        assert ("num_examples" in msg and bad_n) or ("stale_weights" in msg and bad_s) or \
            ("w and deltas" in msg and "overflows" in msg), msg
        if "overflows" in msg:  # only when the true result leaves the float64 range
            L = np.longdouble
            ref = w.astype(L) + (n.astype(L) * s.astype(L)) @ D.astype(L) / n.astype(L).sum()
            assert np.max(np.abs(ref)) > MAX * (1 - 1e-12)
        return
    assert np.all(n >= 0) and np.any(n > 0) and np.all((s >= 0) & (s <= 1))
    assert np.isfinite(out).all()
    L = np.longdouble
    ref = w.astype(L) + (n.astype(L) * s.astype(L)) @ D.astype(L) / n.astype(L).sum()
    scale = max(float(np.abs(w).max()), float(np.abs(D).max()), 1e-300)
    assert np.all(np.abs(out.astype(L) - ref) <= 1e-12 * scale + 1e-300)


def test_fedbuff_extreme_counts_and_updates_stay_exact():
    """Counts summing past 1.8e308 used to divide by inf (a zero step); updates near 1e308
    overflowed n_i * Delta_i."""
    D = np.array([[1.0, -2.0], [3.0, 4.0]])
    out = fedbuff_aggregate(np.zeros(2), D, [1e308, 1e308], [1.0, 1.0])
    np.testing.assert_allclose(out, [2.0, 1.0], rtol=1e-15)
    big = np.array([[1e308, -1e308], [1e308, 1e308]])
    np.testing.assert_allclose(fedbuff_aggregate(np.zeros(2), big, [3.0, 1.0], [1.0, 1.0]),
                               [1e308, -5e307], rtol=1e-15)
    with pytest.raises(ValueError, match="overflows float64"):
        fedbuff_aggregate(np.full(2, 1.5e308), big, [1.0, 1.0], [1.0, 1.0])


def test_fedasync_mix_checks_and_overflow():
    with pytest.raises(ValueError, match="alpha must be"):
        fedasync_mix(np.zeros(2), np.ones(2), math.nan)
    with pytest.raises(ValueError, match="v must have the shape of w"):
        fedasync_mix(np.zeros(2), np.ones(3), 0.5)
    np.testing.assert_array_equal(fedasync_mix(np.full(2, MAX), np.full(2, MAX), 0.5), MAX)


# -- defect 6: staleness_weight ---------------------------------------------------------------


@pytest.mark.parametrize("tau", [math.nan, math.inf, [0.0, math.nan], -1, [2.0, -0.5]])
def test_staleness_refuses_nan_inf_and_negative_tau(tau):
    with pytest.raises(ValueError, match="tau"):
        staleness_weight(tau)


@pytest.mark.parametrize("kwargs, name", [
    (dict(p=math.nan), "p"), (dict(p=-1.0), "p"), (dict(p=math.inf), "p"),
    (dict(kind="hinge", slope=-1.0), "slope"), (dict(kind="hinge", cutoff=math.nan), "cutoff"),
    (dict(kind="exponential"), "kind"),
])
def test_staleness_refuses_bad_parameters(kwargs, name):
    with pytest.raises(ValueError, match=rf"\b{name} must be"):
        staleness_weight(1.0, **kwargs)


def paper_hinge(t, a, b):
    """Xie, Koyejo & Gupta 2019, s_{a,b}(t - tau), written as in the paper."""
    return 1.0 if t <= b else 1.0 / (a * (t - b) + 1.0)


@PROPERTY
@given(tau=hnp.arrays(np.float64, st.integers(1, 20), elements=st.floats(0, 1e6)),
       a=st.floats(0, 1e6), b=st.floats(0, 1e6), p=st.floats(0, 100))
def test_staleness_functions_are_in_0_1_nonincreasing_and_1_when_fresh(tau, a, b, p):
    tau = np.sort(tau)
    hinge = staleness_weight(tau, "hinge", slope=a, cutoff=b)
    np.testing.assert_allclose(hinge, [paper_hinge(t, a, b) for t in tau], rtol=1e-13)
    assert np.all(hinge[tau <= b] == 1.0)
    for kind in ("polynomial", "constant", "hinge"):
        s = staleness_weight(tau, kind, p, slope=a, cutoff=b)
        assert s.shape == tau.shape and np.all((s >= 0) & (s <= 1))
        assert np.all(np.diff(s) <= 0), kind
        assert staleness_weight(0.0, kind, p, slope=a, cutoff=b) == 1.0


def test_hinge_hand_values():
    # a = 10, b = 4: full weight up to 4 versions late, then 1/11, 1/21, ...
    np.testing.assert_allclose(staleness_weight([0, 4, 5, 6, 14], "hinge", slope=10, cutoff=4),
                               [1, 1, 1 / 11, 1 / 21, 1 / 101])
    assert staleness_weight(1e308, "hinge", slope=1e6, cutoff=0) == 0.0  # 1/inf, no NaN


# -- the hinge in SystemsConfig and the event loop --------------------------------------------


def test_config_allows_hinge_and_validates_its_parameters():
    s = SystemsConfig(mode="async", staleness="hinge", staleness_slope=2.0, staleness_cutoff=1)
    assert (s.staleness, s.staleness_slope, s.staleness_cutoff) == ("hinge", 2.0, 1.0)
    assert config.STALENESS_NAMES == tuple(asynchronous.STALENESS)
    for field, value in [("staleness_slope", -1.0), ("staleness_slope", math.nan),
                         ("staleness_cutoff", math.inf), ("staleness_cutoff", -2)]:
        with pytest.raises(ValueError, match=f"SystemsConfig.{field} must be"):
            SystemsConfig(**{field: value})


def async_cfg(mode, **systems_kw):
    return FedConfig(rounds=4, systems=SystemsConfig(preset="mobile", mode=mode, latency_ms=50,
                                                     straggler_fraction=0.3, buffer_size=3,
                                                     **systems_kw))


@pytest.mark.parametrize("mode", ["async", "fedbuff"])
def test_event_loop_uses_the_chosen_staleness_function(mode, monkeypatch):
    const = run_systems(async_cfg(mode, staleness="constant")).history
    # b beyond any staleness: the hinge is 1 everywhere, exactly the constant run
    flat = run_systems(async_cfg(mode, staleness="hinge", staleness_cutoff=1e6)).history
    np.testing.assert_array_equal(flat.final_weights, const.final_weights)
    calls = []
    real = asynchronous.STALENESS["hinge"]

    def spy(tau, p, slope, cutoff):
        out = real(tau, p, slope, cutoff)
        calls.append((tau, slope, cutoff, out))
        return out

    monkeypatch.setitem(asynchronous.STALENESS, "hinge", spy)
    steep = run_systems(async_cfg(mode, staleness="hinge", staleness_slope=5.0,
                                  staleness_cutoff=0.0)).history
    assert calls and all(c[1:3] == (5.0, 0.0) for c in calls)
    assert all(out == paper_hinge(tau, 5.0, 0.0) for tau, _, _, out in calls)
    assert any(tau > 0 for tau, *_ in calls)  # stale updates occurred and were discounted
    assert not np.array_equal(steep.final_weights, const.final_weights)


# -- defect 6: int8 quantisation of non-finite and extreme input ------------------------------


@pytest.mark.parametrize("x", [[math.nan, 1.0], [math.inf, 1.0], [-math.inf, 0.0]])
def test_quantize_refuses_non_finite(x):
    for fn in (quantize_int8, lambda v: compress(v, "int8"), lambda v: compress_rows([v], "int8")):
        with pytest.raises(ValueError, match="must be finite"):
            fn(np.array(x))


def test_quantize_full_range_does_not_overflow():
    x = np.array([-1e308, 0.0, 1e308])
    q, lo, scale = quantize_int8(x)
    assert np.isfinite(scale) and scale == pytest.approx(1e308 / 127.5)
    x_hat = dequantize_int8(q, lo, scale)
    assert np.isfinite(x_hat).all() and np.all(np.abs(x_hat - x) <= scale / 2 * (1 + 1e-12))
    edge = np.array([-MAX, MAX])
    np.testing.assert_array_equal(compress(edge, "int8")[0], edge)
    with pytest.raises(ValueError, match="overflows float64"):
        dequantize_int8(np.array([255]), 1e308, 1e308)


@PROPERTY
@given(x=vectors())
def test_int8_error_bound_holds_at_every_magnitude(x):
    q, lo, scale = quantize_int8(x)
    assert q.dtype == np.uint8 and lo == x.min() and np.isfinite(scale) and scale >= 0
    x_hat = dequantize_int8(q, lo, scale)
    assert np.isfinite(x_hat).all()
    assert np.all(np.abs(x_hat - x) <= scale / 2 + rounding_slack(x))
    q_s, lo_s, scale_s = quantize_int8(x, "stochastic", np.random.default_rng(0))
    assert (lo_s, scale_s) == (lo, scale)
    assert np.all(np.abs(dequantize_int8(q_s, lo, scale) - x) <= scale + rounding_slack(x))


@PROPERTY
@given(X=hnp.arrays(np.float64, st.tuples(st.integers(1, 6), st.integers(1, 12)),
                    elements=FINITE),
       rounding=st.sampled_from(quantize.ROUNDING_NAMES))
def test_vectorised_int8_equals_row_by_row_at_every_magnitude(X, rounding):
    out, nbytes = compress_rows(X, "int8", rounding=rounding, rng=np.random.default_rng(7))
    rng = np.random.default_rng(7)
    ref = np.stack([compress(x, "int8", rounding=rounding, rng=rng)[0] for x in X])
    np.testing.assert_array_equal(out, ref)
    assert nbytes == X.shape[1] + 16


# -- stochastic rounding: unbiased, where nearest rounding is not -----------------------------


def test_stochastic_rounding_is_unbiased_and_nearest_is_not():
    """x in [0, 1]: scale = 1/255; entries sit a fraction f of a level above a grid point.

    One stochastic draw is level floor(t) + Bernoulli(f): error scale * (B - f), mean 0,
    sd scale * sqrt(f (1 - f)). The mean of N independent draws then has sd
    scale * sqrt(f (1 - f) / N); a 5-sigma band fails by chance with probability < 6e-7
    per entry. Nearest rounding is off by exactly -f * scale (f < 1/2) or (1 - f) * scale
    every time, far outside that band."""
    f = np.array([0.0, 0.3, 0.7, 0.1, 0.45, 0.0])
    k = np.array([0, 3, 100, 17, 200, 255])
    scale = 1 / 255
    x = (k + f) * scale
    x[-1] = 1.0  # lo = 0, hi = 1 fix the grid
    N = 20_000
    X = np.tile(x, (N, 1))
    stochastic, _ = compress_rows(X, "int8", rounding="stochastic", rng=np.random.default_rng(0))
    err = stochastic.mean(axis=0) - x
    sd = scale * np.sqrt(f * (1 - f) / N)
    assert np.all(np.abs(err) <= 5 * sd + 1e-15), err / np.maximum(sd, 1e-300)
    nearest = compress(x, "int8")[0]
    bias = nearest - x
    expected = np.where(f < 0.5, -f, 1 - f) * scale
    np.testing.assert_allclose(bias, expected, atol=1e-15)
    moved = f > 0
    assert np.all(np.abs(bias[moved]) > 20 * sd[moved])
    # every stochastic value is one of the two neighbouring levels
    assert np.all(np.abs(stochastic - x) <= scale + 1e-15)


def test_stochastic_rounding_needs_a_generator_and_is_reproducible():
    x = np.random.default_rng(1).normal(size=50)
    with pytest.raises(ValueError, match="rng must be a numpy.random.Generator"):
        quantize_int8(x, "stochastic")
    a = quantize_int8(x, "stochastic", np.random.default_rng(3))[0]
    b = quantize_int8(x, "stochastic", np.random.default_rng(3))[0]
    np.testing.assert_array_equal(a, b)
    with pytest.raises(ValueError, match="rounding must be one of"):
        compress(x, "int8", rounding="up")


@pytest.mark.parametrize("mode", ["sync", "async"])
def test_stochastic_rounding_in_a_run_is_seeded_per_client(mode):
    cfg = FedConfig(rounds=3, systems=SystemsConfig(mode=mode, compression="int8",
                                                    int8_rounding="stochastic"))
    a, b = run_systems(cfg).history, run_systems(cfg).history
    np.testing.assert_array_equal(a.final_weights, b.final_weights)
    nearest = run_systems(cfg.replace(systems=cfg.systems.replace(int8_rounding="nearest")))
    assert not np.array_equal(a.final_weights, nearest.history.final_weights)
    assert a.test_accuracy[-1] > nearest.history.test_accuracy[-1] - 0.05
    other_seed = run_systems(cfg.replace(seed=5)).history
    assert not np.array_equal(a.final_weights, other_seed.final_weights)


def test_client_streams_depend_only_on_seed_and_client():
    m1, m2 = compression.ClientMemory(4), compression.ClientMemory(4)
    m1.stream(0).random(10)  # another client drawing first changes nothing for client 3
    np.testing.assert_array_equal(m1.stream(3).random(5), m2.stream(3).random(5))
    assert not np.array_equal(compression.ClientMemory(5).stream(3).random(5),
                              compression.ClientMemory(4).stream(3).random(5))
    with pytest.raises(ValueError, match="SystemsConfig.int8_rounding must be one of"):
        SystemsConfig(int8_rounding="up")
    assert config.ROUNDING_NAMES == quantize.ROUNDING_NAMES


# -- defect 7: raw tracebacks and unbounded sizes ---------------------------------------------


def test_new_public_names_are_exported():
    for name in ("quantize_int8", "dequantize_int8", "topk_compress", "topk_decompress",
                 "topk_count", "compress_with_feedback"):
        assert name in systems.__all__ and callable(getattr(systems, name))


@pytest.mark.parametrize("call, name", [
    (lambda: systems.make_profiles(10**12), "num_clients"),
    (lambda: systems.make_profiles(3, seed=-1), "seed"),
    (lambda: systems.make_profiles(3, overrides={"a": {}}), "overrides"),
    (lambda: systems.make_profiles(3, overrides={0: {"speed": "fast"}}), "overrides"),
    (lambda: systems.synthetic_fedprox(num_devices=10**12), "num_devices"),
    (lambda: systems.synthetic_fedprox(num_devices=10_000), "num_devices"),  # > 1 GiB
    (lambda: systems.synthetic_fedprox(n_features=1e9), "n_features"),
    (lambda: systems.synthetic_fedprox(max_samples=2, train_fraction=0.4), "train_fraction"),
    (lambda: systems.topk_decompress([0], [1.0], 10**12), "p"),
    (lambda: systems.topk_decompress([1, 1], [1.0, 2.0], 3), "idx"),
    (lambda: systems.topk_decompress([5], [1.0], 3), "idx"),
    (lambda: systems.topk_count(10**20, 0.5), "p"),
    (lambda: systems.topk_compress(np.ones(3), 4), "k"),
    (lambda: systems.compressed_bytes("gzip", 10), "method"),
    (lambda: systems.compress_rows(np.ones((2, 0)), "topk"), "X"),
    (lambda: systems.compress_with_feedback(np.full(2, 1e308), np.full(2, 1e308), "none"),
     "residual"),
    (lambda: systems.client_times(systems.make_profiles(2), [0, 5], [1.0, 1.0], 1, 8, 8),
     "clients"),
    (lambda: systems.client_times(systems.make_profiles(2), [0], [1.0], 1, 1e300, 8),
     "bytes_down"),
    (lambda: systems.Profiles(**{**_three(), "dropout": np.zeros(2)}), "dropout"),
    (lambda: systems.Profiles(**{**_three(), "speed": [1.0, math.nan, 2.0]}), "speed"),
    (lambda: systems.Timeline().record(0), "r"),
])
def test_bad_calls_are_refused_naming_the_parameter(call, name):
    with pytest.raises((ValueError, TypeError), match=rf"(?<![A-Za-z0-9_]){name}(?![A-Za-z0-9_])"):
        call()


def _three():
    return dict(speed=np.array([1.0, 2.0, np.inf]), latency_ms=np.zeros(3), up_mbps=np.ones(3),
                down_mbps=np.ones(3), availability=np.ones(3), dropout=np.zeros(3),
                straggler=np.zeros(3, dtype=bool))


def test_systems_rounds_refuses_inconsistent_parts():
    from fedlearn_edu.core.federation import Federation

    cfg = FedConfig(dataset="iris", num_clients=3, rounds=1, systems=SystemsConfig())
    fed, prof, tl = Federation(cfg), systems.Profiles(**_three()), systems.Timeline()
    systems.SystemsRounds(cfg, fed, prof, tl)  # consistent: fine
    with pytest.raises(ValueError, match="config.systems must be"):
        systems.SystemsRounds(cfg.replace(systems=None), fed, prof, tl)
    with pytest.raises(ValueError, match="synchronous mode"):
        systems.SystemsRounds(cfg.replace(systems=SystemsConfig(mode="async")), fed, prof, tl)
    with pytest.raises(ValueError, match="profiles must describe"):
        systems.SystemsRounds(cfg, fed, systems.make_profiles(4), tl)
    with pytest.raises(TypeError, match="fed must be a Federation"):
        systems.SystemsRounds(cfg, "fed", prof, tl)


def test_client_times_overflow_is_refused_not_inf():
    prof = systems.Profiles(**{**_three(), "speed": np.array([1e-300, 1.0, 1.0])})
    with pytest.raises(ValueError, match="overflow"):
        systems.client_times(prof, [0], [1e10], 10, 8, 8)


@PROPERTY
@given(data=st.data())
def test_error_feedback_conserves_or_refuses(data):
    p = data.draw(st.integers(1, 12))
    x = data.draw(hnp.arrays(np.float64, p, elements=FINITE))
    r = data.draw(hnp.arrays(np.float64, p, elements=FINITE))
    with np.errstate(over="ignore"):
        target = x + r
    try:
        x_hat, e, _ = systems.compress_with_feedback(x, r, "int8")
    except ValueError as err:
        assert "x + residual overflows" in str(err) and not np.isfinite(target).all()
        return
    assert np.isfinite(x_hat).all() and np.isfinite(e).all()
    # x_hat + e == x + residual, up to the rounding of e = target - x_hat and of the sum
    assert np.all(np.abs((x_hat + e) - target) <= 2 * EPS * (np.abs(x_hat) + np.abs(e)) + 1e-320)


def test_fedbuff_public_step_gives_the_plain_formula_numbers_on_ordinary_input():
    """The power-of-two rescale of the counts is exact: bit for bit the plain formula (the
    one the event loop uses), so no valid run changes."""
    rng = np.random.default_rng(8)
    for _ in range(50):
        K, p = rng.integers(1, 8), rng.integers(1, 20)
        w, D = rng.normal(size=p), rng.normal(size=(K, p)) * 10.0 ** rng.integers(-5, 5)
        n = rng.integers(0, 5000, size=K).astype(float)
        n[0] += 1
        s = staleness_weight(rng.integers(0, 9, size=K), "polynomial", 0.5)
        np.testing.assert_array_equal(fedbuff_aggregate(w, D, n, s), w + (n * s) @ D / n.sum())
