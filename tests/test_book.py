"""The rendered book (``make docs``) in a real browser: every page loads, offline, and shows
every figure.

Builds the book once (``tools/build_book.py``: myst-nb executes every notebook) into a
temporary folder, serves it with ``python -m http.server`` on a free 127.0.0.1 port and opens
every page in Debian's headless Chromium (Playwright), as ``tests/test_browser.py`` does.
Each page must answer 200, log no console error and no uncaught exception, ask for nothing
outside 127.0.0.1 (the book builds and reads offline: no CDN, no web fonts), typeset every
formula without a MathJax error, show no traceback or error output in any cell, and every
``<img>`` must have loaded (``naturalWidth > 0``) and not be blank (pixels sampled through a
canvas are not all one colour). The server is stopped by its PID, and checked gone.

Skips with the reason when Chromium, Playwright or the ``docs`` extra is missing, unless
``FEDLEARN_REQUIRE_BROWSER=1`` (``.ci/run``): then that is a failure.
"""

from __future__ import annotations

import importlib.util
import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlparse

import pytest
from test_browser import CHROMIUM, CHROMIUM_ARGS, _free_port

ROOT = Path(__file__).resolve().parents[1]
BUILD_TIMEOUT_S = 900  # the build executes every notebook (~1-3 min on 2 cores)
DOCS_MODULES = ("sphinx", "myst_nb", "sphinx_book_theme", "sphinx-mathjax-offline")
# console messages that are not the book's fault, each with its reason
HARMLESS_CONSOLE = {
    # http.server has no /favicon.ico and the theme declares none; the browser asks anyway
    "favicon.ico": "the browser's own favicon request",
}
# an error output or a traceback printed anywhere; "Error" counts in stderr only (a notebook may
# print a caught error on purpose: 00 shows the article's ValueError)
TRACEBACK = "Traceback"

PAGE_JS = """async () => {
  if (window.MathJax && MathJax.startup && MathJax.startup.promise) {
    await MathJax.startup.promise;
  }
  const imgs = [...document.images];
  await Promise.all(imgs.map(im => im.complete ? null :
      new Promise(r => { im.onload = im.onerror = r; })));
  const out = {math: document.querySelectorAll('mjx-container').length,
               mathErrors: [...document.querySelectorAll('mjx-merror, .MathJax_Error')]
                            .map(e => e.textContent).slice(0, 5),
               images: [], outputs: []};
  for (const im of imgs) {
    const info = {src: im.getAttribute('src'), w: im.naturalWidth, h: im.naturalHeight,
                  colours: 0};
    if (im.naturalWidth > 0) {
      const c = document.createElement('canvas');
      c.width = im.naturalWidth; c.height = im.naturalHeight;
      const ctx = c.getContext('2d');
      ctx.drawImage(im, 0, 0);
      const seen = new Set();
      const step = Math.max(1, Math.floor(Math.min(c.width, c.height) / 40));
      const data = ctx.getImageData(0, 0, c.width, c.height).data;
      for (let y = 0; y < c.height; y += step) {
        for (let x = 0; x < c.width; x += step) {
          const i = 4 * (y * c.width + x);
          seen.add(data[i] + ',' + data[i + 1] + ',' + data[i + 2] + ',' + data[i + 3]);
        }
      }
      info.colours = seen.size;
    }
    out.images.push(info);
  }
  for (const o of document.querySelectorAll('.cell_output')) {
    out.outputs.push(o.innerText.slice(0, 20000));
  }
  // myst-nb renders an error output as .output.traceback, a stderr stream as .output.stderr
  out.tracebacks = document.querySelectorAll('.cell_output .traceback, .cell_output .error').length;
  out.stderr = [...document.querySelectorAll('.cell_output .stderr')].map(e => e.innerText);
  return out;
}"""


def _missing() -> str | None:
    """Why the book test cannot run here, or None."""
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM} (apt-get install chromium)"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[app]')"
    absent = [m for m in DOCS_MODULES if importlib.util.find_spec(m) is None]
    if absent:
        return f"the docs extra is not installed ({', '.join(absent)}: pip install -e '.[docs]')"
    return None


