"""Engine speed: the readable per-client loop vs the batched NumPy engine, side by side.

Run: ``make bench`` or ``.venv/bin/python benchmarks/engine.py``.

Both engines compute the same numbers (tests/test_engine.py); this script measures them in
one process, interleaved, and reports the best of ``REPEATS`` runs (the machine is noisy).

The default config is then timed against its *arithmetic floor*: the same two matrix
products and ``exp`` per mini-batch step, and the same per-round evaluation product, with
no engine around them. The floor is what NumPy needs on this machine whatever the engine
does, so "engine / floor" is the number to watch when the machine's speed drifts.

A second, fuller floor writes the whole SGD step of softmax regression by hand as tightly as
NumPy allows (logits, exp, the class sum, the normalisation and lr weighting, the one-hot
subtraction, the gradient product, the update) and the per-round evaluation with its
log-sum-exp, but with no engine: no data gather, no sampling, no aggregation, no history.
"engine / SGD floor" is what the engine's own machinery costs on top of the arithmetic.
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
TARGET_MS = 100.0  # the default dashboard run in float32
FLOOR_RATIO = 1.5  # ... and at most this times its own NumPy floor


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
    dt = st.rows.dtype  # the run's precision: the floor is measured in it too
    V = np.full((m, k, d1), 1e-3, dtype=dt)
    cuts = [slice(s * cfg.batch_size, (s + 1) * cfg.batch_size)
            for s in range(int(steps_per_epoch(st.n_max, cfg.batch_size)))]
    X_eval = np.concatenate([fed.data.X_test, fed.data.X_train], dtype=dt)
    W_eval = np.full((k, X_eval.shape[1]), 1e-3, dtype=dt)

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


def sgd_floor(cfg: FedConfig):
    """The full softmax-regression SGD step and evaluation of ``simulate(cfg)``, written by hand
    (every client active, the rows in storage order): the arithmetic the engine cannot skip."""
    fed = Federation(cfg)
    st, m = fed.stack, cfg.num_clients
    k, d1 = fed.model.n_classes, fed.model.n_features + 1
    dt = st.rows.dtype
    X = st.rows[: m * st.n_max].reshape(m, st.n_max, d1)
    XT = X.transpose(0, 2, 1)
    onehot = np.zeros((m, k, st.n_max), dtype=dt)
    y = st.targets[: m * st.n_max].reshape(m, st.n_max).astype(np.intp)
    np.put_along_axis(onehot, y[:, None, :], cfg.lr / cfg.batch_size, axis=1)
    R = np.full((m, 1, st.n_max), cfg.lr / cfg.batch_size, dtype=dt)
    ones = np.ones((1, k), dtype=dt)
    V = np.full((m, k, d1), 1e-3, dtype=dt)
    cuts = [slice(s * cfg.batch_size, (s + 1) * cfg.batch_size)
            for s in range(int(steps_per_epoch(st.n_max, cfg.batch_size)))]
    steps = [(XT[:, :, c], X[:, c], R[:, :, c], onehot[:, :, c]) for c in cuts]
    X_eval = np.concatenate([fed.data.X_test, fed.data.X_train], dtype=dt)
    y_eval = np.concatenate([fed.data.y_test, fed.data.y_train]).astype(np.intp)
    W_eval = np.full((k, X_eval.shape[1]), 1e-3, dtype=dt)
    b_eval = np.zeros((k, 1), dtype=dt)
    flat_true = y_eval * len(y_eval) + np.arange(len(y_eval))

    def run():
        with _blas_controller().limit(limits=1, user_api="blas"):
            for _ in range(cfg.rounds):
                for _ in range(cfg.local_epochs):
                    for Xs_T, Xs, Rs, Ts in steps:
                        Z = np.matmul(V, Xs_T)
                        np.exp(Z, out=Z)
                        total = np.matmul(ones, Z)
                        Z *= np.divide(Rs, total, out=total)
                        Z -= Ts
                        np.subtract(V, np.matmul(Z, Xs), out=V)
                zT = W_eval @ X_eval.T
                zT += b_eval
                zT -= zT.max(axis=0)
                zT.argmax(axis=0)
                true = zT.reshape(-1).take(flat_true)
                np.exp(zT, out=zT)
                (np.log(ones @ zT)[0] - true).mean()

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

    # The default dashboard run (10 clients, 30 rounds, digits) in both precisions and their
    # floors, interleaved so that all four see the same machine.
    runs = {"float64": FedConfig(), "float32": FedConfig(dtype="float32")}
    floors = {dt: arithmetic_floor(cfg) for dt, cfg in runs.items()}
    sgd_floors = {dt: sgd_floor(cfg) for dt, cfg in runs.items()}
    ms = {key: [] for dt in runs for key in (dt, "floor " + dt, "sgd " + dt)}
    acc = {}
    for _ in range(DEFAULT_RUNS):
        for dt, cfg in runs.items():
            t0 = time.perf_counter()
            acc[dt] = simulate(cfg).final()["test_accuracy"]
            t1 = time.perf_counter()
            floors[dt]()
            t2 = time.perf_counter()
            sgd_floors[dt]()
            ms[dt].append(1000 * (t1 - t0))
            ms["floor " + dt].append(1000 * (t2 - t1))
            ms["sgd " + dt].append(1000 * (time.perf_counter() - t2))
    print(f"\ndefault dashboard run (10 clients, 30 rounds, digits), {DEFAULT_RUNS} interleaved "
          "runs, median [best]:")
    for dt in runs:
        e, f = statistics.median(ms[dt]), statistics.median(ms["floor " + dt])
        ratio = statistics.median(a / b for a, b in zip(ms[dt], ms["floor " + dt]))
        tgt = "" if dt == "float64" else (
            f"   target <= {TARGET_MS:.0f} ms: {'met' if e <= TARGET_MS else 'MISSED'}; "
            f"<= {FLOOR_RATIO}x floor: {'met' if ratio <= FLOOR_RATIO else 'MISSED'}")
        print(f"  {dt}  engine {e:6.1f} [{min(ms[dt]):5.1f}] ms   NumPy floor {f:6.1f} "
              f"[{min(ms['floor ' + dt]):5.1f}] ms   engine/floor {ratio:.2f}x{tgt}")
        sgd = statistics.median(ms["sgd " + dt])
        over = statistics.median(a / b for a, b in zip(ms[dt], ms["sgd " + dt]))
        print(f"           SGD-step floor {sgd:6.1f} ms (floor x{sgd / f:.2f}: the normalisation, "
              f"one-hot and update calls)   engine/SGD floor {over:.2f}x")
    speed = statistics.median(a / b for a, b in zip(ms["float64"], ms["float32"]))
    print(f"  float32 vs float64: {speed:.2f}x faster; test accuracy {acc['float32']:.4f} vs "
          f"{acc['float64']:.4f} (difference {100 * (acc['float32'] - acc['float64']):+.2f} "
          f"points; tests/test_float32.py holds it within 0.5 on every dataset)")
    return 0


if __name__ == "__main__":
    sys.exit(main())
