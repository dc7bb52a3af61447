"""Matplotlib figure of notebook 05 (federated transfer learning), drawn once, updated in place.

:class:`FedTransferPlot` has three panels:

(a) per-client test accuracy: global model vs personalized models (grouped bars), each
    with its 95% Wilson interval (a client with 5 test examples is measured to +-0.3);
(b) mean client accuracy vs round: FedAvg from a pretrained start vs from scratch;
(c) candidate source tasks in the order the selector ranks them, bar = true transfer gain
    (red bars: negative transfer, 负迁移), text = the ranks by probe / LogME / true gain.

(a) and (b) share the top row, (c) has the bottom row to itself (its source names need the
width): the figure is 9.2 in wide, the notebook column's width.

Only matplotlib here; :mod:`fedlearn_edu.widgets.fedtransfer` wires it to sliders.
"""

from __future__ import annotations

import numpy as np

from ..i18n import tr
from .base import new_figure

GLOBAL_COLOR, PERSONAL_COLOR = "0.6", "tab:green"
PRE_COLOR, SCRATCH_COLOR = "tab:blue", "tab:orange"
GAIN_POS, GAIN_NEG = "tab:green", "tab:red"


def source_name(name: str) -> str:
    """A source task's name as shown (figure, table, status line), in the current language:
    the shipped candidates of :func:`~fedlearn_edu.transfer.scenarios.source_candidates` and
    the slider's ``slider source r=...``; the row keys in ``result["rows"]`` stay English."""
    if name.startswith("slider source r="):
        return tr("slider source r={r}", r=name.removeprefix("slider source r="))
    return {"same task": tr("same task"), "30% label noise": tr("30% label noise"),
            "mirrored digits": tr("mirrored digits"), "70% label noise": tr("70% label noise"),
            "random labels": tr("random labels"),
            "relabelled c->c+1": tr("relabelled c->c+1")}.get(name, name)


