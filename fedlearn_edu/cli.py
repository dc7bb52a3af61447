"""Command line: ``fedlearn-edu --dataset digits --clients 10 --rounds 30 [--json]``
(also ``python -m fedlearn_edu ...``), and three commands for the course:

* ``fedlearn-edu lab [DIR]``: copy the notebooks into DIR and open JupyterLab there
  (:mod:`fedlearn_edu.course.lab`);
* ``fedlearn-edu doctor``: what this machine has and misses for the labs
  (:mod:`fedlearn_edu.course.doctor`);
* ``fedlearn-edu classroom ...``: a real federation on Flower (``fedlearn_edu.flower.cli``).

A simulation without ``--json`` shows a progress bar on stderr and a per-round table; with
``--json`` it prints the config, the final metrics and the per-round arrays as JSON.
Invalid settings print the validation message and exit with status 2 (no traceback).
"""

from __future__ import annotations

import argparse
import json
import math
import sys

from .core.config import ENGINE_NAMES, REGRESSION_DATASETS, STRATEGY_NAMES, FedConfig
from .core.data import DATASET_NAMES, PARTITION_NAMES
from .core.models import MODEL_NAMES
from .runner import simulate

# (flag, group, field, type, help); group "" is FedConfig itself, the others are the
# concept configs FedConfig.systems / .dp / .attack, built when one of their flags is given.
FLAGS = [
    ("--dataset", "", "dataset", str, f"one of {', '.join(DATASET_NAMES)}"),
    ("--model", "", "model", str,
     f"one of {', '.join(MODEL_NAMES)}, auto (the dataset's usual model)"),
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


# the command line's own defaults where they differ from FedConfig's
CLI_DEFAULTS = {"model": "auto"}  # so --dataset diabetes / synthetic work as they are

COMMANDS = ("lab", "doctor", "classroom")


def _dest(group: str, field: str) -> str:
    return f"{group}__{field}" if group else field


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="fedlearn-edu",
        description="Simulate federated learning (FedAvg / FedSGD) on a bundled dataset.",
        epilog="Course commands: fedlearn-edu lab [DIR] (the notebooks in JupyterLab), "
               "fedlearn-edu doctor (what this machine misses), fedlearn-edu classroom "
               "(a real federation on Flower); each has --help.",
    )
    defaults = FedConfig()
    for flag, group, field, typ, text in FLAGS:
        default = CLI_DEFAULTS.get(field, getattr(defaults, field)) if not group else None
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


def score_names(config: FedConfig) -> tuple[str, str]:
    """``(score, loss)`` labels of a run: ``("R²", "MSE")`` for a regression dataset (the
    engine's ``test_accuracy`` holds R² there and the squared-error loss is the mean squared
    error, plus ``l2/2 ||w||²`` when ``l2 > 0``), else ``("accuracy", "loss")``."""
    if config.dataset in REGRESSION_DATASETS:
        return "R²", "MSE" if config.l2 == 0 else "loss"
    return "accuracy", "loss"


def _progress(total: int, score: str = "accuracy"):
    short = "acc" if score == "accuracy" else score

    def callback(rec, hist):
        filled = int(30 * rec.round / total)
        sys.stderr.write(
            f"\r[{'#' * filled}{'.' * (30 - filled)}] round {rec.round}/{total} "
            f"{short} {rec.test_accuracy:.3f}"
        )
        if rec.round == total:
            sys.stderr.write("\n")
        sys.stderr.flush()

    return callback


