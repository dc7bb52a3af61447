"""Matplotlib figures for notebook 06 (privacy and security), drawn once, updated in place.

* :func:`plot_inversion` - original digits next to what the gradient gave away;
* :class:`DPPlot` - accuracy and epsilon per round (privacy-utility trade-off);
* :class:`AttackPlot` - accuracy and backdoor success rate per round under attack;
* :class:`SecAggPlot` - secure sum vs plain sum, and the bytes it cost.
"""

from __future__ import annotations

import numpy as np
from matplotlib.ticker import MaxNLocator

from ..i18n import get_language, tr
from .base import new_figure

DP_COLOR, REF_COLOR, EPS_COLOR, BD_COLOR = "tab:blue", "0.45", "tab:purple", "tab:red"


def _formula(tex: str, plain: str) -> str:
    """``tex`` (mathtext) in English, ``plain`` Unicode in Chinese: matplotlib draws every
    character of a text containing ``$`` with its math fonts, which have no CJK glyphs."""
    return tex if get_language() == "en" else plain


def plot_inversion(originals, recovered, titles=None, *, shape=(8, 8), figsize=None):
    """Rows: original images (top) and reconstructions (bottom); ``(n, d)`` each.

    Returns ``(fig, axes)``. Images share one colour scale per column so a blur looks
    like a blur, not like a contrast change.
    """
    originals = np.atleast_2d(originals)
    recovered = np.atleast_2d(recovered)
    n = originals.shape[0]
    fig, axes = new_figure(2, n, figsize=figsize or (1.7 * n + 0.5, 3.6), squeeze=False)
    for j in range(n):
        lo, hi = originals[j].min(), originals[j].max()
        for i, img in enumerate((originals[j], recovered[j])):
            ax = axes[i, j]
            ax.imshow(np.asarray(img).reshape(shape), cmap="gray_r", vmin=lo, vmax=hi)
            ax.set_xticks([])
            ax.set_yticks([])
        axes[0, j].set_title(titles[j] if titles else f"#{j}", fontsize=9)
    axes[0, 0].set_ylabel(tr("original"), fontsize=9)
    axes[1, 0].set_ylabel(tr("from gradient"), fontsize=9)
    fig.tight_layout()
    return fig, axes


class _RoundPlot:
    """Side-by-side axes (constrained layout: no clipped labels) whose first two have
    x = rounds 1..R; lines keep their artists across runs."""

    def __init__(self, rounds: int, figsize=(9.0, 3.2), ncols: int = 2):
        self.fig, axes = new_figure(1, ncols, figsize=figsize, layout="constrained")
        self.ax_left, self.ax_right = axes[0], axes[1]
        self.axes = list(axes)
        self.lines: dict = {}
        self.rounds = int(rounds)

    def _line(self, ax, name, **kw):
        (self.lines[name],) = ax.plot([], [], **kw)

    def set_rounds(self, rounds: int) -> None:
        self.rounds = int(rounds)
        x = np.arange(1, self.rounds + 1)
        for line in self.lines.values():
            if line.axes in (self.ax_left, self.ax_right):
                line.set_data(x, np.full(self.rounds, np.nan))
        for ax in (self.ax_left, self.ax_right):
            ax.set_xlim(0.5, self.rounds + 0.5)
            ax.xaxis.set_major_locator(MaxNLocator(integer=True))

    def set_curve(self, name: str, values) -> None:
        """Replace a curve's y data (length ``rounds``; NaN = not run yet)."""
        v = np.full(self.rounds, np.nan)
        values = np.asarray(values, dtype=float)[: self.rounds]
        v[: len(values)] = values
        self.lines[name].set_data(np.arange(1, self.rounds + 1), v)


# What epsilon means in practice: the tiers of Ponomareva et al. 2023 ("How to DP-fy ML");
# each band's name is drawn as tr(name) (Chinese texts in i18n/texts/privacy.py)
EPS_TIERS = ((1.0, "ε ≤ 1: strong", "tab:green"), (10.0, "1–10: common in deployments", "gold"),
             (np.inf, "ε > 10: weak", "tab:red"))


