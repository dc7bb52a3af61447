"""The dashboards of notebooks 00 and 01, built on :class:`fedlearn_edu.widgets.Dashboard`.

* :class:`ArticleFLDashboard` (00): the article's federated loop, corrected in
  :mod:`fedlearn_edu.article`.
* :class:`FedAvgDashboard` (01): FedAvg on a real dataset against a centralised baseline.

Both keep the result of their default setting apart (``default_result``), so a notebook cell
can check real numbers whatever a student did to the sliders.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .. import article
from ..core.baseline import centralised_baseline
from ..core.config import FedConfig
from ..core.history import History
from ..i18n import get_language, tr
from ..plots.base import ConvergencePlot, new_figure
from .base import Dashboard


def labelled(text: str, term: str) -> dict:
    """A control's ``description`` and ``tooltip``, read when the dashboard is built: in
    English the label is English and its Chinese term the tooltip (the browser may lack CJK
    fonts); in Chinese the label is Chinese and the tooltip the English original (the word a
    student meets in the papers)."""
    return {"description": text, "tooltip": term} if get_language() == "en" else \
        {"description": tr(text), "tooltip": text}


class FedAvgDashboard(Dashboard):
    """Notebook 01: FedAvg on a classification dataset, curves growing round by round.

    Controls: ``dataset``, ``num_clients``, ``rounds``, ``local_epochs``, ``lr``,
    ``client_fraction``. The result is the run's :class:`History` (also ``self.history``);
    the centralised sklearn baseline is the dotted reference line. ``default_result`` is the
    :class:`History` of the default setting (kept from the first run, or computed on demand
    without drawing).

    Frames: the first round is drawn as soon as it is trained, then at most every ~50 ms,
    and only the curves are redrawn (blitted) while the axes stay the same.

    Args:
        base: the :class:`FedConfig` the controls start from (its other fields are kept).
        dtype: the precision the runs use: ``"float32"`` (default, the fast path: the same
            curves to well under a point of accuracy) or ``"float64"``; ``None`` keeps
            ``base.dtype``. ``History.dtype`` records it.
    """

    DATASETS = ("digits", "breast_cancer", "wine", "iris")

    @staticmethod
    def dataset_options() -> list[tuple[str, str]]:
        """``(label, value)`` of each dataset: the name, or in Chinese what it holds."""
        shown = {"digits": tr("digits"), "breast_cancer": tr("breast_cancer"),
                 "wine": tr("wine"), "iris": tr("iris")}
        return [(shown[d], d) for d in FedAvgDashboard.DATASETS]

    def __init__(self, base: FedConfig | None = None, *, dtype: str | None = "float32",
                 **kwargs):
        base = FedConfig() if base is None else base
        self.base = base.replace(model="auto", **({"dtype": dtype} if dtype else {}))
        self.history: History | None = None
        self._default: History | None = None
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        b, style = self.base, {"description_width": "130px"}
        lay = W.Layout(width="420px")
        return {
            "dataset": W.Dropdown(options=self.dataset_options(), value=b.dataset,
                                  **labelled("dataset", "数据集"), style=style, layout=lay),
            "num_clients": W.IntSlider(b.num_clients, min=1, max=200,
                                       **labelled("clients", "客户端数量 K"), style=style,
                                       layout=lay),
            "rounds": W.IntSlider(b.rounds, min=1, max=100, **labelled("rounds", "通信轮次"),
                                  style=style, layout=lay),
            "local_epochs": W.IntSlider(b.local_epochs, min=1, max=20,
                                        **labelled("local epochs E", "本地训练轮数"),
                                        style=style, layout=lay),
            "lr": W.FloatLogSlider(b.lr, base=10, min=-3, max=1, step=0.1,
                                   **labelled("learning rate η", "学习率"),
                                   readout_format=".3g", style=style, layout=lay),
            "client_fraction": W.FloatSlider(b.client_fraction, min=0.05, max=1.0, step=0.05,
                                             **labelled("client fraction C",
                                                        "每轮参与的客户端比例"),
                                             style=style, layout=lay),
        }

    def make_figure(self):
        self.plot = ConvergencePlot(self.base.rounds)
        return self.plot.fig

    def prepare(self, values: dict) -> FedConfig:
        return self.base.replace(**values)  # FedConfig validates: errors name the field

    @property
    def default_result(self) -> History:
        """The :class:`History` of the default setting, whatever the controls show now."""
        if self._default is None:
            from ..runner import simulate

            self._default = simulate(self.prepare(self.defaults))
        return self._default

    def compute(self, cfg: FedConfig, report):
        from ..runner import simulate

        n, m = cfg.num_clients, cfg.clients_per_round
        report(0, cfg.rounds, tr("centralised baseline for {dataset}…", dataset=cfg.dataset))
        acc, loss = centralised_baseline(cfg.dataset, cfg.test_size)
        report(0, cfg.rounds, tr("training 1 client…") if n == 1 else
               tr("training {n} clients, {m} per round…", n=n, m=m))
        self.plot.set_rounds(cfg.rounds)
        self.plot.set_baseline(acc, loss)  # shown with the first round (no frame before it)

        def on_round(rec, hist):
            self.plot.update(hist)
            report(rec.round, cfg.rounds)
            self.redraw()

        hist = simulate(cfg, callback=on_round)
        self.plot.update(hist)
        self.history = hist
        if cfg == self.prepare(self.defaults):
            self._default = hist
        if hist.diverged:
            return hist, (tr("Diverged: {message}", message=hist.message), "warning")
        r, final = hist.completed, hist.final()["test_accuracy"]
        gap = 100 * (acc - final)
        if n == 1:
            text = tr("1 client, round {r}: FedAvg test accuracy {final:.3f} vs centralised "
                      "{acc:.3f} (gap {gap:+.1f} points)", r=r, final=final, acc=acc, gap=gap)
        else:
            text = tr("{n} clients ({m} per round), round {r}: FedAvg test accuracy "
                      "{final:.3f} vs centralised {acc:.3f} (gap {gap:+.1f} points)",
                      n=n, m=m, r=r, final=final, acc=acc, gap=gap)
        return hist, (text, "info")


def article_run(v: dict, on_round=None) -> tuple[np.ndarray, tuple[str, str]]:
    """The corrected ``article.federated_train`` with the :class:`ArticleFLDashboard` values
    ``v``, one round at a time: ``(test MSE per round (NaN after a divergence), (message,
    level))``. ``on_round(r, mse)`` is called after round ``r`` (1-based)."""
    test = article.generate_data(1000, seed=123)  # fresh data from the same hidden truth
    rounds, n = v["rounds"], v["num_devices"]
    mse = np.full(rounds, np.nan)
    w = np.zeros(10)
    for r in range(1, rounds + 1):  # one round at a time == federated_train(rounds=r)
        with np.errstate(over="ignore", invalid="ignore"):
            w = article.federated_train(w, n, rounds=1, local_steps=v["local_steps"],
                                        lr=v["lr"], samples_per_device=v["samples_per_device"],
                                        seed=0)
            m = float(np.mean((test[0] @ w - test[1]) ** 2))
        if not np.isfinite(m) or m > 1e6:
            return mse, (tr("Diverged in round {r}: the test MSE became {m:.3g}; lower the "
                            "learning rate (lr={lr:.3g})", r=r, m=m, lr=v["lr"]), "warning")
        mse[r - 1] = m
        if on_round is not None:
            on_round(r, mse)
    text = (tr("1 device, round {rounds}: test MSE {mse:.4f}", rounds=rounds, mse=mse[-1])
            if n == 1 else tr("{n} devices, round {rounds}: test MSE {mse:.4f}", n=n,
                              rounds=rounds, mse=mse[-1]))
    return mse, (text, "info")


class ArticleFLDashboard(Dashboard):
    """Notebook 00: the article's corrected ``article.federated_train``, test MSE round by round.

    Controls: ``num_devices``, ``rounds``, ``local_steps``, ``lr``, ``samples_per_device``.
    The result is the ``(rounds,)`` array of test MSE after each round (NaN after a
    divergence, which is reported as a warning instead of being plotted);
    ``default_result`` is that array for the default setting (see :func:`article_run`).
    """

    def __init__(self, **kwargs):
        self._default: np.ndarray | None = None
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        style, lay = {"description_width": "150px"}, W.Layout(width="420px")
        return {
            "num_devices": W.IntSlider(5, min=1, max=50, **labelled("devices", "设备数量"),
                                       style=style, layout=lay),
            "rounds": W.IntSlider(20, min=1, max=60, **labelled("rounds", "通信轮次"),
                                  style=style, layout=lay),
            "local_steps": W.IntSlider(5, min=1, max=30,
                                       **labelled("local steps", "本地梯度步数"), style=style,
                                       layout=lay),
            "lr": W.FloatLogSlider(0.2, base=10, min=-3, max=0, step=0.05,
                                   **labelled("learning rate η", "学习率"),
                                   readout_format=".3g", style=style, layout=lay),
            "samples_per_device": W.IntSlider(100, min=2, max=500,
                                              **labelled("samples/device", "每个设备的样本数"),
                                              style=style, layout=lay),
        }

    def make_figure(self):
        fig, self.ax = new_figure(figsize=(6.0, 3.0))
        self.ax.set_ylim(0.005, 20.0)
        (self.line,) = self.ax.semilogy([], [], "-o", ms=3,
                                        label=tr("article.federated_train"))
        self.ax.axhline(0.01, ls=":", color="0.35", label=tr("noise floor σ² = 0.01"))
        self.ax.set(xlabel=tr("round"), ylabel=tr("test MSE"),
                    title=tr("The article's FL loop, fixed"))
        self.ax.grid(alpha=0.3)
        self.ax.legend(loc="upper right", fontsize=8)
        fig.tight_layout()
        return fig

    @property
    def default_result(self) -> np.ndarray:
        """The test MSE per round of the default setting, whatever the controls show now."""
        if self._default is None:
            self._default = article_run(self.defaults)[0]
        return self._default

    def compute(self, v: dict, report):
        rounds = v["rounds"]
        self.line.set_data(np.arange(1, rounds + 1), np.full(rounds, np.nan))
        self.ax.set_xlim(0.5, rounds + 0.5)

        def on_round(r, mse):
            self.line.set_ydata(mse.copy())
            self.ax.relim()
            self.ax.autoscale_view(scalex=False)
            report(r, rounds)
            self.redraw()

        mse, msg = article_run(v, on_round)
        if v == self.defaults:
            self._default = mse
        return mse, msg
