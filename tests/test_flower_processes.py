"""Every process a real federation starts is stopped: on success, on failure, on
KeyboardInterrupt, and when our own process is killed (a notebook kernel restart); and the
``flower`` extra is optional (the core never imports flwr; the bridge names the extra)."""

from __future__ import annotations

import importlib
import os
import signal
import subprocess
import sys
import time

import pytest

pytest.importorskip("flwr", reason='the flower extra: pip install "fedlearn_edu[flower]"')

from fedlearn_edu import FedConfig  # noqa: E402
from fedlearn_edu.flower import FlowerRunError, run_flower  # noqa: E402
from fedlearn_edu.flower.processes import descendants, marked  # noqa: E402

ONE = FedConfig(num_clients=1, rounds=1, local_epochs=1)


def _parent(pid: int) -> int:
    try:
        with open(f"/proc/{pid}/stat") as f:
            return int(f.read().rsplit(")", 1)[1].split()[1])
    except (OSError, ValueError, IndexError):
        return 0


def _ours(pids: set[int]) -> set[int]:
    """The marked processes that are ours: our descendants, or orphans (parent 1) we left.
    A Flower test running at the same time in the other pytest-xdist worker has live
    processes of its own under that worker: they are not ours to count."""
    mine = set(descendants(os.getpid()))
    return {p for p in pids if p in mine or _parent(p) == 1}


def no_new_processes(before: set[int], timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        left = _ours(set(marked()) - before)
        if not left and not descendants(os.getpid()):
            return
        time.sleep(0.2)
    raise AssertionError(f"left behind: {sorted(_ours(set(marked()) - before))}, children "
                         f"{descendants(os.getpid())}")


def test_keyboard_interrupt_leaves_no_process():
    before = set(marked())

    def interrupt(rec, hist):
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        run_flower(ONE.replace(rounds=3), runtime="deployment", callback=interrupt)
    no_new_processes(before)


def test_failure_leaves_no_process_and_says_why():
    before = set(marked())
    with pytest.raises(FlowerRunError, match=r"round 1: clients \[0\] did not answer"):
        run_flower(ONE, runtime="deployment", round_timeout=0.001)
    no_new_processes(before)


def test_a_killed_parent_takes_its_flower_processes_along():
    code = ("import time\nfrom fedlearn_edu.flower import Deployment\n"
            "d = Deployment(1).start()\nprint(d.tmp, flush=True)\ntime.sleep(600)\n")
    parent = subprocess.Popen([sys.executable, "-c", code], stdout=subprocess.PIPE, text=True)
    try:
        tmp = parent.stdout.readline().strip()
        assert tmp, "the deployment did not start"
        deadline = time.monotonic() + 120
        while len(marked(tmp)) < 4 and time.monotonic() < deadline:  # guards, link, node, ...
            time.sleep(0.2)
        assert len(marked(tmp)) >= 4
    finally:
        parent.send_signal(signal.SIGKILL)  # no atexit, no finally: only the guards remain
        parent.wait()
    deadline = time.monotonic() + 30
    while marked(tmp) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert marked(tmp) == []


def test_missing_flwr_gives_an_import_error_naming_the_extra(monkeypatch):
    monkeypatch.setitem(sys.modules, "flwr", None)
    for name in [m for m in sys.modules if m.startswith("fedlearn_edu.flower")]:
        monkeypatch.delitem(sys.modules, name)
    with pytest.raises(ImportError, match=r'pip install "fedlearn_edu\[flower\]"') as err:
        importlib.import_module("fedlearn_edu.flower")
    assert err.value.name == "flwr"


def test_the_core_package_never_imports_flwr():
    code = ("import sys, fedlearn_edu, fedlearn_edu.cli, fedlearn_edu.widgets\n"
            "fedlearn_edu.simulate(fedlearn_edu.FedConfig(rounds=1))\n"
            "print(sorted(m for m in sys.modules if m.split('.')[0] == 'flwr'))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, env={**os.environ, "MPLBACKEND": "Agg"})
    assert out.returncode == 0, out.stderr
    assert out.stdout.strip() == "[]"
