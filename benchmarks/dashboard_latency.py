"""What the student feels: notebook 01's dashboard in real JupyterLab, in headless Chromium.

Run: ``make bench`` or ``.venv/bin/python benchmarks/dashboard_latency.py [--steps 10]``.

A temporary copy of ``notebooks/01_federated_averaging.ipynb`` (plus one last cell that
timestamps the dashboard's work in the kernel, see ``dashboard_kernel.install_probe``) is
served by JupyterLab on a free 127.0.0.1 port; Debian's Chromium (driven by Playwright, never
a downloaded browser) opens it, runs all cells, focuses the "clients" slider and presses
ArrowRight once per step (a single discrete step, then a pause: not a burst). Printed, as the
median over the steps, from the key press (``keydown``, ``performance.now()``) to

(a) the first updated line: the browser paints the first frame showing a round of the new run
    (target <= 150 ms);
(b) the last round drawn: the browser paints the final frame (target <= 500 ms);

and the status line saying "round 30". Frames are followed in the page by wrapping
``URL.createObjectURL`` (ipympl turns every PNG frame into a blob URL) and ``drawImage`` (it
draws the decoded image), and the next ``requestAnimationFrame`` after the draw counts as the
paint. Browser and kernel timestamps are both put on the wall clock (same machine), which
gives the split: key -> kernel, debounce/start, baseline, engine, frame rendering (kernel),
transfer, decode+paint.

Before/after: export an older tree and serve it with its own notebook, e.g.
``git archive <commit> fedlearn_edu notebooks | tar -x -C /tmp/before`` then
``... dashboard_latency.py --pythonpath /tmp/before --notebook
/tmp/before/notebooks/01_federated_averaging.ipynb``. ``FEDLEARN_BENCH_DEBUG=1`` also prints
every step's figures.

JupyterLab, its kernel and Chromium are always stopped (by the PIDs started here). Missing
Chromium/Playwright/JupyterLab: the script says so and exits 0; a failed measurement prints
why (and the end of JupyterLab's log) and exits 1.
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import shutil
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HERE = Path(__file__).resolve().parent
NOTEBOOK = ROOT / "notebooks" / "01_federated_averaging.ipynb"
CHROMIUM = os.environ.get("FEDLEARN_CHROMIUM", "/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking",
                 "--disable-component-update", "--disable-sync", "--no-first-run"]
TARGET_FIRST_MS, TARGET_LAST_MS = 150.0, 500.0
START_CLIENTS = 10  # the notebook's FedConfig()

HOOKS_JS = """(() => {
  const T = () => performance.timeOrigin + performance.now();
  const log = window.__fl = {keys: [], blobs: [], paints: [], status: []};
  const ids = new Map();
  const create = URL.createObjectURL;
  URL.createObjectURL = function (obj) {
    const url = create.call(URL, obj);
    if (obj instanceof Blob && obj.type === 'image/png') {
      ids.set(url, log.blobs.length);
      log.blobs.push([T(), obj.size]);
    }
    return url;
  };
  const draw = CanvasRenderingContext2D.prototype.drawImage;
  CanvasRenderingContext2D.prototype.drawImage = function (img, ...rest) {
    const out = draw.call(this, img, ...rest);
    if (img instanceof HTMLImageElement && ids.has(img.src)) {
      const i = ids.get(img.src), t = T();
      requestAnimationFrame(() => log.paints.push([i, t, T()]));
    }
    return out;
  };
  document.addEventListener('keydown', e => log.keys.push([T(), e.key]), true);
})();"""

WATCH_STATUS_JS = """() => {
  const T = () => performance.timeOrigin + performance.now();
  const s = document.querySelector('.fedlearn-status');
  new MutationObserver(() => window.__fl.status.push([T(), s.innerText]))
    .observe(s, {subtree: true, childList: true, characterData: true});
}"""

PROBE_CELL = """# instrumentation added to a temporary copy by benchmarks/dashboard_latency.py
import json as _json, os as _os, sys as _sys, time as _time
_sys.path.insert(0, {here!r})
from dashboard_kernel import install_probe as _install_probe
_events, _epoch0 = _install_probe(dash), _time.time() - _time.perf_counter()
def _bench_dump(*args):
    with open({out!r} + ".tmp", "w") as f:
        _json.dump({{"epoch0": _epoch0, "events": list(_events)}}, f)
    _os.replace({out!r} + ".tmp", {out!r})
