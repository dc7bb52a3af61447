"""Figures of notebook 08 (applications on real data): drawn once, lines updated in place.

* :class:`LivePlot`: curves per round that grow while a run trains (``update`` per round);
* :func:`plot_methods`: per-client bars of the three ways to train (alone / pooled /
  federated) from :func:`fedlearn_edu.apps.silos.three_ways`;
* :func:`plot_images`: a row of 25 x 25 crops (faces, reconstructions).

Only matplotlib lives here.
"""

from __future__ import annotations

import numpy as np

from ..apps.silos import METHODS
from .base import new_figure

COLORS = {"alone": "0.6", "pooled": "tab:orange", "federated": "tab:blue"}


class LivePlot:
    """Named curves against the round, on one or more axes; ``update(name, round, y)`` adds
    a point and pushes a frame (``fig.canvas.draw_idle``: live under ``%matplotlib widget``).

    Args:
        rounds: x axis ``1..rounds``; panels: ``{axis title: y label}``;
        curves: ``{name: (panel title, matplotlib style dict)}``.
    """

    def __init__(self, rounds: int, panels: dict, curves: dict, *, figsize=(8.0, 3.0)):
        self.fig, axes = new_figure(1, len(panels), figsize=figsize, squeeze=False)
        self.axes = dict(zip(panels, axes[0]))
        for (title, ylabel), ax in zip(panels.items(), axes[0]):
            ax.set(title=title, xlabel="round", ylabel=ylabel, xlim=(0.5, rounds + 0.5))
            ax.grid(alpha=0.3)
        self.lines, self.data = {}, {}
        for name, (panel, style) in curves.items():
            self.lines[name] = self.axes[panel].plot([], [], label=name, **style)[0]
            self.data[name] = ([], [])
        for ax in self.axes.values():
            ax.legend(fontsize=8)
        self.fig.tight_layout()

    def update(self, name: str, x: float, y: float) -> None:
        xs, ys = self.data[name]
        xs.append(x)
        ys.append(y)
        self.lines[name].set_data(xs, ys)
        ax = self.lines[name].axes
        ax.relim()
        ax.autoscale_view(scalex=False)
        self.fig.canvas.draw_idle()

    def hline(self, panel: str, y: float, label: str, **style) -> None:
        """A horizontal reference line (e.g. the centralised result)."""
        self.axes[panel].axhline(y, ls=":", color=style.pop("color", "0.3"), label=label,
                                 **style)
        self.axes[panel].legend(fontsize=8)
        self.fig.canvas.draw_idle()


def plot_methods(result: dict, names, metric: str = "accuracy", *, ax=None, counts=None,
                 title: str = ""):
    """Grouped bars: ``metric`` of each training method on each client. ``counts``: test
    rows per client (shown under the names). Returns ``(fig, ax)``."""
    fig = None
    if ax is None:
        fig, ax = new_figure(figsize=(8.0, 3.0))
    x = np.arange(len(names))
    width = 0.8 / len(METHODS)
    for j, m in enumerate(METHODS):
        vals = [s[metric] for s in result[m]["scores"]]
        ax.bar(x + (j - 1) * width, vals, width, label=m, color=COLORS[m])
    labels = [f"{n}\n(n={c})" for n, c in zip(names, counts)] if counts is not None else names
    ax.set_xticks(x, labels, fontsize=8)
    ax.set(ylabel=metric, title=title)
    lows = [s[metric] for m in METHODS for s in result[m]["scores"] if np.isfinite(s[metric])]
    ax.set_ylim(max(0.0, min(lows) - 0.1) if lows else 0.0, 1.02)
    ax.legend(fontsize=8, loc="lower right")
    ax.grid(alpha=0.3, axis="y")
    return (fig if fig is not None else ax.figure), ax


def plot_images(images, titles, *, shape=(25, 25), figsize=None):
    """One row of grey images ``(n, h*w)`` with titles. Returns ``(fig, axes)``."""
    images = np.atleast_2d(images)
    n = len(images)
    fig, axes = new_figure(1, n, figsize=figsize or (min(9.4, 1.5 * n + 0.4), 1.9),
                           squeeze=False)
    for ax, img, title in zip(axes[0], images, titles):
        ax.imshow(np.asarray(img).reshape(shape), cmap="gray")
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    fig.tight_layout()
    return fig, axes[0]
