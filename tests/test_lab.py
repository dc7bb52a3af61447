"""``fedlearn-edu lab``: the notebooks copied into a student's folder (never over their
edits), the instructor and Chinese editions, and a real JupyterLab started there and stopped.
"""

from __future__ import annotations

import json
import os
import shutil
import socket
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

import pytest

from fedlearn_edu.cli import main
from fedlearn_edu.course import lab
from fedlearn_edu.course.editions import exercises

ROOT = Path(__file__).resolve().parents[1] / "notebooks"


def english() -> list[str]:
    return sorted(p.name for p in ROOT.glob("[0-9][0-9]_*.ipynb"))


EXERCISE = "# %load solutions/98_mean.py\ndef mean(xs):\n    raise NotImplementedError\n"
SOLUTION = "def mean(xs):\n    return sum(xs) / len(xs)\n"


def notebook(*sources: str) -> bytes:
    cells = [{"cell_type": "code", "execution_count": None, "id": f"c{i}", "metadata": {},
              "outputs": [], "source": s} for i, s in enumerate(sources)]
    nb = {"cells": cells, "metadata": {}, "nbformat": 4, "nbformat_minor": 5}
    return (json.dumps(nb, indent=1) + "\n").encode()


@pytest.fixture
def shipped(tmp_path):
    """A small shipped root: two English notebooks (one with an exercise), the solution, a
    glossary, and a Chinese edition."""
    root = tmp_path / "shipped"
    (root / "solutions").mkdir(parents=True)
    (root / "zh").mkdir()
    (root / "00_start_here.ipynb").write_bytes(notebook("print('hello')"))
    (root / "98_mean.ipynb").write_bytes(notebook("import math", EXERCISE, "mean([1, 2])"))
    (root / "zh" / "00_start_here.ipynb").write_bytes(notebook("print('你好')"))
    (root / "solutions" / "98_mean.py").write_text(SOLUTION)
    (root / "GLOSSARY.md").write_text("federated learning (联邦学习)\n", encoding="utf-8")
    return root


def test_the_checkout_is_the_root_of_a_development_install():
    assert lab.notebooks_root() in (ROOT.resolve(),
                                    Path(lab.__file__).resolve().parents[1] / "_notebooks")
    assert english() and lab.START in english()


def test_copies_every_notebook_byte_for_byte(tmp_path):
    done = lab.prepare_folder(tmp_path / "mine", root=ROOT)
    expected = [*english(), *(f"solutions/{p.name}" for p in sorted((ROOT / "solutions")
                                                                 .glob("*.py"))), "GLOSSARY.md"]
    assert done.new == expected and not (done.kept or done.updated or done.unchanged)
    for rel in expected:
        assert (tmp_path / "mine" / rel).read_bytes() == (ROOT / rel).read_bytes(), rel
    again = lab.prepare_folder(tmp_path / "mine", root=ROOT)
    assert again.unchanged == expected and not again.new


def test_never_overwrites_what_the_student_changed(shipped, tmp_path):
    folder = tmp_path / "mine"
    lab.prepare_folder(folder, root=shipped)
    edited = folder / "98_mean.ipynb"
    edited.write_bytes(edited.read_bytes().replace(b"raise NotImplementedError", b"return 0"))
    mine = edited.read_bytes()
    # a new version of the package changes both notebooks
    for name in ("00_start_here.ipynb", "98_mean.ipynb"):
        p = shipped / name
        p.write_bytes(p.read_bytes().replace(b'"metadata": {}', b'"metadata": {"v": 2}', 1))
    done = lab.prepare_folder(folder, root=shipped)
    assert done.kept == ["98_mean.ipynb"] and edited.read_bytes() == mine
    assert done.updated == ["00_start_here.ipynb"]  # nobody had touched it: brought up to date
    assert (folder / "00_start_here.ipynb").read_bytes() == (shipped / "00_start_here.ipynb"
                                                             ).read_bytes()
    assert "Kept your own version of 98_mean.ipynb" in done.describe()
    # a file that was there before (not written by us) is the student's too
    (folder / "GLOSSARY.md").write_text("my notes")
    assert "GLOSSARY.md" in lab.prepare_folder(folder, root=shipped).kept


def test_instructor_edition_inlines_the_solutions(shipped, tmp_path):
    done = lab.prepare_folder(tmp_path / "teach", instructor=True, root=shipped)
    assert done.edition.startswith("instructor edition")
    nb = json.loads((tmp_path / "teach" / "98_mean.ipynb").read_text(encoding="utf-8"))
    src = [c["source"] if isinstance(c["source"], str) else "".join(c["source"])
           for c in nb["cells"]]
    assert src == ["import math", "# %load solutions/98_mean.py\n" + SOLUTION.rstrip("\n"),
                   "mean([1, 2])"]
    ns: dict = {}
    exec(src[1], ns)
    assert ns["mean"]([1, 2, 6]) == 3  # the inlined cell is the working solution
    student = json.loads((shipped / "98_mean.ipynb").read_text())
    assert exercises(student) == ["solutions/98_mean.py"]  # the source stays a student's


def test_instructor_edition_of_the_real_notebooks(tmp_path):
    lab.prepare_folder(tmp_path / "teach", instructor=True, root=ROOT)
    for name in english():
        nb = json.loads((tmp_path / "teach" / name).read_text(encoding="utf-8"))
        for rel in exercises(json.loads((ROOT / name).read_text(encoding="utf-8"))):
            body = (ROOT / rel).read_text(encoding="utf-8").rstrip("\n")
            assert any(body in "".join(c["source"]) for c in nb["cells"]), (name, rel)


