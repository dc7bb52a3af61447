"""``fedlearn-edu lab``: the notebooks in a folder of the student's own, opened in JupyterLab.

The package ships the student edition: a built wheel holds it in ``fedlearn_edu/_notebooks``
(``setup.py`` copies it there), a source checkout has it in ``notebooks/`` beside the package
(:func:`notebooks_root` finds either). :func:`prepare_folder` copies one edition (English or
Chinese; student, or instructor with every solution inlined) into a folder and never
overwrites a file the student changed: a manifest (:data:`MANIFEST`) remembers what it wrote,
so a copy nobody touched is brought up to date and an edited one is kept. :func:`start_lab`
starts JupyterLab there (``sys.executable -m jupyterlab``: no shell, works on Windows).
"""

from __future__ import annotations

import hashlib
import json
import os
import signal
import subprocess
import sys
from dataclasses import dataclass, field
from pathlib import Path

from .editions import instructor_edition

DEFAULT_FOLDER = "fedlearn_edu_notebooks"
MANIFEST = ".fedlearn-edu-lab.json"  # {relative path: sha256 of what we wrote}
NOTEBOOKS = "[0-9][0-9]_*.ipynb"
# what a wheel holds (setup.py copies the same files; tests/test_wheel.py compares)
SHIPPED = (NOTEBOOKS, f"zh/{NOTEBOOKS}", "solutions/*.py", "GLOSSARY.md")
EDITIONS = {"en": ".", "zh": "zh"}  # language -> folder of its notebooks under the root
START = "00_start_here.ipynb"


def notebooks_root() -> Path:
    """The folder holding the shipped notebooks: ``fedlearn_edu/_notebooks`` in an installed
    wheel, else the source checkout's ``notebooks/``. Raises ``FileNotFoundError``."""
    package = Path(__file__).resolve().parents[1]
    candidates = (package / "_notebooks", package.parent / "notebooks")
    for root in candidates:
        if any(root.glob(NOTEBOOKS)):
            return root
    raise FileNotFoundError(
        f"no notebooks found in {candidates[0]} or {candidates[1]}: this installation of "
        f"fedlearn_edu was built without them; reinstall it with: pip install fedlearn_edu")


def shipped_files(root: Path) -> list[str]:
    """The files under ``root`` that a wheel ships, as sorted relative POSIX paths."""
    root = Path(root)
    return sorted({p.relative_to(root).as_posix() for pattern in SHIPPED
                   for p in root.glob(pattern) if p.is_file()})


def edition_files(root: Path, lang: str = "en", instructor: bool = False) -> dict[str, bytes]:
    """``{path in the lab folder: content}`` of one edition: its notebooks side by side with
    ``solutions/`` (the ``%load solutions/NAME.py`` lines are relative to the notebook) and
    ``GLOSSARY.md``. ``instructor=True`` inlines every exercise's solution
    (:func:`~fedlearn_edu.course.editions.instructor_edition`)."""
    if lang not in EDITIONS:
        raise ValueError(f"lang must be one of {tuple(EDITIONS)}, got {lang!r}")
    if not isinstance(instructor, bool):
        raise TypeError(f"instructor must be True or False, got {instructor!r}")
    root = Path(root)
    notebooks = sorted((root / EDITIONS[lang]).glob(NOTEBOOKS))
    if not notebooks:
        name = "the Chinese edition (notebooks/zh)" if lang == "zh" else "the notebooks"
        hint = "; use --lang en" if lang == "zh" else ""
        raise FileNotFoundError(f"{name} is not in this installation "
                                f"({root / EDITIONS[lang]} has no NN_*.ipynb){hint}")
    out = {}
    for path in notebooks:
        data = path.read_bytes()
        if instructor:
            nb = instructor_edition(json.loads(data.decode("utf-8")), root)
            data = (json.dumps(nb, indent=1, ensure_ascii=False) + "\n").encode("utf-8")
        out[path.name] = data
    for path in sorted((root / "solutions").glob("*.py")):
        out[f"solutions/{path.name}"] = path.read_bytes()
    if (root / "GLOSSARY.md").is_file():
        out["GLOSSARY.md"] = (root / "GLOSSARY.md").read_bytes()
    return out


