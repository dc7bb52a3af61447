"""``runtime="deployment"``: a real SuperLink and SuperNodes, each its own OS process.

:class:`Deployment` starts ``flower-superlink --insecure`` on a free port we pick, one
``flower-supernode --insecure`` per client (``--node-config "partition-id=k
num-partitions=n"``; Flower's own SuperNode with a shorter idle poll, :mod:`.supernode`),
and submits runs with ``flwr run`` (a Flower App folder written by
:func:`~.apps.write_flower_app`). Flower's app processes start warm (:mod:`.warm`).
Everything lives in a temporary folder: Flower's home (``FLWR_HOME``: its config, the
installed FAB), the logs, the job and records files. Nothing is downloaded (runtime
dependency installation is off), telemetry is off.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import signal
import subprocess
import sys
import tempfile
import threading
import time
from pathlib import Path

from ._require import QUIET_ENV
from .apps import write_flower_app
from .channel import FileChannel
from .processes import MARKER, ProcessSet, free_port, port_in_use, reachable, tool
from .server import FlowerRunError, Job
from .warm import SOCKET_ENV, SUPERNODE, supported, write_shims

CONNECTION = "fedlearn-edu"
START_TIMEOUT_S = 60.0
IDLE_POLL_S = 0.25  # an idle SuperNode's poll (Flower's own: 3 s, a wait every round pays)


class Deployment:
    """A SuperLink (and optionally SuperNodes) on this machine; a context manager.

    Args:
        num_nodes: SuperNodes to start at once, holding partitions ``0..num_nodes-1``.
        host: the address the SuperLink binds and the nodes dial (a lab: ``0.0.0.0``).
        port: the SuperLink's port (default: a free one).
        superlink_args: extra ``flower-superlink`` flags (e.g. Flower's TLS flags
            ``--ssl-certfile --ssl-keyfile --ssl-ca-certfile`` instead of ``--insecure``).
    """

    def __init__(self, num_nodes: int = 0, *, host: str = "127.0.0.1", port: int | None = None,
                 superlink_args: list[str] | None = None):
        if not isinstance(num_nodes, int) or num_nodes < 0:
            raise ValueError(f"num_nodes must be an integer >= 0, got {num_nodes!r}")
        self.num_nodes, self.host = num_nodes, host
        self.port = port
        self.superlink_args = list(superlink_args) if superlink_args else ["--insecure"]
        self.tmp = Path(tempfile.mkdtemp(prefix="fedlearn-flower-"))
        self.home = self.tmp / "flwr-home"
        self.home.mkdir()
        self.env = {**os.environ, **QUIET_ENV, "FLWR_HOME": str(self.home),
                    "FLWR_SUPEREXEC_TASK_POLL_INTERVAL": "0.05",
                    "FEDLEARN_EDU_FLOWER_CACHE": str(self.tmp / "cache"),
                    MARKER: str(self.tmp),
                    "PATH": str(Path(sys.executable).parent) + os.pathsep
                    + os.environ.get("PATH", "")}
        self.warm = supported()  # Flower's app processes forked from a warm starter
        if self.warm:
            shims = write_shims(self.tmp / "bin", Path(sys.executable).parent)
            self.env[SOCKET_ENV] = str(self.tmp / "warm.sock")
            self.env["PATH"] = str(shims) + os.pathsep + self.env["PATH"]
        self.procs = ProcessSet(self.tmp, self.env)
        self.app = write_flower_app(self.tmp / "app")
        self.runs = 0
        self._lock = threading.Lock()
        self.nodes: dict[int, str] = {}  # partition -> process name

    @property
    def address(self) -> str:
        """``host:port`` of the SuperLink (what SuperNodes and ``flwr run`` dial)."""
        host = "127.0.0.1" if self.host in ("0.0.0.0", "") else self.host
        return f"{host}:{self.port}"

    def __enter__(self) -> Deployment:
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def start(self) -> Deployment:
        """Start the SuperLink (wait until it listens) and ``num_nodes`` SuperNodes."""
        try:
            if self.port is None:
                self.port = free_port(self.host)
            elif port_in_use(self.host, self.port):
                raise FlowerRunError(f"port {self.port} on {self.host} is already in use; "
                                     f"pick another with --port")
            self._write_connection()
            self._start_warm()
            self.procs.start("superlink", [
                tool("flower-superlink"), *self.superlink_args, "--host", self.host,
                "--port", str(self.port), "--disable-runtime-dependency-installation"])
            host, port = self.address.rsplit(":", 1)
            deadline = time.monotonic() + START_TIMEOUT_S
            while not reachable(host, int(port), 0.5):
                self.check()
                if time.monotonic() > deadline:
                    raise FlowerRunError(f"the SuperLink did not listen on {self.address} "
                                         f"within {START_TIMEOUT_S:g} s")
                time.sleep(0.1)
            self._wait_warm(deadline)
            for k in range(self.num_nodes):
                self.add_node(k, self.num_nodes)
        except BaseException:
            self.stop()
            raise
        return self

    def _start_warm(self) -> None:
        """The warm starter (:mod:`.warm`), once; shims fall back to Flower's own commands
        until its socket is there."""
        if self.warm and "warm" not in self.procs.procs:
            self.procs.start("warm", [sys.executable, str(Path(__file__).with_name("warm.py")),
                                      "serve", self.env[SOCKET_ENV]])

    def _wait_warm(self, deadline: float) -> None:
        """Wait until the warm starter listens (else the first runs start the slow way)."""
        sock = Path(self.env.get(SOCKET_ENV, ""))
        while self.warm and not sock.exists() and time.monotonic() < deadline:
            proc = self.procs.procs.get("warm")
            if proc is None or proc.poll() is not None:
                return  # it failed: the shims use Flower's own commands
            time.sleep(0.05)

    def _write_connection(self) -> None:
        """Flower's config (in our ``FLWR_HOME``) naming this SuperLink for ``flwr run``."""
        args = self.superlink_args
        tls = "insecure = true\n"
        if "--insecure" not in args:
            ca = args[args.index("--ssl-ca-certfile") + 1] if "--ssl-ca-certfile" in args else ""
            tls = f'insecure = false\nroot-certificates = "{ca}"\n' if ca else "insecure = false\n"
        (self.home / "config.toml").write_text(
            f'[superlink]\ndefault = "{CONNECTION}"\n\n[superlink.{CONNECTION}]\n'
            f'address = "{self.address}"\n{tls}')

    def add_node(self, partition: int, num_partitions: int, *, superlink: str | None = None,
                 status_file: str | None = None, name: str | None = None,
                 root_certificates: str | None = None, poll_s: float = IDLE_POLL_S) -> str:
        """Start a SuperNode holding ``partition``; returns its process name.

        ``superlink``: another machine's SuperLink (default: ours); ``root_certificates``:
        Flower's TLS flag (the CA that signed the SuperLink's certificate) instead of
        ``--insecure``; ``status_file``: where the ClientApp reports to the student;
        ``poll_s``: how often an idle node asks the SuperLink for work (Flower's own
        SuperNode, its 3 s idle wait capped: :mod:`.supernode`)."""
        self._start_warm()
        name = name or f"supernode-{partition}"
        config = f"partition-id={partition} num-partitions={num_partitions}"
        if status_file:
            config += f' status-file="{status_file}"'
        tls = ["--root-certificates", root_certificates] if root_certificates else ["--insecure"]
        self._wait_warm(time.monotonic() + START_TIMEOUT_S)
        command = ([str(self.tmp / "bin" / SUPERNODE)] if self.warm else
                   [sys.executable, "-m", "fedlearn_edu.flower.supernode"])
        self.procs.start(name, [
            *command, "--poll", f"{poll_s:g}", *tls, "--superlink", superlink or self.address,
            "--node-config", config, "--host", "127.0.0.1", "--port", str(free_port()),
            "--max-wait-time", "300"])
        self.nodes[partition] = name
        return name

    def kill_node(self, partition: int, sig: int = signal.SIGTERM) -> None:
        """Stop the SuperNode of ``partition`` at once. ``SIGTERM`` (a student's Ctrl-C): it
        signs off at the SuperLink, so a round stops waiting for it; ``SIGKILL`` (a laptop
        lid shut, the Wi-Fi gone): rounds wait ``round_timeout`` until Flower's heartbeat
        notices."""
        self.procs.kill(self.nodes.pop(partition), sig)

    def check(self) -> None:
        """Raise :class:`FlowerRunError` if the SuperLink died."""
        proc = self.procs.procs.get("superlink")
        if proc is not None and proc.poll() is not None:
            last = self.procs.log_text("superlink").strip().splitlines()[-3:]
            raise FlowerRunError(f"the SuperLink stopped (exit {proc.returncode}): "
                                 + " | ".join(last))

    def submit(self, job: Job) -> FileChannel:
        """``flwr run`` the Flower App with ``job``; returns the channel its rounds arrive on."""
        self.check()
        with self._lock:  # runs may be submitted from several threads
            self.runs += 1
            n = self.runs
        channel = FileChannel(self.tmp / f"run-{n}.jsonl")
        spec = self.tmp / f"run-{n}.json"
        spec.write_text(json.dumps({**dataclasses.asdict(job), "channel": str(channel.path)}))
        env = {k: v for k, v in self.env.items() if k not in ("FORCE_COLOR", "CLICOLOR_FORCE")}
        flwr = str(self.tmp / "bin" / "flwr") if self.warm else tool("flwr")
        out = subprocess.run([flwr, "run", str(self.app), CONNECTION, "--format", "json",
                              "--run-config", f'job="{spec}"'], env={**env, "NO_COLOR": "1"},
                             capture_output=True, text=True, timeout=120,
                             stdin=subprocess.DEVNULL)
        text = re.sub(r"\x1b\[[0-9;]*[A-Za-z]", "", out.stdout)  # rich's colours, if forced
        try:
            answer = json.loads(text[text.index("{"):])
        except ValueError:
            answer = {"success": False, "error-message": out.stderr or out.stdout}
        if out.returncode != 0 or not answer.get("success"):
            why = " ".join(str(answer.get("error-message", "?")).split())
            raise FlowerRunError(f"flwr run failed: {why}")
        self.run_id = answer.get("run-id")
        return channel

    def pids(self) -> list[int]:
        """PIDs of every process this deployment runs now."""
        return self.procs.pids()

    def stop(self) -> None:
        """Stop every process (by PID, SIGTERM then SIGKILL)."""
        self.procs.stop()
