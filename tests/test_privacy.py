"""DP-FedAvg: equals FedAvg without noise/clipping, clips and noises as promised, accounts eps."""

import math

import numpy as np
import pytest

from fedlearn_edu import FedConfig, simulate
from fedlearn_edu.core.federation import Federation
from fedlearn_edu.core.loop import iterate
from fedlearn_edu.core.strategies import FedAvg
from fedlearn_edu.privacy.accountant import epsilon
from fedlearn_edu.privacy.config import DPConfig
from fedlearn_edu.privacy.dp import adaptive_clip_norm, dp_fedavg_aggregate


def plain_loop(config):
    """The round loop exactly as it was before issue 7 (reference for bit-identity)."""
    fed = Federation(config)
    w = fed.model.init()
    out = []
    for _ in range(config.rounds):
        selected = fed.strategy.sample_clients(config.num_clients, fed.sample_rng)
        results = fed.train(w, selected)
        w = fed.strategy.aggregate(w, results, fed.counts[selected])
        out.append(w)
    return np.array(out)


@pytest.mark.parametrize(
    "cfg",
    [
        FedConfig(rounds=3),
        FedConfig(rounds=3, client_fraction=0.5, partition="dirichlet"),
        FedConfig(rounds=3, strategy="fedsgd", engine="loop"),
    ],
)
def test_defaults_are_bit_identical_to_the_plain_loop(cfg):
    assert cfg.dp is None
    got = np.array([w.copy() for _, w in iterate(cfg)])
    np.testing.assert_array_equal(got, plain_loop(cfg))
    assert np.all(np.isnan(simulate(cfg).epsilon))  # NaN when DP is off


def test_dp_aggregate_without_noise_or_clipping_is_fedavg():
    rng = np.random.default_rng(0)
    w = rng.normal(size=6)
    models = rng.normal(size=(4, 6))
    counts = np.array([10, 30, 25, 35])
    c = counts / counts.max()
    got = dp_fedavg_aggregate(
        w, models, c, clip_norm=math.inf, noise_multiplier=0.0, expected_weight=c.sum()
    )
    np.testing.assert_allclose(got, FedAvg(4).aggregate(w, models, counts), atol=1e-12)


def test_dp_fedavg_run_with_sigma0_and_huge_clip_equals_fedavg():
    base = FedConfig(rounds=5)
    dp = base.replace(dp=DPConfig(noise_multiplier=0.0, clip_norm=1e12))  # DP path, q = 1
    h0, h1 = simulate(base), simulate(dp)
    np.testing.assert_allclose(h1.final_weights, h0.final_weights, rtol=0, atol=1e-10)
    np.testing.assert_array_equal(h1.test_accuracy, h0.test_accuracy)
    assert np.all(h1.epsilon == np.inf)  # clipping without noise: no privacy guarantee


def test_clipping_by_hand():
    w = np.zeros(2)
    models = np.array([[3.0, 4.0], [0.3, 0.4]])  # norms 5 and 0.5
    got = dp_fedavg_aggregate(
        w, models, [1.0, 1.0], clip_norm=1.0, noise_multiplier=0.0, expected_weight=4.0
    )  # e.g. q = 0.5 of 8 clients of weight 1
    np.testing.assert_allclose(got, ([0.6, 0.8] + np.array([0.3, 0.4])) / 4.0)
    assert models[0, 0] == 3.0  # caller's array untouched


def test_noise_scale_and_sensitivity():
    p, S, sigma, W = 20000, 2.0, 1.5, 5.0
    w = np.zeros(p)
    out = dp_fedavg_aggregate(
        w,
        np.zeros((3, p)),
        np.ones(3),
        clip_norm=S,
        noise_multiplier=sigma,
        expected_weight=W,
        rng=np.random.default_rng(0),
    )
    assert out.std() == pytest.approx(sigma * S / W, rel=0.02)
    # adding one client with an arbitrary update moves the noiseless sum by at most S
    rng = np.random.default_rng(1)
    M = rng.normal(size=(4, 7)) * 10
    c = rng.random(4)
    a = dp_fedavg_aggregate(
        np.zeros(7), M[:3], c[:3], clip_norm=S, noise_multiplier=0, expected_weight=1.0
    )
    b = dp_fedavg_aggregate(np.zeros(7), M, c, clip_norm=S, noise_multiplier=0, expected_weight=1.0)
    assert np.linalg.norm(b - a) <= S + 1e-12


