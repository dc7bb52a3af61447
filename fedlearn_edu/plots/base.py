"""Matplotlib figures for the notebooks: drawn once, then updated in place.

Only matplotlib lives here (no ipywidgets); :mod:`fedlearn_edu.widgets` puts these
figures into dashboards. The pattern every live plot follows::

    plot = ConvergencePlot(rounds=30)      # creates the figure and empty lines once
    plot.update(history)                   # line.set_ydata(...) for the rounds run so far
    plot.redraw()                          # push the new frame (ipympl) / draw_idle

Curves are indexed by round ``1..rounds`` (x) and take their values from the
``(rounds,)`` arrays of a :class:`~fedlearn_edu.core.history.History`, which are NaN for rounds
not run yet, so a half-finished run simply shows a shorter line.
"""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..core.history import History
from ..i18n import tr
from .redraw import Redrawer, is_widget_canvas

__all__ = ["ConvergencePlot", "Redrawer", "is_widget_canvas", "new_figure", "plot_history"]

ACC_COLOR, LOSS_COLOR, TRAIN_COLOR, BASE_COLOR = "tab:blue", "tab:red", "tab:orange", "0.35"


MAX_FIGURE_WIDTH_IN = 9.2  # 920 px at 100 dpi: JupyterLab's output cell on a 1366-px laptop
# screen with the file browser open is 934 px and an ipympl figure adds 4 px each side
# (measured in Chromium, tests/test_browser_layout.py); 9.4 in was cut off by 10 px, unscrollable


def new_figure(nrows: int = 1, ncols: int = 1, figsize=(8.0, 3.2), **kwargs):
    """``(fig, axes)`` created without being auto-displayed.

    ``figsize`` is (width, height) in inches at 100 dpi; a width over
    :data:`MAX_FIGURE_WIDTH_IN` is refused (put wide panels in two rows instead).

    Under ``%matplotlib widget`` the figure's canvas is an ipympl widget that a dashboard
    places in its layout itself; ``plt.ioff()`` stops Jupyter from also showing it below
    the cell. With other backends (tests use Agg) this is plain ``plt.subplots``.
    """
    if float(figsize[0]) > MAX_FIGURE_WIDTH_IN:
        raise ValueError(f"figsize width must be <= {MAX_FIGURE_WIDTH_IN} in (the notebook "
                         f"column), got {figsize[0]}; wrap the panels into more rows")
    with plt.ioff():
        fig, axes = plt.subplots(nrows, ncols, figsize=figsize, **kwargs)
    canvas = fig.canvas
    for attr in ("header_visible", "footer_visible"):  # ipympl-only traits
        if hasattr(canvas, attr):
            setattr(canvas, attr, False)
    return fig, axes


