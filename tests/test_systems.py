"""Virtual clock, system profiles, sync/deadline/fedprox/async/fedbuff modes."""

import dataclasses
import math

import numpy as np
import pytest

from fedlearn_edu import FedConfig, simulate
from fedlearn_edu.core.client import local_sgd
from fedlearn_edu.core.federation import Federation
from fedlearn_edu.core.loop import iterate, run_history
from fedlearn_edu.runner import SystemsRun, run_systems
from fedlearn_edu.systems.asynchronous import fedasync_mix, fedbuff_aggregate, staleness_weight
from fedlearn_edu.systems.config import SystemsConfig
from fedlearn_edu.systems.profiles import PRESETS, Profiles, client_times, make_profiles
from fedlearn_edu.systems.synthetic import synthetic_fedprox
from fedlearn_edu.systems.timeline import LATE, OK, PARTIAL

METRICS = ("test_accuracy", "test_loss", "train_loss", "wall_clock", "bytes_up", "bytes_down")


def three_clients() -> Profiles:
    """A hand-made 3-client network (numbers chosen to be easy to add up)."""
    return Profiles(
        speed=np.array([100.0, 50.0, 200.0]),  # examples / s
        latency_ms=np.array([50.0, 100.0, 10.0]),
        up_mbps=np.array([1.0, 0.5, 8.0]),
        down_mbps=np.array([2.0, 1.0, 8.0]),
        availability=np.ones(3),
        dropout=np.zeros(3),
        straggler=np.zeros(3, dtype=bool),
    )


# iris: 112 training rows -> iid parts of 38, 37, 37; softmax (4 + 1) * 3 = 15 params = 120 B
IRIS3 = FedConfig(
    dataset="iris", num_clients=3, rounds=2, local_epochs=2, batch_size=10, systems=SystemsConfig()
)
# t_down = lat + 8*120/down, t_comp = 2*n/speed, t_up = lat + 8*120/up   (seconds)
T0 = (0.05 + 960 / 2e6) + 2 * 38 / 100 + (0.05 + 960 / 1e6)  # 0.86144
T1 = (0.10 + 960 / 1e6) + 2 * 37 / 50 + (0.10 + 960 / 0.5e6)  # 1.68288
T2 = (0.01 + 960 / 8e6) + 2 * 37 / 200 + (0.01 + 960 / 8e6)  # 0.39024


def assert_same_history(a, b, metrics=METRICS):
    for name in metrics:
        np.testing.assert_array_equal(getattr(a, name), getattr(b, name), err_msg=name)


def test_hand_computed_sizes_of_the_three_client_case():
    fed = Federation(IRIS3)
    assert fed.counts.tolist() == [38, 37, 37] and fed.num_params == 15
    assert (T0, T1, T2) == pytest.approx((0.86144, 1.68288, 0.39024), abs=1e-12)
    td, tc, tu = client_times(three_clients(), [0, 1, 2], [38, 37, 37], 2, 120, 120)
    np.testing.assert_allclose(td + tc + tu, [T0, T1, T2], rtol=0, atol=1e-12)


@pytest.mark.parametrize("mode", ["sync", "deadline"])  # plain loop + clock, and own loop
def test_clock_hand_computed_sync(mode):
    run = run_systems(
        IRIS3.replace(systems=IRIS3.systems.replace(mode=mode)), profiles=three_clients()
    )
    h = run.history
    np.testing.assert_allclose(h.wall_clock, [T1, 2 * T1], rtol=0, atol=1e-12)
    np.testing.assert_array_equal(h.bytes_up, [360.0, 360.0])
    np.testing.assert_array_equal(h.bytes_down, [360.0, 360.0])
    jobs = run.timeline.record(2)
    np.testing.assert_allclose(jobs["start"], T1)
    np.testing.assert_allclose(jobs["end"], T1 + np.array([T0, T1, T2]), atol=1e-12)


def test_clock_hand_computed_deadline_drops_the_late_client():
    run = run_systems(
        IRIS3.replace(systems=IRIS3.systems.replace(mode="deadline", deadline_s=1.0)),
        profiles=three_clients(),
    )
    h = run.history
    np.testing.assert_allclose(h.wall_clock, [1.0, 2.0], atol=1e-12)
    np.testing.assert_array_equal(h.bytes_up, [240.0, 240.0])  # client 1 never uploads
    np.testing.assert_array_equal(h.bytes_down, [360.0, 360.0])
    assert h.participants[0].tolist() == [0, 2]
    assert run.timeline.record(1)["status"].tolist() == [OK, LATE, OK]


