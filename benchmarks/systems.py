"""Benchmark: systems realism (issue 5) vs the plain engine, measured side by side.

1,000 clients on digits, 100 sampled per round (async: 100 training at once), 50 rounds.
Prints the wall time of each variant and its ratio to the plain engine (target: within 2x).

    .venv/bin/python benchmarks/systems.py
"""

from __future__ import annotations

import time

from fedlearn_edu import FedConfig
from fedlearn_edu.core.loop import iterate, run_history
from fedlearn_edu.runner import run_systems
from fedlearn_edu.systems.config import SystemsConfig

BASE = FedConfig(
    dataset="digits",
    num_clients=1000,
    client_fraction=0.1,
    rounds=50,
    local_epochs=2,
    batch_size=32,
)
MOBILE = SystemsConfig(preset="mobile", latency_ms=200.0, latency_spread=0.5,
                       straggler_fraction=0.3)
VARIANTS = {
    "sync + clock (default devices)": BASE.replace(systems=SystemsConfig()),
    "sync, mobile profiles": BASE.replace(systems=MOBILE),
    "deadline, mobile": BASE.replace(systems=MOBILE.replace(mode="deadline", deadline_s=0.8)),
    "fedprox, mobile, mu=0.1": BASE.replace(
        mu=0.1, systems=MOBILE.replace(mode="fedprox", deadline_s=0.8)
    ),
    "async (FedAsync), mobile": BASE.replace(systems=MOBILE.replace(mode="async")),
    "fedbuff K=20, mobile": BASE.replace(systems=MOBILE.replace(mode="fedbuff", buffer_size=20)),
    "sync, mobile, top-k 10% + EF": BASE.replace(
        systems=MOBILE.replace(compression="topk", error_feedback=True)
    ),
}


def best_of(f, repeats: int = 3) -> float:
    times = []
    for _ in range(repeats):
        t = time.perf_counter()
        f()
        times.append(time.perf_counter() - t)
    return min(times)


def main() -> None:
    plain = best_of(lambda: run_history(BASE, iterate(BASE)))
    print(
        f"{BASE.num_clients} clients x {BASE.rounds} rounds, "
        f"{BASE.clients_per_round} per round (best of 3)"
    )
    print(f"{'plain engine (iterate)':34s} {plain:7.3f} s   1.00x")
    worst = 0.0
    for name, cfg in VARIANTS.items():
        t = best_of(lambda cfg=cfg: run_systems(cfg))
        h = run_systems(cfg).history
        worst = max(worst, t / plain)
        print(
            f"{name:34s} {t:7.3f} s   {t / plain:4.2f}x   "
            f"(acc {h.test_accuracy[-1]:.3f}, simulated {h.wall_clock[-1]:8.3g} s)"
        )
    print(f"worst ratio {worst:.2f}x ({'within' if worst <= 2 else 'OVER'} the 2x target)")


if __name__ == "__main__":
    main()
