"""Layout in real JupyterLab at 1366 x 768: every figure fits its output cell, and the console
stays clean.

A JupyterLab server (on a free 127.0.0.1 port, in a temporary copy of ``notebooks/``: its
autosave never touches the tracked files) is opened in Debian's headless Chromium as a new
user sees it (file browser open). For each notebook 00-06 the test runs all cells, waits for
the kernel to be idle and every ipympl canvas to be sized, then checks that

- no cell has an error output;
- no figure (ipympl canvas or ``<img>``) is wider than its output cell, reaches past its
  right edge or makes the output scroll sideways (issue 14 §4: figures of 1200-1350 px were
  cut off). With the file browser open the output cell is 934 px wide, and an ipympl figure
  adds 4 px of padding on each side: 9.2 in at 100 dpi (920 px) fit, 9.3 in do not;
- the console has no error, in particular not ``Failed to execute 'drawImage' on
  'CanvasRenderingContext2D': The HTMLImageElement provided is in the 'broken' state`` (ipympl
  0.10 sent raw pixels as PNG before the view connected; fixed in
  :func:`fedlearn_edu.widgets.canvas.fix_ipympl_frames`).

The kernel is shut down after each notebook, the server (and anything it started) at the end.
It reuses ``tests/test_browser.py``'s Chromium settings and skips with the reason when
Chromium, Playwright or JupyterLab is missing, unless ``FEDLEARN_REQUIRE_BROWSER=1``
(``.ci/run``): then that is a failure.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port

ROOT = Path(__file__).resolve().parents[1]
# every notebook but 07, which starts a real Flower federation (its figure is a plain
# plots.base figure, held to the same width by new_figure; tests/test_flower_* run it)
NOTEBOOKS = sorted(p.name for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb")
                   if not p.name.startswith("07_"))
VIEWPORT = {"width": 1366, "height": 768}
RUN_TIMEOUT_S = 180  # one notebook: open, run all cells (dashboards compute their default run)
SLACK_PX = 0.5  # sub-pixel rounding
# console errors that are not ours, each with its reason (none known so far)
HARMLESS_CONSOLE: dict[str, str] = {}
# a new user's JupyterLab, minus what would reach the network or cover the page
SETTINGS = {
    "@jupyterlab/apputils-extension/notification.jupyterlab-settings":
        {"fetchNews": "false", "checkForUpdates": False},
    # every cell stays in the page, so every output can be measured
    "@jupyterlab/notebook-extension/tracker.jupyterlab-settings": {"windowingMode": "none"},
}

KERNEL_JS = """() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;
  const k = w && w.sessionContext && w.sessionContext.session && w.sessionContext.session.kernel;
  return !!(k && k.status === 'idle' && w.content && w.content.widgets.length); }"""

PROGRESS_JS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  const k = w.sessionContext.session.kernel;
  const code = w.content.widgets.filter(c => c.model.type === 'code');
  const errors = [];
  for (const c of code) {
    const outs = c.model.outputs;
    for (let i = 0; i < outs.length; i++) {
      const o = outs.get(i).toJSON();
      if (o.output_type === 'error') errors.push(o.ename + ': ' + o.evalue);
    }
  }
  return {idle: k.status === 'idle', total: code.length,
          done: code.filter(c => c.model.executionCount !== null).length, errors};
}"""

SIZED_JS = """() => [...document.querySelectorAll('.jupyter-matplotlib-canvas-div canvas')]
  .every(c => c.width > 0 && c.height > 0)"""

