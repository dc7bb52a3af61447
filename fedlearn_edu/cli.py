"""Command line: ``python -m fedlearn_edu --dataset digits --clients 10 --rounds 30 [--json]``.

Without ``--json`` it shows a progress bar on stderr and a per-round table; with
``--json`` it prints the config, the final metrics and the per-round arrays as JSON.
Invalid settings print the validation message and exit with status 2 (no traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from .config import ENGINE_NAMES, STRATEGY_NAMES, FedConfig
from .data import DATASET_NAMES, PARTITION_NAMES
from .models import MODEL_NAMES
from .simulation import simulate

# (flag, FedConfig field, type, help)
FLAGS = [
    ("--dataset", "dataset", str, f"one of {', '.join(DATASET_NAMES)}"),
    ("--model", "model", str, f"one of {', '.join(MODEL_NAMES)}, auto"),
    ("--clients", "num_clients", int, "number of clients"),
    ("--rounds", "rounds", int, "communication rounds"),
    ("--local-epochs", "local_epochs", int, "local epochs per round"),
    ("--batch-size", "batch_size", int, "local mini-batch size"),
    ("--lr", "lr", float, "learning rate"),
    ("--fraction", "client_fraction", float, "fraction of clients per round, in (0, 1]"),
    ("--partition", "partition", str, f"one of {', '.join(PARTITION_NAMES)}"),
    ("--alpha", "dirichlet_alpha", float, "Dirichlet concentration (small = skewed)"),
    ("--strategy", "strategy", str, f"one of {', '.join(STRATEGY_NAMES)}"),
    ("--seed", "seed", int, "random seed"),
    ("--l2", "l2", float, "L2 penalty"),
    ("--engine", "engine", str, f"one of {', '.join(ENGINE_NAMES)}"),
    # systems realism (notebook 04)
    ("--preset", "system_preset", str, "device preset: ideal, datacenter, mobile, iot"),
    ("--latency-ms", "latency_ms", float, "mean one-way latency per message, ms"),
    ("--straggler-fraction", "straggler_fraction", float, "share of slow clients"),
    ("--mode", "mode", str, "sync, deadline, fedprox, async, fedbuff"),
    ("--deadline", "deadline_s", float, "round deadline, simulated seconds"),
    ("--mu", "mu", float, "FedProx proximal strength"),
    ("--compression", "compression", str, "none, topk, int8"),
    # privacy and security (notebook 06)
    ("--dp-noise", "dp_noise_multiplier", float, "DP-FedAvg noise multiplier sigma"),
    ("--dp-clip", "dp_clip_norm", float, "DP-FedAvg clip norm S"),
    ("--attack", "attack", str, "none, sign_flip, scale, gaussian, label_flip, backdoor"),
    ("--attacker-fraction", "attacker_fraction", float, "share of malicious clients"),
    ("--aggregator", "aggregator", str, "mean, median, trimmed_mean, krum, multi_krum, norm_clip"),
    ("--aggregator-f", "aggregator_f", int, "attackers the robust aggregator assumes"),
]


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m fedlearn_edu",
        description="Simulate federated learning (FedAvg / FedSGD) on a bundled dataset.",
    )
    defaults = FedConfig()
    for flag, field, typ, text in FLAGS:
        p.add_argument(flag, dest=field, type=typ, default=getattr(defaults, field),
                       help=f"{text} (default: {getattr(defaults, field)})")
    p.add_argument("--json", action="store_true", help="print results as JSON")
    return p


def _progress(total: int):
    def callback(rec, hist):
        filled = int(30 * rec.round / total)
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] round {rec.round}/{total} "
            f"acc {rec.test_accuracy:.3f}"
        )
        if rec.round == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return callback


def format_table(hist) -> str:
    """Per-round table: accuracy, losses, clients, simulated clock, DP epsilon (nan = off)."""
    lines = [f"{'round':>5}  {'test_acc':>8}  {'test_loss':>9}  {'train_loss':>10}  "
             f"{'clients':>7}  {'clock_s':>9}  {'epsilon':>7}"]
    for i in range(hist.completed):
        lines.append(
            f"{i + 1:>5}  {hist.test_accuracy[i]:>8.4f}  {hist.test_loss[i]:>9.4f}  "
            f"{hist.train_loss[i]:>10.4f}  {hist.num_participants[i]:>7d}  "
            f"{hist.wall_clock[i]:>9.3f}  {hist.epsilon[i]:>7.3f}"
        )
    return "\n".join(lines)


def _jsonable(obj):
    """NaN -> None and +-inf -> "inf"/"-inf", recursively, so the output is strict JSON."""
    if isinstance(obj, dict):
        return {k: _jsonable(v) for k, v in obj.items()}
    if isinstance(obj, (list, tuple)):
        return [_jsonable(v) for v in obj]
    if isinstance(obj, float) and not math.isfinite(obj):
        return None if math.isnan(obj) else ("inf" if obj > 0 else "-inf")
    return obj


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    fields = {f: getattr(args, f) for _, f, _, _ in FLAGS}
    try:
        config = FedConfig(**fields)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    hist = simulate(config, callback=None if args.json else _progress(config.rounds))
    if args.json:
        out = {"config": config.to_dict(), "final": hist.final(), "history": hist.to_dict()}
        print(json.dumps(_jsonable(out), indent=2, allow_nan=False, default=str))
    else:
        print(format_table(hist))
        fin = hist.final()
        print(f"final test accuracy {fin['test_accuracy']:.4f}, test loss {fin['test_loss']:.4f}")
    if hist.diverged:
        print(f"error: {hist.message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