def format_table(hist, names: tuple[str, str] = ("accuracy", "loss")) -> str:
    """Per-round table: accuracy (R² for regression), losses, clients, simulated clock, DP
    epsilon (- = off); ``names`` as :func:`score_names` gives them."""
    score = "test_acc" if names[0] == "accuracy" else f"test_{names[0]}"
    loss = names[1]
    lines = [f"{'round':>5}  {score:>8}  {'test_' + loss:>9}  {'train_' + loss:>10}  "
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
    argv = sys.argv[1:] if argv is None else list(argv)
    if argv and argv[0] in COMMANDS:
        return {"lab": lab_main, "doctor": doctor_main, "classroom": classroom_main}[argv[0]](
            argv[1:])
    args = build_parser().parse_args(argv)
    try:
        config = config_from_args(args)
    except (ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    names = score_names(config)
    hist = simulate(config, callback=None if args.json else _progress(config.rounds, names[0]))
    if args.json:
        out = {"config": config.to_dict(), "final": hist.final(), "history": hist.to_dict(),
               "score": "r2" if names[0] == "R²" else "accuracy"}
        print(json.dumps(_jsonable(out), indent=2, allow_nan=False, default=str))
    else:
        print(format_table(hist, names))
        fin = hist.final()
        print(f"final test {names[0]} {fin['test_accuracy']:.4f}, "
              f"test {names[1]} {fin['test_loss']:.4f}")
    if hist.diverged:
        print(f"error: {hist.message}", file=sys.stderr)
        return 1
    return 0


def lab_main(argv: list[str]) -> int:
    """``fedlearn-edu lab [DIR] [--lang en|zh] [--instructor] [--no-browser] [--port N]``."""
    from .course import lab

    p = argparse.ArgumentParser(
        prog="fedlearn-edu lab",
        description="Copy the course notebooks into a folder of your own and open JupyterLab "
                    "there. A notebook you changed is never overwritten.")
    p.add_argument("folder", nargs="?", default=lab.DEFAULT_FOLDER,
                   help=f"where the notebooks go (default: ./{lab.DEFAULT_FOLDER})")
    p.add_argument("--lang", choices=tuple(lab.EDITIONS), default="en",
                   help="en (English, default) or zh (the Chinese edition)")
    p.add_argument("--instructor", action="store_true",
                   help="the instructor edition: every exercise's solution filled in")
    p.add_argument("--no-browser", action="store_true", help="do not open a browser tab")
    p.add_argument("--port", type=int, default=None, help="JupyterLab's port (default 8888)")
    p.add_argument("--copy-only", action="store_true", help="copy, do not start JupyterLab")
    args = p.parse_args(argv)
    try:
        done = lab.prepare_folder(args.folder, lang=args.lang, instructor=args.instructor)
        command = lab.lab_command(done.folder, port=args.port, browser=not args.no_browser)
    except (OSError, ValueError, TypeError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(done.describe())
    if args.copy_only:
        return 0
    print(f"Starting JupyterLab in {done.folder} (stop it with Ctrl+C): {' '.join(command[1:])}")
    return lab.run_lab(done.folder, port=args.port, browser=not args.no_browser)


def doctor_main(argv: list[str]) -> int:
    """``fedlearn-edu doctor [--lang en|zh]``: exit 0 only if the lab machine has it all."""
    from .course import doctor

    p = argparse.ArgumentParser(
        prog="fedlearn-edu doctor",
        description="Check what this machine has and misses for the course notebooks.")
    p.add_argument("--lang", choices=tuple(doctor.EDITIONS), default="en",
                   help="zh: the Chinese edition's font is needed too")
    return doctor.main(p.parse_args(argv).lang)


def classroom_main(argv: list[str]) -> int:
    """``fedlearn-edu classroom ...``: handed to ``fedlearn_edu.flower.cli.main``."""
    try:
        from .flower import cli as flower_cli
    except ImportError as exc:  # no fedlearn_edu.flower(.cli) here, or no Flower installed
        if not (exc.name or "").startswith(("fedlearn_edu.flower", "flwr")):
            raise
        print('error: classroom needs the flower extra: pip install "fedlearn_edu[flower]"',
              file=sys.stderr)
        return 2
    return flower_cli.main(argv)


if __name__ == "__main__":  # pragma: no cover
    raise SystemExit(main())
