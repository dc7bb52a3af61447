"""The warm starter (``fedlearn_edu.flower.warm``) and the SuperNode's idle poll
(``fedlearn_edu.flower.supernode``): Flower's own commands, started faster, same results."""

from __future__ import annotations

import os
import subprocess
import sys
import threading
import time
import types

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


@pytest.fixture
def waits(monkeypatch):
    """The back-off waits of Flower's ``pull_objects`` (jitter off), and its defaults restored
    after the test."""
    from flwr.supercore.inflatable import inflatable_utils as iu

    for fn in (iu.pull_objects, iu.pull_and_inflate_object_from_tree):
        monkeypatch.setattr(fn, "__kwdefaults__", dict(fn.__kwdefaults__))
    monkeypatch.setattr(iu.random, "uniform", lambda a, b: 0.0)
    asked = []

    class Event(threading.Event):
        def wait(self, timeout=None):
            asked.append(timeout)
            return False

    # only pull_objects' own module sees the recording Event
    only_here = types.SimpleNamespace(**{**vars(threading), "Event": Event})
    monkeypatch.setattr(iu, "threading", only_here)
    return iu, asked


def pulled_after(iu, fails: int) -> dict:
    """Pull one object that is 'not available yet' ``fails`` times."""
    tries = []

    def pull(object_id):
        tries.append(object_id)
        if len(tries) <= fails:
            raise iu.ObjectUnavailableError(object_id)
        return b"w"

    return iu.pull_objects(["obj"], pull, max_concurrent_pulls=1)


def test_object_pulls_retry_after_20_ms_and_at_most_once_a_second(waits):
    from fedlearn_edu.flower.pulls import FIRST_RETRY_S, RETRY_CAP_S, patch_object_pulls

    iu, asked = waits
    assert pulled_after(iu, 2) == {"obj": b"w"} and asked == [1.0, 2.0]  # Flower's own
    asked.clear()
    patch_object_pulls()
    assert pulled_after(iu, 8) == {"obj": b"w"}
    assert asked == pytest.approx([0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.0, 1.0])
    assert (FIRST_RETRY_S, RETRY_CAP_S) == (0.02, 1.0)
    # the ClientApp's path hands its own defaults on to pull_objects
    defaults = iu.pull_and_inflate_object_from_tree.__kwdefaults__
    assert (defaults["initial_backoff"], defaults["backoff_cap"]) == (0.02, 1.0)
    assert defaults["max_tries_per_object"] == iu.PULL_MAX_TRIES_PER_OBJECT  # the rest kept


@pytest.mark.parametrize("first, cap", [(0.0, 1.0), (2.0, 1.0), (-1.0, 1.0)])
def test_object_pull_backoff_must_be_positive_and_below_its_cap(first, cap, waits):
    from fedlearn_edu.flower.pulls import patch_object_pulls

    with pytest.raises(ValueError, match="first_retry_s"):
        patch_object_pulls(first, cap)


def test_every_flower_process_of_ours_shortens_its_pulls():
    """The ServerApp, our SuperNode and the warm starter (whose forks are the ClientApps)."""
    import inspect

    from fedlearn_edu.flower import apps, supernode

    for source in (inspect.getsource(apps._deployed_main), inspect.getsource(supernode.main),
                   inspect.getsource(warm._entry_points)):
        assert "patch_object_pulls()" in source