def test_chinese_edition(shipped, tmp_path):
    done = lab.prepare_folder(tmp_path / "zh", lang="zh", root=shipped)
    assert done.new == ["00_start_here.ipynb", "solutions/98_mean.py", "GLOSSARY.md"]
    zh = json.loads((tmp_path / "zh" / "00_start_here.ipynb").read_text(encoding="utf-8"))
    assert zh["cells"][0]["source"] == "print('你好')"
    shutil.rmtree(shipped / "zh")
    with pytest.raises(FileNotFoundError, match=r"the Chinese edition \(notebooks/zh\) is not"):
        lab.prepare_folder(tmp_path / "zh2", lang="zh", root=shipped)
    with pytest.raises(ValueError, match="lang must be one of"):
        lab.edition_files(shipped, lang="fr")


def test_cli_copies_and_reports(tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    assert main(["lab", "--copy-only"]) == 0
    assert sorted(p.name for p in (tmp_path / lab.DEFAULT_FOLDER).glob("*.ipynb")) == english()
    assert "student edition, English" in capsys.readouterr().out
    if not (lab.notebooks_root() / "zh").is_dir():
        assert main(["lab", "elsewhere", "--lang", "zh", "--copy-only"]) == 2
        assert "Chinese edition" in capsys.readouterr().err
    (tmp_path / "a_file").write_text("x")
    assert main(["lab", "a_file", "--copy-only"]) == 2
    assert "must be a directory" in capsys.readouterr().err


def test_lab_command_needs_no_shell(tmp_path):
    (tmp_path / lab.START).write_text("{}")
    cmd = lab.lab_command(tmp_path, port=8123, browser=False)
    assert cmd[:3] == [sys.executable, "-m", "jupyterlab"]
    assert f"--ServerApp.root_dir={tmp_path.resolve()}" in cmd
    assert "--ServerApp.port=8123" in cmd and "--no-browser" in cmd
    assert f"--LabApp.default_url=/lab/tree/{lab.START}" in cmd
    for bad in (0, 70000, "80", True):
        with pytest.raises(ValueError, match="port must be"):
            lab.lab_command(tmp_path, port=bad)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def still_running(pids: list[int]) -> list[int]:
    import psutil

    alive = []
    for pid in pids:
        try:
            if psutil.Process(pid).status() != psutil.STATUS_ZOMBIE:
                alive.append(pid)
        except psutil.NoSuchProcess:
            pass
    return alive


def get(url: str):
    with urllib.request.urlopen(url, timeout=5) as r:
        return json.loads(r.read())


def test_a_real_jupyterlab_starts_in_the_folder_and_stops(tmp_path):
    psutil = pytest.importorskip("psutil")
    folder = tmp_path / "lab"
    lab.prepare_folder(folder, root=ROOT)
    port, token = free_port(), "fedlearn-test"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config")}
    log = (tmp_path / "lab.log").open("w")
    proc = lab.start_lab(folder, port=port, browser=False, env=env, stdout=log, stderr=log,
                         extra_args=[f"--IdentityProvider.token={token}",
                                     "--ServerApp.port_retries=0"])
    try:
        deadline, listing = time.monotonic() + 120, None
        while time.monotonic() < deadline and proc.poll() is None:
            try:
                listing = get(f"http://127.0.0.1:{port}/api/contents?token={token}")
                break
            except OSError:
                time.sleep(0.5)
        assert listing is not None, (tmp_path / "lab.log").read_text()[-3000:]
        names = sorted(c["name"] for c in listing["content"] if c["name"].endswith(".ipynb"))
        assert names == english()  # it serves the student's folder, not the repository
        family = [proc.pid, *(c.pid for c in psutil.Process(proc.pid).children(recursive=True))]
    finally:
        proc.terminate()  # by its PID
        try:
            proc.wait(timeout=60)
        except Exception:
            proc.kill()
            proc.wait()
        log.close()
    time.sleep(0.5)
    assert not still_running(family), f"left running: {still_running(family)}"
    with pytest.raises(ConnectionRefusedError):  # nothing listens on the port any more
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
    left = list((tmp_path / "runtime").glob("jpserver-*"))
    assert not left, f"server files left behind: {left}"


@pytest.mark.skipif(sys.platform == "win32", reason="SIGTERM is POSIX")
def test_the_lab_command_stops_its_jupyterlab_when_stopped(tmp_path):
    psutil = pytest.importorskip("psutil")
    port, token = free_port(), "fedlearn-test"
    env = {**os.environ, "JUPYTER_RUNTIME_DIR": str(tmp_path / "runtime"),
           "JUPYTER_CONFIG_DIR": str(tmp_path / "config"),
           "JUPYTER_TOKEN": token}  # read by Jupyter Server when no token is configured
    log = (tmp_path / "cli.log").open("w")
    cli = subprocess.Popen([sys.executable, "-m", "fedlearn_edu", "lab", str(tmp_path / "lab"),
                            "--no-browser", "--port", str(port)],
                           env=env, stdout=log, stderr=log)
    try:
        deadline, status = time.monotonic() + 120, None
        while time.monotonic() < deadline and cli.poll() is None and status is None:
            try:
                status = get(f"http://127.0.0.1:{port}/api/status?token={token}")
            except OSError:
                time.sleep(0.5)
        assert status is not None, (tmp_path / "cli.log").read_text()[-3000:]
        family = [c.pid for c in psutil.Process(cli.pid).children(recursive=True)]
        assert family, "JupyterLab runs as a child of the lab command"
    finally:
        cli.terminate()  # SIGTERM to the lab command's PID only
        try:
            assert cli.wait(timeout=60) == 0
        finally:
            if cli.poll() is None:
                cli.kill()
            log.close()
    time.sleep(0.5)
    assert not still_running(family), f"left running: {still_running(family)}"
    with pytest.raises(ConnectionRefusedError):
        socket.create_connection(("127.0.0.1", port), timeout=5).close()
