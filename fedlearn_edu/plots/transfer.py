"""Matplotlib figure of notebook 03 (transfer learning): drawn once, then updated in place.

:class:`TransferPlot` has three panels:

1. the landscape of ``alpha * f + beta * g`` on a 2-D slice (two coefficients, all other
   parameters at the joint minimiser), with the closed-form minimiser, the end of gradient
   descent, the source optimum and the target truth,
2. target test error per gradient step for "from scratch", "fine-tune from source" and
   "joint alpha f + beta g" (plus the closed-form joint minimiser's error),
3. target test error after training against the number of target examples.

Only matplotlib lives here; :mod:`fedlearn_edu.widgets.transfer` drives it.
"""

from __future__ import annotations

import numpy as np

from ..i18n import tr
from ..transfer.tasks import METHODS
from .base import new_figure

STYLE = {"scratch": dict(color="0.35", ls="--"),
         "finetune": dict(color="tab:blue", ls="-"),
         "joint": dict(color="tab:red", ls="-")}


def method_labels() -> dict[str, str]:
    """The legend entry of each method, in the current language (read when a figure is made)."""
    return {"scratch": tr("target from scratch"), "finetune": tr("fine-tune from source"),
            "joint": tr("joint α f + β g")}


class TransferPlot:
    """Landscape + per-step curves + error vs target size, artists created once.

    Attributes:
        fig, ax_land, ax_steps, ax_n: the figure and its axes.
        image: the landscape ``AxesImage`` (``log10`` of the objective above its minimum).
        contours: the current ``ContourSet`` (the only artist rebuilt on update).
        markers: ``{"closed_form", "gd", "source", "target"}`` -> ``Line2D`` (one point).
        path: ``Line2D`` of the joint GD iterates projected on the slice.
        step_lines, n_lines: ``{method}`` -> ``Line2D``; ``closed_line``: horizontal line;
        n_marker: vertical line at the current target size.
    """

    def __init__(self, *, figsize=(9.2, 3.4)):
        # constrained layout re-fits the panels on every draw: tick labels that change with
        # the data (log axes) are never clipped, and the figure stays <= 9.2 in wide
        self.fig, (self.ax_land, self.ax_steps, self.ax_n) = new_figure(
            1, 3, figsize=figsize, layout="constrained")
        a = self.ax_land
        self.image = a.imshow(np.zeros((2, 2)), origin="lower", extent=(0, 1, 0, 1),
                              aspect="auto", cmap="viridis", interpolation="bilinear")
        self.contours = None
        self.path = a.plot([], [], "-", color="w", lw=1, alpha=0.8, label=tr("GD path"))[0]
        mk = dict(ls="none", ms=9, mec="k")
        self.markers = {
            "source": a.plot([], [], "^", color="tab:blue", label=tr("source optimum"), **mk)[0],
            "target": a.plot([], [], "X", color="tab:green", label=tr("target truth"), **mk)[0],
            "closed_form": a.plot([], [], "*", color="gold", label=tr("closed-form min"), ms=15,
                                  ls="none", mec="k")[0],
            "gd": a.plot([], [], "o", color="tab:red", label=tr("GD end"), ms=6, ls="none",
                         mec="k")[0],
        }
        a.set(xlabel=tr("coefficient w₀"), ylabel=tr("coefficient w₁"),
              title=tr("α f + β g (2-D slice)"))
        a.legend(loc="upper left", fontsize=7, framealpha=0.7)
        labels = method_labels()
        self.step_lines = {m: self.ax_steps.plot([], [], label=labels[m], **STYLE[m])[0]
                           for m in METHODS}
        self.closed_line = self.ax_steps.axhline(np.nan, color="gold", ls=":", lw=2,
                                                 label=tr("closed-form joint"))
        self.ax_steps.set(xlabel=tr("gradient step"), ylabel=tr("target test MSE"), yscale="log",
                          title=tr("Training on the target"))
        self.n_lines = {m: self.ax_n.plot([], [], marker="o", ms=3, label=labels[m],
                                          **STYLE[m])[0]
                        for m in METHODS}
        self.n_marker = self.ax_n.axvline(np.nan, color="k", lw=0.8, ls=":")
        self.ax_n.set(xlabel=tr("target examples"), ylabel=tr("target test MSE"),
                      xscale="log", yscale="log", title=tr("Error vs target data"))
        for ax in (self.ax_steps, self.ax_n):
            ax.grid(alpha=0.3, which="both")
        self.ax_steps.legend(fontsize=7, loc="upper right")
        self.ax_steps.set(xlim=(0, 1), ylim=(1e-2, 10.0))  # log axes need positive limits
        self.ax_n.set(xlim=(1.0, 300.0), ylim=(1e-2, 10.0))

    def set_landscape(self, x: np.ndarray, y: np.ndarray, J: np.ndarray, points: dict,
                      path: np.ndarray | None = None) -> None:
        """Show ``J: (len(y), len(x))`` on the grid ``x, y``.

        ``points`` maps marker names to ``(2,)`` coordinates; ``path: (t, 2)`` GD iterates.
        """
        Z = np.log10(np.maximum(J - J.min(), 0) + 1e-3)
        ext = (x[0], x[-1], y[0], y[-1])
        self.image.set_data(Z)
        self.image.set_extent(ext)
        self.image.set_clim(Z.min(), Z.max())
        if self.contours is not None:
            self.contours.remove()
        self.contours = self.ax_land.contour(x, y, Z, levels=8, colors="w", linewidths=0.5,
                                             alpha=0.6)
        for name, line in self.markers.items():
            p = points.get(name)
            line.set_data(([p[0]], [p[1]]) if p is not None else ([], []))
        if path is not None:
            self.path.set_data(path[:, 0], path[:, 1])
        self.ax_land.set_xlim(ext[0], ext[1])
        self.ax_land.set_ylim(ext[2], ext[3])

    def set_step_curves(self, curves: dict, closed_form_error: float) -> None:
        """``curves[method]: (steps + 1,)`` target test errors (NaN = not computed yet)."""
        top, bottom = 0.0, np.inf
        for m, line in self.step_lines.items():
            c = np.asarray(curves.get(m, []), dtype=float)
            line.set_data(np.arange(len(c)), c)
            ok = c[np.isfinite(c) & (c > 0)]
            if ok.size:
                top, bottom = max(top, ok.max()), min(bottom, ok.min())
        self.closed_line.set_ydata([closed_form_error] * 2)
        if np.isfinite(closed_form_error) and closed_form_error > 0:
            bottom = min(bottom, closed_form_error)
        n = max(len(np.asarray(c)) for c in curves.values()) if curves else 2
        self.ax_steps.set_xlim(0, max(n - 1, 1))
        if np.isfinite(bottom) and top > 0:
            self.ax_steps.set_ylim(bottom / 1.5, top * 1.5)

    def set_n_curves(self, ns: np.ndarray, errors: dict, current_n: int) -> None:
        """``errors[method]: (len(ns),)`` final target test errors per target size."""
        vals = []
        for m, line in self.n_lines.items():
            e = np.asarray(errors.get(m, np.full(len(ns), np.nan)), dtype=float)
            line.set_data(ns, e)
            vals.append(e[np.isfinite(e) & (e > 0)])
        self.n_marker.set_xdata([current_n] * 2)
        vals = np.concatenate(vals) if vals else np.array([])
        self.ax_n.set_xlim(ns[0] / 1.2, ns[-1] * 1.2)
        if vals.size:
            self.ax_n.set_ylim(vals.min() / 1.5, vals.max() * 1.5)