MEASURE_JS = """() => {
  const out = [];
  for (const o of document.querySelectorAll('.jp-OutputArea-output')) {
    const figs = o.querySelectorAll('.jupyter-matplotlib-canvas-div, img');
    if (!figs.length) continue;
    const r = o.getBoundingClientRect(), s = getComputedStyle(o);
    const left = r.left + parseFloat(s.borderLeftWidth) + parseFloat(s.paddingLeft);
    const right = r.right - parseFloat(s.borderRightWidth) - parseFloat(s.paddingRight);
    const cell = o.closest('.jp-Cell');
    const index = cell ? [...cell.parentElement.children].indexOf(cell) : -1;
    for (const f of figs) {
      const q = f.getBoundingClientRect();
      out.push({cell: index, kind: f.tagName === 'IMG' ? 'img' : 'ipympl canvas',
                width: q.width, left: q.left, right: q.right,
                cellWidth: right - left, cellRight: right,
                hidden: o.scrollWidth - o.clientWidth});  // > 0: the output scrolls sideways
    }
  }
  return out;
}"""


def _lab_cmd() -> list[str] | None:
    exe = Path(sys.executable).with_name("jupyter-lab")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("jupyter-lab")
    return [found] if found else None


def _missing() -> str | None:
    """Why the layout test cannot run here, or None."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if _lab_cmd() is None:
        return "jupyterlab is not installed (pip install -e .)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[app]')"
    return None


@pytest.fixture(scope="module")
def lab_url(tmp_path_factory):
    """JupyterLab on a copy of the notebooks; stopped (with its kernels) afterwards."""
    reason = _missing()
    if reason:
        if os.environ.get("FEDLEARN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"FEDLEARN_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    work = tmp_path_factory.mktemp("lab")
    nb_dir = work / "notebooks"
    shutil.copytree(ROOT / "notebooks", nb_dir,
                    ignore=shutil.ignore_patterns("*.md", ".ipynb_checkpoints", "__pycache__"))
    for name, value in SETTINGS.items():
        path = work / "settings" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(json.dumps(value))
    port = _free_port()
    # the notebooks pick their backend (%matplotlib widget); conftest's MPLBACKEND=Agg must not
    # reach the kernels; Jupyter's and IPython's own folders are temporary
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    env.update(JUPYTER_CONFIG_DIR=str(work / "config"), JUPYTER_RUNTIME_DIR=str(work / "rt"),
               JUPYTER_DATA_DIR=str(work / "data"), IPYTHONDIR=str(work / "ipython"))
    cmd = [*_lab_cmd(), "--no-browser", "--ip=127.0.0.1", f"--port={port}", "--allow-root",
           f"--ServerApp.root_dir={nb_dir}", "--IdentityProvider.token=",
           "--ServerApp.password=", "--LabApp.expose_app_in_browser=True",
           "--LabApp.news_url=None",
           "--LabApp.check_for_updates_class=jupyterlab.NeverCheckForUpdate",
           f"--LabApp.user_settings_dir={work / 'settings'}",
           f"--LabApp.workspaces_dir={work / 'workspaces'}"]
    log_path = work / "lab.log"
    log = open(log_path, "w")
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=nb_dir, env=env,
                            start_new_session=True)  # own process group: kernels included
    try:
        deadline = time.monotonic() + 90
        while True:
            if proc.poll() is not None:
                pytest.fail(f"jupyter lab exited early:\n{log_path.read_text()[-3000:]}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("jupyter lab did not listen within 90 s")
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # the server shuts its kernels down
            try:
                proc.wait(20)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything of ours still alive
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait(10)
        log.close()


@pytest.fixture(scope="module")
def browser(lab_url):
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            yield b
        finally:
            b.close()


def _run_all(page, name: str) -> None:
    """Run every cell of the open notebook; fail at the first error output."""
    page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
    deadline, state = time.monotonic() + RUN_TIMEOUT_S, {}
    while time.monotonic() < deadline:
        state = page.evaluate(PROGRESS_JS)
        assert not state["errors"], f"{name}: a cell failed: {state['errors']}"
        if state["idle"] and state["done"] == state["total"]:
            return
        page.wait_for_timeout(500)
    pytest.fail(f"{name}: not finished after {RUN_TIMEOUT_S} s: {state}")


@pytest.mark.parametrize("name", NOTEBOOKS)
def test_figures_fit_and_console_is_clean(name, lab_url, browser):
    page = browser.new_page(viewport=VIEWPORT)
    console: list[str] = []
    page.on("console", lambda m: console.append(m.text) if m.type == "error" else None)
    page.on("pageerror", lambda e: console.append(f"uncaught: {e}"))
    start = time.monotonic()
    try:
        # a workspace of its own: no tab of an earlier notebook is restored beside this one
        page.goto(f"{lab_url}lab/workspaces/{name.split('_')[0]}/tree/{name}?reset",
                  wait_until="domcontentloaded", timeout=60_000)
        page.wait_for_function(KERNEL_JS, timeout=60_000, polling=250)
        _run_all(page, name)
        page.wait_for_function(SIZED_JS, timeout=30_000, polling=250)
        page.wait_for_timeout(1000)  # late resize / redraw messages
        figures = page.evaluate(MEASURE_JS)
        page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.shutdown()")
    finally:
        page.close()
    took = time.monotonic() - start
    print(f"{name}: {len(figures)} figures, {took:.0f} s, widest "
          f"{max((f['width'] for f in figures), default=0):.0f} px in a "
          f"{min((f['cellWidth'] for f in figures), default=0):.0f}-px cell")
    assert figures, f"{name}: no figure found in any output"
    too_wide = [f for f in figures if f["width"] > f["cellWidth"] + SLACK_PX
                or f["right"] > f["cellRight"] + SLACK_PX or f["hidden"] > 1]
    assert not too_wide, "\n".join(
        f"{name} cell {f['cell']}: {f['kind']} {f['width']:.0f} px wide, reaches "
        f"{f['right'] - f['cellRight']:+.0f} px past a {f['cellWidth']:.0f}-px output cell"
        + (f" ({f['hidden']} px of the output behind a sideways scroll)" if f["hidden"] > 1
           else " (cut off: the output does not scroll)")
        for f in too_wide)
    broken = [m for m in console if "drawImage" in m or "'broken' state" in m]
    assert not broken, f"{name}: {broken}"
    errors = [m for m in console if not any(k in m for k in HARMLESS_CONSOLE)]
    assert not errors, f"{name}: console errors {errors[:5]}"


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # ipympl's Toolbar and traitlets
def test_ipympl_frames_sent_before_a_browser_attaches_are_pngs():
    """The cause of the ``drawImage ... 'broken' state`` error, without a browser: ipympl 0.10
    sends the raw RGBA buffer in place of the PNG while no view is attached. With
    :func:`fix_ipympl_frames` the frame on the wire is the PNG of the whole figure, and the
    embedded ``_data_url`` is a ``data:`` URL of the same picture."""
    import base64
    import io

    import numpy as np
    from matplotlib.figure import Figure
    from PIL import Image

    nbagg = pytest.importorskip("ipympl.backend_nbagg")
    from fedlearn_edu.widgets.canvas import fix_ipympl_frames

    fix_ipympl_frames()
    fig = Figure(figsize=(2.0, 1.2), dpi=50)
    fig.add_subplot().plot([0, 1, 2], [2, 0, 1], "r-")
    nbagg.new_figure_manager_given_figure(901, fig)
    canvas = fig.canvas
    assert canvas.syncing_data_url  # no browser has said "initialized"
    sent = []
    canvas.send = lambda content, buffers=None: sent.append((content, buffers))
    canvas.draw()  # renders and pushes a full frame
    frames = [b[0] for c, b in sent if b and c.get("data") == '{"type": "binary"}']
    assert len(frames) == 1
    frame = bytes(frames[0])
    assert frame[:8] == b"\x89PNG\r\n\x1a\n", frame[:16]
    expected = np.asarray(canvas.get_renderer().buffer_rgba())
    assert np.array_equal(np.asarray(Image.open(io.BytesIO(frame)).convert("RGBA")), expected)
    url = canvas._data_url
    assert url.startswith("data:image/png;base64,"), url[:40]
    embedded = Image.open(io.BytesIO(base64.b64decode(url.split(",", 1)[1]))).convert("RGBA")
    assert np.array_equal(np.asarray(embedded), expected)
