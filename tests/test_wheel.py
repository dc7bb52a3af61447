"""The wheel ships the notebooks: ``pip install fedlearn_edu`` is all a student needs.

A copy of the checkout (sources, ``notebooks/``, packaging files) is built into a wheel in a
temporary folder; the wheel must hold every shipped file of ``notebooks/`` byte for byte under
``fedlearn_edu/_notebooks/``, and a fresh virtual environment with only that wheel installed
(the other packages reached through a ``.pth`` line) must find them with the lab API and copy
them with ``fedlearn-edu lab --copy-only``. Under a minute.
"""

from __future__ import annotations

import ast
import json
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

from fedlearn_edu.course.lab import SHIPPED, notebooks_root, shipped_files

ROOT = Path(__file__).resolve().parents[1]
PACKAGING = ("setup.py", "pyproject.toml", "MANIFEST.in", "README.md", "LICENSE")


def setuptools_can_build() -> bool:
    """The project's license field needs setuptools >= 77 (the dev extra installs it)."""
    out = subprocess.run([sys.executable, "-c", "import setuptools; print(setuptools.__version__)"],
                         capture_output=True, text=True)
    return out.returncode == 0 and int(out.stdout.split(".")[0]) >= 77


def copy_project(dst: Path) -> None:
    assert notebooks_root() == (ROOT / "notebooks").resolve()  # a development checkout
    for name in PACKAGING:
        shutil.copy2(ROOT / name, dst / name)
    shutil.copytree(ROOT / "fedlearn_edu", dst / "fedlearn_edu",
                    ignore=shutil.ignore_patterns("__pycache__", "_notebooks"))
    for rel in shipped_files(ROOT / "notebooks"):
        (dst / "notebooks" / rel).parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(ROOT / "notebooks" / rel, dst / "notebooks" / rel)


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    project = tmp_path_factory.mktemp("project")
    copy_project(project)
    # offline with the venv's setuptools when it is new enough, else pip's isolated build
    flags = ["--no-build-isolation"] if setuptools_can_build() else []
    proc = subprocess.run([sys.executable, "-m", "pip", "wheel", "--no-deps", *flags,
                           "--wheel-dir", str(project / "dist"), str(project)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-2000:]
    (wheel,) = (project / "dist").glob("fedlearn_edu-*.whl")
    return project, wheel


def test_setup_py_ships_what_the_lab_api_expects():
    tree = ast.parse((ROOT / "setup.py").read_text(encoding="utf-8"))
    (value,) = [node.value for node in tree.body if isinstance(node, ast.Assign)
                and getattr(node.targets[0], "id", "") == "SHIPPED"]
    assert ast.literal_eval(value) == SHIPPED


def test_wheel_holds_every_notebook(built):
    project, wheel = built
    source = project / "notebooks"  # the checkout's notebooks when the wheel was built
    expected = shipped_files(source)
    assert any(rel.endswith(".ipynb") for rel in expected) and "GLOSSARY.md" in expected
    with zipfile.ZipFile(wheel) as zf:
        prefix = "fedlearn_edu/_notebooks/"
        inside = sorted(n[len(prefix):] for n in zf.namelist() if n.startswith(prefix))
        assert inside == expected
        for rel in expected:
            assert zf.read(prefix + rel) == (source / rel).read_bytes(), rel
        assert not [n for n in zf.namelist() if n.endswith(".md") and "_notebooks" in n
                    and not n.endswith("GLOSSARY.md")], "MyST sources are not shipped"
        entry = zf.read(next(n for n in zf.namelist() if n.endswith("entry_points.txt")))
        assert b"fedlearn-edu = fedlearn_edu.cli:main" in entry


def test_installed_wheel_finds_and_copies_the_notebooks(built, tmp_path):
    project, wheel = built
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False, system_site_packages=False).create(env_dir)
    python = env_dir / ("Scripts/python.exe" if sys.platform == "win32" else "bin/python")
    site = Path(subprocess.run([str(python), "-c", "import sysconfig; "
                                "print(sysconfig.get_paths()['purelib'])"],
                               capture_output=True, text=True, check=True).stdout.strip())
    proc = subprocess.run([sys.executable, "-m", "pip", "install", "--no-deps", "--no-index",
                           "--target", str(site), str(wheel)],
                          capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr[-2000:]
    # numpy & co. from this environment, after the wheel's own fedlearn_edu (no editable hook:
    # a path line in a .pth file is not itself a site folder, so its .pth files do not run)
    deps = [p for p in sys.path if p.endswith("site-packages")]
    (site / "zz_deps.pth").write_text("\n".join(deps) + "\n", encoding="utf-8")
    code = ("import json, fedlearn_edu.course.lab as lab; r = lab.notebooks_root(); "
            "print(json.dumps([str(r), lab.shipped_files(r), lab.__file__]))")
    out = subprocess.run([str(python), "-c", code], capture_output=True, text=True,
                         cwd=tmp_path, timeout=120)
    assert out.returncode == 0, out.stderr[-2000:]
    root, files, module = json.loads(out.stdout)
    assert Path(module).is_relative_to(site) and Path(root) == site / "fedlearn_edu/_notebooks"
    assert files == shipped_files(project / "notebooks")
    target = tmp_path / "students"
    run = subprocess.run([str(python), "-m", "fedlearn_edu", "lab", str(target), "--copy-only"],
                         capture_output=True, text=True, cwd=tmp_path, timeout=120)
    assert run.returncode == 0, run.stderr[-2000:]
    english = sorted(p.name for p in (project / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert sorted(p.name for p in target.glob("*.ipynb")) == english
    assert f"{len(english)} notebook(s)" in run.stdout
