"""Pushing frames of a live figure: throttled, and blitted when only the data lines moved.

:class:`Redrawer` is what every live plot calls after updating its artists in place. A
full matplotlib render of a two-panel figure (ticks, labels, legends) costs 60-150 ms on a
busy 2-core machine; redrawing just the data lines over a cached background costs ~1 ms.
The blitted frame is the same picture as a full render, pixel for pixel
(``tests/test_plots.py`` checks it): the background holds everything drawn *before* the
moving artists, and an artist drawn after them (legend, spines, a reference line of the
same zorder added later) is left out of the background and drawn again each frame only
when its box touches theirs, so every pixel gets the same artists in the same order.
"""

from __future__ import annotations

import threading
import time

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure
from matplotlib.lines import Line2D
from matplotlib.patches import Patch
from matplotlib.spines import Spine

PAD = 1.5  # pixels around every footprint: antialiasing reaches ~1 px beyond a shape


def is_widget_canvas(fig: Figure) -> bool:
    """True when ``fig`` is drawn by ipympl (its canvas is an ipywidget)."""
    return hasattr(fig.canvas, "syncing_data_url") or hasattr(fig.canvas, "_model_id")


def _overlap(a: np.ndarray, b: np.ndarray) -> bool:
    """Whether any box of ``a`` intersects any box of ``b`` (both ``(k, 4)``)."""
    if not len(a) or not len(b):
        return False
    return bool(np.any((a[:, None, 0] <= b[None, :, 2]) & (b[None, :, 0] <= a[:, None, 2])
                       & (a[:, None, 1] <= b[None, :, 3]) & (b[None, :, 1] <= a[:, None, 3])))