class DPPlot(_RoundPlot):
    """Left: test accuracy with DP vs without. Middle: epsilon spent so far (log scale),
    over bands of what it means. Right: noise std on the average update against the number
    of clients ``N`` (closed form ``sigma S / (q N)``; the marks are this run's clients).

    Attributes (besides ``lines``): ``noise_curve`` (closed form over ``N``),
    ``noise_marks`` ``{"closed_form", "measured"}`` at this run's ``N``, ``signal_line``
    (``S / sqrt(p)``: a clipped update's size per coordinate if spread evenly).
    """

    def __init__(self, rounds: int = 30, clients_range=(10, 300)):
        super().__init__(rounds, figsize=(9.2, 3.3), ncols=3)
        a, b, c = self.axes
        self._line(a, "accuracy", color=DP_COLOR, lw=2, label=tr("DP-FedAvg"))
        self._line(a, "reference", color=REF_COLOR, ls="--", label=tr("FedAvg (no DP)"))
        a.set(ylim=(0, 1), xlabel=tr("round"), ylabel=tr("test accuracy"), title=tr("utility"))
        a.legend(loc="lower right", fontsize=8)
        low = 0.05
        for high, name, color in EPS_TIERS:
            b.axhspan(low, min(high, 500), color=color, alpha=0.12, lw=0)
            b.text(0.98, low * 1.15, tr(name), fontsize=7, transform=b.get_yaxis_transform(),
                   ha="right", va="bottom", color="0.3")
            low = high
        self._line(b, "epsilon", color=EPS_COLOR, lw=2, marker=".", label=tr("epsilon"))
        b.set(yscale="log", ylim=(0.05, 500), xlabel=tr("round"),
              ylabel=tr(r"$\varepsilon$ spent"), title=tr("privacy loss"))
        self.clients = np.geomspace(*clients_range, 40)
        (self.noise_curve,) = c.plot(self.clients, np.full(40, np.nan), color=DP_COLOR,
                                     label=tr(r"$\sigma S/(qN)$"))
        self.noise_marks = {
            "closed_form": c.plot([], [], "o", color=DP_COLOR, ms=7, mfc="none",
                                  label=tr("this run"))[0],
            "measured": c.plot([], [], "x", color="k", ms=6, label=tr("measured"))[0]}
        self.signal_line = c.axhline(np.nan, color=REF_COLOR, ls=":",
                                     label=tr("{formula} (update)",
                                              formula=_formula(r"$S/\sqrt{p}$", "S/√p")))
        c.set(xscale="log", yscale="log", xlim=(clients_range[0] / 1.2, clients_range[1] * 1.2),
              ylim=(1e-4, 1.0), xlabel=tr("clients N"), ylabel=tr("noise std per coordinate"),
              title=tr("noise on the average update"))
        c.legend(loc="lower left", fontsize=7)
        self.set_rounds(rounds)

    def update(self, accuracy, epsilon, reference=None) -> None:
        self.set_curve("accuracy", accuracy)
        eps = np.asarray(epsilon, dtype=float)
        self.set_curve("epsilon", np.where(np.isfinite(eps), eps, np.nan))
        if reference is not None:
            self.set_curve("reference", reference)

    def update_noise(self, curve, clients: int, closed_form: float, measured: float,
                     signal: float) -> None:
        """``curve``: closed-form std at ``self.clients``; the marks at ``clients``."""
        def pos(v):  # a log axis shows no zeros (sigma = 0: no noise)
            v = np.asarray(v, dtype=float)
            return np.where(v > 0, v, np.nan)

        self.noise_curve.set_ydata(pos(curve))
        self.noise_marks["closed_form"].set_data([clients], pos([closed_form]))
        self.noise_marks["measured"].set_data([clients], pos([measured]))
        self.signal_line.set_ydata([signal, signal])
        ax = self.axes[2]
        vals = np.concatenate([pos(curve), pos([closed_form, measured, signal])])
        vals = vals[np.isfinite(vals)]
        if vals.size:
            ax.set_ylim(vals.min() / 2, vals.max() * 2)