class FedTransferPlot:
    """Three panels updated with ``set_height`` / ``set_data`` / ``set_width``.

    Args:
        num_clients: number of bar pairs in panel (a) (changed later by :meth:`update_clients`).
        rounds: x range of panel (b).
        num_sources: number of rows in panel (c).
    """

    def __init__(self, num_clients: int = 10, rounds: int = 15, num_sources: int = 7):
        self.fig, axes = new_figure(2, 2, figsize=(9.2, 6.0), layout="constrained",
                                    gridspec_kw={"width_ratios": [1.3, 1.0],
                                                 "height_ratios": [1.0, 0.9]})
        self.ax_a, self.ax_b = axes[0]
        for ax in axes[1]:
            ax.remove()
        self.ax_c = self.fig.add_subplot(axes[1, 0].get_gridspec()[1, :])
        # (a) client bars
        self.ax_a.set_title(tr("(a) accuracy on each client's own test split"), fontsize=10)
        self.ax_a.set_xlabel(tr("client"))
        self.ax_a.set_ylabel(tr("test accuracy"))
        self.ax_a.set_ylim(0, 1.22)
        self.ax_a.set_yticks(np.linspace(0, 1, 6))
        self.bars_global = self.bars_personal = None
        # 95% Wilson intervals of every bar (segments set by update_clients)
        self.ci_global = self.ax_a.vlines([], [], [], color="0.25", lw=1.0)
        self.ci_personal = self.ax_a.vlines([], [], [], color="black", lw=1.0)
        self.mean_lines = {
            "global": self.ax_a.axhline(np.nan, color=GLOBAL_COLOR, ls="--", lw=1),
            "personal": self.ax_a.axhline(np.nan, color=PERSONAL_COLOR, ls="--", lw=1),
        }
        self._set_clients(num_clients)
        # (b) curves
        self.ax_b.set_title(tr("(b) FedAvg on the target clients"), fontsize=10)
        self.ax_b.set_xlabel(tr("round"))
        self.ax_b.set_ylabel(tr("mean client accuracy"))
        self.ax_b.set_ylim(0, 1.02)
        (self.line_pre,) = self.ax_b.plot([], [], "o-", ms=3, color=PRE_COLOR,
                                          label=tr("pretrained start"))
        (self.line_scratch,) = self.ax_b.plot([], [], "o-", ms=3, color=SCRATCH_COLOR,
                                              label=tr("scratch start"))
        self.target_line = self.ax_b.axhline(np.nan, color="0.3", ls=":", lw=1,
                                             label=tr("target"))
        self.ax_b.legend(loc="lower right", fontsize=8)
        self.set_rounds(rounds)
        # (c) ranking
        self.ax_c.set_title(tr("(c) candidate sources in the probe's order; bar = true gain; "
                               "ranks by probe (P), LogME (L), true gain (T)"), fontsize=9)
        self.ax_c.set_xlabel(tr("target test accuracy gain from fine-tuning (vs scratch)"))
        self.ax_c.axvline(0, color="0.3", lw=0.8)
        self.bars_gain = self.ax_c.barh(np.arange(num_sources), np.zeros(num_sources),
                                        color=GAIN_POS)
        self.ax_c.set_yticks(np.arange(num_sources), [""] * num_sources, fontsize=8)
        self.ax_c.invert_yaxis()  # rank 1 at the top
        self.rank_texts = [self.ax_c.text(0, i, "", va="center", fontsize=7)
                           for i in range(num_sources)]

    # ------------------------------------------------------------------- panel (a)
    def _set_clients(self, k: int) -> None:
        for bars in (self.bars_global, self.bars_personal):
            if bars is not None:
                bars.remove()
        x = np.arange(k)
        self.bars_global = self.ax_a.bar(x - 0.2, np.zeros(k), 0.4, color=GLOBAL_COLOR,
                                         label=tr("global model"))
        self.bars_personal = self.ax_a.bar(x + 0.2, np.zeros(k), 0.4, color=PERSONAL_COLOR,
                                           label=tr("personalized"))
        self.ax_a.set_xticks(x, [str(i) for i in x], fontsize=7)
        self.ax_a.set_xlim(-0.6, k - 0.4)
        self.ax_a.legend(loc="upper center", ncols=2, fontsize=8)

    @property
    def num_clients(self) -> int:
        return len(self.bars_global)

    def update_clients(self, global_acc, personal_acc, method: str | None = None,
                       intervals=None) -> None:
        """Bar heights = per-client accuracies ``(K,)``; dashed lines = their means.

        ``method``: the legend entry of the personalized bars (``None``: "personalized").

        ``intervals``: ``((low, high) of global_acc, (low, high) of personal_acc)``, each
        ``(K,)``, drawn as vertical segments on the bars (``None``: none drawn).
        """
        global_acc, personal_acc = np.asarray(global_acc), np.asarray(personal_acc)
        if len(global_acc) != self.num_clients:
            self._set_clients(len(global_acc))
        x = np.arange(len(global_acc))
        for coll, dx, ci in ((self.ci_global, -0.2, None if intervals is None else intervals[0]),
                             (self.ci_personal, 0.2,
                              None if intervals is None else intervals[1])):
            coll.set_segments([] if ci is None else
                              [[(xi + dx, lo), (xi + dx, hi)]
                               for xi, lo, hi in zip(x, ci[0], ci[1], strict=True)])
        for bar, h in zip(self.bars_global, global_acc, strict=True):
            bar.set_height(h)
        for bar, h in zip(self.bars_personal, personal_acc, strict=True):
            bar.set_height(h)
        self.bars_personal.set_label(tr("personalized") if method is None else method)
        self.mean_lines["global"].set_ydata([global_acc.mean()] * 2)
        self.mean_lines["personal"].set_ydata([personal_acc.mean()] * 2)
        self.ax_a.legend(loc="upper center", ncols=2, fontsize=8)

    def client_intervals(self) -> tuple[np.ndarray, np.ndarray]:
        """Current interval segments ``(global (K, 2), personal (K, 2))`` as (low, high)."""
        return tuple(np.array([[seg[0, 1], seg[1, 1]] for seg in c.get_segments()]).reshape(-1, 2)
                     for c in (self.ci_global, self.ci_personal))

    def client_heights(self) -> tuple[np.ndarray, np.ndarray]:
        """Current bar heights ``(global (K,), personal (K,))`` (for tests)."""
        return (np.array([b.get_height() for b in self.bars_global]),
                np.array([b.get_height() for b in self.bars_personal]))

    # ------------------------------------------------------------------- panel (b)
    def set_rounds(self, rounds: int) -> None:
        self.ax_b.set_xlim(0.5, rounds + 0.5)

    def update_curves(self, pretrained, scratch, target: float | None = None) -> None:
        """Curves ``(R,)`` of mean client accuracy per round (NaN = not run)."""
        pretrained, scratch = np.asarray(pretrained), np.asarray(scratch)
        x = np.arange(1, len(pretrained) + 1)
        self.line_pre.set_data(x, pretrained)
        self.line_scratch.set_data(x, scratch)
        self.target_line.set_ydata([np.nan if target is None else target] * 2)
        self.set_rounds(len(pretrained))

    # ------------------------------------------------------------------- panel (c)
    def update_ranking(self, rows: list[dict]) -> None:
        """``rows`` from :func:`fedlearn_edu.transfer.selection.rank_sources` (best probe first)."""
        if len(rows) != len(self.bars_gain):
            raise ValueError(f"expected {len(self.bars_gain)} sources, got {len(rows)}")
        gains = np.array([r["gain"] for r in rows])
        span = max(0.05, float(np.abs(gains).max()))
        self.ax_c.set_xlim(-1.2 * span, 1.8 * span)
        for i, (bar, row, txt) in enumerate(zip(self.bars_gain, rows, self.rank_texts,
                                                strict=True)):
            bar.set_width(row["gain"])
            bar.set_color(GAIN_POS if row["gain"] >= 0 else GAIN_NEG)
            txt.set_position((max(row["gain"], 0) + 0.03 * span, i))
            txt.set_text(f"P{row['rank_probe']:g} L{row['rank_logme']:g} T{row['rank_gain']:g}")
        self.ax_c.set_yticks(np.arange(len(rows)), [source_name(r["name"]) for r in rows],
                             fontsize=8)

    def gain_widths(self) -> np.ndarray:
        return np.array([b.get_width() for b in self.bars_gain])