def test_clock_hand_computed_fedprox_partial_work():
    """Client 1 has 1 - 0.10096 - 0.10192 = 0.79712 s to compute, at 1.48 / 8 = 0.185 s per
    step (2 epochs x ceil(37/10) steps): floor(4.31) = 4 steps, so it finishes at
    0.10096 + 4 * 0.185 + 0.10192 = 0.94288 s and sends half its work."""
    cfg = IRIS3.replace(
        mu=0.5, rounds=1, systems=IRIS3.systems.replace(mode="fedprox", deadline_s=1.0)
    )
    run = run_systems(cfg, profiles=three_clients())
    t1 = 0.10096 + 4 * 0.185 + 0.10192
    np.testing.assert_allclose(run.history.wall_clock, [t1], atol=1e-12)
    assert run.timeline.record(1)["status"].tolist() == [OK, PARTIAL, OK]
    np.testing.assert_array_equal(run.history.bytes_up, [360.0])
    # the global model is the FedAvg of reference local_sgd runs with max_steps [8, 4, 8]
    fed = Federation(cfg)
    w0 = fed.model.init()
    vs = [
        local_sgd(
            fed.model,
            w0,
            *fed.client_data(i),
            epochs=2,
            batch_size=10,
            lr=cfg.lr,
            rng=fed.client_rngs[i],
            mu=0.5,
            max_steps=s,
        )
        for i, s in enumerate([8, 4, 8])
    ]
    expected = np.average(vs, axis=0, weights=[38, 37, 37])
    np.testing.assert_allclose(run.history.final_weights, expected, atol=1e-12)


def test_default_systems_keep_the_plain_engine_numbers_and_add_a_clock():
    cfg = FedConfig(rounds=4)
    h = simulate(cfg.replace(systems=SystemsConfig()))
    assert np.all(np.isnan(simulate(cfg).wall_clock))  # no systems: no clock
    plain = run_history(cfg, iterate(cfg))
    assert_same_history(
        h, plain, ("test_accuracy", "test_loss", "train_loss", "bytes_up", "bytes_down")
    )
    np.testing.assert_array_equal(h.final_weights, plain.final_weights)
    # default devices: "datacenter" (100k examples/s, 10 Gbit/s), latency_ms=0
    fed = Federation(cfg)
    msg_s = 8 * fed.num_params * 8 / 1e10
    per_round = (5 * fed.counts / 1e5).max() + 2 * msg_s
    np.testing.assert_allclose(h.wall_clock, per_round * np.arange(1, 5), rtol=1e-12)


def test_sync_latency_moves_the_clock_not_the_accuracy():
    a = simulate(FedConfig(rounds=5, systems=SystemsConfig(preset="ideal")))
    b = simulate(
        FedConfig(
            rounds=5, systems=SystemsConfig(preset="ideal", latency_ms=800, latency_spread=1.0)
        )
    )
    assert_same_history(a, b, ("test_accuracy", "train_loss", "bytes_up"))
    np.testing.assert_array_equal(a.wall_clock, 0.0)
    assert np.all(b.wall_clock > 1.6 * np.arange(1, 6) * 0.5)  # >= 2 messages of >= latency


@pytest.mark.parametrize("preset", ["datacenter", "mobile"])
def test_deadline_inf_equals_sync(preset):
    cfg = FedConfig(
        rounds=4, systems=SystemsConfig(preset=preset, latency_ms=50, straggler_fraction=0.3)
    )
    a = run_systems(cfg).history
    b = run_systems(
        cfg.replace(systems=cfg.systems.replace(mode="deadline", deadline_s=float("inf")))
    ).history
    assert_same_history(a, b)
    np.testing.assert_array_equal(a.final_weights, b.final_weights)


def test_fedprox_mu0_full_work_equals_fedavg():
    cfg = FedConfig(rounds=4, systems=SystemsConfig(straggler_fraction=0.5, latency_ms=20))
    a = simulate(cfg)
    b = simulate(
        cfg.replace(mu=0.0, systems=cfg.systems.replace(mode="fedprox", deadline_s=float("inf")))
    )
    c = simulate(
        cfg.replace(mu=0.0, systems=cfg.systems.replace(mode="fedprox", deadline_s=1e6))
    )  # nobody is late
    assert_same_history(a, b)
    assert_same_history(a, c)


def test_loop_engine_gives_same_systems_numbers():
    cfg = FedConfig(
        rounds=3,
        mu=0.1,
        systems=SystemsConfig(
            preset="mobile",
            mode="fedprox",
            deadline_s=1.5,
            straggler_fraction=0.5,
            compression="topk",
            error_feedback=True,
        ),
    )
    a = run_systems(cfg).history
    b = run_systems(cfg.replace(engine="loop")).history
    np.testing.assert_allclose(a.test_loss, b.test_loss, rtol=1e-9)
    np.testing.assert_array_equal(a.wall_clock, b.wall_clock)


