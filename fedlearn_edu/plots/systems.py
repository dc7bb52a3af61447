"""Matplotlib figures for systems realism (notebook 04): drawn once, updated in place.

* :class:`TimePlot`: test accuracy against *simulated seconds* for several runs.
* :class:`GanttPlot`: one round per client: download / compute / upload bars, idle waiting,
  and who was late, crashed or offline.
* :class:`BytesPlot`: test accuracy against cumulative bytes uploaded.
* :class:`SystemsFigure`: the three side by side (the dashboard's figure).
"""

from __future__ import annotations

import numpy as np
from matplotlib.collections import PolyCollection
from matplotlib.lines import Line2D
from matplotlib.patches import Patch

from ..core.history import History
from ..i18n import tr
from ..systems.timeline import DROPPED, LATE, OFFLINE, PARTIAL, Timeline
from .base import new_figure

PHASE_COLORS = {"download": "tab:blue", "compute": "tab:orange", "partial": "gold",
                "upload": "tab:green", "idle": "0.85"}


def _boxes(x0, width, y, h: float = 0.7) -> list:
    """Rectangles ``[x0, x0 + width] x [y - h/2, y + h/2]`` as polygon vertex lists."""
    return [[(a, b - h / 2), (a + w, b - h / 2), (a + w, b + h / 2), (a, b + h / 2)]
            for a, w, b in zip(np.ravel(x0), np.ravel(width), np.ravel(y), strict=True)
            if w > 0]


class TimePlot:
    """Accuracy vs simulated time; one line per named run (``series``)."""

    def __init__(self, ax, series=("sync", "chosen"), styles=None):
        self.ax = ax
        styles = styles or {}
        # texts are read when the figure is made (tr: the language chosen before)
        self.lines = {name: ax.plot([], [], styles.get(name, "-o"), ms=3, label=tr(name))[0]
                      for name in series}
        ax.set(xlabel=tr("simulated time (s)"), ylabel=tr("test accuracy"),
               title=tr("Accuracy vs simulated time"))
        ax.grid(alpha=0.3)
        ax.legend(loc="lower right", fontsize=8)

    def update(self, name: str, hist: History, label: str | None = None) -> None:
        n = hist.completed
        line = self.lines[name]
        line.set_data(hist.wall_clock[:n], hist.test_accuracy[:n])
        if label is not None:
            line.set_label(label)
            self.ax.legend(loc="lower right", fontsize=8)
        self.ax.relim()
        self.ax.autoscale_view()


