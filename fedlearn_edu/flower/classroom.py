"""Classroom mode: the lecturer's laptop runs the SuperLink and the ServerApp, every
student's laptop one SuperNode holding one partition.

* :func:`serve` starts a SuperLink on ``host:port``, prints the join command for the
  projector, waits until ``min_students`` have joined (showing who did), runs the rounds and
  prints each round's accuracy; returns the :class:`History` (who took part in each round is
  in ``history.participants``).
* :func:`join` starts a SuperNode for student ``K`` and prints that student's local model's
  accuracy next to the global model's, round by round, until the lecturer's run ends.

Dropouts: a round waits ``round_timeout`` seconds and then goes on with whoever answered;
it changes the model only with at least ``min_answers`` answers (default
:data:`MIN_ANSWERS`, Flower's own default for ``min_train_nodes``), else it keeps the global
model and records nobody. A student who joins late takes part from the next round.
"""

from __future__ import annotations

import json
import socket
import tempfile
import time
from pathlib import Path

from ..core.config import FedConfig
from ..core.history import History
from ..core.loop import run_history
from .codec import check_supported, config_to_json
from .deployment import Deployment
from .processes import ProcessSet, reachable
from .runtime import _records
from .server import FlowerRunError, Job

MIN_ANSWERS = 2
ROUND_TIMEOUT_S = 60.0
JOIN_TIMEOUT_S = 600.0
PACE_S = 1.0  # a class round lasts at least a second: the projector's curve grows visibly
STUDENT_POLL_S = 1.0  # a student's idle SuperNode asks the lecturer's SuperLink once a second


class ClassroomError(Exception):
    """Bad classroom input: the CLI prints the message as one line and exits with 2."""