class AttackPlot(_RoundPlot):
    """Left: test accuracy (clean run dashed). Right: backdoor success rate."""

    def __init__(self, rounds: int = 20):
        super().__init__(rounds)
        a, b = self.ax_left, self.ax_right
        self._line(a, "accuracy", color=DP_COLOR, lw=2, label=tr("under attack"))
        self._line(a, "reference", color=REF_COLOR, ls="--", label=tr("no attack, mean"))
        a.set(ylim=(0, 1), xlabel=tr("round"), ylabel=tr("test accuracy"),
              title=tr("clean accuracy"))
        a.legend(loc="lower right", fontsize=8)
        self._line(b, "backdoor", color=BD_COLOR, lw=2, label=tr("backdoor success"))
        self._line(b, "backdoor_ref", color=REF_COLOR, ls="--", label=tr("no attack"))
        b.set(ylim=(0, 1), xlabel=tr("round"), ylabel=tr("triggered digits -> target"),
              title=tr("backdoor success rate"))
        b.legend(loc="upper left", fontsize=8)
        self.set_rounds(rounds)

    def update(self, accuracy, backdoor, reference=None, backdoor_ref=None) -> None:
        self.set_curve("accuracy", accuracy)
        self.set_curve("backdoor", backdoor)
        if reference is not None:
            self.set_curve("reference", reference)
        if backdoor_ref is not None:
            self.set_curve("backdoor_ref", backdoor_ref)


class SecAggPlot:
    """Left: plain vs secure sum on the first coordinates. Right: bytes moved, like for like:
    the same clients sending the same fixed-point vectors in the clear, vs SecAgg's upload
    (the masked vectors, exactly as large, plus keys and shares) and download.

    Attributes: ``plain`` (bars), ``secure`` (dots), ``vectors`` and ``extra`` (the two
    stacked bar containers of the traffic panel, in bytes / 1024)."""

    LABELS = ("in the clear\n(same encoding,\nsame clients)", "SecAgg\nupload", "SecAgg\ndownload")

    @classmethod
    def labels(cls) -> list[str]:
        """The traffic panel's bar names in the current language (read when a figure is made)."""
        return [tr(label) for label in cls.LABELS]

    def __init__(self, coords: int = 40):
        self.coords = coords
        self.fig, (self.ax_sum, self.ax_bytes) = new_figure(1, 2, figsize=(9.0, 3.2),
                                                            layout="constrained")
        x = np.arange(coords)
        self.plain = self.ax_sum.bar(x, np.zeros(coords), color="0.75", label=tr("plain sum"))
        (self.secure,) = self.ax_sum.plot(x, np.zeros(coords), "o", ms=3, color="tab:green",
                                          label=tr("secure sum"))
        self.ax_sum.set(xlabel=tr("parameter"), ylabel=tr("sum of survivors' updates"),
                        title=tr("exact-sum check"))
        self.ax_sum.legend(fontsize=8, loc="upper right")
        names = self.labels()
        self.vectors = self.ax_bytes.bar(names, [0, 0, 0], color="0.6",
                                         label=tr("update vectors"))
        self.extra = self.ax_bytes.bar(names, [0, 0, 0], bottom=[0, 0, 0],
                                       color="tab:olive", label=tr("keys, shares, ids"))
        self.ax_bytes.set(ylabel=tr("kilobytes"), title=tr("traffic of one round"))
        self.ax_bytes.tick_params(axis="x", labelsize=8)
        self.ax_bytes.legend(fontsize=8, loc="upper left")

    def update(self, plain_sum, secure_sum, clear_bytes, vector_bytes, key_bytes_up,
               bytes_down) -> None:
        p = np.asarray(plain_sum, dtype=float)[: self.coords]
        s = np.asarray(secure_sum, dtype=float)[: self.coords]
        for rect, h in zip(self.plain, p):
            rect.set_height(h)
        self.secure.set_ydata(s)
        lim = max(np.abs(p).max(), 1e-9) * 1.15
        self.ax_sum.set_ylim(-lim, lim)
        vec = np.array([clear_bytes, vector_bytes, 0.0]) / 1024
        extra = np.array([0.0, key_bytes_up, bytes_down]) / 1024
        for rect, v in zip(self.vectors, vec, strict=True):
            rect.set_height(v)
        for rect, v, e in zip(self.extra, vec, extra, strict=True):
            rect.set_y(v)
            rect.set_height(e)
        self.ax_bytes.set_ylim(0, (vec + extra).max() * 1.3 + 1e-9)

    def clear(self) -> None:
        """Show nothing (e.g. after the protocol failed)."""
        for rect in self.plain:
            rect.set_height(0)
        self.secure.set_ydata(np.full(self.coords, np.nan))
