"""Figures of notebook 08 (applications on real data): drawn once, updated in place.

* :func:`plot_images`: a row of 25 x 25 crops (faces, reconstructions);
* :class:`SilosPlot`: per-silo bars of the ways to train (alone / pooled / federated from
  :func:`fedlearn_edu.apps.silos.three_ways`, federated with DP-SGD) and the federated model's
  accuracy per round (the silo dashboard's figure);
* :class:`RecommendPlot`: test RMSE per round of federated MF and centralised ALS, and the
  cold-start users' RMSE (the recommendation dashboard's figure).

Only matplotlib lives here; :mod:`fedlearn_edu.widgets.apps_silos` and
:mod:`fedlearn_edu.widgets.apps_recommend` drive the two figures.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from ..apps.silos import METHODS
from ..i18n import tr
from .base import MAX_FIGURE_WIDTH_IN, new_figure

COLORS = {"alone": "0.6", "pooled": "tab:orange", "federated": "tab:blue"}


def plot_images(images, titles, *, shape=(25, 25), figsize=None):
    """One row of grey images ``(n, h*w)`` with titles. Returns ``(fig, axes)``."""
    images = np.atleast_2d(images)
    n = len(images)
    fig, axes = new_figure(1, n, figsize=figsize or (min(MAX_FIGURE_WIDTH_IN, 1.5 * n + 0.4), 1.9),
                           squeeze=False, layout="constrained")
    for ax, img, title in zip(axes[0], images, titles):
        ax.imshow(np.asarray(img).reshape(shape), cmap="gray")
        ax.set_title(title, fontsize=8)
        ax.set_xticks([])
        ax.set_yticks([])
    return fig, axes[0]


# ------------------------------------------------------------------------ dashboards
DP_SERIES = "federated + DP"
SERIES = (*METHODS, DP_SERIES)
SERIES_COLORS = {**COLORS, DP_SERIES: "tab:purple"}
REF_STYLE = {"alone": dict(ls="--"), "pooled": dict(ls=":"), DP_SERIES: dict(ls="-.")}


class SilosPlot:
    """The silo dashboard's figure: one bar per silo and way of training (alone / pooled /
    federated, and federated with DP when it ran) of the application's metric, and the
    federated model's mean accuracy over the silos per round, with the other ways' means as
    horizontal lines. Every artist is made once (``max_silos`` bars per series); a run
    changes heights, positions, visibility and line data only.

    Attributes:
        fig, ax_bars, ax_curve: the figure and its two axes.
        bars: ``{series: BarContainer}`` (``max_silos`` bars each, the unused ones hidden).
        curve: the federated ``Line2D``; refs: ``{series: horizontal Line2D}``.
    """

    def __init__(self, rounds: int = 20, max_silos: int = 10, *,
                 figsize=(MAX_FIGURE_WIDTH_IN, 3.6)):
        self.fig, (self.ax_bars, self.ax_curve) = new_figure(
            1, 2, figsize=figsize, layout="constrained", gridspec_kw={"width_ratios": (1.5, 1)})
        x, zeros = np.arange(max_silos), np.zeros(max_silos)
        self.bars = {s: self.ax_bars.bar(x, zeros, 0.2, color=SERIES_COLORS[s], label=tr(s))
                     for s in SERIES}
        self.curve = self.ax_curve.plot([], [], "-o", ms=3, color=COLORS["federated"],
                                        label=tr("federated (live)"))[0]
        self.refs = {s: self.ax_curve.axhline(np.nan, color=SERIES_COLORS[s], lw=1.5,
                                              label=tr("{series} (end)", series=tr(s)),
                                              **REF_STYLE[s])
                     for s in REF_STYLE}
        self.ax_curve.set(xlabel=tr("round"), ylabel=tr("mean accuracy over the silos"),
                          title=tr("Federated model, round by round"))
        self.ax_curve.xaxis.set_major_locator(MaxNLocator(integer=True))
        for ax in (self.ax_bars, self.ax_curve):
            ax.grid(alpha=0.3, axis="y")
        self.set_rounds(rounds)
        self.set_bars([], {}, tr("accuracy"), tr("silo"))

    @property
    def rounds(self) -> int:
        return int(round(self.ax_curve.get_xlim()[1] - 0.5))

    def set_rounds(self, rounds: int) -> None:
        """x axis ``1..rounds``; clears the curve and hides the reference lines."""
        self.ax_curve.set_xlim(0.5, rounds + 0.5)
        self.set_curve([])
        self.set_refs({})

    def set_curve(self, ys) -> None:
        """The federated model's mean accuracy after rounds ``1..len(ys)``."""
        ys = np.asarray(ys, dtype=float)
        self.curve.set_data(np.arange(1, len(ys) + 1), ys)
        self._fit_curve_axis()

    def set_refs(self, values: dict) -> None:
        """Horizontal lines ``{series: mean}``; series left out (or NaN) are hidden."""
        for s, line in self.refs.items():
            v = values.get(s)
            ok = v is not None and np.isfinite(v)
            line.set_ydata([v, v] if ok else [np.nan, np.nan])
            line.set_visible(bool(ok))
        shown = [self.curve, *(line for line in self.refs.values() if line.get_visible())]
        self.ax_curve.legend(handles=shown, fontsize=7, loc="lower right")
        self._fit_curve_axis()

    def _fit_curve_axis(self) -> None:
        ys = [np.asarray(self.curve.get_ydata(), dtype=float)]
        ys += [np.asarray(line.get_ydata(), dtype=float) for line in self.refs.values()
               if line.get_visible()]
        flat = np.concatenate(ys) if ys else np.zeros(0)
        flat = flat[np.isfinite(flat)]
        low = np.floor(20 * flat.min() - 0.5) / 20 if flat.size else 0.5
        self.ax_curve.set_ylim(max(min(low, 0.9), 0.0), 1.01)

    def set_bars(self, labels, values: dict, metric: str, xlabel: str, title: str = "") -> None:
        """Bars ``values[series][i]`` of silo ``i`` (one tick label each); series missing
        from ``values`` (or ``None``) are hidden, as are the bars past ``len(labels)``."""
        n = len(labels)
        shown = [s for s in SERIES if values.get(s) is not None]
        width = 0.8 / max(len(shown), 1)
        for s, container in self.bars.items():
            k = shown.index(s) if s in shown else 0
            vals = np.asarray(values[s], dtype=float) if s in shown else np.zeros(0)
            for j, rect in enumerate(container.patches):
                ok = s in shown and j < n
                rect.set_visible(ok)
                h = float(vals[j]) if ok and np.isfinite(vals[j]) else 0.0
                rect.set_height(h)
                rect.set_width(width)
                rect.set_x(j + (k - len(shown) / 2) * width)
        ax = self.ax_bars
        ax.set_xticks(np.arange(n), labels, fontsize=7)
        ax.set_xlim(-0.6, max(n, 1) - 0.4)
        ax.set(xlabel=xlabel, ylabel=metric, title=title)
        finite = np.concatenate([np.asarray(values[s], dtype=float)[:n] for s in shown]
                                ) if shown else np.zeros(0)
        finite = finite[np.isfinite(finite)]
        low = max(0.0, np.floor(10 * finite.min()) / 10 - 0.1) if finite.size else 0.0
        low = low if low > 0.3 else 0.0
        ax.set_ylim(low, 1.0 + 0.12 * (1.0 - low))  # room for the legend above 1
        ticks = MaxNLocator(6, steps=[1, 2, 2.5, 5, 10]).tick_values(low, 1.0)
        ax.set_yticks([t for t in ticks if low - 1e-9 <= t <= 1 + 1e-9])
        if shown:  # in a row above the bars (they end at 1)
            ax.legend(handles=[self.bars[s] for s in shown], fontsize=7, loc="upper center",
                      ncols=len(shown), frameon=False)
        elif ax.get_legend() is not None:
            ax.get_legend().remove()

    def bar_heights(self, series: str) -> np.ndarray:
        """Heights of the visible bars of ``series`` (for tests)."""
        return np.array([r.get_height() for r in self.bars[series].patches if r.get_visible()])


