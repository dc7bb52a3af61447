"""The command line mirrors FedConfig/simulate; bad input exits 2 with a message."""

import json
import subprocess
import sys

import numpy as np

from fedlearn_edu import FedConfig, simulate
from fedlearn_edu.cli import main


def run(*args):
    return subprocess.run([sys.executable, "-m", "fedlearn_edu", *args], capture_output=True,
                          text=True, timeout=120)


def test_json_output_matches_simulate():
    proc = run("--dataset", "digits", "--clients", "10", "--rounds", "30", "--json")
    assert proc.returncode == 0, proc.stderr
    out = json.loads(proc.stdout)
    hist = simulate(FedConfig(dataset="digits", num_clients=10, rounds=30))
    assert len(out["history"]["test_accuracy"]) == 30
    np.testing.assert_allclose(out["history"]["test_accuracy"], hist.test_accuracy)
    assert out["final"]["test_accuracy"] == hist.test_accuracy[-1]
    assert out["config"]["num_clients"] == 10


def test_table_and_progress(capsys):
    assert main(["--dataset", "iris", "--clients", "3", "--rounds", "4"]) == 0
    cap = capsys.readouterr()
    assert "round 4/4" in cap.err
    assert cap.out.count("\n") >= 5 and "final test accuracy" in cap.out


def test_bad_value_exits_2_without_traceback():
    proc = run("--clients", "0")
    assert proc.returncode == 2
    assert "num_clients" in proc.stderr and "Traceback" not in proc.stderr
    proc = run("--dataset", "mnist")
    assert proc.returncode == 2 and "dataset must be one of" in proc.stderr
    proc = run("--lr", "abc")  # argparse's own type error
    assert proc.returncode == 2 and "Traceback" not in proc.stderr


def test_divergence_exits_nonzero_with_message(capsys):
    code = main(["--dataset", "synthetic", "--model", "linear", "--lr", "50", "--json"])
    assert code == 1
    assert "diverged" in capsys.readouterr().err
