"""The warm starter (``fedlearn_edu.flower.warm``) and the SuperNode's idle poll
(``fedlearn_edu.flower.supernode``): Flower's own commands, started faster, same results."""

from __future__ import annotations

import os
import subprocess
import sys
import time

import pytest

pytest.importorskip("flwr", reason='the flower extra: pip install "fedlearn_edu[flower]"')

from fedlearn_edu.flower import warm  # noqa: E402
from fedlearn_edu.flower.processes import ProcessSet, tool  # noqa: E402
from fedlearn_edu.flower.supernode import main as supernode_main  # noqa: E402
from fedlearn_edu.flower.supernode import patch_idle_poll  # noqa: E402

pytestmark = pytest.mark.skipif(not warm.supported(), reason="needs os.fork and Unix sockets")
REAL_FLWR = tool("flwr")


def run(argv, env):
    return subprocess.run(argv, capture_output=True, text=True, env=env, timeout=120,
                          stdin=subprocess.DEVNULL)


@pytest.fixture
def starter(tmp_path):
    """A warm starter on a socket in ``tmp_path``, stopped by PID afterwards."""
    sock = tmp_path / "warm.sock"
    env = {**os.environ, warm.SOCKET_ENV: str(sock), "FLWR_TELEMETRY_ENABLED": "0"}
    procs = ProcessSet(tmp_path, env)
    procs.start("warm", [sys.executable, warm.__file__, "serve", str(sock)])
    deadline = time.monotonic() + 120
    while not sock.exists():
        assert procs.procs["warm"].poll() is None, procs.log_text("warm")
        assert time.monotonic() < deadline, "the warm starter did not listen"
        time.sleep(0.05)
    shims = warm.write_shims(tmp_path / "bin", os.path.dirname(REAL_FLWR))
    yield shims, env, procs
    procs.stop()
    assert procs.pids() == []


def test_a_shim_runs_flowers_own_command_in_a_forked_child(starter):
    shims, env, procs = starter
    fast = run([str(shims / "flwr"), "--version"], env)
    real = run([REAL_FLWR, "--version"], env)
    assert fast.returncode == real.returncode == 0
    assert fast.stdout == real.stdout and "Flower" in fast.stdout
    assert "started flwr as" in procs.log_text("warm")  # it really was forked warm


def test_the_exit_status_and_the_streams_come_back(starter):
    shims, env, _ = starter
    bad = run([str(shims / "flwr"), "no-such-command"], env)
    real = run([REAL_FLWR, "no-such-command"], env)
    assert bad.returncode == real.returncode != 0
    assert "no-such-command" in bad.stderr + bad.stdout


def test_without_a_starter_a_shim_runs_the_real_command(tmp_path):
    shims = warm.write_shims(tmp_path / "bin", os.path.dirname(REAL_FLWR))
    env = {**os.environ, warm.SOCKET_ENV: str(tmp_path / "nobody.sock")}
    out = run([str(shims / "flwr"), "--version"], env)
    assert out.returncode == 0 and out.stdout == run([REAL_FLWR, "--version"], env).stdout


def test_the_supernode_idle_poll_is_capped_and_only_there(monkeypatch):
    from flwr.supernode import start_client_internal as loop

    asked = []
    monkeypatch.setattr(time, "sleep", asked.append)
    monkeypatch.setattr(loop, "time", loop.time)  # restored after the test
    patch_idle_poll(0.25)
    loop.time.sleep(3)  # Flower's idle wait
    loop.time.sleep(0.1)
    assert asked == [0.25, 0.1]
    assert loop.time.monotonic is time.monotonic and time.sleep == asked.append


@pytest.mark.parametrize("argv", [[], ["--poll"], ["--poll", "0"], ["--poll", "9"]])
def test_the_supernode_wrapper_refuses_a_bad_poll(argv, capsys):
    assert supernode_main(argv) == 2
    assert "--poll" in capsys.readouterr().err