dash.status.observe(_bench_dump, names="value")
dash.fig.canvas.on_msg(_bench_dump)
with open({ready!r}, "w") as f:
    _json.dump({{"pid": _os.getpid(), "dtype": str(dash.history.dtype)}}, f)"""


def missing() -> str | None:
    if not (os.path.isfile(CHROMIUM) and os.access(CHROMIUM, os.X_OK)):
        return f"Chromium not found at {CHROMIUM}"
    if not Path(sys.executable).with_name("jupyter-lab").exists():
        return "JupyterLab is not installed in this environment (pip install -e '.[app]')"
    try:
        import playwright.sync_api  # noqa: F401
    except ImportError:
        return "the playwright Python package is not installed (pip install -e '.[app]')"
    return None


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def children(pid: int) -> list[int]:
    """PIDs whose parent is ``pid`` (the kernels JupyterLab started)."""
    out = []
    for d in Path("/proc").iterdir():
        if d.name.isdigit():
            try:
                stat = (d / "stat").read_text()
            except OSError:
                continue
            if int(stat.rsplit(")", 1)[1].split()[1]) == pid:
                out.append(int(d.name))
    return out


def prepare(tmp: Path, notebook: Path) -> tuple[Path, Path]:
    """The notebook copy (with the probe cell) and the paths the kernel writes to."""
    import nbformat

    nb = nbformat.read(notebook, as_version=4)
    out, ready = tmp / "kernel_events.json", tmp / "kernel_ready.json"
    nb.cells.append(nbformat.v4.new_code_cell(PROBE_CELL.format(
        here=str(HERE), out=str(out), ready=str(ready))))
    nbformat.write(nb, tmp / NOTEBOOK.name)
    settings = tmp / "settings" / "@jupyterlab" / "apputils-extension"
    settings.mkdir(parents=True)
    (settings / "notification.jupyterlab-settings").write_text(
        json.dumps({"fetchNews": "false", "checkForUpdates": False}))
    return out, ready


def start_lab(tmp: Path, port: int, token: str, pythonpath: str | None, log):
    env = {k: v for k, v in os.environ.items() if k != "MPLBACKEND"}
    if pythonpath:
        env["PYTHONPATH"] = pythonpath + os.pathsep + env.get("PYTHONPATH", "")
    cmd = [str(Path(sys.executable).with_name("jupyter-lab")), "--no-browser",
           "--ip=127.0.0.1", f"--port={port}", "--allow-root", f"--ServerApp.token={token}",
           f"--ServerApp.root_dir={tmp}", "--LabApp.expose_app_in_browser=True",
           f"--LabApp.user_settings_dir={tmp / 'settings'}",
           f"--LabApp.workspaces_dir={tmp / 'workspaces'}"]
    proc = subprocess.Popen(cmd, stdout=log, stderr=subprocess.STDOUT, cwd=tmp, env=env,
                            start_new_session=True)
    deadline = time.monotonic() + 90
    while True:
        if proc.poll() is not None:
            raise RuntimeError("JupyterLab exited early (see its log above)")
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
            return proc
        except OSError:
            if time.monotonic() > deadline:
                raise RuntimeError("JupyterLab did not listen within 90 s") from None
            time.sleep(0.3)


def stop(proc, kernel_pids: set[int]) -> None:
    """SIGTERM JupyterLab (it shuts its kernels down), then SIGKILL what is left of ours."""
    kernel_pids |= set(children(proc.pid)) if proc.poll() is None else set()
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(20)
        except subprocess.TimeoutExpired:
            pass
    try:
        os.killpg(proc.pid, signal.SIGKILL)
    except (ProcessLookupError, PermissionError):
        pass
    for pid in kernel_pids:
        try:
            os.kill(pid, signal.SIGKILL)
        except (ProcessLookupError, PermissionError):
            pass
    proc.wait(10)


def analyse(t_key: float, browser: dict, kernel: dict, want: int) -> dict:
    """Milliseconds after the key press (wall clock) for one step, with the split."""
    e0 = kernel["epoch0"]
    ev = [(n, 1000 * (e0 + t), v) for n, t, v in kernel["events"] if 1000 * (e0 + t) >= t_key - 5]
    change = next(t for n, t, v in ev if n == "change" and v.get("num_clients") == want)
    ev = [x for x in ev if x[1] >= change]
    frames = [(t, v[0]) for n, t, v in ev if n == "frame_end"]
    frame_starts = [t for n, t, _ in ev if n == "frame"]
    blobs = [(i, t) for i, (t, _) in enumerate(browser["blobs"]) if t >= t_key]
    paints = {i: t for i, _, t in browser["paints"]}
    # the n-th frame the kernel sent after the change is the n-th blob the page made
    pairs = list(zip(frames, frame_starts, blobs))
    first = next((p for p in pairs if p[0][1] >= 1), None)
    ms = lambda t: t - t_key  # noqa: E731
    rounds = [t for n, t, _ in ev if n == "round"]

    def painted(i):
        later = [paints[j] for j in paints if j >= i]
        return min(later) if later else float("nan")

    status = next((t for t, s in browser["status"] if t >= t_key
                   and s.startswith(f"{want} clients") and "round 30" in s), float("nan"))
    last = pairs[-1] if pairs else None
    get = lambda name: next((t for n, t, _ in ev if n == name), float("nan"))  # noqa: E731
    return {
        "first": ms(painted(first[2][0])) if first else float("nan"),
        "last": ms(painted(last[2][0])) if last else float("nan"),
        "status": ms(status),
        "to_kernel": ms(change),
        "start": get("compute") - change,
        "baseline": get("baseline_end") - get("baseline"),
        "round1": (rounds[0] - get("compute")) if rounds else float("nan"),
        "frame1": (first[0][0] - first[1]) if first else float("nan"),
        "sent1": ms(first[0][0]) if first else float("nan"),
        "transfer1": (first[2][1] - first[0][0]) if first else float("nan"),
        "paint1": (painted(first[2][0]) - first[2][1]) if first else float("nan"),
        "engine": get("simulate_end") - get("simulate"),
        "frames": len(frames),
        "frame_ms": sum(b - a for a, (b, _) in zip(frame_starts, frames)),
        "sent_last": ms(frames[-1][0]) if frames else float("nan"),
        "paint_last": (painted(last[2][0]) - last[2][1]) if last else float("nan"),
        "matched": len(frames) == len(blobs),
        "asked": [v for n, _, v in ev if n == "browser" and v not in ("ack",)],
        "asked_t": [(v, round(ms(t))) for n, t, v in ev if n == "browser"],
        "counts": f"{len(frames)} kernel / {len(blobs)} page frames, blob sizes "
                  f"{[browser['blobs'][i][1] for i, _ in blobs]}",
    }


def run(steps: int, pythonpath: str | None, keep: bool, notebook: Path = NOTEBOOK) -> int:
    from playwright.sync_api import sync_playwright

    tmp = Path(tempfile.mkdtemp(prefix="fedlearn-latency-"))
    out, ready = prepare(tmp, notebook)
    port, token = free_port(), secrets.token_hex(16)
    log = open(tmp / "jupyterlab.log", "w")
    proc, kernel_pids, rows, dtype = None, set(), [], "?"
    try:
        proc = start_lab(tmp, port, token, pythonpath, log)
        with sync_playwright() as p:
            browser = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS,
                                        headless=True)
            try:
                page = browser.new_page(viewport={"width": 1280, "height": 1000})
                page.add_init_script(HOOKS_JS)
                page.goto(f"http://127.0.0.1:{port}/lab/tree/{NOTEBOOK.name}?token={token}",
                          timeout=120_000, wait_until="domcontentloaded")
                page.wait_for_function(
                    "() => { const w = window.jupyterapp && window.jupyterapp.shell.currentWidget;"
                    " const k = w && w.sessionContext && w.sessionContext.session &&"
                    " w.sessionContext.session.kernel; return k && k.status === 'idle'; }",
                    timeout=120_000)
                page.evaluate("() => window.jupyterapp.commands.execute('notebook:run-all-cells')")
                deadline = time.monotonic() + 300
                while not ready.exists():
                    if time.monotonic() > deadline:
                        raise RuntimeError("the notebook did not finish within 300 s")
                    if proc.poll() is None:
                        kernel_pids |= set(children(proc.pid))
                    time.sleep(0.5)
                info = json.loads(ready.read_text())
                kernel_pids.add(int(info["pid"]))
                dtype = info["dtype"]
                dash = page.locator(".fedlearn-dashboard").first  # notebook 01's FedAvg dashboard
                dash.scroll_into_view_if_needed()
                page.wait_for_function("() => document.querySelector('.fedlearn-status')"
                                       ".innerText.includes('round 30')", timeout=120_000)
                page.evaluate(WATCH_STATUS_JS)
                handle = dash.locator(".fedlearn-control-num_clients .noUi-handle")
                # let the page settle: the dashboard re-sends the figure size 0.5, 2 and 5 s
                # after the view appears (an ipympl start-up race), each costing a full frame
                page.wait_for_timeout(6000)
                for k in range(steps):
                    want = START_CLIENTS + k + 1
                    n_keys = page.evaluate("() => window.__fl.keys.length")
                    handle.focus()
                    page.keyboard.press("ArrowRight")
                    page.wait_for_function(
                        "w => { const t = document.querySelector('.fedlearn-status').innerText;"
                        " return t.startsWith(w + ' clients') && t.includes('round 30'); }",
                        arg=want, timeout=120_000)
                    page.wait_for_timeout(700)  # trailing paints; then a pause between steps
                    b = page.evaluate("() => window.__fl")
                    t_key = b["keys"][n_keys][0]
                    rows.append(analyse(t_key, b, json.loads(out.read_text()), want))
            finally:
                browser.close()
    except Exception as e:
        log.flush()
        tail = (tmp / "jupyterlab.log").read_text()[-3000:]
        print(f"FAILED to measure: {type(e).__name__}: {e}\n--- end of JupyterLab's log ---\n"
              f"{tail}")
        return 1
    finally:
        if proc is not None:
            stop(proc, kernel_pids)
        log.close()
        if keep:
            print(f"(kept {tmp})")
        else:
            shutil.rmtree(tmp, ignore_errors=True)
    report(rows, dtype)
    if os.environ.get("FEDLEARN_BENCH_DEBUG"):
        for r in rows:
            print({k: (round(v, 1) if isinstance(v, float) else v) for k, v in r.items()})
    return 0


def report(rows: list[dict], dtype: str) -> None:
    med = lambda key: statistics.median(r[key] for r in rows)  # noqa: E731
    load = " ".join(f"{x:.1f}" for x in os.getloadavg())
    print(f"notebook 01 in JupyterLab + headless Chromium, one ArrowRight on 'clients' per step, "
          f"median of {len(rows)} steps ({dtype}; load average {load} on {os.cpu_count()} cores)")
    for key, label, target in (("first", "(a) key -> first updated line painted", TARGET_FIRST_MS),
                               ("last", "(b) key -> last round painted       ", TARGET_LAST_MS)):
        ok = "met" if med(key) <= target else "NOT met"
        print(f"  {label} {med(key):7.1f} ms   (target <= {target:.0f} ms: {ok}); "
              f"min {min(r[key] for r in rows):.1f}, max {max(r[key] for r in rows):.1f}")
    print(f"      key -> status line says 'round 30' {med('status'):7.1f} ms")
    print(f"  split of (a): key -> kernel {med('to_kernel'):.1f} | debounce/start "
          f"{med('start'):.1f} | baseline {med('baseline'):.1f} | engine to round 1 "
          f"{med('round1'):.1f} (incl. baseline) | that frame in the kernel {med('frame1'):.1f}"
          f" (sent at {med('sent1'):.1f}) | transfer {med('transfer1'):.1f} | decode+paint "
          f"{med('paint1'):.1f}")
    print(f"  split of (b): engine {med('engine'):.1f} ms for 30 rounds | {med('frames'):.0f} "
          f"frames, {med('frame_ms'):.1f} ms of kernel rendering | last frame sent at "
          f"{med('sent_last'):.1f} | its decode+paint {med('paint_last'):.1f}")
    asked = [a for r in rows for a in r["asked"]]
    if asked:
        print(f"  note: during the steps the page also asked for {', '.join(sorted(set(asked)))}"
              f" ({len(asked)} messages: ipympl re-sizing/refreshing its view)")
    if not all(r["matched"] for r in rows):
        print("  note: some steps had more page frames than dashboard frames (e.g. a resize "
              "redraw); frames were matched in order: "
              + "; ".join(r["counts"] for r in rows if not r["matched"]))
    if os.getloadavg()[0] > 1.5:
        print("  note: the machine is busy (load average above): the figures are noisy, "
              "re-run when it is quieter")


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--steps", type=int, default=10)
    ap.add_argument("--pythonpath", help="put this first on the kernel's PYTHONPATH "
                    "(e.g. an exported older fedlearn_edu, to measure before/after)")
    ap.add_argument("--notebook", type=Path, default=NOTEBOOK,
                    help="the notebook 01 to serve (e.g. the one matching --pythonpath)")
    ap.add_argument("--keep", action="store_true", help="keep the temporary directory")
    args = ap.parse_args()
    reason = missing()
    if reason:
        print(f"skipped: {reason}")
        return 0
    return run(args.steps, args.pythonpath, args.keep, args.notebook)


if __name__ == "__main__":
    sys.exit(main())
