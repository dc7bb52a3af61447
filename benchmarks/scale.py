"""Scale: FedAvg on the FedProx paper's Synthetic(1, 1) users, 100 to 10,000 clients.

Run: ``make bench`` or ``.venv/bin/python benchmarks/scale.py``.

``FedConfig(dataset="fedprox_synthetic", partition="natural", num_clients=K,
client_fraction=0.1, dtype="float32")``: every generated user is one client (power-law sizes,
capped at 200 examples), 10% of them train each round. Each size runs in its own process so
that its peak memory (``ru_maxrss``) is its own. Printed: the one-off set-up (generating the
users), the first round (which also lays out the evaluation rows), the median of the next
rounds, and the peak memory, with the issue's targets beside them. The time per round should
grow with the number of *training* clients, not with the registered ones.
"""

from __future__ import annotations

import json
import statistics
import subprocess
import sys
import time

ROUNDS = 4
TARGETS = {(10_000, 0.1): 1.0, (10_000, 1.0): 5.0}  # seconds per round
PEAK_TARGET_GIB = 2.0


def measure(num_clients: int, fraction: float) -> dict:
    import resource

    from fedlearn_edu import FedConfig
    from fedlearn_edu.core import Federation, run_rounds

    t0 = time.perf_counter()
    cfg = FedConfig(dataset="fedprox_synthetic", partition="natural", num_clients=num_clients,
                    client_fraction=fraction, rounds=ROUNDS, lr=0.01, dtype="float32")
    fed = Federation(cfg)
    setup = time.perf_counter() - t0
    times, records, t = [], [], time.perf_counter()
    for record, _ in run_rounds(fed, ROUNDS):
        times.append(time.perf_counter() - t)
        records.append(record)
        t = time.perf_counter()
    rec = records[-1]
    return dict(setup=setup, first=times[0], round=statistics.median(times[1:]),
                training=len(rec.participants), accuracy=rec.test_accuracy,
                peak_gib=resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 2**20)


def main() -> int:
    if len(sys.argv) == 3:  # child process: one measurement, printed as JSON
        print(json.dumps(measure(int(sys.argv[1]), float(sys.argv[2]))))
        return 0
    print(f"{'clients':>8} {'training':>8} {'set-up s':>9} {'1st round s':>11} "
          f"{'round s':>8} {'target':>7} {'peak GiB':>9}")
    per_training = []
    for k, frac in ((100, 0.1), (1_000, 0.1), (10_000, 0.01), (10_000, 0.1), (10_000, 1.0)):
        out = subprocess.run([sys.executable, __file__, str(k), str(frac)], check=True,
                             capture_output=True, text=True).stdout
        r = json.loads(out.strip().splitlines()[-1])
        target = TARGETS.get((k, frac))
        ok = "" if target is None else ("  ok" if r["round"] <= target else "  MISSED")
        peak_ok = "ok" if r["peak_gib"] < PEAK_TARGET_GIB else "MISSED"
        print(f"{k:>8} {r['training']:>8} {r['setup']:>9.2f} {r['first']:>11.2f} "
              f"{r['round']:>8.3f} {f'<= {target:g}s' if target else '':>7}{ok} "
              f"{r['peak_gib']:>6.2f} (< {PEAK_TARGET_GIB:g}: {peak_ok})")
        per_training.append((r["training"], r["round"]))
    (m0, t0), (m1, t1), (m2, t2) = per_training[2:]
    print(f"10,000 registered users: {m0}, {m1}, {m2} training clients took {t0:.3f}, "
          f"{t1:.3f}, {t2:.3f} s per round ({t1 / t0:.1f}x and {t2 / t1:.1f}x for 10x more): "
          f"the cost follows the training clients, not the registered ones")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
