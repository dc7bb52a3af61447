"""Classroom mode end to end: ``fedlearn-edu classroom serve`` and students' ``join``
processes on one machine; a student killed mid-run, a late student, refused ids, and one
clear line with exit status 2 for every bad input."""

from __future__ import annotations

import os
import re
import signal
import socket
import subprocess
import sys
import threading
import time

import pytest

pytest.importorskip("flwr", reason='the flower extra: pip install "fedlearn_edu[flower]"')

from fedlearn_edu.flower.processes import descendants, free_port  # noqa: E402

ENV = {**os.environ, "FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1",
       "PYTHONUNBUFFERED": "1"}


def classroom(*args: str) -> list[str]:
    return [sys.executable, "-m", "fedlearn_edu", "classroom", *args]


class Running:
    """A command whose output lines are collected as they come."""

    def __init__(self, argv):
        self.proc = subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
                                     text=True, env=ENV, stdin=subprocess.DEVNULL)
        self.lines: list[str] = []
        self.err: list[str] = []
        for stream, sink in ((self.proc.stdout, self.lines), (self.proc.stderr, self.err)):
            threading.Thread(target=lambda s=stream, k=sink: k.extend(iter(s.readline, "")),
                             daemon=True).start()

    def wait_for(self, pattern: str, timeout: float) -> str:
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for line in list(self.lines):
                if re.search(pattern, line):
                    return line
            if self.proc.poll() is not None:
                time.sleep(0.3)  # the last lines
                if not any(re.search(pattern, line) for line in self.lines):
                    break
            time.sleep(0.1)
        raise AssertionError(f"{pattern!r} not printed; stdout={self.lines} "
                             f"stderr={self.err}")

    def finish(self, timeout: float) -> int:
        try:
            return self.proc.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            raise


def one_error_line(run: subprocess.CompletedProcess) -> str:
    lines = [line for line in run.stderr.splitlines() if line.strip()]
    assert run.returncode == 2, (run.returncode, run.stdout, run.stderr)
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr
    return lines[0]


def quick(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run(classroom(*args), capture_output=True, text=True, env=ENV,
                          timeout=120, stdin=subprocess.DEVNULL)


def test_unreachable_address_is_one_line():
    line = one_error_line(quick("join", f"127.0.0.1:{free_port()}", "--student", "0"))
    assert "cannot reach a classroom" in line


def test_malformed_address_and_negative_student_are_one_line():
    assert "HOST:PORT" in one_error_line(quick("join", "lab-pc", "--student", "0"))
    assert "student must be an integer >= 0" in one_error_line(
        quick("join", "127.0.0.1:9", "--student", "-1"))


def test_port_in_use_is_one_line():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        s.listen()
        port = s.getsockname()[1]
        line = one_error_line(quick("serve", "--clients", "3", "--host", "127.0.0.1",
                                    "--port", str(port)))
    assert f"port {port}" in line and "already in use" in line


def test_bad_config_and_min_students_are_one_line():
    assert "num_clients" in one_error_line(quick("serve", "--clients", "0"))
    assert "min_students must be in [1, 3]" in one_error_line(
        quick("serve", "--clients", "3", "--min-students", "5"))


def test_missing_extra_is_one_line():
    code = ("import sys; sys.modules['flwr'] = None\n"
            "from fedlearn_edu.cli import main\n"
            "sys.exit(main(['classroom', 'serve']))")
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         env=ENV, timeout=120)
    assert 'pip install "fedlearn_edu[flower]"' in one_error_line(run)


def test_a_class_survives_a_dropout_takes_a_late_student_and_refuses_bad_ids():
    port = free_port()
    # --pace 3: rounds of at least 3 s, so the late student's laptop is counted in while
    # the class still runs (it takes part from the round after it answered)
    serve = Running(classroom("serve", "--clients", "3", "--rounds", "5", "--local-epochs",
                              "1", "--host", "127.0.0.1", "--port", str(port),
                              "--min-students", "2", "--min-answers", "1", "--pace", "3",
                              "--round-timeout", "20", "--join-timeout", "300"))
    joins = []
    try:
        serve.wait_for("Waiting for 2 students", 60)
        assert any(f"classroom join 127.0.0.1:{port} --student K" in x for x in serve.lines)
        address = f"127.0.0.1:{port}"
        joins = [Running(classroom("join", address, "--student", "0"))]
        serve.wait_for(r"student 0 joined", 240)
        # while the class waits for its second student: a taken id and one outside [0, 3)
        taken = Running(classroom("join", address, "--student", "0"))
        outside = Running(classroom("join", address, "--student", "5"))
        assert taken.finish(240) == 2 and outside.finish(240) == 2, (serve.lines, taken.lines)
        assert taken.err[-1].startswith("error: student id 0 is already taken")
        assert outside.err[-1].startswith("error: student id must be in [0, 3), got 5")
        joins.append(Running(classroom("join", address, "--student", "1")))
        serve.wait_for(r"round +1/5", 240)
        late = Running(classroom("join", address, "--student", "2"))
        joins.append(late)
        joins[1].proc.send_signal(signal.SIGKILL)  # student 1 closes the laptop mid-run
        assert serve.finish(600) == 0, (serve.lines, serve.err)
        assert joins[0].finish(120) == 0, (joins[0].lines, joins[0].err)
        assert late.finish(120) == 0, (late.lines, late.err, serve.lines)
    finally:
        for run in [serve, *joins]:
            if run.proc.poll() is None:
                run.proc.kill()
                run.proc.wait()
    rounds = [line for line in serve.lines if re.match(r"round +\d+/5", line)]
    parts = [eval(line[line.index("["):]) for line in rounds]  # noqa: S307 - our own output
    assert len(parts) == 5 and parts[0] == [0, 1]
    assert 1 not in parts[-1] and 0 in parts[-1]  # the class went on without student 1
    assert any(2 in p for p in parts[1:]), serve.lines  # the late student took part
    assert any("no answer from students" in x and "1" in x for x in serve.lines) or \
        any("student 1 left" in x for x in serve.lines)
    assert any(x.startswith("The class is done") for x in joins[0].lines)
    assert any(re.match(r"round +\d+: your model 0\.\d+ +global model 0\.\d+", x)
               for x in joins[0].lines)
    time.sleep(1.0)
    assert descendants(os.getpid()) == []
