"""How a dashboard's figure is placed and kept alive in the browser (ipympl details)."""

from __future__ import annotations

import threading

import ipywidgets as W

from ..plots.base import is_widget_canvas


class CanvasMixin:
    """The figure's widget and ipympl start-up workarounds; needs ``self.fig``."""

    def figure_widget(self) -> W.Widget:
        """The ipympl canvas itself, or an Output showing the figure for other backends."""
        if is_widget_canvas(self.fig):
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

    def _ipython_display_(self) -> None:
        from IPython.display import display

        display(self.widget)