def lan_address() -> str:
    """This machine's address on the local network (no packet is sent to find it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_DGRAM) as s:
        try:
            s.connect(("10.255.255.255", 1))
            return s.getsockname()[0]
        except OSError:
            return "127.0.0.1"


def parse_address(address: str) -> tuple[str, int]:
    """``"HOST:PORT"`` as ``(host, port)``; ClassroomError naming what is wrong."""
    host, sep, port = str(address).rpartition(":")
    if not sep or not host or not port.isdigit() or not 0 < int(port) < 65536:
        raise ClassroomError(f"address must look like HOST:PORT (e.g. 192.168.1.20:9093), "
                             f"got {address!r}")
    return host, int(port)


def _print_event(event: dict, out, total: int) -> None:
    kind = event["kind"]
    if kind == "joined":
        out(f"  + student {event['student']} joined")
    elif kind == "left":
        out(f"  - student {event['student']} left")
    elif kind == "refused":
        out(f"  ! refused a node: {event['reason']}")
    elif kind == "missing":
        out(f"  round {event['round']}: no answer from students {event['students']} "
            f"(dropped out?): the round goes on without them")
    elif kind == "too_few":
        out(f"  round {event['round']}: only {event['answered']} answers, fewer than the "
            f"minimum: the global model stays as it was")


def serve(config: FedConfig, *, host: str = "127.0.0.1", port: int | None = None,
          min_students: int | None = None, min_answers: int = MIN_ANSWERS,
          round_timeout: float = ROUND_TIMEOUT_S, join_timeout: float = JOIN_TIMEOUT_S,
          pace: float = PACE_S, superlink_args: list[str] | None = None, out=print,
          callback=None) -> History:
    """Run ``config`` with the students who join (blocks until the last round)."""
    check_supported(config)
    n = config.num_clients
    need = n if min_students is None else min_students
    if not 1 <= need <= n:
        raise ClassroomError(f"min_students must be in [1, {n}] (the class has {n} "
                             f"clients), got {need}")
    if min_answers < 1:
        raise ClassroomError(f"min_answers must be >= 1, got {min_answers}")
    if not pace >= 0:
        raise ClassroomError(f"pace must be >= 0 seconds per round, got {pace}")
    dep = Deployment(0, host=host, port=port, superlink_args=superlink_args)
    try:
        dep.start()
    except FlowerRunError as err:
        raise ClassroomError(str(err)) from None
    try:
        shown = lan_address() if host in ("0.0.0.0", "") else host
        out(f"Classroom SuperLink on {shown}:{dep.port} ({n} clients, {config.rounds} rounds)")
        out(f"Students join with:  fedlearn-edu classroom join {shown}:{dep.port} --student K"
            f"   (K = 0..{n - 1}, each a different K)")
        out(f"Waiting for {need} students ...")
        job = Job(config_to_json(config), min_nodes=need, min_answers=min_answers,
                  round_timeout=round_timeout, join_timeout=join_timeout, report=True,
                  pace_s=float(pace))
        channel = dep.submit(job)

        def progress(rec, hist):
            out(f"round {rec.round:>3}/{config.rounds}  accuracy {rec.test_accuracy:.3f}  "
                f"students {len(rec.participants):>3}  {list(map(int, rec.participants))}")
            return None if callback is None else callback(rec, hist)

        items = channel.items(dep.check)
        hist = run_history(config, _records(items, lambda e: _print_event(e, out, n),
                                            config.dtype), progress)
        out(f"Done: accuracy {hist.final()['test_accuracy']:.3f} after {hist.completed} "
            f"rounds")
        return hist
    finally:
        dep.stop()


def join(address: str, student: int, *, root_certificates: str | None = None, out=print,
         timeout: float | None = None) -> int:
    """Be student ``student`` of the class at ``address`` until its run ends; returns 0
    (ClassroomError for a bad id, an unreachable address or a refused node)."""
    if not isinstance(student, int) or isinstance(student, bool) or student < 0:
        raise ClassroomError(f"student must be an integer >= 0 (your number in the class), "
                             f"got {student!r}")
    host, port = parse_address(address)
    if not reachable(host, port, 3.0):
        raise ClassroomError(f"cannot reach a classroom at {host}:{port}: is `fedlearn-edu "
                             f"classroom serve` running there, and is the address right?")
    tmp = Path(tempfile.mkdtemp(prefix="fedlearn-student-"))
    status = tmp / "status.jsonl"
    dep = Deployment(0)  # its environment and process handling; no SuperLink of our own
    procs: ProcessSet = dep.procs
    try:
        dep.add_node(student, 0, superlink=f"{host}:{port}", status_file=str(status),
                     name="supernode", root_certificates=root_certificates,
                     poll_s=STUDENT_POLL_S)
        out(f"Student {student}: connecting to {host}:{port} ...")
        return _follow(status, procs, out, timeout)
    finally:
        procs.stop()


def _follow(status: Path, procs: ProcessSet, out, timeout) -> int:
    offset, start = 0, time.monotonic()
    while True:
        lines = []
        if status.exists():
            with open(status, encoding="utf-8") as f:
                f.seek(offset)
                lines = f.readlines()
                offset = f.tell()
        for line in lines:
            event = json.loads(line)
            kind = event["kind"]
            if kind == "connected":
                out(f"Connected: you hold partition {event['student']}")
            elif kind == "rejected":
                raise ClassroomError(event["reason"])
            elif kind == "round":
                mine = event.get("local_accuracy")
                mine = f"{mine:.3f}" if mine is not None else "-"
                out(f"round {event['round']:>3}: your model {mine}  global model "
                    f"{event['global_accuracy']:.3f}  ({event['num_examples']} examples)")
            elif kind == "finished":
                out(f"The class is done: global accuracy {event['accuracy']:.3f} after "
                    f"{event['rounds']} rounds")
                return 0
        proc = procs.procs["supernode"]
        if proc.poll() is not None:
            raise ClassroomError(f"the SuperNode stopped (exit {proc.returncode}): "
                                 + " | ".join(procs.log_text("supernode").splitlines()[-2:]))
        if timeout is not None and time.monotonic() - start > timeout:
            raise ClassroomError(f"no end of the class within {timeout:g} s")
        time.sleep(0.1)
