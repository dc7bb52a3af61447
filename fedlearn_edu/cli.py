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

from .core.config import ENGINE_NAMES, STRATEGY_NAMES, FedConfig
from .core.data import DATASET_NAMES, PARTITION_NAMES
from .core.models import MODEL_NAMES
from .runner import simulate

# (flag, group, field, type, help); group "" is FedConfig itself, the others are the
# concept configs FedConfig.systems / .dp / .attack, built when one of their flags is given.
FLAGS = [
    ("--dataset", "", "dataset", str, f"one of {', '.join(DATASET_NAMES)}"),
    ("--model", "", "model", str, f"one of {', '.join(MODEL_NAMES)}, auto"),
    ("--clients", "", "num_clients", int, "number of clients"),
    ("--rounds", "", "rounds", int, "communication rounds"),
    ("--local-epochs", "", "local_epochs", int, "local epochs per round"),
    ("--batch-size", "", "batch_size", int, "local mini-batch size"),
    ("--lr", "", "lr", float, "learning rate"),
    ("--fraction", "", "client_fraction", float, "fraction of clients per round, in (0, 1]"),
    ("--partition", "", "partition", str, f"one of {', '.join(PARTITION_NAMES)}"),
    ("--alpha", "", "dirichlet_alpha", float, "Dirichlet concentration (small = skewed)"),
    ("--strategy", "", "strategy", str, f"one of {', '.join(STRATEGY_NAMES)}"),
    ("--seed", "", "seed", int, "random seed"),
    ("--l2", "", "l2", float, "L2 penalty"),
    ("--engine", "", "engine", str, f"one of {', '.join(ENGINE_NAMES)}"),
    ("--mu", "", "mu", float, "FedProx proximal strength"),
    ("--aggregator", "", "aggregator", str,
     "mean, median, trimmed_mean, krum, multi_krum, norm_clip"),
    ("--aggregator-f", "", "aggregator_f", int, "attackers the robust aggregator assumes"),
    ("--dtype", "", "dtype", str, "float64 (reference) or float32 (fast path)"),
    # systems realism (notebook 04): any of these turns the virtual clock on
    ("--preset", "systems", "preset", str, "device preset: ideal, datacenter, mobile, iot"),
    ("--latency-ms", "systems", "latency_ms", float, "mean one-way latency per message, ms"),
    ("--straggler-fraction", "systems", "straggler_fraction", float, "share of slow clients"),
    ("--mode", "systems", "mode", str, "sync, deadline, fedprox, async, fedbuff"),
    ("--deadline", "systems", "deadline_s", float, "round deadline, simulated seconds"),
    ("--compression", "systems", "compression", str, "none, topk, int8"),
    ("--staleness", "systems", "staleness", str, "async staleness: polynomial, constant, hinge"),
    ("--int8-rounding", "systems", "int8_rounding", str, "int8: nearest or stochastic"),
    # privacy and security (notebook 06)
    ("--dp-noise", "dp", "noise_multiplier", float, "DP-FedAvg noise multiplier sigma"),
    ("--dp-clip", "dp", "clip_norm", float, "DP-FedAvg clip norm S"),
    ("--attack", "attack", "kind", str,
     "none, sign_flip, scale, gaussian, nonfinite, label_flip, backdoor"),
    ("--attacker-fraction", "attack", "fraction", float, "share of malicious clients"),
]


def _dest(group: str, field: str) -> str:
    return f"{group}__{field}" if group else field


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m fedlearn_edu",
        description="Simulate federated learning (FedAvg / FedSGD) on a bundled dataset.",
    )
    defaults = FedConfig()
    for flag, group, field, typ, text in FLAGS:
        default = getattr(defaults, field) if not group else None
        shown = default if not group else "off"
        p.add_argument(flag, dest=_dest(group, field), type=typ, default=default,
                       help=f"{text} (default: {shown})")
    p.add_argument("--json", action="store_true", help="print results as JSON")
    return p


def config_from_args(args) -> FedConfig:
    """The :class:`FedConfig` the parsed flags describe (validated)."""
    core = {f: getattr(args, f) for _, g, f, _, _ in FLAGS if not g}
    groups: dict[str, dict] = {}
    for _, g, f, _, _ in FLAGS:
        value = getattr(args, _dest(g, f)) if g else None
        if g and value is not None:
            groups.setdefault(g, {})[f] = value
    if groups.get("attack", {}).get("kind") == "none":
        groups.pop("attack")
    if "systems" in groups:
        from .systems.config import SystemsConfig

        core["systems"] = SystemsConfig(**groups["systems"])
    if "dp" in groups:
        from .privacy.config import DPConfig

        core["dp"] = DPConfig(**groups["dp"])
    if "attack" in groups:
        from .privacy.config import AttackConfig

        core["attack"] = AttackConfig(**groups["attack"])
    return FedConfig(**core)


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
    """Per-round table: accuracy, losses, clients, simulated clock, DP epsilon (- = off)."""
    lines = [f"{'round':>5}  {'test_acc':>8}  {'test_loss':>9}  {'train_loss':>10}  "
             f"{'clients':>7}  {'clock_s':>9}  {'epsilon':>7}"]
    for i in range(hist.completed):
        lines.append(
            f"{i + 1:>5}  {hist.test_accuracy[i]:>8.4f}  {hist.test_loss[i]:>9.4f}  "
            f"{hist.train_loss[i]:>10.4f}  {hist.num_participants[i]:>7d}  "
            f"{_num(hist.wall_clock[i], 9)}  {_num(hist.epsilon[i], 7)}"
        )
    return "\n".join(lines)


def _num(x: float, width: int) -> str:
    """``x`` with 3 decimals, or ``-`` when it was not measured (NaN)."""
    return f"{'-':>{width}}" if math.isnan(x) else f"{x:>{width}.3f}"


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
    try:
        config = config_from_args(args)
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