@pytest.fixture(scope="module")
def book(tmp_path_factory):
    """The built book: ``(html folder, build seconds)``. ``FEDLEARN_BOOK_HTML=build/book/html``
    checks a book already built by ``make docs`` instead of building one."""
    reason = _missing()
    if reason:
        if os.environ.get("FEDLEARN_REQUIRE_BROWSER") == "1":
            pytest.fail(f"FEDLEARN_REQUIRE_BROWSER=1 but {reason}")
        pytest.skip(reason)
    prebuilt = os.environ.get("FEDLEARN_BOOK_HTML")
    if prebuilt:
        html = Path(prebuilt).resolve()
        assert (html / "index.html").is_file(), f"FEDLEARN_BOOK_HTML={prebuilt}: no index.html"
        return html, 0.0
    out = tmp_path_factory.mktemp("book")
    start = time.monotonic()
    run = subprocess.run([sys.executable, str(ROOT / "tools" / "build_book.py"), "--out",
                          str(out), "--quiet"], cwd=ROOT, capture_output=True, text=True,
                         timeout=BUILD_TIMEOUT_S)
    took = time.monotonic() - start
    assert run.returncode == 0, (f"the book build failed:\n{run.stdout[-4000:]}\n"
                                 f"{run.stderr[-8000:]}")
    print(f"book built in {took:.0f} s")
    html = out / "html"
    assert (html / "index.html").is_file()
    return html, took


@pytest.fixture(scope="module")
def served(book):
    """``(base URL, html folder)``: the book served on 127.0.0.1; the server is stopped by
    its PID afterwards and checked gone."""
    html, _ = book
    port = _free_port()
    proc = subprocess.Popen([sys.executable, "-m", "http.server", str(port), "--bind",
                             "127.0.0.1", "--directory", str(html)],
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        import socket

        deadline = time.monotonic() + 30
        while True:
            if proc.poll() is not None:
                pytest.fail(f"http.server exited early with {proc.returncode}")
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    pytest.fail("http.server did not listen within 30 s")
                time.sleep(0.1)
        yield f"http://127.0.0.1:{port}/", html
    finally:
        pid = proc.pid
        os.kill(pid, signal.SIGTERM)
        try:
            proc.wait(10)
        except subprocess.TimeoutExpired:
            os.kill(pid, signal.SIGKILL)
            proc.wait(10)
        assert proc.returncode is not None
        with pytest.raises(ProcessLookupError):
            os.kill(pid, 0)  # reaped: no such process any more


def _pages(html: Path) -> list[str]:
    return sorted(p.relative_to(html).as_posix() for p in html.rglob("*.html")
                  if p.relative_to(html).parts[0] not in ("_static", "_sources", "_images"))


def test_book_has_every_notebook(book):
    html, _ = book
    pages = set(_pages(html))
    notebooks = sorted(p.stem for p in (ROOT / "notebooks").glob("[0-9][0-9]_*.ipynb"))
    assert notebooks, "no notebooks found"
    for stem in notebooks:
        assert f"notebooks/{stem}.html" in pages, (stem, sorted(pages))
    if (ROOT / "notebooks" / "GLOSSARY.md").exists():
        assert "notebooks/GLOSSARY.html" in pages
    for p in sorted((ROOT / "notebooks" / "zh").glob("*.ipynb")):
        assert f"zh/{p.stem}.html" in pages
    guide = ROOT / "docs" / "instructor"
    for p in sorted(guide.rglob("*.md")):
        assert f"instructor/{p.relative_to(guide).with_suffix('.html').as_posix()}" in pages
    index = (html / "index.html").read_text(encoding="utf-8")
    assert "Figures are static; open the notebook for live plots" in index


def _harmless(text: str) -> bool:
    return any(key in text for key in HARMLESS_CONSOLE)


def test_every_page_loads_offline_with_its_figures(served):
    from playwright.sync_api import sync_playwright

    base, html = served
    pages = _pages(html)
    assert len(pages) >= 3, pages
    problems: list[str] = []
    timings: dict[str, float] = {}
    n_images = n_math = 0
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                    headless=True)
        try:
            context = browser.new_context(viewport={"width": 1366, "height": 900})
            outside: list[str] = []

            def route(r):  # the book must not need the network: refuse and record
                if urlparse(r.request.url).hostname in ("127.0.0.1", None):
                    r.continue_()
                else:
                    outside.append(r.request.url)
                    r.abort()

            context.route("**/*", route)
            for rel in pages:
                t0 = time.monotonic()
                page = context.new_page()
                errors: list[str] = []
                page.on("console", lambda m, e=errors: e.append(m.text) if m.type == "error"
                        else None)
                page.on("pageerror", lambda exc, e=errors: e.append(f"uncaught: {exc}"))
                bad: list[str] = []
                page.on("response", lambda r, b=bad: b.append(f"{r.status} {r.url}")
                        if r.status >= 400 and not _harmless(r.url) else None)
                response = page.goto(base + rel, wait_until="load", timeout=60_000)
                if response is None or response.status != 200:
                    problems.append(f"{rel}: HTTP {response and response.status}")
                    page.close()
                    continue
                info = page.evaluate(PAGE_JS)
                page.wait_for_timeout(200)  # late console messages
                n_images += len(info["images"])
                n_math += info["math"]
                errors = [e for e in errors if not _harmless(e)]
                if errors:
                    problems.append(f"{rel}: console errors {errors[:5]}")
                if bad:
                    problems.append(f"{rel}: failed requests {bad[:5]}")
                if info["mathErrors"]:
                    problems.append(f"{rel}: MathJax errors {info['mathErrors']}")
                if info["tracebacks"]:
                    problems.append(f"{rel}: {info['tracebacks']} traceback/error outputs")
                for text in info["outputs"]:
                    if TRACEBACK in text:
                        at = text.find(TRACEBACK)
                        problems.append(f"{rel}: a traceback in a cell output: "
                                        f"{text[max(0, at - 100):at + 300]!r}")
                for text in info["stderr"]:
                    if "Error" in text:
                        problems.append(f"{rel}: an error on stderr: {text[:300]!r}")
                for im in info["images"]:
                    if im["w"] <= 0:
                        problems.append(f"{rel}: image {im['src']} did not load")
                    elif im["colours"] < 2:
                        problems.append(f"{rel}: image {im['src']} is blank (one colour)")
                page.close()
                timings[rel] = time.monotonic() - t0
            if outside:
                problems.append(f"requests outside 127.0.0.1: {sorted(set(outside))[:10]}")
        finally:
            browser.close()
    slow = sorted(timings.items(), key=lambda kv: -kv[1])[:3]
    print(f"{len(pages)} pages, {n_images} images, {n_math} formulas checked in "
          f"{sum(timings.values()):.0f} s; slowest: "
          + ", ".join(f"{k} {v:.1f} s" for k, v in slow))
    assert n_images > 0, "no figure in the whole book"
    assert not problems, "\n".join(problems)