class GanttPlot:
    """Per-client timeline of one record (round): phases as horizontal bars.

    Attributes:
        collections: ``{"download", "compute", "partial", "upload", "idle"}`` -> the
            :class:`PolyCollection` of bars (tests read their paths).
        marks: ``{"failed", "offline"}`` -> ``Line2D`` markers at the moment a job ended.
        deadline_line: vertical line at the deadline (hidden when there is none).

    Args:
        ax: the axes to draw on.
        legend: put the legend of every phase and mark under the axes (``False``: draw none,
            e.g. to show one figure legend for several charts from :meth:`legend_entries`).
    """

    def __init__(self, ax, legend: bool = True):
        self.ax = ax
        self.collections = {}
        for name, color in PHASE_COLORS.items():
            pc = PolyCollection([], facecolors=color, edgecolors="none", label=tr(name),
                                zorder=1 if name == "idle" else 2)
            self.collections[name] = ax.add_collection(pc)
        self.marks = {
            "failed": ax.plot([], [], "x", color="tab:red", ms=8, mew=2,
                              label=tr("late / crashed"))[0],
            "offline": ax.plot([], [], "o", color="0.5", ms=5, label=tr("offline"))[0],
        }
        self.deadline_line = ax.axvline(0, color="tab:red", ls="--", lw=1, label=tr("deadline"))
        self.deadline_line.set_visible(False)
        ax.set(xlabel=tr("simulated time in the round (s)"), ylabel=tr("client"),
               title=tr("Who waits for whom (one round)"))
        if legend:
            ax.legend(*self.legend_entries(), loc="upper center", bbox_to_anchor=(0.5, -0.22),
                      fontsize=7, ncols=4, frameon=False)

    def legend_entries(self) -> tuple[list, list[str]]:
        """``(handles, labels)`` of every phase and mark, drawn even when absent from the
        current round (e.g. for one legend under several Gantt charts: ``fig.legend``)."""
        handles = [Patch(color=c, label=tr(name)) for name, c in PHASE_COLORS.items()]
        handles += [Line2D([], [], ls="none", marker=m.get_marker(), color=m.get_color(),
                           ms=m.get_markersize(), mew=m.get_markeredgewidth(),
                           label=m.get_label()) for m in self.marks.values()]
        handles.append(Line2D([], [], color="tab:red", ls="--", lw=1, label=tr("deadline")))
        return handles, [h.get_label() for h in handles]

    def update(self, timeline: Timeline, r: int, *, deadline: float = np.inf,
               show_idle: bool = True) -> dict:
        """Draw record ``r``; times are shown relative to the start of the round."""
        jobs = timeline.record(r)
        if len(timeline.record_end) < r:
            raise ValueError(f"round must be in [1, {len(timeline.record_end)}], got {r}")
        t0 = timeline.record_end[r - 2] if r > 1 else 0.0
        t_end = timeline.record_end[r - 1] - t0
        clients = np.unique(jobs["client"])
        y = np.searchsorted(clients, jobs["client"])
        start = jobs["start"] - t0
        run = jobs["end"] - jobs["start"]  # what actually happened before the job ended
        down = np.minimum(jobs["t_down"], run)
        comp = np.minimum(jobs["t_comp"], run - down)
        up = np.minimum(jobs["t_up"], run - down - comp)
        partial = jobs["status"] == PARTIAL
        idle = np.maximum(t_end - (start + run), 0) if show_idle else np.zeros(len(y))
        parts = {
            "download": _boxes(start, down, y),
            "compute": _boxes((start + down)[~partial], comp[~partial], y[~partial]),
            "partial": _boxes((start + down)[partial], comp[partial], y[partial]),
            "upload": _boxes(start + down + comp, up, y),
            "idle": _boxes(start + run, idle, y),
        }
        for name, verts in parts.items():
            self.collections[name].set_verts(verts)
        failed = np.isin(jobs["status"], [LATE, DROPPED])
        offline = jobs["status"] == OFFLINE
        self.marks["failed"].set_data((start + run)[failed], y[failed])
        self.marks["offline"].set_data(start[offline], y[offline])
        self.deadline_line.set_visible(bool(np.isfinite(deadline)))
        if np.isfinite(deadline):
            self.deadline_line.set_xdata([deadline, deadline])
        self.ax.set_yticks(np.arange(len(clients)), [str(c) for c in clients],
                           fontsize=6 if len(clients) > 20 else 8)
        right = max(t_end, float((start + run).max()) if len(y) else 0.0, 1e-6)
        left = min(0.0, float(start.min())) if len(y) else 0.0  # async jobs start earlier
        self.ax.set_xlim(left, left + 1.05 * (right - left))
        self.ax.set_ylim(-0.7, len(clients) - 0.3)
        self.ax.set_title(tr("Who waits for whom (round {r})", r=r) if show_idle
                          else tr("Jobs that arrived in update batch {r}", r=r))
        self.ax.set_xlabel(tr("simulated time in the round (s)") if show_idle
                           else tr("simulated time since the previous batch (s)"))
        return parts


class BytesPlot:
    """Accuracy vs cumulative uploaded bytes (log x), one line per named run."""

    def __init__(self, ax, series=("no compression", "compressed")):
        self.ax = ax
        self.lines = {name: ax.plot([], [], "-o", ms=3, label=tr(name))[0] for name in series}
        ax.set_xscale("log")
        ax.set(xlabel=tr("bytes uploaded (cumulative)"), ylabel=tr("test accuracy"),
               title=tr("Communication cost"))
        ax.grid(alpha=0.3, which="both")
        ax.legend(loc="lower right", fontsize=8)

    def update(self, name: str, hist: History, label: str | None = None) -> None:
        n = hist.completed
        line = self.lines[name]
        sent = np.cumsum(hist.bytes_up[:n])
        line.set_data(np.where(sent > 0, sent, np.nan), hist.test_accuracy[:n])  # log axis
        if label is not None:
            line.set_label(label)
            self.ax.legend(loc="lower right", fontsize=8)
        if np.any(sent > 0):
            self.ax.relim()
            self.ax.autoscale_view()


class SystemsFigure:
    """The dashboard figure: time plot, Gantt chart and bytes plot side by side."""

    def __init__(self, figsize=(9.2, 3.9)):
        self.fig, (a, b, c) = new_figure(1, 3, figsize=figsize, layout="constrained")
        self.time = TimePlot(a)
        self.gantt = GanttPlot(b)
        self.bytes = BytesPlot(c)
