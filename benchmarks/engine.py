"""Engine speed: the readable per-client loop vs the batched NumPy engine, side by side.

Run: ``make bench`` or ``.venv/bin/python benchmarks/engine.py``.

Both engines compute the same numbers (tests/test_engine.py); this script measures them in
one process, interleaved, and reports the best of ``REPEATS`` runs (the machine is noisy).

The default config is then timed against its *arithmetic floor*: the same two matrix
products and ``exp`` per mini-batch step, and the same per-round evaluation product, with
no engine around them. The floor is what NumPy needs on this machine whatever the engine
does, so "engine / floor" is the number to watch when the machine's speed drifts.
"""

from __future__ import annotations

import statistics
import sys
import time

import numpy as np

from fedlearn_edu import FedConfig, simulate
from fedlearn_edu.core.client import steps_per_epoch
from fedlearn_edu.core.federation import Federation
from fedlearn_edu.core.loop import _blas_controller

REPEATS = 3
CLIENTS = (10, 100, 1000)
DEFAULT_RUNS = 21
TARGET_MS = 100.0


def best_time(cfg: FedConfig, repeats: int = REPEATS) -> tuple[float, object]:
    best, hist = float("inf"), None
    for _ in range(repeats):
        t0 = time.perf_counter()
        hist = simulate(cfg)
        best = min(best, time.perf_counter() - t0)
    return best, hist


def arithmetic_floor(cfg: FedConfig):
    """A function doing only the unavoidable NumPy work of ``simulate(cfg)`` (softmax, all
    clients): per step ``Z = V @ X_b^T``, ``exp(Z)``, ``Z @ X_b``; per round one product
    and ``exp`` over the test + train rows."""
    fed = Federation(cfg)
    st, m = fed.stack, cfg.num_clients
    k, d1 = fed.model.n_classes, fed.model.n_features + 1
    X = st.rows[: m * st.n_max].reshape(m, st.n_max, d1)
    XT = X.transpose(0, 2, 1)
    V = np.full((m, k, d1), 1e-3)
    cuts = [slice(s * cfg.batch_size, (s + 1) * cfg.batch_size)
            for s in range(int(steps_per_epoch(st.n_max, cfg.batch_size)))]
    X_eval = np.concatenate([fed.data.X_test, fed.data.X_train])
    W_eval = np.full((k, X_eval.shape[1]), 1e-3)

    def run():
        with _blas_controller().limit(limits=1, user_api="blas"):
            for _ in range(cfg.rounds):
                for _ in range(cfg.local_epochs):
                    for c in cuts:
                        Z = np.matmul(V, XT[:, :, c])
                        np.exp(Z, out=Z)
                        np.matmul(Z, X[:, c])
                np.exp(W_eval @ X_eval.T)

    return run


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

    cfg = FedConfig()
    floor = arithmetic_floor(cfg)
    engine_ms, floor_ms = [], []
    for _ in range(DEFAULT_RUNS):  # interleaved, so both see the same machine
        t0 = time.perf_counter()
        simulate(cfg)
        t1 = time.perf_counter()
        floor()
        engine_ms.append(1000 * (t1 - t0))
        floor_ms.append(1000 * (time.perf_counter() - t1))
    e_best, f_best = min(engine_ms), min(floor_ms)
    e_med, f_med = statistics.median(engine_ms), statistics.median(floor_ms)
    ratio = statistics.median(e / f for e, f in zip(engine_ms, floor_ms))
    print(f"\ndefault FedConfig() (10 clients, 30 rounds), {DEFAULT_RUNS} interleaved runs:")
    print(f"  engine          best {e_best:6.1f} ms   median {e_med:6.1f} ms   "
          f"(target <= {TARGET_MS:.0f} ms: {'met' if e_best <= TARGET_MS else 'NOT met'})")
    print(f"  NumPy floor     best {f_best:6.1f} ms   median {f_med:6.1f} ms   "
          "(2 products + exp per step, eval product; no engine)")
    print(f"  engine / floor  {ratio:.2f}x (median of per-run ratios)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