# ---- the static fallback the book relies on (no browser needed) -------------------------------
def test_dashboard_display_carries_a_png_of_its_finished_default_run():
    """``display(dash)`` gives the widget view and an image/png of the default run, taken
    after that run finished (a background run is waited for), equal pixel for pixel to
    ``savefig`` of the finished figure."""
    import base64
    import io

    import numpy as np
    from PIL import Image

    from fedlearn_edu import FedConfig
    from fedlearn_edu.widgets import FedAvgDashboard

    dash = FedAvgDashboard(FedConfig(rounds=4, num_clients=4, local_epochs=1))  # background
    bundle, meta = dash._repr_mimebundle_()
    assert dash.runs == 1 and dash.level == "info", (dash.runs, dash.message)
    assert "application/vnd.jupyter.widget-view+json" in bundle  # the live view stays first
    assert bundle["text/plain"].startswith("FedAvgDashboard: ")
    png = Image.open(io.BytesIO(base64.b64decode(bundle["image/png"]))).convert("RGBA")
    w, h = (round(v) for v in dash.fig.get_size_inches() * dash.fig.dpi)
    assert png.size == (w, h) == (meta["image/png"]["width"], meta["image/png"]["height"])
    ref = io.BytesIO()
    dash.fig.savefig(ref, format="png", dpi=dash.fig.dpi)
    ref_px = np.asarray(Image.open(ref).convert("RGBA"))
    assert np.array_equal(np.asarray(png), ref_px)
    # the curves of all 4 rounds are drawn: the accuracy line holds 4 finite points
    acc = dash.plot.lines["test_accuracy"].get_ydata()
    assert np.isfinite(np.asarray(acc, dtype=float)).sum() == 4
    assert len(np.unique(ref_px.reshape(-1, 4), axis=0)) > 20  # a plot, not a blank page
