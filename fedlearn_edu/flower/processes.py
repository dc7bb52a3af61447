"""Starting and stopping the OS processes of a real federation, and nothing left behind.

Every process is started in its own process group, with its output in a log file, under
:mod:`.guard` and on Linux with a parent-death signal (``PR_SET_PDEATHSIG``): if our Python
process dies, even by ``SIGKILL`` (a kernel restart), the kernel tells each guard, which
stops its SuperLink or SuperNode and everything below it. A
:class:`ProcessSet` stops every process it started, and their descendants (Flower's
SuperExec runs in a session of its own), by PID on success, failure, ``KeyboardInterrupt`` and
interpreter exit (``atexit``).
"""

from __future__ import annotations

import atexit
import ctypes
import os
import signal
import socket
import subprocess
import sys
import time
import weakref
from pathlib import Path

from .guard import tree

_LIVE: weakref.WeakSet = weakref.WeakSet()  # every ProcessSet not yet stopped
GUARD = Path(__file__).with_name("guard.py")
PR_SET_PDEATHSIG = 1


def _die_with_parent() -> None:  # runs in the child between fork and exec
    try:
        ctypes.CDLL(None).prctl(PR_SET_PDEATHSIG, signal.SIGTERM)
    except (OSError, AttributeError):  # not Linux: atexit still stops the processes
        pass


def free_port(host: str = "127.0.0.1") -> int:
    """A TCP port on ``host`` that nothing listens on right now (the OS picks it)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind((host, 0))
        return int(s.getsockname()[1])


def port_in_use(host: str, port: int) -> bool:
    """True when ``host:port`` cannot be bound (another program listens there)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        try:
            s.bind((host, port))
        except OSError:
            return True
    return False


def reachable(host: str, port: int, timeout: float = 1.0) -> bool:
    """True when a TCP connection to ``host:port`` succeeds within ``timeout`` seconds."""
    try:
        with socket.create_connection((host, port), timeout=timeout):
            return True
    except OSError:
        return False


def descendants(pid: int) -> list[int]:
    """PIDs of every process below ``pid`` (children, grandchildren, ...), from ``/proc``
    (psutil when it is installed)."""
    try:
        import psutil

        try:
            return [p.pid for p in psutil.Process(pid).children(recursive=True)]
        except psutil.NoSuchProcess:
            return []
    except ImportError:
        pass
    return tree(pid)[1:]  # the guard's /proc walk (stdlib only): pid itself comes first


MARKER = "FEDLEARN_EDU_FLOWER_RUN"  # in the environment of every process we start


def marked(value: str = "") -> list[int]:
    """Live PIDs whose environment has ``MARKER`` containing ``value`` (every process of a
    :class:`~.deployment.Deployment` and the Flower processes below them inherit it), so a
    test sees orphans too, not only our descendants."""
    key = f"{MARKER}=".encode()
    found = []
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            env = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if any(e.startswith(key) and value.encode() in e[len(key):] for e in env):
            pid = int(entry.name)
            if pid != os.getpid() and alive(pid):
                found.append(pid)
    return sorted(found)


def alive(pid: int) -> bool:
    """True while ``pid`` runs (a zombie counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
        return stat.rsplit(")", 1)[1].split()[0] != "Z"
    except OSError:
        try:
            os.kill(pid, 0)
        except OSError:
            return False
        return True


def tool(name: str) -> str:
    """The path of a Flower command next to this Python (``flower-superlink``, ``flwr``)."""
    here = Path(sys.executable).parent / name
    return str(here) if here.exists() else name


class ProcessSet:
    """The processes of one federation: ``start`` each, ``stop()`` them all (idempotent).

    Args:
        logdir: where each process's output goes (``<name>.log``).
        env: the environment of every process.
    """

    def __init__(self, logdir: Path, env: dict[str, str]):
        self.logdir, self.env = Path(logdir), env
        self.procs: dict[str, subprocess.Popen] = {}
        self.seen: set[int] = set()  # every PID we started or found below one
        _LIVE.add(self)

    def start(self, name: str, argv: list[str]) -> subprocess.Popen:
        """Start ``argv`` as process ``name`` (a new process group, output to its log)."""
        if name in self.procs and self.procs[name].poll() is None:
            raise RuntimeError(f"process {name!r} is already running")
        log = open(self.logdir / f"{name}.log", "wb")  # noqa: SIM115 - closed in stop()
        kwargs = {"preexec_fn": _die_with_parent} if sys.platform.startswith("linux") else {}
        if Path("/proc").is_dir():  # the guard takes the process's whole tree down with it
            argv = [sys.executable, str(GUARD), *argv]
        proc = subprocess.Popen(argv, stdout=log, stderr=subprocess.STDOUT,
                                stdin=subprocess.DEVNULL, env=self.env, start_new_session=True,
                                **kwargs)
        proc.log = log
        self.procs[name] = proc
        self.seen.add(proc.pid)
        return proc

    def log_text(self, name: str) -> str:
        """What process ``name`` printed so far."""
        try:
            return (self.logdir / f"{name}.log").read_text(errors="replace")
        except OSError:
            return ""

    def pids(self) -> list[int]:
        """PIDs of our processes and their descendants that still run."""
        found = set()
        for proc in self.procs.values():
            if proc.poll() is None:
                found.add(proc.pid)
                found.update(descendants(proc.pid))
        self.seen |= found
        return sorted(p for p in found if alive(p))

    def kill(self, name: str, sig: int = signal.SIGKILL) -> None:
        """Stop process ``name`` now (e.g. a student drops out). ``SIGKILL`` hits it and its
        descendants at once; ``SIGTERM`` goes to its guard, which stops the tree politely."""
        proc = self.procs[name]
        victims = [proc.pid, *descendants(proc.pid)] if proc.poll() is None else []
        if sig != signal.SIGKILL and victims:
            self.seen.update(victims)
            victims = victims[:1]
        self.seen.update(victims)
        for pid in victims:
            _signal(pid, sig)
        if victims:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                pass

    def stop(self, timeout: float = 5.0) -> None:
        """Stop every process we started and everything below them: SIGTERM, then SIGKILL
        after ``timeout`` seconds, each by PID."""
        victims = set(self.pids()) | {p for p in self.seen if alive(p)}
        for pid in victims:
            _signal(pid, signal.SIGTERM)
        deadline = time.monotonic() + timeout
        for proc in self.procs.values():
            try:
                proc.wait(timeout=max(0.0, deadline - time.monotonic()))
            except subprocess.TimeoutExpired:
                pass
        while time.monotonic() < deadline and any(alive(p) for p in victims):
            time.sleep(0.05)
        for pid in victims:
            if alive(pid):
                _signal(pid, signal.SIGKILL)
        for proc in self.procs.values():
            try:
                proc.wait(timeout=2)
            except subprocess.TimeoutExpired:
                pass
            proc.log.close()
        _LIVE.discard(self)


def _signal(pid: int, sig: int) -> None:
    try:
        os.kill(pid, sig)
    except (ProcessLookupError, PermissionError):
        pass


@atexit.register
def _stop_all() -> None:  # interpreter exit: a notebook kernel shut down, a script ended
    for ps in list(_LIVE):
        ps.stop(timeout=2.0)
