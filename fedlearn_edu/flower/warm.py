"""Warm start for Flower's app processes: the same commands, without 2 s of imports each.

Flower 1.42 starts a new OS process for every message a SuperNode works on
(``flwr-clientapp --token ...``), one per run on the SuperLink (``flwr-serverapp``), a
``flower-superexec`` next to every SuperNode and SuperLink, and ``flwr run`` and every
SuperNode are processes too. Each spends about 2 s of CPU importing Flower before it does
a millisecond of arithmetic, so on a 2-core laptop a 3-client round costs seconds of imports.

A *warm starter* (``python warm.py serve SOCKET``, one per :class:`~.deployment.Deployment`)
imports those entry points and our apps once, then waits on a Unix socket. In front
of the real commands on the ``PATH`` of every Flower process we start stand tiny stdlib-only
shims of the same names (:func:`write_shims`): a shim hands its arguments, environment,
working folder and standard streams to the starter, which forks a child that runs Flower's
own entry point (``flwr_clientapp()``, ``flwr_serverapp()``, ``flower_superexec()``,
``flwr``'s CLI, our SuperNode wrapper :mod:`.supernode`) unchanged; the
shim waits, passes signals on, and exits with the child's status. Flower still starts one
process per message, it just starts it in milliseconds. Without the starter (not running,
no ``fork`` on Windows) a shim runs Flower's real command instead.

Every child is below the starter in the process tree, so stopping the starter's guard by PID
stops them too; a child also gets ``SIGTERM`` if the starter dies (``PR_SET_PDEATHSIG``), and
ends at once if its shim is killed (a SuperNode ``SIGKILL``ed as a dropout takes its forked
copy along).
"""

from __future__ import annotations

import ctypes
import json
import os
import select
import signal
import socket
import sys
import threading
import time
import traceback
from pathlib import Path

SOCKET_ENV = "FEDLEARN_EDU_WARM_SOCKET"
SUPERNODE = "fedlearn-supernode"  # Flower's SuperNode with a short idle poll (.supernode)
COMMANDS = ("flwr-clientapp", "flwr-serverapp", "flwr", "flower-superexec", SUPERNODE)
HEADER = 8  # bytes of the request's length


def supported() -> bool:
    """Forking a warm process needs ``os.fork`` and Unix sockets (Linux, macOS)."""
    return hasattr(os, "fork") and hasattr(socket, "AF_UNIX") and hasattr(socket, "send_fds")


SHIM = '''\
#!{python} -S
"""{name}: Flower's command, started by fedlearn_edu's warm starter (fedlearn_edu.flower.warm)."""
import json, os, signal, socket, sys

REAL = {real!r}  # Flower's own command (argv prefix), when no warm starter listens


def main():
    sock = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    try:
        sock.connect(os.environ.get({env!r}, ""))
    except OSError:  # no warm starter: Flower's own command, the slow way
        sock.close()
        os.execv(REAL[0], [*REAL, *sys.argv[1:]])
    body = json.dumps({{"command": {name!r}, "argv": sys.argv[1:], "env": dict(os.environ),
                       "cwd": os.getcwd(), "shim": os.getpid()}}).encode()
    socket.send_fds(sock, [len(body).to_bytes({header}, "big")], [0, 1, 2])
    sock.sendall(body)
    answers = sock.makefile("rb")
    pid = int(answers.readline() or 0)

    def forward(signum, frame):
        try:
            os.kill(pid, signum)
        except OSError:
            pass

    if pid:
        for signum in (signal.SIGTERM, signal.SIGINT, signal.SIGHUP):
            signal.signal(signum, forward)
    status = answers.readline().strip()
    sys.exit(int(status) if status else 1)


main()
'''


