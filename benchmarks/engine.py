"""Engine speed: the readable per-client loop vs the batched NumPy engine, side by side.

Run: ``make bench`` or ``.venv/bin/python benchmarks/engine.py``.
Both engines compute the same numbers (tests/test_engine.py); this script measures them in
one process, interleaved, and reports the best of ``REPEATS`` runs (the machine is noisy).
"""

from __future__ import annotations

import sys
import time

import numpy as np

from fedlearn_edu import FedConfig, simulate

REPEATS = 3
CLIENTS = (10, 100, 1000)


def best_time(cfg: FedConfig, repeats: int = REPEATS) -> tuple[float, object]:
    best, hist = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        hist = simulate(cfg)
        best = min(best, time.perf_counter() - t0)
    return best, hist


def main() -> int:
    simulate(FedConfig(rounds=1))  # warm up: imports, dataset cache
    print(f"digits, softmax, 30 rounds, 5 local epochs, batch 32 (best of {REPEATS})")
    print(f"{'clients':>8} {'loop [s]':>10} {'batched [s]':>12} {'speed-up':>9}  same result")
    for k in CLIENTS:
        cfg = FedConfig(num_clients=k)
        reps = 1 if k >= 1000 else REPEATS
        t_loop, h_loop = best_time(cfg.replace(engine="loop"), reps)
        t_fast, h_fast = best_time(cfg, reps)
        same = np.allclose(h_loop.final_weights, h_fast.final_weights, rtol=1e-9, atol=1e-12)
        print(f"{k:>8} {t_loop:>10.3f} {t_fast:>12.3f} {t_loop / t_fast:>8.1f}x  {same}")
    t_default, _ = best_time(FedConfig(), 5)
    print(f"default FedConfig() (10 clients, 30 rounds): {1000 * t_default:.0f} ms "
          f"(target <= 100 ms for live sliders)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
