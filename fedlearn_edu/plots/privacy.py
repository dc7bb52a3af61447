"""Matplotlib figures for notebook 06 (privacy and security), drawn once, updated in place.

* :func:`plot_inversion` - original digits next to what the gradient gave away;
* :class:`DPPlot` - accuracy and epsilon per round (privacy-utility trade-off);
* :class:`AttackPlot` - accuracy and backdoor success rate per round under attack;
* :class:`SecAggPlot` - secure sum vs plain sum, and the bytes it cost.
"""

from __future__ import annotations

import numpy as np

from .base import new_figure

DP_COLOR, REF_COLOR, EPS_COLOR, BD_COLOR = "tab:blue", "0.45", "tab:purple", "tab:red"


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
    axes[0, 0].set_ylabel("original", fontsize=9)
    axes[1, 0].set_ylabel("from gradient", fontsize=9)
    fig.tight_layout()
    return fig, axes


class _RoundPlot:
    """Two side-by-side axes with x = rounds 1..R; lines keep their artists across runs."""

    def __init__(self, rounds: int, figsize=(9.0, 3.2)):
        self.fig, (self.ax_left, self.ax_right) = new_figure(1, 2, figsize=figsize)
        self.lines: dict = {}
        self.rounds = int(rounds)

    def _line(self, ax, name, **kw):
        (self.lines[name],) = ax.plot([], [], **kw)

    def set_rounds(self, rounds: int) -> None:
        self.rounds = int(rounds)
        x = np.arange(1, self.rounds + 1)
        for line in self.lines.values():
            line.set_data(x, np.full(self.rounds, np.nan))
        for ax in (self.ax_left, self.ax_right):
            ax.set_xlim(0.5, self.rounds + 0.5)

    def set_curve(self, name: str, values) -> None:
        """Replace a curve's y data (length ``rounds``; NaN = not run yet)."""
        v = np.full(self.rounds, np.nan)
        values = np.asarray(values, dtype=float)[: self.rounds]
        v[: len(values)] = values
        self.lines[name].set_data(np.arange(1, self.rounds + 1), v)


class DPPlot(_RoundPlot):
    """Left: test accuracy with DP vs without. Right: epsilon spent so far (log scale)."""

    def __init__(self, rounds: int = 30):
        super().__init__(rounds)
        a, b = self.ax_left, self.ax_right
        self._line(a, "accuracy", color=DP_COLOR, lw=2, label="DP-FedAvg")
        self._line(a, "reference", color=REF_COLOR, ls="--", label="FedAvg (no DP)")
        a.set(ylim=(0, 1), xlabel="round", ylabel="test accuracy", title="utility")
        a.legend(loc="lower right", fontsize=8)
        self._line(b, "epsilon", color=EPS_COLOR, lw=2, marker=".", label="epsilon")
        b.set(yscale="log", ylim=(0.05, 500), xlabel="round",
              ylabel=r"$\varepsilon$ spent", title="privacy loss")
        self.set_rounds(rounds)

    def update(self, accuracy, epsilon, reference=None) -> None:
        self.set_curve("accuracy", accuracy)
        eps = np.asarray(epsilon, dtype=float)
        self.set_curve("epsilon", np.where(np.isfinite(eps), eps, np.nan))
        if reference is not None:
            self.set_curve("reference", reference)


class AttackPlot(_RoundPlot):
    """Left: test accuracy (clean run dashed). Right: backdoor success rate."""

    def __init__(self, rounds: int = 20):
        super().__init__(rounds)
        a, b = self.ax_left, self.ax_right
        self._line(a, "accuracy", color=DP_COLOR, lw=2, label="under attack")
        self._line(a, "reference", color=REF_COLOR, ls="--", label="no attack, mean")
        a.set(ylim=(0, 1), xlabel="round", ylabel="test accuracy", title="clean accuracy")
        a.legend(loc="lower right", fontsize=8)
        self._line(b, "backdoor", color=BD_COLOR, lw=2, label="backdoor success")
        self._line(b, "backdoor_ref", color=REF_COLOR, ls="--", label="no attack")
        b.set(ylim=(0, 1), xlabel="round", ylabel="triggered digits -> target",
              title="backdoor success rate")
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
    """Left: plain vs secure sum on the first coordinates. Right: bytes moved."""

    def __init__(self, coords: int = 40):
        self.coords = coords
        self.fig, (self.ax_sum, self.ax_bytes) = new_figure(1, 2, figsize=(9.0, 3.2))
        x = np.arange(coords)
        self.plain = self.ax_sum.bar(x, np.zeros(coords), color="0.75", label="plain sum")
        (self.secure,) = self.ax_sum.plot(x, np.zeros(coords), "o", ms=3, color="tab:green",
                                          label="secure sum")
        self.ax_sum.set(xlabel="parameter", ylabel="sum of survivors' updates",
                        title="exact-sum check")
        self.ax_sum.legend(fontsize=8, loc="upper right")
        self.bytes = self.ax_bytes.bar(["plain\nupload", "secagg\nupload", "secagg\ndownload"],
                                       [0, 0, 0], color=["0.6", "tab:green", "tab:olive"])
        self.ax_bytes.set(ylabel="kilobytes", title="traffic")
        self.fig.tight_layout()

    def update(self, plain_sum, secure_sum, plain_bytes, up_bytes, down_bytes) -> None:
        p = np.asarray(plain_sum, dtype=float)[: self.coords]
        s = np.asarray(secure_sum, dtype=float)[: self.coords]
        for rect, h in zip(self.plain, p):
            rect.set_height(h)
        self.secure.set_ydata(s)
        lim = max(np.abs(p).max(), 1e-9) * 1.15
        self.ax_sum.set_ylim(-lim, lim)
        kb = np.array([plain_bytes, up_bytes, down_bytes], dtype=float) / 1024
        for rect, h in zip(self.bytes, kb):
            rect.set_height(h)
        self.ax_bytes.set_ylim(0, kb.max() * 1.2 + 1e-9)

    def clear(self) -> None:
        """Show nothing (e.g. after the protocol failed)."""
        for rect in self.plain:
            rect.set_height(0)
        self.secure.set_ydata(np.full(self.coords, np.nan))
