"""End to end in a real browser: Voilà serves notebook 01, headless Chromium moves a slider.

The test starts ``voila notebooks/01_federated_averaging.ipynb`` on a free localhost port,
opens it with Playwright in Debian's Chromium (never a downloaded browser), focuses the
"clients" slider, presses ArrowRight on the keyboard, waits for the dashboard to finish the
new run and checks that the pixels of the ipympl figure changed and that no error or
traceback is on the page. Voilà (and its kernel) is always stopped afterwards.

It skips with the reason when Chromium, Voilà or Playwright is missing, unless
``FEDLEARN_REQUIRE_BROWSER=1`` (set by ``.ci/run``): then a missing piece is a failure.
``pytest tests/test_browser.py --update-screenshot`` (``make figures``) also writes
``docs/dashboard.png``.
"""

from __future__ import annotations

import io
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest

ROOT = Path(__file__).resolve().parents[1]
NOTEBOOK = ROOT / "notebooks" / "01_federated_averaging.ipynb"
SCREENSHOT = ROOT / "docs" / "dashboard.png"
CHROMIUM = os.environ.get("FEDLEARN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TIMEOUT_S = 240  # whole-test budget: Voilà runs the notebook (~10-30 s) and two dashboard runs
KEY_PRESSES = 5  # clients 10 -> 15
ERROR_MARKERS = ("Traceback", "Error", "Setting not allowed", "⛔")


def _missing() -> str | None:
    """Why the browser test cannot run here, or None."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    if _voila_cmd() is None:
        return "voila is not installed (pip install -e '.[app]')"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[app]')"
    return None


def _voila_cmd() -> list[str] | None:
    exe = Path(sys.executable).with_name("voila")
    if exe.exists():
        return [str(exe)]
    found = shutil.which("voila")
    return [found] if found else None


@pytest.fixture(scope="module")
def browser_ready():
    reason = _missing()
    if reason:
        if os.environ.get("FEDLEARN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"FEDLEARN_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture
def voila_url(browser_ready, tmp_path):
    """Serve notebook 01 with Voilà; always stop it (and its kernel) afterwards."""
    port = _free_port()
    log = open(tmp_path / "voila.log", "w")
    cmd = [*_voila_cmd(), str(NOTEBOOK), "--no-browser", f"--port={port}",
           "--Voila.ip=127.0.0.1", "--show_tracebacks=True"]
    # the notebook picks its backend itself (%matplotlib widget); conftest's MPLBACKEND=Agg
    # must not leak into the kernel (with it, ipympl canvases never get sized in the page)
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=ROOT, env=env,
                            start_new_session=True)  # own process group: kernel included
    try:
        deadline = time.monotonic() + 60
        while True:  # ready when the port accepts connections
            if proc.poll() is not None:
                pytest.fail(f"voila exited early:\n{(tmp_path / 'voila.log').read_text()}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("voila did not start listening within 60 s")
                time.sleep(0.3)
        yield f"http://127.0.0.1:{port}/"
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGTERM)  # voila shuts its kernel down on SIGTERM
            try:
                proc.wait(15)
            except subprocess.TimeoutExpired:
                pass
        try:
            os.killpg(proc.pid, signal.SIGKILL)  # anything of ours still alive
        except (ProcessLookupError, PermissionError):
            pass
        proc.wait(10)
        log.close()


def _pixels(png: bytes) -> np.ndarray:
    from PIL import Image

    return np.asarray(Image.open(io.BytesIO(png)).convert("RGB"), dtype=np.int16)


def _stable_shot(locator, page, timeout_s: float = 30) -> bytes:
    """Screenshot of ``locator`` once two consecutive shots 0.5 s apart are identical."""
    deadline, last = time.monotonic() + timeout_s, None
    while True:
        shot = locator.screenshot()
        if last is not None and shot == last:
            return shot
        if time.monotonic() > deadline:
            return shot
        last = shot
        page.wait_for_timeout(500)


def _status(page) -> str:
    return page.inner_text(".fedlearn-status")


STATE_JS = """() => {
  const s = document.querySelector('.fedlearn-status');
  const c = document.querySelector('.fedlearn-dashboard .jupyter-matplotlib-canvas-div canvas');
  return {status: s ? s.innerText : null, canvas: c ? [c.width, c.height] : null};
}"""


def _wait(page, predicate: str, what: str, timeout_ms: float, arg=None) -> None:
    """``page.wait_for_function`` that fails with the dashboard's state instead of a bare
    timeout."""
    from playwright.sync_api import TimeoutError as PWTimeout

    try:
        page.wait_for_function(predicate, arg=arg, timeout=timeout_ms)
    except PWTimeout:
        pytest.fail(f"timed out waiting for {what}; dashboard state: {page.evaluate(STATE_JS)}")


def test_slider_moves_the_plot_in_a_real_browser(voila_url, request):
    from playwright.sync_api import sync_playwright

    start = time.monotonic()

    def left_ms() -> float:
        return max(1000.0, 1000 * (TIMEOUT_S - (time.monotonic() - start)))

    page_errors: list[str] = []
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
        try:
            page = browser.new_page(viewport={"width": 1100, "height": 900})
            page.on("pageerror", lambda e: page_errors.append(str(e)))
            page.goto(voila_url, timeout=left_ms(), wait_until="domcontentloaded")

            # 1. the notebook ran, the dashboard finished its first run and drew the figure
            page.wait_for_selector(".fedlearn-dashboard", timeout=left_ms())
            _wait(page, "() => { const s = document.querySelector('.fedlearn-status');"
                        " return s && s.innerText.includes('round 30'); }",
                  "the first dashboard run", left_ms())
            dash = page.locator(".fedlearn-dashboard").first  # notebook 01's FedAvg dashboard
            dash.scroll_into_view_if_needed()
            canvas = dash.locator(".jupyter-matplotlib-canvas-div canvas").first
            _wait(page, "() => { const c = document.querySelector("
                        "'.fedlearn-dashboard .jupyter-matplotlib-canvas-div canvas');"
                        " return c && c.width > 0 && c.height > 0; }",
                  "the figure canvas to be sized", left_ms())
            assert _status(page).startswith("10 clients"), _status(page)
            before = _stable_shot(canvas, page)
            if request.config.getoption("--update-screenshot"):
                SCREENSHOT.parent.mkdir(exist_ok=True)
                dash.screenshot(path=str(SCREENSHOT))

            # 2. move the client-count slider with the keyboard
            handle = dash.locator(".fedlearn-control-num_clients .noUi-handle")
            handle.focus()
            for _ in range(KEY_PRESSES):
                page.keyboard.press("ArrowRight")
            _wait(page, "want => document.querySelector('.fedlearn-box-num_clients input')"
                        ".value === want", "the typed-value box to follow the slider",
                  left_ms(), arg=str(10 + KEY_PRESSES))

            # 3. wait for the recompute with the new setting, then compare pixels
            want = f"{10 + KEY_PRESSES} clients"
            _wait(page, "want => { const t = document.querySelector('.fedlearn-status').innerText;"
                        " return t.startsWith(want) && t.includes('round 30'); }",
                  f"the run with {want}", left_ms(), arg=want)
            after = _stable_shot(canvas, page)
            a, b = _pixels(before), _pixels(after)
            assert a.shape == b.shape and a.size > 0
            changed = np.any(a != b, axis=-1).mean()
            assert changed > 0.001, f"only {changed:.4%} of the figure's pixels changed"
            assert len(np.unique(b.reshape(-1, 3), axis=0)) > 10  # a real plot, not blank

            # 4. no error text anywhere on the page, no uncaught JavaScript error
            text = page.inner_text("body")
            for marker in ERROR_MARKERS:
                assert marker not in text, f"{marker!r} on the page:\n{text[-2000:]}"
            assert not page_errors, page_errors
        finally:
            browser.close()