class ConvergencePlot:
    """Test accuracy (left) and loss (right) per round, with optional reference lines.

    Its texts are in the language chosen when it is made (:func:`fedlearn_edu.i18n.tr`);
    ``label`` is the accuracy curve's legend entry (default: "FedAvg", translated).

    Attributes:
        fig, ax_acc, ax_loss: the figure and its two axes.
        lines: ``{"test_accuracy", "test_loss", "train_loss"}`` -> ``Line2D``.
        baseline_lines: ``{"accuracy", "loss"}`` -> horizontal ``Line2D`` (hidden until set).
        redraw: a :class:`Redrawer` for this figure that blits the three curves (dashboards
            use it; every other change calls ``redraw.invalidate()``).
    """

    def __init__(self, rounds: int = 30, *, figsize=(8.0, 3.2), label: str | None = None):
        label = tr("FedAvg") if label is None else label  # texts: read when the figure is made
        self.fig, (self.ax_acc, self.ax_loss) = new_figure(1, 2, figsize=figsize)
        a, b = self.ax_acc, self.ax_loss
        x = np.arange(1, rounds + 1)
        nan = np.full(rounds, np.nan)
        self.lines = {
            "test_accuracy": a.plot(x, nan, "-o", ms=3, color=ACC_COLOR, label=label)[0],
            "test_loss": b.plot(x, nan, "-o", ms=3, color=LOSS_COLOR, label=tr("test loss"))[0],
            "train_loss": b.plot(x, nan, "--", color=TRAIN_COLOR,
                                 label=tr("train objective"))[0],
        }
        self.baseline_lines = {
            "accuracy": a.axhline(np.nan, ls=":", lw=2, color=BASE_COLOR,
                                  label=tr("centralised (sklearn)")),
            "loss": b.axhline(np.nan, ls=":", lw=2, color=BASE_COLOR,
                              label=tr("centralised test loss")),
        }
        for line in self.baseline_lines.values():
            line.set_visible(False)
        a.set(xlabel=tr("round"), ylabel=tr("test accuracy"), title=tr("Test accuracy"))
        b.set(xlabel=tr("round"), ylabel=tr("cross-entropy"), title=tr("Loss"))
        for ax in (a, b):
            ax.grid(alpha=0.3)
        self.fig.tight_layout()
        self.redraw = Redrawer(self.fig, artists=self.lines.values())
        self.set_rounds(rounds)

    @property
    def rounds(self) -> int:
        return len(self.lines["test_accuracy"].get_xdata())

    def set_rounds(self, rounds: int) -> None:
        """Resize the x axis to ``1..rounds`` and clear the curves."""
        x = np.arange(1, rounds + 1)
        for line in self.lines.values():
            line.set_data(x, np.full(rounds, np.nan))
        for ax in (self.ax_acc, self.ax_loss):
            ax.set_xlim(0.5, rounds + 0.5)
        self.ax_acc.set_ylim(0.8, 1.005)  # zooms out below 0.8 when needed (see update)
        self.ax_loss.set_ylim(0.0, 1.0)

    def set_baseline(self, accuracy: float | None, loss: float | None = None) -> None:
        """Show horizontal reference lines (``None`` hides them); unchanged values cost
        nothing (the legends are built once per change, not once per run)."""
        changed = False
        for key, value in (("accuracy", accuracy), ("loss", loss)):
            line = self.baseline_lines[key]
            ok = value is not None and np.isfinite(value)
            y = [value, value] if ok else [np.nan, np.nan]
            if line.get_visible() != bool(ok) or not np.array_equal(
                    np.asarray(line.get_ydata(), dtype=float), np.asarray(y, dtype=float),
                    equal_nan=True):
                line.set_ydata(y)
                line.set_visible(bool(ok))
                changed = True
        if changed or self.ax_acc.get_legend() is None:
            self.ax_acc.legend(loc="lower right", fontsize=8)
            self.ax_loss.legend(loc="upper right", fontsize=8)
            self.redraw.invalidate()

    def update(self, history: History) -> None:
        """Copy the history's curves into the lines (x stays ``1..rounds``)."""
        if history.rounds != self.rounds:
            self.set_rounds(history.rounds)
        for key, line in self.lines.items():
            line.set_ydata(np.array(getattr(history, key), dtype=float, copy=True))
        # keep the whole run in view: during a run the y-ranges only grow
        acc = _finite(history.test_accuracy, self.baseline_lines["accuracy"].get_ydata())
        if acc.size:
            low = min(self.ax_acc.get_ylim()[0], np.floor(20 * acc.min() - 0.5) / 20)
            self.ax_acc.set_ylim(max(low, -0.05), 1.005)
        loss = _finite(history.test_loss, history.train_loss,
                       self.baseline_lines["loss"].get_ydata())
        if loss.size:  # grows in steps of 0.25: the axes stay put from run to run
            top = np.ceil(1.05 * float(loss.max()) / 0.25) * 0.25
            self.ax_loss.set_ylim(0.0, max(self.ax_loss.get_ylim()[1], top))


def _finite(*arrays) -> np.ndarray:
    """The finite values of all ``arrays``, flattened."""
    a = np.concatenate([np.ravel(np.asarray(x, dtype=float)) for x in arrays])
    return a[np.isfinite(a)]


def plot_history(history: History, ax=None, *, metric: str = "test_accuracy", label=None):
    """Static helper: one metric of a History against rounds on ``ax`` (returns the line)."""
    if ax is None:
        _, ax = new_figure(figsize=(5.0, 3.2))
    x = np.arange(1, history.rounds + 1)
    (line,) = ax.plot(x, getattr(history, metric), "-o", ms=3, label=label)
    ax.set(xlabel=tr("round"), ylabel=tr(metric.replace("_", " ")))  # "test accuracy", ...
    ax.grid(alpha=0.3)
    return line
