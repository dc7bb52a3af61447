"""Build the rendered book of the executed notebooks: ``make docs`` (``tools/build_book.py``).

Assembles a temporary Sphinx source folder (the tracked files are copied, never edited):

- ``docs/book/`` (``conf.py``, ``index.md``, any static files);
- ``notebooks/NN_*.ipynb`` as part "Notebooks", with ``notebooks/GLOSSARY.md`` after them;
- ``notebooks/zh/*.ipynb``, when present, as a second part "中文版";
- ``docs/instructor/**.md``, when present, as part "Instructor guide" (``--no-instructor``
  leaves it out: it holds the expected answers to the open questions).

In the copies ``%matplotlib widget`` becomes ``%matplotlib inline`` (no browser is there to
draw an ipympl canvas; a dashboard shows the PNG snapshot of its default run). The kernels
get an IPython profile of their own: matplotlib's defaults (100 dpi, white) instead of the
inline backend's, only the figures a cell drew shown below it, and a figure's canvas as the
last value of a cell (``fig.canvas``, how a notebook shows an ipympl figure) shown as its
PNG. Then runs
``sphinx -b html`` (myst-nb executes every notebook, 120 s each at most, any error fails the
build; ``-T``: the failing cell and its traceback are printed) into ``OUT/html`` (default
``build/book/html``) and prints how long it took.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = re.compile(r"^\d\d_.+\.ipynb$")
WIDGET_MAGIC = re.compile(r"^(\s*)%matplotlib\s+(widget|ipympl)\s*$")
INLINE_BACKEND = "module://matplotlib_inline.backend_inline"
KERNEL_CONFIG = """\
# the inline backend would switch to 72 dpi and a transparent background: keep the defaults
c.InlineBackend.rc = {}
# show only the figures pyplot drew in a cell, not every open one (a dashboard's figure would
# come again below every later cell that draws)
c.InlineBackend.close_figures = False
# the kernels talk to nbclient on 127.0.0.1 only: no start-up warning about TCP per kernel
c.IPKernelApp.log_level = "ERROR"
"""
# a figure's canvas as a cell's last value is shown as the figure, as ipympl shows it
KERNEL_STARTUP = """\
def _fedlearn_book_canvas_png(canvas):
    import io

    buf = io.BytesIO()
    canvas.figure.savefig(buf, format="png")
    return buf.getvalue()


from matplotlib.backend_bases import FigureCanvasBase as _Canvas

get_ipython().display_formatter.formatters["image/png"].for_type(
    _Canvas, _fedlearn_book_canvas_png)