class Redrawer:
    """Throttled redraw of a figure that also works while the kernel is busy.

    ``fig.canvas.draw_idle()`` only *asks* the browser to request a new frame; if the kernel
    is busy training, that request waits until training ends. Here a frame is rendered and
    (for ipympl) pushed at once, so the curve grows round by round.

    Throttling: intermediate frames come at most every ``min_interval`` seconds and never take
    more than ~1/4 of the time (the interval grows to 3x the measured cost of a frame); the
    first frame after :meth:`restart` is drawn at once (a run's first round shows without
    delay). With an ipympl canvas that no browser has displayed yet (nbval, nbconvert)
    intermediate frames are skipped: nobody could see them. ``force=True`` always draws (use
    it for the final frame).

    Blitting: ``artists`` are the ones that move (the data lines). Frames redraw only them
    over a cached background; a full render happens when the background is stale: the
    axes limits, the figure size or the set of artists changed, or :meth:`invalidate` was
    called (do that after changing anything else, e.g. a reference line or a title).
    Without ``artists`` every frame is a full render.

    Attributes: ``frames`` (frames drawn), ``blits`` (of which blitted), ``last_mode``
    (``"blit"`` or ``"full"``), ``last_cost`` (seconds the last frame took).
    """

    def __init__(self, fig: Figure, min_interval: float = 0.05, artists=()):
        self.fig, self.min_interval = fig, float(min_interval)
        self.artists = list(artists)
        self._last, self._cost = -np.inf, 0.0
        self._bg = None  # (key, background, late artists, their boxes) of the background
        self._sticky: set[int] = set()  # artists drawn late before stay late (no re-render)
        self._lock = threading.RLock()  # the kernel's main thread may draw too (browser asks)
        self.frames = self.blits = 0
        self.last_mode, self.last_cost = "", 0.0

    def invalidate(self) -> None:
        """Something besides ``artists`` changed: the next frame renders everything."""
        self._bg, self._sticky = None, set()

    def restart(self) -> None:
        """A new run starts: its first frame is drawn at once, whatever the throttle says."""
        self._last = -np.inf

    def __call__(self, force: bool = False) -> bool:
        with self._lock:
            canvas = self.fig.canvas
            widget = is_widget_canvas(self.fig)
            if not force:
                if widget and getattr(canvas, "syncing_data_url", False):
                    return False  # no front-end attached: an intermediate frame is wasted work
                if time.monotonic() - self._last < max(self.min_interval, 3 * self._cost):
                    return False
            start = time.monotonic()
            if self.artists and isinstance(canvas, FigureCanvasAgg):
                self.last_mode = self._blit_frame(canvas)
                canvas.blit(self.fig.bbox)  # ipympl: sends the (diff) frame at once
                if not widget:
                    canvas.flush_events()
            elif widget:
                canvas.draw()  # renders and sends the frame immediately
                self.last_mode = "full"
            else:
                canvas.draw_idle()
                canvas.flush_events()
                self.last_mode = "full"
            self.fig.stale = False  # up to date: a later change makes it stale again
            self._last = time.monotonic()
            self._cost = self.last_cost = self._last - start
            self.frames += 1
            self.blits += self.last_mode == "blit"
            return True

    # ---- blitting ------------------------------------------------------------------------
    def _order(self) -> list:
        """Every artist in the order a full render draws it (figure, then axes, by zorder)."""
        out = []
        for a in sorted(self.fig.get_children(), key=lambda a: a.get_zorder()):
            if a is self.fig.patch:
                continue
            if a in self.fig.axes:
                kids = [k for k in a.get_children() if k is not a.patch]
                out.append(a.patch)
                out.extend(sorted(kids, key=lambda k: k.get_zorder()))
            else:
                out.append(a)
        return out

    def _key(self, canvas, order) -> tuple:
        limits = tuple((ax.get_xlim(), ax.get_ylim()) for ax in self.fig.axes)
        return (id(canvas.get_renderer()), tuple(self.fig.bbox.bounds), limits,
                tuple(map(id, order)))

    def _boxes(self, artists, renderer) -> dict:
        """Where each artist may paint: ``(k, 4)`` arrays of padded ``x0, y0, x1, y1`` boxes
        in pixels, clipped to the artist's clip box. A line gets one box per segment and
        per point (a curve's bounding box would cover the whole axes, legend included)."""
        out = {}
        for a in artists:
            out[id(a)] = np.zeros((0, 4))
            if not a.get_visible():
                continue
            if isinstance(a, Line2D):
                xy = a.get_transform().transform(np.asarray(a.get_xydata(), dtype=float))
                ok = np.all(np.isfinite(xy), axis=1)
                seg = ok[:-1] & ok[1:]
                lo = np.concatenate([xy[ok], np.minimum(xy[:-1], xy[1:])[seg]])
                hi = np.concatenate([xy[ok], np.maximum(xy[:-1], xy[1:])[seg]])
                pad = (a.get_markersize() / 2 + a.get_linewidth()) * self.fig.dpi / 72
                boxes = np.hstack([lo - pad, hi + pad])
            else:
                try:  # a spine paints its line only (its window extent includes the ticks)
                    box = (Patch.get_window_extent(a, renderer).padded(
                        a.get_linewidth() * self.fig.dpi / 144)
                           if isinstance(a, Spine) else a.get_window_extent(renderer))
                    boxes = np.array([box.extents], dtype=float)
                except Exception:  # no extent: assume it may paint anywhere
                    boxes = np.array([self.fig.bbox.extents])
            clip = a.get_clip_box() if a.get_clip_on() else None
            if clip is not None:
                c = clip.extents
                boxes = np.hstack([np.maximum(boxes[:, :2], c[:2]),
                                   np.minimum(boxes[:, 2:], c[2:])])
            boxes = boxes[np.all(np.isfinite(boxes), axis=1)
                          & np.all(boxes[:, 2:] >= boxes[:, :2], axis=1)]
            out[id(a)] = boxes + np.array([-PAD, -PAD, PAD, PAD])
        return out

    def _late(self, order, moving: dict, static: dict, keep=frozenset()) -> list:
        """The artists to draw over the background: the moving ones (and ``keep``), and every
        artist after the first of them that may paint where one drawn late before it paints."""
        dyn = {id(a) for a in self.artists}
        first = next((i for i, a in enumerate(order) if id(a) in dyn), len(order))
        late, region = [], np.zeros((0, 4))
        for a in order[first:]:
            boxes = moving.get(id(a)) if id(a) in dyn else static.get(id(a))
            if boxes is None:
                boxes = np.zeros((0, 4))
            if id(a) in dyn or id(a) in keep or _overlap(boxes, region):
                late.append(a)
                region = np.vstack([region, boxes])
        return late

    def _blit_frame(self, canvas) -> str:
        order = self._order()
        if self._bg is not None and self._bg[0] == self._key(canvas, order):
            moving = self._boxes(self.artists, canvas.get_renderer())
            late = self._late(order, moving, self._bg[3])
            if {id(a) for a in late} <= {id(a) for a in self._bg[2]}:
                canvas.restore_region(self._bg[1])
                self._draw_late(order)
                return "blit"
        self._render_background(canvas, order)  # stale, or a line now reaches an artist
        self._draw_late(order)  # that is in the background
        return "full"

    def _draw_late(self, order) -> None:
        late = {id(a) for a in self._bg[2]}
        for a in order:  # in drawing order
            if id(a) in late:
                self.fig.draw_artist(a)

    def _render_background(self, canvas, order) -> None:
        """Full render without the artists drawn after the first moving one, add those that
        touch nothing drawn late, keep that as the background (the late ones are not in it)."""
        dyn = {id(a) for a in self.artists}
        first = next((i for i, a in enumerate(order) if id(a) in dyn), len(order))
        tail = order[first:]
        flags = [(a, a.get_animated()) for a in tail]
        for a, _ in flags:
            a.set_animated(True)  # a full render skips animated artists (no stale callback)
        try:
            FigureCanvasAgg.draw(canvas)
        finally:
            for a, was in flags:
                a.set_animated(was)
        renderer = canvas.get_renderer()
        static = self._boxes([a for a in tail if id(a) not in dyn], renderer)
        # an artist a curve reached once stays late: as the curve grows back next run, the
        # background need not be rendered again
        late = self._late(order, self._boxes(self.artists, renderer), static, self._sticky)
        late_ids = self._sticky = {id(a) for a in late}
        for a in tail:  # in drawing order; none of them touches an earlier late artist
            if id(a) not in late_ids:
                self.fig.draw_artist(a)
        self._bg = (self._key(canvas, order), canvas.copy_from_bbox(self.fig.bbox), late,
                    static)