def test_staleness_and_server_steps_hand_cases():
    np.testing.assert_allclose(staleness_weight([0, 1, 3], "polynomial", 0.5), [1, 2**-0.5, 0.5])
    np.testing.assert_array_equal(staleness_weight([0, 5], "constant"), [1, 1])
    np.testing.assert_allclose(
        fedasync_mix(np.array([0.0, 4.0]), np.array([2.0, 0.0]), 0.25), [0.5, 3.0]
    )
    w = np.array([1.0, 1.0])
    D = np.array([[2.0, 0.0], [0.0, 4.0]])
    np.testing.assert_allclose(fedbuff_aggregate(w, D, [1, 3], [1.0, 0.5]), [1.5, 2.5])
    with pytest.raises(ValueError, match=r"tau entries must lie in \[0"):
        staleness_weight(-1)


def test_fedasync_zero_staleness_is_the_exponential_average():
    """One client at a time => staleness 0; with constant mixing a = 1/K the model after
    K arrivals is w_K = (1-a)^K w_0 + sum_k a (1-a)^(K-k) v_k, each v_k trained from w_{k-1}."""
    K = 3
    cfg = FedConfig(
        dataset="iris",
        num_clients=K,
        client_fraction=1 / K,
        rounds=K,
        local_epochs=2,
        seed=3,
        systems=SystemsConfig(
            mode="async", async_mixing=1 / K, staleness="constant", preset="mobile"
        ),
    )
    prof = make_profiles(
        K, "mobile", seed=3, overrides={i: {"availability": 1.0, "dropout": 0.0} for i in range(K)}
    )
    run = run_systems(cfg, profiles=prof)
    order = [int(p[0]) for p in run.history.participants]
    fed = Federation(cfg)
    w = fed.model.init()
    for i in order:
        v = local_sgd(
            fed.model,
            w,
            *fed.client_data(i),
            epochs=2,
            batch_size=32,
            lr=cfg.lr,
            rng=fed.client_rngs[i],
        )
        w = (1 - 1 / K) * w + (1 / K) * v
    np.testing.assert_allclose(run.history.final_weights, w, atol=1e-12)


def test_fedbuff_zero_staleness_full_buffer_is_the_fedavg_average():
    """All K clients start from w_0 and the buffer holds K updates, so the first flush uses
    staleness 0 for all: w_1 = w_0 + sum n_i (v_i - w_0) / n = the FedAvg round-1 model."""
    cfg = FedConfig(
        dataset="iris",
        num_clients=4,
        rounds=1,
        seed=1,
        systems=SystemsConfig(mode="fedbuff", buffer_size=4, preset="mobile"),
    )
    prof = make_profiles(
        4, "mobile", seed=1, overrides={i: {"availability": 1.0, "dropout": 0.0} for i in range(4)}
    )
    h = run_systems(cfg, profiles=prof).history
    ((_, w1),) = list(
        iterate(cfg.replace(systems=cfg.systems.replace(mode="sync", preset="datacenter")))
    )
    np.testing.assert_allclose(h.final_weights, w1, atol=1e-12)


def test_async_beats_sync_in_time_with_stragglers():
    base = FedConfig(
        rounds=15, systems=SystemsConfig(preset="mobile", straggler_fraction=0.3, latency_ms=100)
    )
    sync = run_systems(base).history
    asyn = run_systems(base.replace(systems=base.systems.replace(mode="async"))).history
    assert asyn.wall_clock[-1] < 0.5 * sync.wall_clock[-1]
    assert asyn.test_accuracy[-1] > 0.85


def test_fedprox_partial_work_is_faster_than_sync_and_learns():
    base = FedConfig(
        rounds=10,
        systems=SystemsConfig(preset="datacenter", straggler_fraction=0.5, straggler_slowdown=20),
    )
    sync = simulate(base)
    prox = simulate(
        base.replace(
            mu=0.1, systems=base.systems.replace(mode="fedprox", deadline_s=sync.wall_clock[0] / 5)
        )
    )
    assert prox.wall_clock[-1] < 0.3 * sync.wall_clock[-1]
    assert prox.test_accuracy[-1] > 0.9


