"""The base of every live notebook dashboard: ipywidgets controls on :mod:`fedlearn_edu.plots`.

:class:`Dashboard` is the reusable base (subclass it for a new notebook; the concrete
dashboards live one file per topic beside this one). Everything works without a browser:
set ``dash.controls["x"].value``, call ``dash.wait()``, read ``dash.result`` and the lines.
"""

from __future__ import annotations

import html
import itertools
import threading
import time
import weakref
from functools import lru_cache

import ipywidgets as W
from threadpoolctl import ThreadpoolController

from ..i18n import tr
from ..plots.base import Redrawer, is_widget_canvas
from .canvas import CanvasMixin
from .extremes import extreme_values
from .numberbox import TypedNotes


@lru_cache(maxsize=1)
def _threadpools() -> ThreadpoolController:
    return ThreadpoolController()  # finding the BLAS libraries takes ~1 ms: once, not per run


_SERIALS = itertools.count()


class Cancelled(Exception):
    """Raised inside :meth:`Dashboard.compute` (by ``report``) when a newer run replaced it."""


class Dashboard(TypedNotes, CanvasMixin):
    """Base class: named controls + one figure + status line + progress bar + reset button.

    Subclass it by overriding four methods (all others are shared):

    ``make_controls(self) -> dict[str, ValueWidget]``
        The sliders/dropdowns, by name. Their initial values become ``self.defaults``.
        Sliders get ``continuous_update=False`` (recompute on release, not while dragging)
        and a typed-value box instead of their readout (``self.boxes``, see
        :mod:`.numberbox`): what it changed in a typed value is said in the status line.
    ``make_figure(self) -> matplotlib.figure.Figure``
        Create the figure ONCE (e.g. with :func:`fedlearn_edu.plots.new_figure`) and keep
        the artists you will update on ``self``. If ``self.plot.redraw`` is a
        :class:`~fedlearn_edu.plots.Redrawer` of this figure (e.g. a ``ConvergencePlot``'s,
        which blits its curves), the dashboard pushes its frames with it.
    ``prepare(self, values: dict) -> job``
        Cheap, runs in the kernel's main thread on every change: turn the control values into
        a job (e.g. a ``FedConfig``). Raise ``ValueError``/``TypeError`` for a bad or
        inconsistent setting: the message is shown in the status line, never a traceback.
    ``compute(self, job, report) -> result``
        The work (may take seconds). Call ``report(done, total, text="")`` now and then: it
        moves the progress bar and raises :class:`Cancelled` if a newer setting superseded
        this run. Update artists in place (``line.set_ydata``) and call ``self.redraw()`` to
        show intermediate frames. The return value is stored as ``self.result``; return
        ``(result, message)`` to also show a message (e.g. divergence, as a warning).

    Shared API:
        controls, defaults: dict of widgets / their default values.
        values(): current values. set_values(**kw): change several controls, one recompute.
        status (HTML), message (plain text of it), level ("info" | "warning" | "error").
        progress (IntProgress), reset_button (Button), reset(): restore defaults.
        fig, redraw(force=False): throttled frame push (see :class:`plots.Redrawer`): the
            first frame of a run is drawn at once, then at most every ~50 ms, and the last
            one always (``force``); only the dashboard draws (no auto-redraw on changes).
        result: last finished result; runs: number of finished runs.
        refresh(): recompute now. wait(timeout): block until the current run is done.
        widget: the whole dashboard (also shown by ``display(dash)`` / as a cell's last value).

    Args:
        background: run ``compute`` in a worker thread so the kernel stays responsive;
            a new setting cancels the running computation (``False``: run synchronously).
        debounce: seconds to wait (background mode) before starting a change that comes
            within ``debounce`` of the previous one, so a burst of keyboard steps on a
            slider costs one run; a single change (a slider released, one key press)
            starts at once.
        autostart: compute once at construction.

    Class attribute ``blas_threads`` (default 1): BLAS threads while computing (small
    matrices: on a busy 2-core machine several BLAS threads fight, a 0.04 s fit took 4 s).
    """

    blas_threads: int | None = 1
    _live: weakref.WeakSet = weakref.WeakSet()  # every dashboard made in this kernel

    def __init__(self, *, background: bool = True, debounce: float = 0.25,
                 autostart: bool = True):
        self.background, self.debounce = bool(background), float(debounce)
        self._serial = next(_SERIALS)
        self.controls: dict[str, W.ValueWidget] = dict(self.make_controls())
        self.defaults = {k: c.value for k, c in self.controls.items()}
        self.make_number_boxes()
        for name, c in self.controls.items():
            c.add_class(f"fedlearn-control-{name}")
            if "continuous_update" in c.keys:
                c.continuous_update = False
            c.observe(self._on_change, names="value")
        self.status = W.HTML(layout=W.Layout(min_height="1.6em"))
        self.status.add_class("fedlearn-status")  # CSS hooks for the browser test
        self.message, self.level = "", "info"
        self.progress = W.IntProgress(value=0, min=0, max=1, description=tr("progress"),
                                      layout=W.Layout(width="320px"))
        self.reset_button = W.Button(description=tr("Reset to defaults"), icon="undo")
        self.reset_button.on_click(lambda _: self.reset())
        self.fig = self.make_figure()
        # only the dashboard draws: pyplot's auto-redraw would ask the browser for a full
        # frame on every change (and render it in the main thread, beside the worker's)
        self.fig.stale_callback = None
        self._redraw = self.make_redrawer()
        if is_widget_canvas(self.fig):
            self.fig.canvas.on_msg(self._on_canvas_msg)
            # a redraw the browser asks for (resize, reconnect) goes through the same lock
            self.fig.canvas.handle_draw = lambda event: self.redraw(force=True)
        self.result, self.runs, self._suspend = None, 0, False
        self._last_change = -float("inf")  # time.monotonic() of the last refresh
        self._run_lock = threading.Lock()  # one compute at a time
        self._msg_lock = threading.Lock()  # cancel + status line change together
        self._cancel = threading.Event()  # set = the running job must stop
        self._thread: threading.Thread | None = None
        self.widget = self.make_layout()
        self.widget.add_class("fedlearn-dashboard")
        Dashboard._live.add(self)
        if autostart:
            self.refresh()

    # ---- to override -------------------------------------------------------------------
    def make_controls(self) -> dict:
        raise NotImplementedError

    def make_figure(self):
        raise NotImplementedError

    def prepare(self, values: dict):
        return values

    def compute(self, job, report):
        raise NotImplementedError

    def make_layout(self) -> W.Widget:
        """Controls on the left, figure below; override for another arrangement."""
        ctrl = [self.control_view(name) for name in self.controls]
        half = (len(ctrl) + 1) // 2
        box = W.HBox([W.VBox(ctrl[:half]), W.VBox(ctrl[half:])])
        bar = W.HBox([self.progress, self.reset_button])
        return W.VBox([box, bar, self.status, self.figure_widget()],
                      layout=W.Layout(width="100%"))

    # ---- shared machinery --------------------------------------------------------------
    def make_redrawer(self) -> Redrawer:  # the plot's (it may blit), or a plain one
        r = getattr(getattr(self, "plot", None), "redraw", None)
        return r if isinstance(r, Redrawer) and r.fig is self.fig else Redrawer(self.fig)

    def values(self) -> dict:
        return {k: c.value for k, c in self.controls.items()}

    def set_values(self, **values) -> None:
        """Change several controls at once and recompute once."""
        unknown = set(values) - set(self.controls)
        if unknown:
            raise ValueError(f"unknown controls {sorted(unknown)}; known: {sorted(self.controls)}")
        self._suspend, self._note = True, ""
        try:
            for k, v in values.items():
                self.controls[k].value = v
        finally:
            self._suspend = False
        self.refresh()

    def extreme_values(self, which: str) -> dict:
        """Every control at its ``"min"`` or ``"max"`` end (:func:`.extremes.extreme_values`)."""
        return extreme_values(self.controls, which)

    def set_extremes(self, which: str, timeout: float | None = 300.0) -> None:
        """Set every control to :meth:`extreme_values` and wait for the run to finish."""
        self.set_values(**self.extreme_values(which))
        self.wait(timeout)

    @classmethod
    def instances(cls) -> list[Dashboard]:
        """The dashboards alive in this kernel, oldest first."""
        return sorted(cls._live, key=lambda d: d._serial)

    def reset(self) -> None:
        """Put every control back to its default value and recompute."""
        self.set_values(**self.defaults)

    def show_message(self, text: str, level: str = "info") -> None:
        """Show ``text`` in the status line; ``level`` is info, warning or error."""
        text, level = self._with_note(text, level)  # a typed value's note goes first
        color = {"info": "#1b5e20", "warning": "#b26a00", "error": "#b00020"}[level]
        icon = {"info": "", "warning": "⚠ ", "error": "⛔ "}[level]
        self.message, self.level = text, level
        self.status.value = (f'<span style="color:{color}">{icon}{html.escape(text)}</span>'
                             if text else "")

    def redraw(self, force: bool = False) -> bool:
        """Push a frame (throttled unless ``force``); returns whether one was drawn. Also
        fixes ipympl 0.10's snapshot of a frame drawn before a browser connected (a bare base64
        ``_data_url``, which a browser loads as a relative URL: a 403 in Voilà's log)."""
        canvas = self.fig.canvas
        if not hasattr(canvas, "hold_sync"):
            return self._redraw(force)
        with canvas.hold_sync():  # the fixed value goes out in the same message
            drawn = self._redraw(force)
            url = getattr(canvas, "_data_url", None)
            if isinstance(url, str) and url and not url.startswith("data:"):
                canvas._data_url = "data:image/png;base64," + url
        return drawn

    def _on_change(self, change) -> None:
        self._forget_note(change)
        if not self._suspend:
            self.refresh()

    def refresh(self) -> None:
        """Validate the current values and (re)start the computation."""
        with self._msg_lock:
            self._cancel.set()  # stop whatever is running; it may no longer write the status
        try:
            job = self.prepare(self.values())
        except (ValueError, TypeError) as e:
            self.show_message(tr("Setting not allowed: {e}", e=e), "error")
            self.progress.value = 0
            return
        self._cancel = cancel = threading.Event()
        now = time.monotonic()
        delay = self.debounce if now - self._last_change < self.debounce else 0.0
        self._last_change = now
        if self.background:
            self._thread = threading.Thread(target=self._run, args=(job, cancel, delay),
                                            daemon=True)
            self._thread.start()
        else:
            self._run(job, cancel)

    def wait(self, timeout: float | None = 60.0) -> bool:
        """Block until the current computation finished; ``False`` on timeout."""
        t = self._thread
        if t is not None:
            t.join(timeout)
            return not t.is_alive()
        return True

    def _run(self, job, cancel: threading.Event, delay: float = 0.0) -> None:
        if delay > 0 and cancel.wait(delay):
            return  # superseded while waiting (a burst of changes)
        with self._run_lock:
            if cancel.is_set():
                return

            def report(done: int, total: int, text: str = "") -> None:
                if cancel.is_set():
                    raise Cancelled
                self.progress.max = max(int(total), 1)
                self.progress.value = int(done)
                if text:
                    self._say(cancel, text, "info")

            self._say(cancel, tr("computing…"), "info")
            self._redraw.restart()  # the run's first frame goes out at once
            try:
                with _threadpools().limit(limits=self.blas_threads):
                    out = self.compute(job, report)
            except Cancelled:
                return
            except (ValueError, TypeError) as e:
                self._say(cancel, tr("Setting not allowed: {e}", e=e), "error")
                return
            except Exception as e:  # a dashboard must never leave a traceback behind
                self._say(cancel, tr("{kind}: {e}", kind=type(e).__name__, e=e), "error")
                return
            finally:  # the last frame, unless the last one drawn already shows everything
                if self.fig.stale:
                    self.redraw(force=True)
            result, msg = out if isinstance(out, tuple) and len(out) == 2 else (out, None)
            if cancel.is_set():
                return
            self.result, self.runs = result, self.runs + 1
            if msg is None:
                msg = (tr("done"), "info")
            self._say(cancel, *(msg if isinstance(msg, tuple) else (msg, "info")))

    def _say(self, cancel: threading.Event, text: str, level: str) -> None:
        """Show a worker's message unless its run was superseded (then it must stay quiet)."""
        with self._msg_lock:
            if not cancel.is_set():
                self.show_message(text, level)
