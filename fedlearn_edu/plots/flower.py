"""Notebook 07's figures: a Flower federation as a diagram, and a real run's curve drawn live
on top of ``simulate``'s. Texts go through :func:`~fedlearn_edu.i18n.tr` (Chinese edition)."""

from __future__ import annotations

import matplotlib.pyplot as plt
import numpy as np

from ..core.history import History, RoundRecord
from ..i18n import tr
from .base import new_figure


def federation_diagram(num_clients: int = 3):
    """Who runs what in one Flower federation: the server machine (SuperLink + our ServerApp)
    and ``num_clients`` SuperNodes, each running our ClientApp; arrows for the two messages
    of a round. Returns the figure."""
    if not isinstance(num_clients, int) or not 1 <= num_clients <= 4:
        raise ValueError(f"num_clients must be an integer in [1, 4] (one box each), "
                         f"got {num_clients!r}")
    fig, ax = new_figure(figsize=(9.0, 3.4))
    ax.set_xlim(0, 10), ax.set_ylim(0, 4.2), ax.axis("off")

    def box(x, y, w, h, text, color):
        ax.add_patch(plt.Rectangle((x, y), w, h, fc=color, ec="0.3", lw=1.2))
        ax.text(x + w / 2, y + h / 2, text, ha="center", va="center", fontsize=9)

    box(0.2, 0.5, 3.2, 3.3, "", "0.95")
    ax.text(1.8, 3.55, tr("server machine"), ha="center", fontsize=9, style="italic")
    box(0.5, 2.1, 2.6, 1.1, tr("ServerApp\n(our sampling, aggregation,\nevaluation)"), "#cfe2f3")
    box(0.5, 0.8, 2.6, 1.0, tr("SuperLink\n(nodes, message queues)"), "#d9ead3")
    height = 3.3 / num_clients
    for i in range(num_clients):
        y = 3.8 - (i + 1) * height + 0.08
        box(6.3, y, 3.4, height - 0.16,
            tr("SuperNode {i}  →  ClientApp {i}\n(partition {i}, our local SGD)", i=i),
            "#fff2cc")
        ax.annotate("", xy=(6.25, y + 0.62 * (height - 0.16)), xytext=(3.45, 1.45),
                    arrowprops=dict(arrowstyle="->", color="tab:blue"))
        ax.annotate("", xy=(3.45, 1.15), xytext=(6.25, y + 0.3 * (height - 0.16)),
                    arrowprops=dict(arrowstyle="->", color="tab:red"))
    ax.text(4.85, 3.0, tr("train message: global $w_t$"), color="tab:blue", ha="center",
            fontsize=9)
    ax.text(4.85, 0.25, tr("reply: local $w_t^i$, $n_i$"), color="tab:red", ha="center",
            fontsize=9)
    ax.set_title(tr("One Flower federation: infrastructure (green, yellow) runs our apps "
                    "(blue)"))
    fig.tight_layout()
    return fig


class ParityCurve:
    """``reference``'s test accuracy per round (wide grey line) and a live line that
    :meth:`update` (a ``run_flower`` callback) extends round by round.

    Attributes:
        fig: the figure; ``line``: the live line (x = rounds done, y = their accuracy).
    """

    def __init__(self, reference: History, label: str | None = None):
        if not isinstance(reference, History):
            raise TypeError(f"reference must be a History (what simulate returns), got "
                            f"{type(reference).__name__}")
        self.rounds = np.arange(1, reference.config.rounds + 1)
        self.fig, ax = new_figure(figsize=(6.5, 3.0))
        ax.plot(self.rounds[:reference.completed], reference.test_accuracy, "o-", color="0.6",
                lw=4, label=tr("simulate (our engine)"))
        (self.line,) = ax.plot([], [], "s--", color="tab:blue",
                               label=label or tr("Flower deployment (live)"))
        low = float(np.nanmin(reference.test_accuracy)) if reference.completed else 0.0
        ax.set(xlabel=tr("round"), ylabel=tr("test accuracy"),
               xlim=(0.8, self.rounds[-1] + 0.2), ylim=(max(0.0, low - 0.1), 1.0))
        ax.legend(loc="lower right")
        self.fig.tight_layout()

    def update(self, record: RoundRecord, history: History) -> None:
        """Draw the rounds ``history`` has completed (signature of a ``run_flower`` callback;
        returns None, so the run goes on)."""
        n = history.completed
        self.line.set_data(self.rounds[:n], history.test_accuracy[:n])
        self.fig.canvas.draw_idle()
