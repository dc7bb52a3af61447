"""Run one command and take its whole process tree down with us: ``python guard.py CMD ...``.

:class:`~.processes.ProcessSet` starts every Flower process through this guard (stdlib only,
run as a script, so it starts in milliseconds). The guard asks the kernel for ``SIGTERM``
when its parent dies (Linux ``PR_SET_PDEATHSIG``: our Python was killed, e.g. a notebook
kernel restarted with ``SIGKILL``) and on ``SIGTERM``/``SIGINT`` stops every process below
it by PID (Flower's SuperExec and app processes included), then exits. Without it those
grandchildren could outlive everything: Flower's own parent monitor waits for a PID that a
container without an init process never reaps.
"""

from __future__ import annotations

import ctypes
import os
import signal
import subprocess
import sys
import time
from pathlib import Path


def children_map() -> dict[int, list[int]]:
    kids: dict[int, list[int]] = {}
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            ppid = int((entry / "stat").read_text().rsplit(")", 1)[1].split()[1])
        except (OSError, IndexError, ValueError):
            continue
        kids.setdefault(ppid, []).append(int(entry.name))
    return kids


def tree(pid: int) -> list[int]:
    """``pid`` and every process below it."""
    kids, out, todo = children_map(), [], [pid]
    while todo:
        p = todo.pop()
        out.append(p)
        todo.extend(kids.get(p, []))
    return out


def stop_tree(pid: int, grace: float = 3.0) -> None:
    victims = tree(pid)
    for sig in (signal.SIGTERM, signal.SIGKILL):
        for p in victims:
            try:
                os.kill(p, sig)
            except OSError:
                pass
        deadline = time.monotonic() + grace
        while time.monotonic() < deadline and any(_alive(p) for p in victims):
            time.sleep(0.05)


def _alive(pid: int) -> bool:
    try:
        return Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        return False


def main(argv: list[str]) -> int:
    try:
        ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG
    except (OSError, AttributeError):
        pass
    child = subprocess.Popen(argv)

    def on_signal(signum, frame):
        stop_tree(child.pid)
        # not child.wait(): the handler may interrupt the wait below (its lock is held)
        os._exit(128 + signum)

    signal.signal(signal.SIGTERM, on_signal)
    signal.signal(signal.SIGINT, on_signal)
    return child.wait()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
