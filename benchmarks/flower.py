"""Our engine vs Flower with our apps, side by side in one run: digits, softmax, 50 rounds.

Run: ``make bench`` or ``.venv/bin/python benchmarks/flower.py [--rounds 50]
[--skip-deployment]``.

Each measurement runs in a fresh child process (peak memory is that run's own; a one-round
``simulate`` first loads the imports and the dataset, so neither side is timed for them); a
sampler reads the memory of the child and every process below it (the SuperLink,
SuperNodes, SuperExecs, ServerApp and ClientApp processes of a deployment) every 0.1 s from
``/proc``: the proportional set size, so pages that forked copies share are split between
them, not counted once per copy. Printed per run: wall time, peak memory of the process
tree, final test accuracy and the largest weight difference from ``simulate``; then the
ratios (Flower simulation / engine at 10 and 100 clients, deployment / engine) and the
deployment's peak memory per client.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from fedlearn_edu.flower.guard import tree  # the /proc walk that stops a process tree

CHILD = """
import json, sys, time
import numpy as np
from fedlearn_edu import FedConfig, simulate
kind, clients, rounds, out = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4]
cfg = FedConfig(dataset="digits", model="softmax", num_clients=clients, rounds=rounds, seed=0)
simulate(cfg.replace(rounds=1))  # warm-up: imports, the dataset, first-call costs not timed
if kind == "simulate":
    t = time.perf_counter(); h = simulate(cfg); dt = time.perf_counter() - t
else:
    from fedlearn_edu.flower import run_flower
    t = time.perf_counter(); h = run_flower(cfg, runtime=kind, round_timeout=600.0)
    dt = time.perf_counter() - t
json.dump({"seconds": dt, "accuracy": float(h.test_accuracy[-1]),
           "weights": h.final_weights.tolist()}, open(out, "w"))
"""


def memory_kib(pid: int) -> int:
    """Memory of ``pid`` in KiB: its proportional set size (shared pages split between the
    processes sharing them: a warm start's forked copies share Flower's imported code), or
    its resident set where the kernel has no ``smaps_rollup``."""
    for name, key in (("smaps_rollup", "Pss:"), ("status", "VmRSS:")):
        try:
            for line in Path(f"/proc/{pid}/{name}").read_text().splitlines():
                if line.startswith(key):
                    return int(line.split()[1])
        except OSError:
            continue
    return 0


def measure(kind: str, clients: int, rounds: int) -> dict:
    """Run one measurement in a child; return its result plus peak tree memory (MiB)."""
    with tempfile.TemporaryDirectory() as tmp:
        out = os.path.join(tmp, "result.json")
        env = {**os.environ, "FLWR_TELEMETRY_ENABLED": "0", "MPLBACKEND": "Agg"}
        child = subprocess.Popen([sys.executable, "-c", CHILD, kind, str(clients), str(rounds),
                                  out], env=env)
        peak = 0
        while child.poll() is None:
            peak = max(peak, sum(memory_kib(p) for p in tree(child.pid)))
            time.sleep(0.1)
        if child.returncode != 0:
            raise SystemExit(f"{kind} with {clients} clients failed (exit {child.returncode})")
        result = json.loads(Path(out).read_text())
    result.update(peak_mib=peak / 1024)
    return result


def main(argv=None) -> None:
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--rounds", type=int, default=50)
    p.add_argument("--skip-deployment", action="store_true")
    args = p.parse_args(argv)
    plan = [("simulate", 10), ("simulation", 10), ("simulate", 100), ("simulation", 100)]
    if not args.skip_deployment:
        plan.append(("deployment", 10))
    names = {"simulate": "our engine (simulate)", "simulation": "Flower simulation, our apps",
             "deployment": "Flower deployment, our apps"}
    res = {}
    print(f"digits, softmax, {args.rounds} rounds, seed 0; each run in its own process")
    print(f"{'run':30} {'clients':>7} {'wall s':>8} {'peak MiB':>9} {'accuracy':>9} "
          f"{'max |dw|':>9}")
    for kind, n in plan:
        r = res[kind, n] = measure(kind, n, args.rounds)
        ref = res["simulate", n]
        dw = np.abs(np.array(r["weights"]) - np.array(ref["weights"])).max()
        print(f"{names[kind]:30} {n:>7} {r['seconds']:8.2f} {r['peak_mib']:9.0f} "
              f"{r['accuracy']:9.4f} {dw:9.1e}", flush=True)
    print()
    for n in (10, 100):
        ratio = res["simulation", n]["seconds"] / res["simulate", n]["seconds"]
        print(f"Flower simulation / engine, {n:>3} clients: {ratio:8.0f}x")
    if not args.skip_deployment:
        ratio = res["deployment", 10]["seconds"] / res["simulate", 10]["seconds"]
        print(f"Flower deployment / engine,  10 clients: {ratio:8.0f}x")
        peak = res["deployment", 10]["peak_mib"]
        # with warm starts a SuperNode is a forked copy of one process, not a tree of its own:
        # the whole deployment's memory per client is the figure that means something
        print(f"whole deployment peak memory {peak:.0f} MiB: {peak / 10:.0f} MiB per client, "
              f"the SuperLink, the warm starter and the ServerApp shared out")


if __name__ == "__main__":
    main()