def test_compression_cuts_bytes_and_counts_them():
    base = FedConfig(rounds=8, systems=SystemsConfig())
    dense = simulate(base)
    topk = simulate(
        base.replace(
            systems=base.systems.replace(compression="topk", topk_fraction=0.1, error_feedback=True)
        )
    )
    q8 = simulate(base.replace(systems=base.systems.replace(compression="int8")))
    p = 65 * 10  # digits softmax
    np.testing.assert_array_equal(topk.bytes_up, 10 * 12 * 65)
    np.testing.assert_array_equal(q8.bytes_up, 10 * (p + 16))
    assert dense.bytes_up.sum() / topk.bytes_up.sum() >= 4
    assert topk.test_accuracy[-1] > dense.test_accuracy[-1] - 0.05
    assert q8.test_accuracy[-1] > dense.test_accuracy[-1] - 0.01


@pytest.mark.parametrize("mode", ["sync", "deadline", "fedprox", "async", "fedbuff"])
def test_same_seed_same_history(mode):
    cfg = FedConfig(
        rounds=4,
        mu=0.1,
        systems=SystemsConfig(
            preset="iot",
            mode=mode,
            deadline_s=30.0,
            latency_ms=200,
            latency_spread=0.5,
            straggler_fraction=0.3,
            compression="int8",
            buffer_size=3,
        ),
    )
    a, b = run_systems(cfg), run_systems(cfg)
    assert_same_history(a.history, b.history)
    for k, v in a.timeline.arrays().items():
        np.testing.assert_array_equal(v, b.timeline.arrays()[k])
    c = run_systems(cfg.replace(seed=1)).history
    assert not np.array_equal(a.history.test_loss, c.test_loss)


def test_unavailable_and_dropped_clients_do_not_contribute():
    cfg = FedConfig(rounds=6, num_clients=20, systems=SystemsConfig(preset="iot"))
    run = run_systems(cfg)
    h, jobs = run.history, run.timeline.arrays()
    assert np.all(h.num_participants < 20)  # availability 0.7
    n_ok = np.array([np.sum((jobs["record"] == r) & (jobs["status"] == OK)) for r in range(1, 7)])
    np.testing.assert_array_equal(h.num_participants, n_ok)


def test_profiles_presets_overrides_and_spawned_streams():
    p = make_profiles(50, "mobile", latency_ms=200, latency_spread=0.0, straggler_fraction=0.2)
    np.testing.assert_array_equal(p.latency_ms, 200.0)
    assert p.straggler.sum() == 10
    assert np.all(p.availability == PRESETS["mobile"]["availability"])
    q = make_profiles(60, "mobile", latency_ms=200)
    np.testing.assert_array_equal(p.up_mbps, q.up_mbps[:50])  # adding clients changes no one
    r = p.with_overrides({3: {"speed": 7.0, "latency_ms": 900.0}})
    assert r.speed[3] == 7.0 and r.latency_ms[3] == 900.0 and p.speed[3] != 7.0
    spread = make_profiles(4000, "iot", latency_ms=100, latency_spread=1.0)
    assert spread.latency_ms.mean() == pytest.approx(100, rel=0.05)  # the mean is kept
    with pytest.raises(ValueError, match="availability must be in"):
        p.with_overrides({0: {"availability": 0.0}})
    with pytest.raises(ValueError, match="override field must be one of"):
        p.with_overrides({0: {"colour": 1}})
    with pytest.raises(ValueError, match="preset must be one of"):
        make_profiles(3, "mainframe")
    with pytest.raises(ValueError, match="straggler_fraction must be"):
        make_profiles(3, "mobile", straggler_fraction=2.0)
    with pytest.raises(ValueError, match="latency_ms must be"):
        make_profiles(3, "mobile", latency_ms=-5.0)
    with pytest.raises(ValueError, match="as many clients as num_clients=10"):
        SystemsRun(FedConfig(), profiles=p)


@pytest.mark.parametrize(
    "field, value, match",
    [
        ("preset", "cloud", "preset must be one of"),
        ("latency_ms", -1.0, r"latency_ms must be a finite number in \[0.0"),
        ("latency_spread", float("nan"), "latency_spread must be"),
        ("straggler_fraction", 1.5, "straggler_fraction must be"),
        ("straggler_slowdown", 0.5, "straggler_slowdown must be"),
        ("mode", "semi-sync", "mode must be one of"),
        ("deadline_s", 0.0, "deadline_s must be"),
        ("async_mixing", 0.0, "async_mixing must be"),
        ("staleness", "exponential", "staleness must be one of"),
        ("staleness_exp", -1.0, "staleness_exp must be"),
        ("buffer_size", 0, "buffer_size must be"),
        ("compression", "gzip", "compression must be one of"),
        ("topk_fraction", 0.0, "topk_fraction must be"),
    ],
)
def test_bad_values_raise_the_promised_error(field, value, match):
    with pytest.raises(ValueError, match="SystemsConfig." + match):
        FedConfig(systems=SystemsConfig(**{field: value}))
    with pytest.raises(ValueError, match="mu must be"):
        FedConfig(mu=-0.1)


