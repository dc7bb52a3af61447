"""Valid calls of ``fedlearn_edu.systems``'s public names (see ``fuzz_specs/__init__.py``)."""

import numpy as np

from fedlearn_edu import systems
from fedlearn_edu.core.config import FedConfig
from fedlearn_edu.core.federation import Federation

from . import Spec

# inf speed/bandwidth = "instant" by design (the `ideal` preset); no deadline = inf
INSTANT = ("speed", "up_mbps", "down_mbps")


def vec(p=5, seed=0):
    return np.random.default_rng(seed).normal(size=p)


def profiles_kwargs():
    return dict(speed=np.array([100.0, 50.0, 200.0]), latency_ms=np.array([50.0, 100.0, 10.0]),
                up_mbps=np.array([1.0, 0.5, 8.0]), down_mbps=np.array([2.0, 1.0, 8.0]),
                availability=np.ones(3), dropout=np.zeros(3), straggler=np.zeros(3, dtype=bool))


def rounds_kwargs():
    cfg = FedConfig(dataset="iris", num_clients=3, rounds=1,
                    systems=systems.SystemsConfig(compression="int8", int8_rounding="stochastic"))
    return dict(config=cfg, fed=Federation(cfg), profiles=systems.Profiles(**profiles_kwargs()),
                timeline=systems.Timeline())


SPECS = [
    Spec(systems.staleness_weight,
         lambda: dict(tau=np.array([0.0, 3.0, 9.0]), kind="hinge", p=0.5, slope=2.0,
                      cutoff=4.0)),
    Spec(systems.fedasync_mix, lambda: dict(w=vec(), v=vec(seed=1), alpha=0.3)),
    Spec(systems.fedbuff_aggregate,
         lambda: dict(w=vec(), deltas=np.random.default_rng(2).normal(size=(3, 5)),
                      num_examples=np.array([10.0, 0.0, 30.0]),
                      stale_weights=np.array([1.0, 0.5, 0.25]))),
    Spec(systems.topk_count, lambda: dict(p=40, fraction=0.1)),
    Spec(systems.topk_compress, lambda: dict(x=vec(), k=2)),
    Spec(systems.topk_decompress,
         lambda: dict(idx=np.array([1, 3], dtype=np.int32), values=np.array([-2.0, 0.5]), p=5)),
    Spec(systems.quantize_int8,
         lambda: dict(x=vec(), rounding="stochastic", rng=np.random.default_rng(0))),
    Spec(systems.dequantize_int8,
         lambda: dict(q=np.array([0, 17, 255], dtype=np.uint8), lo=-1.0, scale=2 / 255)),
    Spec(systems.compressed_bytes, lambda: dict(method="topk", p=650, fraction=0.1)),
    Spec(systems.compress,
         lambda: dict(x=vec(), method="int8", fraction=0.1, rounding="stochastic",
                      rng=np.random.default_rng(0))),
    Spec(systems.compress_with_feedback,
         lambda: dict(x=vec(), residual=vec(seed=3) / 10, method="int8", fraction=0.4,
                      rounding="nearest", rng=None)),
    Spec(systems.compress_rows,
         lambda: dict(X=np.random.default_rng(4).normal(size=(3, 5)), method="int8",
                      fraction=0.4, rounding="stochastic", rng=np.random.default_rng(1))),
    Spec(systems.SystemsConfig, dict, nan_ok=("deadline_s",)),
    Spec(systems.Profiles, profiles_kwargs, nan_ok=INSTANT),
    Spec(systems.make_profiles,
         lambda: dict(num_clients=4, preset="mobile", latency_ms=50.0, latency_spread=0.5,
                      straggler_fraction=0.25, straggler_slowdown=5.0, seed=1,
                      overrides={0: {"availability": 1.0}}), nan_ok=INSTANT),
    Spec(systems.client_times,
         lambda: dict(profiles=systems.Profiles(**profiles_kwargs()), clients=np.array([0, 2]),
                      num_examples=np.array([38.0, 37.0]), epochs=2, bytes_down=120,
                      bytes_up=120)),
    Spec(systems.SystemsRounds, rounds_kwargs),
    Spec(systems.synthetic_fedprox,
         lambda: dict(alpha=0.5, beta=0.5, num_devices=3, n_features=4, n_classes=3,
                      max_samples=60, train_fraction=0.9, seed=0)),
    Spec(systems.Timeline, dict),
]
