"""Dashboard latency inside the kernel (no browser): notebook 01's FedAvg dashboard.

Run: ``make bench`` or ``.venv/bin/python benchmarks/dashboard_kernel.py``.

The dashboard runs as in the notebook (background thread, ipympl canvas) except that no
browser is attached: the canvas is told a front-end is there (``syncing_data_url = False``),
so every frame is rendered and PNG-encoded as for a real page, and then dropped. One slider
step = ``dash.controls["num_clients"].value += 1`` from the main thread, which is what the
kernel does when the browser's slider message arrives.

Printed: the median over ``STEPS`` steps of the time from the value change to the first
frame that shows a round of the new run (target <= 30 ms) and to the last frame, with the
split (debounce/start, baseline, engine to round 1, the frame itself; engine total, frames).

:func:`install_probe` is also used by ``dashboard_latency.py`` inside the JupyterLab kernel.
"""

from __future__ import annotations

import statistics
import sys
import threading
import time

STEPS = 10
TARGET_FIRST_MS = 30.0


def install_probe(dash) -> list:
    """Timestamp (``time.perf_counter``) what a :class:`FedAvgDashboard` does, in place.

    Returns the event list; each event is ``(name, t, value)``:
    ``change`` (a control changed; value: the new values), ``compute`` / ``compute_end``,
    ``baseline`` / ``baseline_end``, ``simulate`` / ``simulate_end``, ``round`` (the engine
    finished a round; value: its number), ``frame`` / ``frame_end`` (value: rounds shown,
    and whether a frame was drawn), ``status`` (value: the status text).
    Wraps instance methods and the module functions the dashboard looks up at call time,
    so it measures the dashboard code as it is (no timing code inside the package).
    """
    from fedlearn_edu import runner
    from fedlearn_edu.widgets import intro

    events: list = []
    lock = threading.Lock()

    def ev(name, value=None):
        with lock:
            events.append((name, time.perf_counter(), value))

    refresh, compute, redraw = dash.refresh, dash.compute, dash._redraw

    def refresh_probe(*a, **k):
        ev("change", {n: c.value for n, c in dash.controls.items()})
        return refresh(*a, **k)

    def compute_probe(job, report):
        ev("compute")
        try:
            return compute(job, report)
        finally:
            ev("compute_end")

    class RedrawProbe:  # the dashboard's Redrawer, with its frames timestamped
        def __getattr__(self, name):
            return getattr(redraw, name)

        def __call__(self, force=False):
            t0 = time.perf_counter()
            drawn = redraw(force)
            if drawn:
                with lock:
                    events.append(("frame", t0, None))
                    events.append(("frame_end", time.perf_counter(),
                                   [int(dash.progress.value), getattr(redraw, "last_mode", "")]))
            return drawn

    if not getattr(intro, "_probe_installed", False):
        baseline, simulate = intro.centralised_baseline, runner.simulate

        def baseline_probe(*a, **k):
            ev("baseline")
            try:
                return baseline(*a, **k)
            finally:
                ev("baseline_end")

        def simulate_probe(cfg, callback=None, **k):
            def cb(rec, hist):
                ev("round", int(rec.round))
                return None if callback is None else callback(rec, hist)

            ev("simulate")
            try:
                return simulate(cfg, callback=cb, **k)
            finally:
                ev("simulate_end")

        intro.centralised_baseline, runner.simulate = baseline_probe, simulate_probe
        intro._probe_installed = True
    dash.refresh, dash.compute, dash._redraw = refresh_probe, compute_probe, RedrawProbe()
    dash.status.observe(lambda ch: ev("status", dash.message), names="value")
    if hasattr(dash.fig.canvas, "on_msg"):  # what the browser's ipympl asks for
        dash.fig.canvas.on_msg(lambda canvas, content, buffers: ev("browser", content.get("type")))
    return events