def test_inconsistent_settings_raise():
    with pytest.raises(ValueError, match="buffer_size must be <= clients per round"):
        FedConfig(systems=SystemsConfig(mode="fedbuff", buffer_size=11))
    with pytest.raises(ValueError, match="needs strategy='fedavg'"):
        FedConfig(strategy="fedsgd", systems=SystemsConfig(mode="async"))
    with pytest.raises(TypeError, match="SystemsConfig.error_feedback must be True or False"):
        FedConfig(systems=SystemsConfig(error_feedback=1))
    # defaults: no systems at all, and a SystemsConfig() only moves the clock
    assert FedConfig().systems is None and FedConfig().mu == 0.0
    d = SystemsConfig()
    assert (d.latency_ms, d.mode, d.compression, d.deadline_s) == (0.0, "sync", "none", math.inf)
    assert d.only_moves_clock
    assert {f.name for f in dataclasses.fields(d)} >= {"preset", "buffer_size"}


def test_fedsgd_with_compression_runs_in_sync_modes():
    cfg = FedConfig(
        rounds=3,
        strategy="fedsgd",
        lr=0.5,
        systems=SystemsConfig(compression="int8", mode="deadline", deadline_s=10.0),
    )
    h = simulate(cfg)
    assert h.ok and np.all(np.diff(h.train_loss) < 0)


def test_synthetic_fedprox_generator():
    data, parts = synthetic_fedprox(1, 1, seed=0)
    assert data.n_features == 60 and data.n_classes == 10 and len(parts) == 30
    sizes = np.array([len(p) for p in parts])
    assert sizes.min() >= int(0.9 * 50) and sizes.max() > 5 * np.median(sizes)  # power law
    assert np.array_equal(np.concatenate(parts), np.arange(len(data.y_train)))
    again, _ = synthetic_fedprox(1, 1, seed=0)
    np.testing.assert_array_equal(data.X_train, again.X_train)
    # alpha = beta = 0: every device shares one input distribution's mean prior
    iid, iid_parts = synthetic_fedprox(0, 0, seed=0, max_samples=100)
    assert max(len(p) for p in iid_parts) <= 90
    with pytest.raises(ValueError, match="alpha must be a finite number in"):
        synthetic_fedprox(-1, 1)


def test_callback_can_stop_a_systems_run():
    calls = []
    run = SystemsRun(FedConfig(rounds=5, systems=SystemsConfig(mode="async")))
    h = run.run(lambda rec, hist: calls.append(rec.round) or rec.round < 2)
    assert calls == [1, 2] and h.completed == 2 and "stopped by callback" in h.message


def test_privacy_settings_are_refused_outside_the_plain_loop():
    with pytest.raises(ValueError, match="privacy/attack/robust-aggregation settings need"):
        FedConfig(aggregator="median", systems=SystemsConfig(mode="async"))
    cfg = FedConfig(aggregator="median", aggregator_f=1)
    prof = make_profiles(10, "mobile")  # some clients offline -> own loop, no defence there
    with pytest.raises(ValueError, match="every client is always online"):
        SystemsRun(cfg, profiles=prof)
    h = simulate(cfg.replace(rounds=2, systems=SystemsConfig()))  # a defence with a clock
    assert h.ok and np.all(h.wall_clock > 0)


def test_timeline_rows_broadcast_scalars_and_keep_empty_rounds():
    from fedlearn_edu.systems.timeline import Timeline

    tl = Timeline()
    clients = np.array([4, 7, 9])
    tl.add(1, clients, 0.0, np.ones(3), np.array([1.0, 2.0, 3.0]), 0.5, 2.5, 0)
    tl.add(2, np.zeros(0, dtype=int), 3.0, np.zeros(0), np.zeros(0), np.zeros(0), 3.0, 0)
    tl.add(3, 5, 3.0, 0.1, 0.2, 0.3, 3.6, 1)  # a single job given as scalars
    clients[0] = 99  # the log keeps its own copy
    a = tl.arrays()
    np.testing.assert_array_equal(a["record"], [1, 1, 1, 3])
    np.testing.assert_array_equal(a["client"], [4, 7, 9, 5])
    np.testing.assert_array_equal(a["t_comp"], [1.0, 2.0, 3.0, 0.2])
    np.testing.assert_array_equal(a["start"], [0.0, 0.0, 0.0, 3.0])
    assert len(tl.record(2)["client"]) == 0