del _Canvas
"""


def static_copy(src: Path, dst: Path) -> int:
    """Copy notebook ``src`` to ``dst`` with ``%matplotlib widget`` replaced by
    ``%matplotlib inline``; returns how many lines were replaced."""
    nb = json.loads(src.read_text(encoding="utf-8"))
    replaced = 0
    for cell in nb.get("cells", []):
        if cell.get("cell_type") != "code":
            continue
        source = cell["source"]
        lines = source.splitlines(keepends=True) if isinstance(source, str) else list(source)
        for i, line in enumerate(lines):
            m = WIDGET_MAGIC.match(line.rstrip("\n"))
            if m:
                lines[i] = f"{m.group(1)}%matplotlib inline" + ("\n" if line.endswith("\n") else "")
                replaced += 1
        cell["source"] = lines
    dst.parent.mkdir(parents=True, exist_ok=True)
    dst.write_text(json.dumps(nb, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return replaced


def toctree(caption: str, entries: list[str]) -> str:
    body = "\n".join(entries)
    return f"\n```{{toctree}}\n:caption: {caption}\n:maxdepth: 1\n\n{body}\n```\n"


def assemble(src: Path, root: Path = ROOT, only: tuple[str, ...] = (),
             instructor: bool = True) -> dict[str, list[str]]:
    """Fill ``src`` with the book's sources; returns the documents of each part. ``only``:
    notebook name prefixes to keep (e.g. ``("01",)``; empty: all); ``instructor=False``
    leaves the instructor guide out (a book to hand to students)."""
    shutil.copytree(root / "docs" / "book", src, dirs_exist_ok=True,
                    ignore=shutil.ignore_patterns("__pycache__", "_build"))
    nb_dir = root / "notebooks"
    parts: dict[str, list[str]] = {}

    def wanted(p: Path) -> bool:
        return not only or p.name.startswith(only)

    notebooks = sorted(p for p in nb_dir.iterdir() if NOTEBOOK.match(p.name) and wanted(p))
    if not notebooks:
        raise SystemExit(f"no notebooks/NN_*.ipynb found in {nb_dir} (only={only})")
    for p in notebooks:
        static_copy(p, src / "notebooks" / p.name)
    entries = [f"notebooks/{p.stem}" for p in notebooks]
    if (nb_dir / "GLOSSARY.md").exists():
        shutil.copy2(nb_dir / "GLOSSARY.md", src / "notebooks" / "GLOSSARY.md")
        entries.append("notebooks/GLOSSARY")
    parts["Notebooks"] = entries
    if (nb_dir / "solutions").is_dir():  # a student uncomments `%load solutions/...`
        shutil.copytree(nb_dir / "solutions", src / "notebooks" / "solutions")

    zh = nb_dir / "zh"
    zh_notebooks = sorted(p for p in zh.glob("*.ipynb") if wanted(p)) if zh.is_dir() else []
    if zh_notebooks:
        for p in zh_notebooks:
            static_copy(p, src / "zh" / p.name)
        if (zh / "solutions").is_dir():
            shutil.copytree(zh / "solutions", src / "zh" / "solutions")
        elif (nb_dir / "solutions").is_dir():
            shutil.copytree(nb_dir / "solutions", src / "zh" / "solutions")
        parts["中文版"] = [f"zh/{p.stem}" for p in zh_notebooks]

    guide = root / "docs" / "instructor"
    pages = sorted(guide.rglob("*.md")) if instructor and guide.is_dir() else []
    if pages:
        shutil.copytree(guide, src / "instructor",
                        ignore=shutil.ignore_patterns("__pycache__", "*.ipynb"))
        names = [p.relative_to(guide).with_suffix("").as_posix() for p in pages]
        first = [n for n in names if n.lower() in ("index", "readme")]
        parts["Instructor guide"] = [f"instructor/{n}" for n in first + [n for n in names
                                                                       if n not in first]]

    with open(src / "index.md", "a", encoding="utf-8") as f:
        for caption, docs in parts.items():
            f.write(toctree(caption, docs))
    return parts


def build(out: Path, jobs: str = "auto", keep_src: bool = False, quiet: bool = False,
          only: tuple[str, ...] = (), instructor: bool = True) -> int:
    """Assemble the sources, run Sphinx into ``out/html``; returns Sphinx's exit status."""
    start = time.monotonic()
    tmp = Path(tempfile.mkdtemp(prefix="fedlearn-book-"))
    try:
        src = tmp / "src"
        parts = assemble(src, only=only, instructor=instructor)
        ipython = tmp / "ipython" / "profile_default"
        ipython.mkdir(parents=True)
        (ipython / "ipython_kernel_config.py").write_text(KERNEL_CONFIG)
        (ipython / "startup").mkdir()
        (ipython / "startup" / "00-fedlearn-book.py").write_text(KERNEL_STARTUP)
        env = dict(os.environ, IPYTHONDIR=str(tmp / "ipython"), MPLBACKEND=INLINE_BACKEND,
                   PYTHONHASHSEED="0")
        env.pop("FEDLEARN_EDU_SOLUTIONS", None)  # the book is the student edition
        html = out / "html"
        if html.exists():
            shutil.rmtree(html)
        cmd = [sys.executable, "-m", "sphinx", "-b", "html", "-j", str(jobs), "-T",
               "-d", str(tmp / "doctrees"), str(src), str(html)]
        if quiet:
            cmd.append("-q")
        n = sum(len(v) for v in parts.values())
        print(f"building the book of {n} pages ({', '.join(parts)}) from {src}", flush=True)
        status = subprocess.run(cmd, env=env, cwd=src).returncode
    finally:
        if keep_src:
            print(f"sources kept in {tmp}")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    took = time.monotonic() - start
    if status == 0:
        print(f"book built in {took:.0f} s: {html / 'index.html'}")
    else:
        print(f"book build FAILED (sphinx exit {status}) after {took:.0f} s", file=sys.stderr)
    return status


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--out", type=Path, default=ROOT / "build" / "book",
                    help="output folder; the pages go to OUT/html (default: build/book)")
    ap.add_argument("-j", "--jobs", default="auto",
                    help="notebooks executed in parallel (sphinx -j; default: auto = cores)")
    ap.add_argument("--keep-src", action="store_true", help="keep the assembled sources")
    ap.add_argument("-q", "--quiet", action="store_true", help="only warnings and errors")
    ap.add_argument("--only", default="", metavar="NN,NN",
                    help="build only the notebooks whose names start with these (e.g. 01,03)")
    ap.add_argument("--no-instructor", action="store_true",
                    help="leave docs/instructor/ out (its expected answers are not for students)")
    args = ap.parse_args(argv)
    only = tuple(x.strip() for x in args.only.split(",") if x.strip())
    return build(args.out.resolve(), args.jobs, args.keep_src, args.quiet, only,
                 not args.no_instructor)


if __name__ == "__main__":
    sys.exit(main())