def split(events: list, t_start: float | None = None) -> dict:
    """Durations (ms) of the last run in ``events`` measured from its ``change`` event (or
    from ``t_start``): first/last frame, and what came before them."""
    changes = [t for n, t, _ in events if n == "change"]
    t0 = changes[-1] if t_start is None else t_start
    ev = [(n, t, v) for n, t, v in events if t >= t0]

    def first(name, pred=lambda v: True):
        return next((t for n, t, v in ev if n == name and pred(v)), float("nan"))

    def last(name, pred=lambda v: True):
        return next((t for n, t, v in reversed(ev) if n == name and pred(v)), float("nan"))

    ends = [(t, v) for n, t, v in ev if n == "frame_end"]
    shown = [(t, v) for t, v in ends if v[0] >= 1]
    first_end = shown[0][0] if shown else float("nan")
    first_start = max((t for n, t, _ in ev if n == "frame" and t <= first_end), default=first_end)
    rounds = [t for n, t, _ in ev if n == "round"]
    ms = lambda a, b: 1000.0 * (b - a)  # noqa: E731
    return {
        "first_frame": ms(t0, first_end),
        "last_frame": ms(t0, ends[-1][0] if ends else float("nan")),
        "start": ms(t0, first("compute")),  # debounce, thread start, waiting for the lock
        "baseline": ms(first("baseline"), first("baseline_end")),
        "to_round1": ms(first("compute"), rounds[0] if rounds else float("nan")),
        "first_frame_cost": ms(first_start, first_end),
        "update": ms(rounds[0] if rounds else float("nan"), first_start),
        "frames_before_first": sum(1 for t, _ in ends if t < first_end),
        "engine": ms(first("simulate"), last("simulate_end")),
        "frames": len(ends),
        "frame_ms": sum(ms(a, b) for (n, a, _), (_, b, _) in
                        zip([e for e in ev if e[0] == "frame"],
                            [e for e in ev if e[0] == "frame_end"])),
        "modes": "/".join(sorted({v[1] for _, v in ends if v[1]})) or "-",
        "done": ms(t0, last("status")),
    }


def _median(rows: list[dict], key: str) -> float:
    return statistics.median(r[key] for r in rows)


def main() -> int:
    import matplotlib

    matplotlib.use("module://ipympl.backend_nbagg")
    import numpy as np

    from fedlearn_edu import FedConfig
    from fedlearn_edu.widgets.intro import FedAvgDashboard

    dash = FedAvgDashboard(FedConfig())
    dash.fig.canvas.syncing_data_url = False  # as if a browser showed the figure
    events = install_probe(dash)
    assert dash.wait(120)
    time.sleep(0.6)
    rows = []
    for k in range(STEPS):
        dash.controls["num_clients"].value = 11 + k
        assert dash.wait(120)
        rows.append(split(events))
        events.clear()
        time.sleep(0.6)  # a separate step, not a burst of key presses
    dtype = dash.history.dtype if dash.history is not None else "?"
    load = " ".join(f"{x:.1f}" for x in np.round(__import__("os").getloadavg(), 1))
    print(f"notebook 01 dashboard, kernel side, no browser ({dtype}, ipympl canvas, "
          f"{STEPS} one-step changes of 'clients'; load average {load} on "
          f"{__import__('os').cpu_count()} cores)")
    first = _median(rows, "first_frame")
    ok = "met" if first <= TARGET_FIRST_MS else "NOT met"
    print(f"  first round plotted: median {first:6.1f} ms   (target <= {TARGET_FIRST_MS:.0f} ms: "
          f"{ok}); min {min(r['first_frame'] for r in rows):.1f} ms")
    print(f"    split: start {_median(rows, 'start'):.1f} (debounce, worker thread)"
          f" | compute to round 1 trained {_median(rows, 'to_round1'):.1f} (of which the "
          f"cached baseline {_median(rows, 'baseline'):.1f})"
          f" | plot update {_median(rows, 'update'):.1f}"
          f" | the frame {_median(rows, 'first_frame_cost'):.1f} (blit + PNG);"
          f" frames before it: {_median(rows, 'frames_before_first'):.0f}")
    print(f"  last round drawn:    median {_median(rows, 'last_frame'):6.1f} ms   "
          f"engine {_median(rows, 'engine'):.1f} ms for {dash.history.rounds} rounds, "
          f"{_median(rows, 'frames'):.0f} frames costing {_median(rows, 'frame_ms'):.1f} ms "
          f"({'/'.join(sorted({r['modes'] for r in rows}))}); status line final at "
          f"{_median(rows, 'done'):.1f} ms")
    if load and float(load.split()[0]) > 1.5:
        print("  note: the machine is busy (load average above), figures are noisy")
    return 0


if __name__ == "__main__":
    sys.exit(main())
