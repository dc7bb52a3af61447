"""Matplotlib figure of notebook 02 (non-IID data): drawn once, then updated in place.

:class:`NonIIDPlot` has three panels:

1. the label histogram of every client (stacked bars: one colour per class),
2. test accuracy per round of the skewed run and of the IID reference run,
3. client drift: the test accuracy of the clients' own local models per round (on skewed
   data each local model specialises in its few labels and scores far below the global one).

Only matplotlib lives here; :mod:`fedlearn_edu.widgets.noniid` drives it.
"""

from __future__ import annotations

import numpy as np

from .base import new_figure

RUN_STYLE = {"iid": dict(color="0.35", ls="--", label="IID reference"),
             "skewed": dict(color="tab:red", ls="-", label="skewed (non-IID)")}


class NonIIDPlot:
    """Label histogram + global accuracy + local-model accuracy, each artist created once.

    Attributes:
        fig, ax_hist, ax_acc, ax_local: the figure and its three axes.
        bars: list (one per class) of ``BarContainer`` with one bar per client.
        acc_lines, local_lines: ``{"iid", "skewed"}`` -> ``Line2D``.
    """

    def __init__(self, rounds: int = 15, num_clients: int = 20, n_classes: int = 10,
                 *, figsize=(9.4, 3.2)):
        self.fig, (self.ax_hist, self.ax_acc, self.ax_local) = new_figure(1, 3, figsize=figsize)
        self.n_classes = n_classes
        self.colors = [f"C{c % 10}" for c in range(n_classes)]
        self.bars: list = []
        x, nan = np.arange(1, rounds + 1), np.full(rounds, np.nan)
        self.acc_lines = {k: self.ax_acc.plot(x, nan, marker="o", ms=3, **s)[0]
                          for k, s in RUN_STYLE.items()}
        self.local_lines = {k: self.ax_local.plot(x, nan, marker="o", ms=3, **s)[0]
                            for k, s in RUN_STYLE.items()}
        self.ax_hist.set(xlabel="client", ylabel="examples", title="Labels per client")
        self.ax_acc.set(xlabel="round", ylabel="test accuracy", title="Accuracy: IID vs skewed")
        self.ax_local.set(xlabel="round", ylabel="test accuracy of local models",
                          title="Client drift: clients' own models")
        for ax in (self.ax_acc, self.ax_local):
            ax.grid(alpha=0.3)
            ax.legend(loc="lower right", fontsize=8)
        self.set_histogram(np.zeros((num_clients, n_classes)))
        self.set_rounds(rounds)
        self.fig.tight_layout()

    @property
    def rounds(self) -> int:
        return len(self.acc_lines["skewed"].get_xdata())

    def set_rounds(self, rounds: int) -> None:
        """x axis ``1..rounds``; clears all curves."""
        x = np.arange(1, rounds + 1)
        for line in (*self.acc_lines.values(), *self.local_lines.values()):
            line.set_data(x, np.full(rounds, np.nan))
        for ax in (self.ax_acc, self.ax_local):
            ax.set_xlim(0.5, rounds + 0.5)
        self.ax_acc.set_ylim(0.0, 1.02)
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

    def update(self, key: str, accuracy: np.ndarray, local_accuracy: np.ndarray) -> None:
        """Copy one run's ``(rounds,)`` curves (NaN = not run yet) into its lines."""
        if len(accuracy) != self.rounds:
            self.set_rounds(len(accuracy))
        self.acc_lines[key].set_ydata(np.array(accuracy, dtype=float, copy=True))
        self.local_lines[key].set_ydata(np.array(local_accuracy, dtype=float, copy=True))
