"""Matplotlib figure of notebook 02 (non-IID data): drawn once, then updated in place.

:class:`NonIIDPlot` has four panels in a 2 x 2 grid (9.2 in wide: it fits the notebook column):

1. the label histogram of every client (stacked bars: one colour per class),
2. test accuracy per round of the skewed run and of the IID reference run,
3. client drift: the mean cosine between the clients' updates per round (1 = they all move
   the same way; close to 0 on label-skewed data, see :mod:`fedlearn_edu.core.drift`),
4. the test accuracy of the clients' own local models per round (on skewed data each local
   model specialises in its few labels and scores far below the global one).

Only matplotlib lives here; :mod:`fedlearn_edu.widgets.noniid` drives it.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from ..i18n import tr
from .base import new_figure

RUN_STYLE = {"iid": dict(color="0.35", ls="--"), "skewed": dict(color="tab:red", ls="-")}


def run_labels() -> dict[str, str]:
    """The legend entry of each run, in the current language (read when a figure is made)."""
    return {"iid": tr("IID reference"), "skewed": tr("skewed (non-IID)")}


class NonIIDPlot:
    """Label histogram, global accuracy, update cosine and local-model accuracy, each artist
    created once.

    Attributes:
        fig, ax_hist, ax_acc, ax_cos, ax_local: the figure and its four axes.
        bars: list (one per class) of ``BarContainer`` with one bar per client.
        acc_lines, cos_lines, local_lines: ``{"iid", "skewed"}`` -> ``Line2D``.
    """

    def __init__(self, rounds: int = 15, num_clients: int = 20, n_classes: int = 10,
                 *, figsize=(9.2, 5.6)):
        self.fig, axes = new_figure(2, 2, figsize=figsize, layout="constrained")
        (self.ax_hist, self.ax_acc), (self.ax_cos, self.ax_local) = axes
        self.n_classes = n_classes
        self.colors = [f"C{c % 10}" for c in range(n_classes)]
        self.bars: list = []
        x, nan = np.arange(1, rounds + 1), np.full(rounds, np.nan)
        labels = run_labels()
        style = {k: dict(s, label=labels[k]) for k, s in RUN_STYLE.items()}
        self.acc_lines = {k: self.ax_acc.plot(x, nan, marker="o", ms=3, **s)[0]
                          for k, s in style.items()}
        self.cos_lines = {k: self.ax_cos.plot(x, nan, marker="o", ms=3, **s)[0]
                          for k, s in style.items()}
        self.local_lines = {k: self.ax_local.plot(x, nan, marker="o", ms=3, **s)[0]
                            for k, s in style.items()}
        self.ax_cos.axhline(0.0, color="0.6", lw=0.8)
        self.ax_hist.set(xlabel=tr("client"), ylabel=tr("examples"),
                         title=tr("Labels per client"))
        self.ax_hist.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.ax_acc.set(xlabel=tr("round"), ylabel=tr("test accuracy"),
                        title=tr("Accuracy: IID vs skewed"))
        self.ax_cos.set(xlabel=tr("round"), ylabel=tr("cosine of client updates"),
                        title=tr("Client drift: do the updates agree?"))
        self.ax_local.set(xlabel=tr("round"), ylabel=tr("test accuracy of local models"),
                          title=tr("Clients' own models on all labels"))
        for ax in (self.ax_acc, self.ax_cos, self.ax_local):
            ax.grid(alpha=0.3)
        for ax in (self.ax_acc, self.ax_local):
            ax.legend(loc="lower right", fontsize=8)
        self.ax_cos.legend(loc="upper right", fontsize=8)
        self.set_histogram(np.zeros((num_clients, n_classes)))
        self.set_rounds(rounds)

    @property
    def rounds(self) -> int:
        return len(self.acc_lines["skewed"].get_xdata())

    def set_rounds(self, rounds: int) -> None:
        """x axis ``1..rounds``; clears all curves."""
        x = np.arange(1, rounds + 1)
        for lines in (self.acc_lines, self.cos_lines, self.local_lines):
            for line in lines.values():
                line.set_data(x, np.full(rounds, np.nan))
        for ax in (self.ax_acc, self.ax_cos, self.ax_local):
            ax.set_xlim(0.5, rounds + 0.5)
        self.ax_acc.set_ylim(0.0, 1.02)
        self.ax_cos.set_ylim(-0.2, 1.02)
        self.ax_local.set_ylim(0.0, 1.02)

    def set_histogram(self, counts: np.ndarray) -> None:
        """Show ``counts: (num_clients, n_classes)`` as stacked bars.

        Bars are updated in place (``set_height``/``set_y``) while the number of clients
        stays the same; they are rebuilt only when it changes.
        """
        counts = np.asarray(counts, dtype=float)
        K = counts.shape[0]
        bottoms = np.vstack([np.zeros(K), np.cumsum(counts, axis=1)[:, :-1].T])  # (k, K)
        if not self.bars or len(self.bars[0]) != K:
            for bc in self.bars:
                bc.remove()
            x = np.arange(K)
            self.bars = [self.ax_hist.bar(x, counts[:, c], bottom=bottoms[c], width=0.85,
                                          color=self.colors[c], linewidth=0)
                         for c in range(self.n_classes)]
            self.ax_hist.set_xlim(-0.6, K - 0.4)
        else:
            for c, bc in enumerate(self.bars):
                for j, rect in enumerate(bc.patches):
                    rect.set_y(bottoms[c, j])
                    rect.set_height(counts[j, c])
        self.ax_hist.set_ylim(0, max(1.0, 1.05 * float(counts.sum(axis=1).max())))

    def histogram_heights(self) -> np.ndarray:
        """The bar heights currently drawn, ``(num_clients, n_classes)`` (tests use this)."""
        return np.array([[r.get_height() for r in bc.patches] for bc in self.bars]).T

    def update(self, key: str, accuracy: np.ndarray, update_cosine: np.ndarray,
               local_accuracy: np.ndarray) -> None:
        """Copy one run's ``(rounds,)`` curves (NaN = not run yet) into its lines."""
        if len(accuracy) != self.rounds:
            self.set_rounds(len(accuracy))
        for lines, y in ((self.acc_lines, accuracy), (self.cos_lines, update_cosine),
                         (self.local_lines, local_accuracy)):
            lines[key].set_ydata(np.array(y, dtype=float, copy=True))
