"""How a dashboard's figure is placed, kept alive and shown without a browser (ipympl details).

Two things live here besides the figure's widget:

- the static fallback: a dashboard's display carries an ``image/png`` snapshot of its figure
  (after the default run) beside the widget view, so a notebook executed without a browser
  (nbconvert, the book's myst-nb build, GitHub's viewer) still shows the figure;
- :func:`fix_ipympl_frames`, a fix for ipympl 0.10: until a browser has attached to a canvas,
  its ``send_binary`` sends the raw RGBA buffer instead of the PNG it was given (and stores a
  bare base64 ``_data_url``). The browser then loads a "PNG" that is not one, its image is
  "broken", and the next resize message fails with ``Failed to execute 'drawImage' on
  'CanvasRenderingContext2D': The HTMLImageElement provided is in the 'broken' state`` in
  the console (once per figure drawn before its view connected).
"""

from __future__ import annotations

import base64
import inspect
import io
import sys
import threading

import ipywidgets as W
import numpy as np

from ..plots.base import is_widget_canvas

SNAPSHOT_TIMEOUT_S = 120.0  # how long a display waits for the default run to finish


def _send_binary_fixed(self, data) -> None:
    """ipympl's ``Canvas.send_binary`` with the frame sent as given (a PNG) and a full
    ``data:`` URL kept for embedding while no browser is attached."""
    if self.syncing_data_url:
        buff = self._last_buff  # the whole current frame (``data`` may be a diff)
        rgba = buff.view(dtype=np.uint8).reshape((*buff.shape, 4))
        from PIL import Image

        with io.BytesIO() as png:
            Image.fromarray(rgba).save(png, format="png")
            self._data_url = "data:image/png;base64," + base64.b64encode(
                png.getvalue()).decode("ascii")
    self.send({"data": '{"type": "binary"}'}, buffers=[data])


def fix_ipympl_frames(canvas_class=None) -> bool:
    """Replace ipympl's ``Canvas.send_binary`` by :func:`_send_binary_fixed` when it has the
    0.10 bug (it overwrites the PNG it sends with the raw buffer); returns whether it is
    (now) fixed. Without ``canvas_class`` it fixes ``ipympl.backend_nbagg.Canvas`` if ipympl
    is already loaded (``%matplotlib widget`` ran) and does nothing otherwise."""
    if canvas_class is None:
        module = sys.modules.get("ipympl.backend_nbagg")
        canvas_class = getattr(module, "Canvas", None)
        if canvas_class is None:
            return False
    current = canvas_class.__dict__.get("send_binary")
    if current is None:  # inherited: look at (and fix) the class that defines it
        owner = next((k for k in canvas_class.__mro__ if "send_binary" in k.__dict__), None)
        if owner is None:
            return False
        canvas_class, current = owner, owner.__dict__["send_binary"]
    if current is _send_binary_fixed:
        return True
    try:
        source = inspect.getsource(current)
    except (OSError, TypeError):  # no source to check: leave it as it is
        return False
    if "data = self._last_buff" not in source:
        return False  # not the buggy version (a later ipympl fixed it its own way)
    canvas_class.send_binary = _send_binary_fixed
    return True


fix_ipympl_frames()  # the notebooks run %matplotlib widget before importing the dashboards


class CanvasMixin:
    """The figure's widget, ipympl start-up workarounds and the static snapshot; needs
    ``self.fig``, ``self.widget`` and ``self.wait`` (a :class:`~.base.Dashboard`)."""

    def figure_widget(self) -> W.Widget:
        """The ipympl canvas itself, or an Output showing the figure for other backends."""
        if is_widget_canvas(self.fig):
            fix_ipympl_frames(type(self.fig.canvas))
            return self.fig.canvas
        out = W.Output()
        from IPython import get_ipython

        if get_ipython() is not None:  # e.g. the inline backend: show a static copy
            with out:
                from IPython.display import display

                display(self.fig)
        return out

    def _on_canvas_msg(self, canvas, content, buffers) -> None:
        """Work around an ipympl start-up race (seen under Voilà on a busy machine): on
        ``initialized`` the kernel answers with a ``_size`` state update and a ``resize``
        message; a front-end handling the message first sizes the view to 0 x 0 and never
        draws. Sending the size again a little later fixes the view."""
        if content.get("type") == "initialized":
            for delay in (0.5, 2.0, 5.0):
                t = threading.Timer(delay, self._resend_size)
                t.daemon = True
                t.start()

    def _resend_size(self) -> None:
        try:
            _, _, w, h = self.fig.bbox.bounds
            self.fig.canvas.manager.resize(w, h)
        except Exception:  # the figure may be closed by now: nothing to fix
            pass

    def snapshot_png(self, timeout: float | None = SNAPSHOT_TIMEOUT_S) -> bytes | None:
        """The figure as PNG bytes once the current run has finished (``None`` if it did not
        within ``timeout`` seconds). Rendered by the figure's own Agg canvas, so nothing is
        sent to a browser and no resize happens (``savefig`` would resize an ipympl view)."""
        if not self.wait(timeout):
            return None
        canvas = self.fig.canvas
        buf = io.BytesIO()
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        if isinstance(canvas, FigureCanvasAgg):
            FigureCanvasAgg.print_png(canvas, buf)
        else:  # another backend: let matplotlib pick the renderer
            self.fig.savefig(buf, format="png", dpi=self.fig.dpi)
        return buf.getvalue()

    def _repr_mimebundle_(self, include=None, exclude=None):
        """The widget view, plus a PNG of the default run for viewers without a kernel
        (nbconvert, myst-nb, GitHub); a live front-end shows the widget and ignores the PNG."""
        bundle = dict(self.widget._repr_mimebundle_() or {})
        png = self.snapshot_png()
        bundle["text/plain"] = f"{type(self).__name__}: {self.message or 'not run yet'}"
        if png is None:
            return bundle
        bundle["image/png"] = base64.b64encode(png).decode("ascii")
        ratio = float(getattr(self.fig.canvas, "device_pixel_ratio", 1.0) or 1.0)
        w, h = (float(v) / ratio for v in self.fig.bbox.size)
        if not is_widget_canvas(self.fig):
            # the static figure is shown here once; pyplot must not show it again at the end
            # of a later cell (the inline backend shows every open figure then)
            import matplotlib.pyplot as plt

            plt.close(self.fig)
        return bundle, {"image/png": {"width": round(w), "height": round(h)}}