@dataclass
class LabFolder:
    """What :func:`prepare_folder` did: files ``new``, ``updated`` (an untouched older copy),
    ``unchanged``, and ``kept`` (the student changed them: left as they are)."""

    folder: Path
    edition: str
    new: list[str] = field(default_factory=list)
    updated: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    def describe(self) -> str:
        """The report in plain words, one sentence per line."""
        written = self.new + self.updated
        notebooks = sum(rel.endswith(".ipynb") for rel in written)
        lines = [f"{self.edition}: {notebooks} notebook(s) and {len(written) - notebooks} "
                 f"other file(s) copied to {self.folder}"
                 + (f"; {len(self.unchanged)} file(s) already up to date" if self.unchanged
                    else "") + "."]
        if self.updated:
            lines.append(f"Updated copies nobody had changed: {', '.join(self.updated)}.")
        if self.kept:
            lines.append(f"Kept your own version of {', '.join(self.kept)} (you changed it; "
                         f"rename or delete a file to get a fresh copy of it).")
        return "\n".join(lines)


def _digest(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def prepare_folder(folder, lang: str = "en", instructor: bool = False,
                   root: Path | None = None) -> LabFolder:
    """Copy an edition (see :func:`edition_files`) from ``root`` (default
    :func:`notebooks_root`) into ``folder``, creating it; a file that differs from both the
    new content and what was last written there is the student's and is kept."""
    files = edition_files(notebooks_root() if root is None else root, lang, instructor)
    folder = Path(folder).expanduser().resolve()
    if folder.exists() and not folder.is_dir():
        raise NotADirectoryError(f"folder must be a directory, got the file {folder}")
    manifest_path = folder / MANIFEST
    try:
        written = json.loads(manifest_path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        written = {}
    edition = (f"{'instructor' if instructor else 'student'} edition, "
               f"{'Chinese' if lang == 'zh' else 'English'}")
    report = LabFolder(folder, edition)
    for rel, data in files.items():
        target, digest = folder.joinpath(*rel.split("/")), _digest(data)
        status = "new"
        if target.exists():
            current = _digest(target.read_bytes())
            if current == digest:
                report.unchanged.append(rel)
                written[rel] = digest
                continue
            if written.get(rel) != current:
                report.kept.append(rel)
                continue
            status = "updated"
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_bytes(data)
        written[rel] = digest
        getattr(report, status).append(rel)
    manifest_path.write_text(json.dumps(written, indent=1, sort_keys=True), encoding="utf-8")
    return report


def lab_command(folder, *, port: int | None = None, browser: bool = True) -> list[str]:
    """The JupyterLab command line for ``folder`` (no shell; the kernel is this Python's)."""
    folder = Path(folder).resolve()
    start = f"/lab/tree/{START}" if (folder / START).is_file() else "/lab"
    cmd = [sys.executable, "-m", "jupyterlab", f"--ServerApp.root_dir={folder}",
           f"--LabApp.default_url={start}", "--ServerApp.ip=127.0.0.1"]
    if port is not None:
        if isinstance(port, bool) or not isinstance(port, int) or not 0 < port < 65536:
            raise ValueError(f"port must be an integer in [1, 65535], got {port!r}")
        cmd.append(f"--ServerApp.port={port}")
    if not browser:
        cmd.append("--no-browser")
    if hasattr(os, "geteuid") and os.geteuid() == 0:
        cmd.append("--allow-root")  # Jupyter refuses root (containers, CI) unless told
    return cmd


def start_lab(folder, *, port: int | None = None, browser: bool = True,
              extra_args=(), **popen) -> subprocess.Popen:
    """Start JupyterLab in ``folder`` and return its process (stop it with ``terminate``)."""
    cmd = [*lab_command(folder, port=port, browser=browser), *extra_args]
    return subprocess.Popen(cmd, cwd=Path(folder).resolve(), **popen)


def _interrupt(signum, frame):
    raise KeyboardInterrupt


def run_lab(folder, *, port: int | None = None, browser: bool = True, **popen) -> int:
    """Run JupyterLab in ``folder`` until it stops; its exit status. Ctrl+C, or a SIGTERM
    to this process, stops JupyterLab too (nothing is left running)."""
    proc = start_lab(folder, port=port, browser=browser, **popen)
    try:
        previous = signal.signal(signal.SIGTERM, _interrupt)
    except ValueError:  # not the main thread: leave the handler alone
        previous = None
    try:
        return proc.wait()
    except KeyboardInterrupt:
        proc.terminate()
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        return 0
    finally:
        if previous is not None:
            signal.signal(signal.SIGTERM, previous)