def test_history_epsilon_matches_accountant_each_round():
    cfg = FedConfig(
        rounds=6, client_fraction=0.5, dp=DPConfig(noise_multiplier=1.2, clip_norm=1.0, delta=1e-5)
    )
    h = simulate(cfg)
    ref = [epsilon(0.5, 1.2, r, 1e-5) for r in range(1, 7)]
    np.testing.assert_allclose(h.epsilon, ref, rtol=1e-12)
    assert np.all(np.diff(h.epsilon) > 0)
    # Poisson sampling: the number of participants varies from round to round
    h2 = simulate(cfg.replace(rounds=30))
    assert h2.num_participants.min() < h2.num_participants.max()
    assert abs(h2.num_participants.mean() - 5) < 1.5


def test_more_noise_costs_accuracy_and_buys_privacy():
    base = FedConfig(rounds=10, dp=DPConfig(clip_norm=1.0, noise_multiplier=0.0))
    lo = simulate(base.replace(dp=base.dp.replace(noise_multiplier=0.3)))
    hi = simulate(base.replace(dp=base.dp.replace(noise_multiplier=3.0)))
    assert hi.epsilon[-1] < lo.epsilon[-1]
    assert hi.test_accuracy[-1] < lo.test_accuracy[-1]


def test_dp_runs_are_deterministic():
    cfg = FedConfig(rounds=3, client_fraction=0.3, dp=DPConfig(noise_multiplier=1.0, clip_norm=0.5))
    a, b = simulate(cfg), simulate(cfg)
    np.testing.assert_array_equal(a.final_weights, b.final_weights)
    c = simulate(cfg.replace(seed=1))
    assert not np.array_equal(a.final_weights, c.final_weights)


def test_adaptive_clipping_step():
    norms = np.array([1.0, 2.0, 3.0, 4.0])
    assert adaptive_clip_norm(2.5, norms) == pytest.approx(2.5)  # already the median
    assert adaptive_clip_norm(10.0, norms, lr=0.2) == pytest.approx(10 * math.exp(-0.1))
    assert adaptive_clip_norm(0.5, norms, lr=0.2) == pytest.approx(0.5 * math.exp(0.1))
    with pytest.raises(ValueError, match="rng is required"):
        adaptive_clip_norm(1.0, norms, count_noise=1.0)


@pytest.mark.parametrize(
    "changes,match",
    [
        (dict(clip_norm=math.inf), "DPConfig.clip_norm must be a finite number"),
        (dict(noise_multiplier=-1.0), "DPConfig.noise_multiplier"),
        (dict(clip_norm=0.0), "DPConfig.clip_norm"),
        (dict(delta=1.0), "DPConfig.delta"),
    ],
)
def test_bad_dp_config(changes, match):
    with pytest.raises(ValueError, match=match):
        FedConfig(dp=DPConfig(**changes))


def test_dp_needs_the_mean_aggregator():
    with pytest.raises(ValueError, match="aggregator must be 'mean'"):
        FedConfig(dp=DPConfig(clip_norm=1.0), aggregator="median")


def test_bad_aggregate_inputs():
    with pytest.raises(ValueError, match="finite clip_norm"):
        dp_fedavg_aggregate(
            np.zeros(2),
            np.zeros((1, 2)),
            [1.0],
            clip_norm=math.inf,
            noise_multiplier=1.0,
            expected_weight=1.0,
        )
    with pytest.raises(ValueError, match="rng is required"):
        dp_fedavg_aggregate(
            np.zeros(2),
            np.zeros((1, 2)),
            [1.0],
            clip_norm=1.0,
            noise_multiplier=1.0,
            expected_weight=1.0,
        )
    with pytest.raises(ValueError, match="weights must be"):
        dp_fedavg_aggregate(
            np.zeros(2),
            np.zeros((1, 2)),
            [2.0],
            clip_norm=1.0,
            noise_multiplier=0.0,
            expected_weight=1.0,
        )


def test_rounds_with_no_sampled_client_still_add_noise_and_count():
    cfg = FedConfig(
        rounds=15, client_fraction=0.05, dp=DPConfig(noise_multiplier=1.0, clip_norm=1.0)
    )
    h = simulate(cfg)
    assert h.ok and np.any(h.num_participants == 0)  # Poisson sampling picked nobody
    assert h.epsilon[-1] == pytest.approx(epsilon(0.05, 1.0, 15, 1e-5), rel=1e-12)


def test_dp_with_fedsgd_and_loop_engine():
    cfg = FedConfig(
        rounds=3,
        strategy="fedsgd",
        engine="loop",
        dp=DPConfig(noise_multiplier=0.0, clip_norm=1e12),
    )
    ref = simulate(cfg.replace(dp=None))  # plain FedSGD
    np.testing.assert_allclose(simulate(cfg).final_weights, ref.final_weights, atol=1e-10)
