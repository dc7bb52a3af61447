"""The command line mirrors FedConfig/simulate; bad input exits 2 with a message."""

import json
import re
import subprocess
import sys
import types

import numpy as np
import pytest

from fedlearn_edu import FedConfig, simulate
from fedlearn_edu.cli import build_parser, main
from fedlearn_edu.systems.config import SystemsConfig


def run(*args):
    return subprocess.run(
        [sys.executable, "-m", "fedlearn_edu", *args], capture_output=True, text=True, timeout=120
    )


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


def test_systems_and_privacy_flags_map_to_config(capsys):
    args = [
        "--dataset",
        "wine",
        "--clients",
        "6",
        "--rounds",
        "3",
        "--mode",
        "fedprox",
        "--mu",
        "0.1",
        "--preset",
        "mobile",
        "--straggler-fraction",
        "0.3",
        "--deadline",
        "5",
        "--json",
    ]
    assert main(args) == 0
    out = json.loads(capsys.readouterr().out)
    cfg = FedConfig(
        dataset="wine",
        num_clients=6,
        rounds=3,
        mu=0.1,
        systems=SystemsConfig(
            mode="fedprox", preset="mobile", straggler_fraction=0.3, deadline_s=5.0
        ),
    )
    hist = simulate(cfg)
    np.testing.assert_allclose(out["history"]["wall_clock"], hist.wall_clock)
    np.testing.assert_allclose(out["history"]["test_accuracy"], hist.test_accuracy)
    assert (
        main(
            [
                "--clients",
                "50",
                "--fraction",
                "0.2",
                "--rounds",
                "2",
                "--dp-noise",
                "1.0",
                "--dp-clip",
                "0.5",
                "--json",
            ]
        )
        == 0
    )
    eps = json.loads(capsys.readouterr().out)["history"]["epsilon"]
    assert eps[0] is not None and eps[1] > eps[0] > 0


def test_model_auto_is_the_default_so_regression_datasets_run(capsys):
    from sklearn.metrics import mean_squared_error, r2_score

    from fedlearn_edu.core.federation import Federation

    assert build_parser().parse_args([]).model == "auto"
    assert main(["--dataset", "diabetes", "--clients", "4", "--rounds", "5"]) == 0
    out = capsys.readouterr().out
    assert "accuracy" not in out and "test_R²" in out.splitlines()[0]
    r2, mse = map(float, re.search(r"final test R² (\S+), test MSE (\S+)", out).groups())
    cfg = FedConfig(dataset="diabetes", model="auto", num_clients=4, rounds=5)
    hist, fed = simulate(cfg), Federation(cfg)
    pred = fed.model.predict(hist.final_weights, fed.data.X_test)  # sklearn's R² and MSE
    assert r2 == pytest.approx(r2_score(fed.data.y_test, pred), abs=1e-4)
    assert mse == pytest.approx(mean_squared_error(fed.data.y_test, pred), abs=1e-4)
    assert main(["--dataset", "synthetic", "--rounds", "3", "--json"]) == 0
    js = json.loads(capsys.readouterr().out)
    assert js["config"]["model"] == "auto" and js["score"] == "r2"
    assert main(["--dataset", "iris", "--rounds", "2"]) == 0
    assert "final test accuracy" in capsys.readouterr().out


def test_classroom_without_flower_names_the_extra(monkeypatch, capsys):
    monkeypatch.setitem(sys.modules, "fedlearn_edu.flower", None)  # import fails as if absent
    monkeypatch.setitem(sys.modules, "fedlearn_edu.flower.cli", None)
    assert main(["classroom", "--rounds", "3"]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err == ['error: classroom needs the flower extra: pip install "fedlearn_edu[flower]"']


def test_classroom_forwards_to_the_flower_cli(monkeypatch):
    seen = []
    fake_pkg, fake_cli = types.ModuleType("fedlearn_edu.flower"), types.ModuleType("cli")
    fake_cli.main = lambda argv: seen.append(argv) or 7
    fake_pkg.cli = fake_cli
    monkeypatch.setitem(sys.modules, "fedlearn_edu.flower", fake_pkg)
    monkeypatch.setitem(sys.modules, "fedlearn_edu.flower.cli", fake_cli)
    assert main(["classroom", "serve", "--rounds", "3"]) == 7
    assert seen == [["serve", "--rounds", "3"]]


def test_course_commands_have_help():
    for command in ("lab", "doctor"):
        proc = run(command, "--help")
        assert proc.returncode == 0 and f"fedlearn-edu {command}" in proc.stdout
    assert "fedlearn-edu lab" in run("--help").stdout
