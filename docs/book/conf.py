"""Sphinx + myst-nb configuration of the rendered book (``make docs``, ``tools/build_book.py``).

The book builds offline: no intersphinx, no CDN. MathJax 3 comes from the
``sphinx-mathjax-offline`` package (copied into ``_static/mathjax``); ipywidgets' embed
scripts are left out (``nb_ipywidgets_js = {}``), so a dashboard shows the ``image/png``
snapshot of its default run that ``fedlearn_edu.widgets`` puts beside the widget view.
Every notebook is executed at build time; an error in any cell, or a notebook that runs longer
than 120 s (``FEDLEARN_BOOK_LIMIT_S``), fails the build.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
from pathlib import Path

from sphinx.errors import ExtensionError
from sphinx.util import logging

logger = logging.getLogger(__name__)

project = "fedlearn_edu"
author = "fedlearn_edu contributors"
copyright = "fedlearn_edu contributors, MIT licence"
html_title = "fedlearn_edu · federated and transfer learning in notebooks"
language = "en"

extensions = ["myst_nb"]  # nothing that reaches the network (no intersphinx)

exclude_patterns = ["_build", "**/solutions/**", "**/.ipynb_checkpoints", "**/*.py"]
myst_enable_extensions = ["dollarmath", "amsmath", "colon_fence"]
myst_heading_anchors = 3

# ---- execution: every notebook, every build; a failing cell fails the build ----------------
nb_execution_mode = "force"
NOTEBOOK_LIMIT_S = float(os.environ.get("FEDLEARN_BOOK_LIMIT_S", "120"))  # per notebook
nb_execution_timeout = int(NOTEBOOK_LIMIT_S)  # myst-nb's limit is per cell: see _check_times
nb_execution_raise_on_error = True
# 07 starts a real Flower federation (a SuperLink and a SuperNode process per client: minutes on
# a loaded machine): the book shows its text and code unexecuted; nbval runs it in `make test`
nb_execution_excludepatterns = ["*07_real_federation*"]
nb_execution_show_tb = True  # the traceback goes to the build log
nb_merge_streams = True
# no ipywidgets embed manager (it comes from a CDN): widget views are not rendered and the
# next mime type of the bundle (a dashboard's image/png snapshot) is shown instead
nb_ipywidgets_js: dict = {}
nb_mime_priority_overrides = [
    ("html", "application/vnd.jupyter.widget-view+json", None),
    ("html", "application/vnd.jupyter.widget-state+json", None),
]

# ---- HTML ------------------------------------------------------------------------------------
html_theme = "sphinx_book_theme"
html_theme_options = {
    "show_toc_level": 2,
    "use_download_button": True,  # the executed .ipynb, served from the book itself
    "use_fullscreen_button": False,
    "home_page_in_toc": True,
    "navigation_with_keys": False,
}
# the theme's first-visit colour mode (unset, its script logs "Got invalid theme mode")
html_context = {"default_mode": "auto"}
html_static_path: list[str] = []
html_last_updated_fmt = None
html_show_sourcelink = False
html_use_index = False  # no index entries: an empty page

# ---- MathJax without a CDN ---------------------------------------------------------------------
_MATHJAX_PARTS = ("tex-chtml.js", "input", "output/chtml", "ui", "a11y", "adaptors", "sre")


def _mathjax_dir() -> Path:
    spec = importlib.util.find_spec("sphinx-mathjax-offline")
    if spec is None or spec.origin is None:
        raise RuntimeError(
            "the book needs MathJax offline: pip install sphinx-mathjax-offline "
            "(part of the docs extra: pip install -e '.[docs]')")
    return Path(spec.origin).parent / "static" / "mathjax"


mathjax_path = "mathjax/tex-chtml.js"


def _copy_mathjax(app, exc) -> None:
    """Copy the MathJax parts the pages use (TeX input, CHTML output and its fonts, the menu,
    the speech rules the menu can switch on)."""
    if exc is not None or app.builder.format != "html":
        return
    src, dst = _mathjax_dir(), Path(app.outdir) / "_static" / "mathjax"
    for part in _MATHJAX_PARTS:
        s, d = src / part, dst / part
        d.parent.mkdir(parents=True, exist_ok=True)
        if s.is_dir():
            shutil.copytree(s, d, dirs_exist_ok=True)
        else:
            shutil.copy2(s, d)


def _check_times(app, env) -> None:
    """Log each notebook's run time; one over ``NOTEBOOK_LIMIT_S`` fails the build."""
    times = {doc: data["exec_data"]["runtime"] for doc, data in
             getattr(env, "nb_metadata", {}).items()
             if data.get("exec_data") and data["exec_data"].get("runtime") is not None}
    for doc, t in sorted(times.items()):
        logger.info(f"executed {doc} in {t:.1f} s")
    slow = {doc: t for doc, t in times.items() if t > NOTEBOOK_LIMIT_S}
    if slow:
        raise ExtensionError(f"notebooks over {NOTEBOOK_LIMIT_S:.0f} s: " + ", ".join(
            f"{doc} ({t:.0f} s)" for doc, t in sorted(slow.items())))


def _drop_widget_state(app, env) -> None:
    """No widget manager reads the executed notebooks' widget state: leave it out of the
    pages (100-150 kB of JSON per dashboard notebook)."""
    for data in getattr(env, "nb_metadata", {}).values():
        data.get("js_files", {}).pop("ipywidgets_state", None)


def setup(app):
    _mathjax_dir()  # fail at once, not after executing every notebook
    app.connect("env-updated", _check_times)
    app.connect("env-updated", _drop_widget_state)
    app.connect("build-finished", _copy_mathjax)
    return {"parallel_read_safe": True, "parallel_write_safe": True}
