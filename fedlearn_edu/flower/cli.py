"""``fedlearn-edu classroom serve|join``: a real federation across a lab's laptops.

Lecturer::

    fedlearn-edu classroom serve --clients 30 --rounds 20 [--host 0.0.0.0 --port 9092]
                                 [--min-students 20 --min-answers 2 --round-timeout 60]
                                 [config flags: --dataset --lr --partition --alpha ...]

Student::

    fedlearn-edu classroom join 192.168.1.20:9092 --student 7

Insecure (no TLS) by default, for a closed lab network; Flower's TLS flags are passed
through: ``serve --ssl-certfile C --ssl-keyfile K --ssl-ca-certfile CA`` and
``join ... --root-certificates CA``. Every bad input prints one line and exits with 2.
"""

from __future__ import annotations

import argparse
import sys

from ..core.config import FedConfig
from .classroom import (
    JOIN_TIMEOUT_S,
    MIN_ANSWERS,
    PACE_S,
    ROUND_TIMEOUT_S,
    ClassroomError,
    join,
    serve,
)
from .server import FlowerRunError

DEFAULT_PORT = 9092

# (flag, FedConfig field, type)
CONFIG_FLAGS = [
    ("--clients", "num_clients", int), ("--rounds", "rounds", int),
    ("--dataset", "dataset", str), ("--model", "model", str),
    ("--local-epochs", "local_epochs", int), ("--batch-size", "batch_size", int),
    ("--lr", "lr", float), ("--fraction", "client_fraction", float),
    ("--partition", "partition", str), ("--alpha", "dirichlet_alpha", float),
    ("--strategy", "strategy", str), ("--seed", "seed", int), ("--mu", "mu", float),
    ("--aggregator", "aggregator", str), ("--aggregator-f", "aggregator_f", int),
]
DEFAULTS = {"num_clients": 30, "rounds": 20, "model": "auto"}


def build_parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(prog="fedlearn-edu classroom",
                                description="A real federated-learning class on Flower.")
    sub = p.add_subparsers(dest="command", required=True)
    s = sub.add_parser("serve", help="lecturer: start the class and run the rounds")
    base = FedConfig()
    for flag, field, typ in CONFIG_FLAGS:
        default = DEFAULTS.get(field, getattr(base, field))
        s.add_argument(flag, dest=field, type=typ, default=default,
                       help=f"FedConfig.{field} (default: {default})")
    s.add_argument("--dp-noise", type=float, help="DP-FedAvg noise multiplier (default: off)")
    s.add_argument("--dp-clip", type=float, default=1.0, help="DP-FedAvg clip norm")
    s.add_argument("--host", default="0.0.0.0", help="address to bind (default: 0.0.0.0, "
                   "every network of this machine; 127.0.0.1 for one machine)")
    s.add_argument("--port", type=int, default=DEFAULT_PORT,
                   help=f"SuperLink port (default: {DEFAULT_PORT})")
    s.add_argument("--min-students", type=int, help="students to wait for before round 1 "
                   "(default: all clients)")
    s.add_argument("--min-answers", type=int, default=MIN_ANSWERS,
                   help=f"answers a round needs to update the model (default: {MIN_ANSWERS})")
    s.add_argument("--round-timeout", type=float, default=ROUND_TIMEOUT_S,
                   help=f"seconds a round waits for answers (default: {ROUND_TIMEOUT_S:g})")
    s.add_argument("--join-timeout", type=float, default=JOIN_TIMEOUT_S,
                   help=f"seconds to wait for --min-students (default: {JOIN_TIMEOUT_S:g})")
    s.add_argument("--pace", type=float, default=PACE_S,
                   help=f"seconds a round lasts at least, so the class can watch the curve "
                        f"grow (default: {PACE_S:g}; 0: as fast as the network allows)")
    for tls in ("--ssl-certfile", "--ssl-keyfile", "--ssl-ca-certfile"):
        s.add_argument(tls, help=f"Flower's TLS: passed to flower-superlink {tls}")
    j = sub.add_parser("join", help="student: be one client of the class")
    j.add_argument("address", help="HOST:PORT the lecturer shows")
    j.add_argument("--student", type=int, required=True, help="your number K in [0, clients)")
    j.add_argument("--root-certificates", help="Flower's TLS: the CA certificate (PEM)")
    return p


def _config(args) -> FedConfig:
    fields = {field: getattr(args, field) for _, field, _ in CONFIG_FLAGS}
    if args.dp_noise is not None:
        from ..privacy.config import DPConfig

        fields["dp"] = DPConfig(noise_multiplier=args.dp_noise, clip_norm=args.dp_clip)
    return FedConfig(**fields)


def _superlink_args(args) -> list[str]:
    tls = [(f, getattr(args, f[2:].replace("-", "_"))) for f in
           ("--ssl-certfile", "--ssl-keyfile", "--ssl-ca-certfile")]
    given = [(f, v) for f, v in tls if v]
    if given and len(given) < 3:
        raise ClassroomError("TLS needs all of --ssl-certfile, --ssl-keyfile and "
                             "--ssl-ca-certfile")
    return [x for pair in given for x in pair] or ["--insecure"]


def main(argv: list[str] | None = None) -> int:
    """``fedlearn-edu classroom ...``; returns the exit status."""
    args = build_parser().parse_args(argv)

    def out(line: str) -> None:
        print(line, flush=True)

    try:
        if args.command == "serve":
            hist = serve(_config(args), host=args.host, port=args.port,
                         min_students=args.min_students, min_answers=args.min_answers,
                         round_timeout=args.round_timeout, join_timeout=args.join_timeout,
                         pace=args.pace, superlink_args=_superlink_args(args), out=out)
            return 0 if hist.completed else 1
        return join(args.address, args.student, root_certificates=args.root_certificates,
                    out=out)
    except (ClassroomError, FlowerRunError, ValueError, TypeError) as err:
        print(f"error: {err}", file=sys.stderr, flush=True)
        return 2
    except KeyboardInterrupt:
        print("interrupted: every process we started is stopped", file=sys.stderr)
        return 130