def write_shims(folder: Path, real_bin: Path) -> Path:
    """Write the shims (one per name in :data:`COMMANDS`) into ``folder``
    (put it first on the ``PATH``); ``real_bin`` holds Flower's real commands."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    for name in COMMANDS:
        real = ([sys.executable, "-m", "fedlearn_edu.flower.supernode"] if name == SUPERNODE
                else [str(Path(real_bin) / name)])
        path = folder / name
        path.write_text(SHIM.format(python=sys.executable, name=name, env=SOCKET_ENV,
                                    real=real, header=HEADER))
        path.chmod(0o755)
    return folder


def _entry_points() -> dict:
    """Import Flower's entry points, our SuperNode wrapper and our apps (what every child
    would import)."""
    from flwr.cli.app import app as flwr_cli
    from flwr.supercore.cli import flower_superexec
    from flwr.superlink.cli import flwr_serverapp
    from flwr.supernode.cli import flower_supernode, flwr_clientapp  # noqa: F401

    from fedlearn_edu.flower import apps, supernode  # noqa: F401 - what the FAB hands on
    from fedlearn_edu.flower.pulls import patch_object_pulls

    patch_object_pulls()  # every forked app pulls its message without Flower's 1 s wait
    return {"flwr-clientapp": flwr_clientapp, "flwr-serverapp": flwr_serverapp,
            "flwr": flwr_cli, "flower-superexec": flower_superexec,
            SUPERNODE: lambda: sys.exit(supernode.main(sys.argv[1:]))}


def _receive(conn: socket.socket) -> tuple[dict, list[int]]:
    head, fds, _, _ = socket.recv_fds(conn, HEADER, 3)
    while len(head) < HEADER:
        head += conn.recv(HEADER - len(head))
    size, body = int.from_bytes(head, "big"), b""
    while len(body) < size:
        chunk = conn.recv(size - len(body))
        if not chunk:
            raise ConnectionError("the shim hung up")
        body += chunk
    return json.loads(body), list(fds)


def _die_with(shim: int) -> None:
    """End this child at once when its shim dies (``SIGKILL``ed with its SuperNode: a laptop
    lid shut); a shim stopped politely passes the signal on and waits for us instead."""
    def watch():
        try:
            fd = os.pidfd_open(shim)
            select.select([fd], [], [])  # readable when the process ended
        except (AttributeError, OSError):  # no pidfd (macOS, old kernels): poll
            while True:
                try:
                    os.kill(shim, 0)
                except ProcessLookupError:
                    break
                time.sleep(0.2)
        os.kill(os.getpid(), signal.SIGKILL)

    threading.Thread(target=watch, name="warm-shim-watch", daemon=True).start()


def _child(conn: socket.socket, request: dict, fds: list[int], entries: dict) -> None:
    """Become the command the shim asked for; never returns."""
    code = 1
    try:
        try:
            ctypes.CDLL(None).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG: die with us
        except (OSError, AttributeError):
            pass
        signal.signal(signal.SIGCHLD, signal.SIG_DFL)
        # A stopped federation signals a child more than once (its shim passes SIGTERM on,
        # the starter's guard and PR_SET_PDEATHSIG send one too). Flower's commands handle
        # the first (a SuperNode signs off at its SuperLink) and then restore the handler
        # found here: ignoring lets that goodbye finish; SIGKILL still ends a child that
        # hangs (after the stop's grace period, or at once when its shim is killed).
        for signum in (signal.SIGTERM, signal.SIGINT):
            signal.signal(signum, signal.SIG_IGN)
        for target, fd in enumerate(fds):
            os.dup2(fd, target)
            os.close(fd)
        _die_with(request["shim"])
        os.environ.clear()
        os.environ.update(request["env"])
        os.chdir(request["cwd"])
        conn.sendall(f"{os.getpid()}\n".encode())
        sys.argv = [request["command"], *request["argv"]]
        try:
            entries[request["command"]]()
            code = 0
        except SystemExit as stop:
            code = stop.code if isinstance(stop.code, int) else int(stop.code is not None)
    except BaseException:  # noqa: BLE001 - reported on the shim's stderr
        traceback.print_exc()
    finally:
        for stream in (sys.stdout, sys.stderr):
            try:
                stream.flush()
            except Exception:  # noqa: BLE001
                pass
        try:
            conn.sendall(f"{code}\n".encode())
        finally:
            os._exit(code)


def serve(path: str) -> None:
    """The warm starter: import once, then fork one child per shim that connects."""
    entries = _entry_points()
    signal.signal(signal.SIGCHLD, signal.SIG_IGN)  # children are reaped by the kernel
    server = socket.socket(socket.AF_UNIX, socket.SOCK_STREAM)
    server.bind(path + ".tmp")
    server.listen(64)
    os.replace(path + ".tmp", path)  # shims see the socket only once it listens
    while True:
        conn, _ = server.accept()
        try:
            request, fds = _receive(conn)
        except (OSError, ValueError, ConnectionError):
            conn.close()
            continue
        sys.stdout.flush()
        sys.stderr.flush()
        pid = os.fork()
        if pid == 0:
            server.close()
            _child(conn, request, fds, entries)
        for fd in fds:
            os.close(fd)
        conn.close()
        print(f"started {request['command']} as {pid}", flush=True)  # our log: what ran warm


if __name__ == "__main__":
    if len(sys.argv) != 3 or sys.argv[1] != "serve":
        sys.exit("usage: python warm.py serve SOCKET")
    serve(sys.argv[2])