COLD_WAYS = ("mean rating", "movie averages", "global factors")


class RecommendPlot:
    """The recommendation dashboard's figure: test RMSE per round of federated matrix
    factorisation and of centralised ALS (with the "predict the mean rating" line), and the
    cold-start users' RMSE three ways (:data:`COLD_WAYS`), each artist made once.

    Attributes:
        fig, ax_rmse, ax_cold; lines: ``{"federated", "centralised"}`` -> ``Line2D``;
        mean_line: the horizontal line; cold_bars: the three bars; cold_text: their labels.
    """

    def __init__(self, rounds: int = 20, *, figsize=(MAX_FIGURE_WIDTH_IN, 3.4)):
        self.fig, (self.ax_rmse, self.ax_cold) = new_figure(
            1, 2, figsize=figsize, layout="constrained", gridspec_kw={"width_ratios": (1.6, 1)})
        a, b = self.ax_rmse, self.ax_cold
        self.lines = {
            "federated": a.plot([], [], "-o", ms=3, color="tab:blue",
                                label=tr("federated (gradient steps)"))[0],
            "centralised": a.plot([], [], "--", color="tab:orange", label=tr("centralised ALS"))[0],
        }
        self.mean_line = a.axhline(np.nan, ls=":", color="0.3", label=tr("predict the mean rating"))
        a.set(xlabel=tr("round"), ylabel=tr("test RMSE (stars)"),
              title=tr("Test RMSE, round by round"))
        a.legend(fontsize=7, loc="best")
        a.xaxis.set_major_locator(MaxNLocator(integer=True))
        self.cold_bars = b.bar(np.arange(3), np.zeros(3), 0.6,
                               color=["0.6", "tab:orange", "tab:blue"])
        self.cold_text = [b.text(j, 0.0, "", ha="center", va="bottom", fontsize=8)
                          for j in range(3)]
        b.set_xticks(np.arange(3),
                     [tr("mean\nrating"), tr("movie\naverages"), tr("global\nfactors")],
                     fontsize=8)
        b.set(ylabel=tr("RMSE on their other ratings"))
        for ax in (a, b):
            ax.grid(alpha=0.3, axis="y")
        self.set_rounds(rounds)
        self.set_cold({}, 0, 0)

    def set_rounds(self, rounds: int) -> None:
        """x axis ``1..rounds``; clears both curves."""
        self.ax_rmse.set_xlim(0.5, rounds + 0.5)
        for name in self.lines:
            self.set_curve(name, [])

    def set_curve(self, name: str, ys) -> None:
        """Test RMSE after rounds ``1..len(ys)`` of ``name`` ("federated" or "centralised")."""
        ys = np.asarray(ys, dtype=float)
        self.lines[name].set_data(np.arange(1, len(ys) + 1), ys)
        self._fit()

    def set_mean(self, value: float) -> None:
        """The RMSE of predicting the mean rating for every test rating."""
        self.mean_line.set_ydata([value, value])
        self._fit()

    def _fit(self) -> None:
        ys = [np.asarray(line.get_ydata(), dtype=float) for line in self.lines.values()]
        ys.append(np.asarray(self.mean_line.get_ydata(), dtype=float))
        flat = np.concatenate(ys)
        flat = flat[np.isfinite(flat)]
        if flat.size:
            lo, hi = flat.min(), flat.max()
            pad = max(0.02, 0.08 * (hi - lo))
            self.ax_rmse.set_ylim(lo - pad, hi + pad)

    def set_cold(self, values: dict, known: int, users: int) -> None:
        """Bars ``values[way]`` for the ways of :data:`COLD_WAYS` (missing: empty)."""
        top, low = 0.0, np.inf
        for j, (way, rect, label) in enumerate(zip(COLD_WAYS, self.cold_bars, self.cold_text)):
            v = values.get(way)
            ok = v is not None and np.isfinite(v)
            rect.set_height(float(v) if ok else 0.0)
            label.set_text(f"{v:.3f}" if ok else "")
            label.set_position((j, float(v) if ok else 0.0))
            top = max(top, float(v) if ok else 0.0)
            low = min(low, float(v) if ok else np.inf)
        if users == 1:
            title = (tr("1 cold-start user, {known} rating", known=known) if known == 1 else
                     tr("1 cold-start user, {known} ratings", known=known))
        else:
            title = (tr("{users} cold-start users, {known} rating each", users=users,
                        known=known) if known == 1 else
                     tr("{users} cold-start users, {known} ratings each", users=users,
                        known=known))
        self.ax_cold.set_title(title, fontsize=10)
        bottom = max(0.0, np.floor(10 * low) / 10 - 0.1) if np.isfinite(low) else 0.0
        self.ax_cold.set_ylim(bottom, max(bottom + 0.1, top + 0.12 * (top - bottom)))
