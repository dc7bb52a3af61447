"""Notebook 02: non-IID data ("model non-adaptation", 模型不适应性) and client drift.

:class:`NonIIDDashboard`: Dirichlet-alpha (log slider) / shards controls, local epochs and
FedProx's mu, the per-client label histogram, accuracy of the skewed run vs an IID reference
with the same settings, the cosine between the clients' updates (client drift) and the
clients' own models' accuracy, all growing round by round. The computation (and the
definition of client drift) lives in :mod:`fedlearn_edu.core.noniid` and
:mod:`fedlearn_edu.core.drift`, which need no widgets: import them from there.
"""

from __future__ import annotations

import math

import ipywidgets as W
import numpy as np

from ..core.config import FedConfig
from ..core.data import label_histogram
from ..core.federation import Federation
from ..core.noniid import NONIID_DEFAULTS, NonIIDResult, run_noniid
from ..i18n import tr
from ..plots.noniid import NonIIDPlot
from .base import Dashboard

__all__ = ["NonIIDDashboard"]

# Whole sentences (one template each), so that a translation can reorder them; each is
# translated by tr(TEMPLATE, **fields) when the message is made (texts in i18n/texts/noniid.py).
SUMMARY = ("{rounds}, mean test accuracy: skewed ({label}) {s_acc:.3f} vs IID {i_acc:.3f} "
           "(gap {gap:+.1f} points); {cosine}; clients' own models score {s_loc:.2f} vs "
           "{i_loc:.2f}")
COSINE = "client updates' mean cosine {s:.2f} vs {i:.2f} (1 = they agree)"
NO_COSINE = "no update cosine: {clients} per round cannot disagree"
ROUNDS = ("{n} round", "{n} rounds")
CLIENTS = ("{n} client", "{n} clients")
SHARDS = ("{n} shard per client", "{n} shards per client")
DIVERGED = "Diverged: {message}"
PROGRESS = {"skewed": "skewed: round {r}/{n}", "iid": "iid: round {r}/{n}"}
PARTITIONS = ("dirichlet", "shards", "iid")


def counted(n: int, forms: tuple[str, str]) -> str:
    """``"1 round"`` / ``"2 rounds"``: the singular or plural template, translated and filled
    in."""
    return tr(forms[0] if n == 1 else forms[1], n=n)


class NonIIDDashboard(Dashboard):
    """Skewed vs IID FedAvg (FedProx with ``mu > 0``) on digits; the IID reference is cached.

    Controls: ``partition`` (dirichlet / shards / iid), ``alpha`` (log slider 0.01..100),
    ``shards_per_client``, ``num_clients``, ``client_fraction``, ``local_epochs``, ``mu``
    (FedProx's proximal strength), ``rounds``, ``seed``. ``self.result`` is
    ``{"skewed": NonIIDResult, "iid": NonIIDResult}`` of the current setting;
    ``self.default_result`` the same for the default setting (kept, whatever the sliders
    show now: cells after the dashboard check that one).

    Args:
        base: the :class:`FedConfig` the controls start from (default ``NONIID_DEFAULTS``).
        dtype: precision of the runs, ``"float32"`` by default (the fast path); ``None``
            keeps ``base.dtype``.
    """

    def __init__(self, base: FedConfig | None = None, *, dtype: str | None = "float32",
                 **kwargs):
        base = NONIID_DEFAULTS if base is None else base
        self.base = base.replace(dtype=dtype) if dtype else base
        self._iid_cache: dict[FedConfig, NonIIDResult] = {}
        self._default_result: dict[str, NonIIDResult] | None = None
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        b, style, lay = self.base, {"description_width": "160px"}, W.Layout(width="430px")
        part = b.partition if b.partition in PARTITIONS else "dirichlet"
        shown = {"dirichlet": tr("dirichlet"), "shards": tr("shards"), "iid": tr("iid")}
        return {
            "partition": W.Dropdown(options=[(shown[p], p) for p in PARTITIONS], value=part,
                                    description=tr("partition (划分)"), style=style,
                                    layout=lay),
            "alpha": W.FloatLogSlider(b.dirichlet_alpha, base=10, min=-2, max=2, step=0.1,
                                      description=tr("Dirichlet α"), readout_format=".3g",
                                      style=style, layout=lay),
            "shards_per_client": W.IntSlider(b.shards_per_client, min=1, max=10,
                                             description=tr("shards per client"), style=style,
                                             layout=lay),
            "num_clients": W.IntSlider(b.num_clients, min=2, max=200,
                                       description=tr("clients (客户端)"), style=style,
                                       layout=lay),
            "client_fraction": W.FloatSlider(b.client_fraction, min=0.05, max=1.0, step=0.05,
                                             description=tr("client fraction C"), style=style,
                                             layout=lay),
            "local_epochs": W.IntSlider(b.local_epochs, min=1, max=20,
                                        description=tr("local epochs"), style=style,
                                        layout=lay),
            "mu": W.FloatSlider(b.mu, min=0.0, max=1.0, step=0.05, description=tr("FedProx μ"),
                                style=style, layout=lay),
            "rounds": W.IntSlider(b.rounds, min=1, max=50, description=tr("rounds (轮数)"),
                                  style=style, layout=lay),
            "seed": W.IntSlider(b.seed, min=0, max=9, description=tr("seed"), style=style,
                                layout=lay),
        }

    def make_figure(self):
        self.plot = NonIIDPlot(self.base.rounds, self.base.num_clients)
        return self.plot.fig

    def prepare(self, values: dict) -> tuple[FedConfig, FedConfig]:
        """``(skewed, iid)`` configs; FedConfig's validation names the bad field."""
        v = dict(values)
        alpha = float(v.pop("alpha"))
        if not 0.01 - 1e-12 <= alpha <= 100 + 1e-9:
            raise ValueError(tr("Dirichlet α must be in [0.01, 100], got {alpha:g}",
                                alpha=alpha))
        v["mu"] = round(float(v["mu"]), 10)  # slider steps: 0.30000000000000004 -> 0.3
        skewed = self.base.replace(dirichlet_alpha=alpha, **v)
        return skewed, skewed.replace(partition="iid")

    @property
    def default_result(self) -> dict[str, NonIIDResult]:
        """``{"skewed", "iid"}`` results of the default setting (run now if not kept yet)."""
        if self._default_result is None:
            self._default_result = self.run_setting(self.prepare(self.defaults))
        return self._default_result

    def run_setting(self, job, on_round=None, on_start=None) -> dict[str, NonIIDResult]:
        """``{"skewed", "iid"}`` results of ``job`` (from :meth:`prepare`), skewed first; an
        IID run comes from the cache when it is there. ``on_start(key, federation)`` before
        a run, ``on_round(key, record, result)`` after each of its rounds."""
        results: dict[str, NonIIDResult] = {}
        for key, cfg in zip(("skewed", "iid"), job):
            if cfg in self._iid_cache:  # the IID reference (or an IID "skewed" run)
                results[key] = self._iid_cache[cfg]
                continue
            fed = Federation(cfg)
            if on_start is not None:
                on_start(key, fed)
            cb = None if on_round is None else (lambda rec, res, k=key: on_round(k, rec, res))
            results[key] = run_noniid(cfg, cb, fed=fed)
            if cfg.partition == "iid" and not results[key].history.diverged:
                if len(self._iid_cache) >= 32:  # keep memory bounded
                    self._iid_cache.clear()
                self._iid_cache[cfg] = results[key]
        if job == self.prepare(self.defaults) and self._default_result is None:
            self._default_result = results
        return results

    def compute(self, job, report):
        skewed, _ = job
        total = skewed.rounds * len({c for c in job if c not in self._iid_cache})
        done = 0
        self.plot.set_rounds(skewed.rounds)
        report(0, total, tr("partitioning…"))

        def on_round(key, rec, res):
            nonlocal done
            done += 1
            self.plot.update(key, res.history.test_accuracy, res.update_cosine,
                             res.local_accuracy)
            report(done, total, tr(PROGRESS[key], r=rec.round, n=skewed.rounds))
            self.redraw()

        def on_start(key, fed):
            if key == "skewed":  # the histogram first: it is what alpha changes
                self.plot.set_histogram(label_histogram(fed.data.y_train, fed.parts,
                                                        fed.data.n_classes))
                self.redraw(force=True)

        results = self.run_setting(job, on_round, on_start)
        for key, r in results.items():
            self.plot.update(key, r.history.test_accuracy, r.update_cosine, r.local_accuracy)
        self.plot.set_histogram(results["skewed"].counts)
        self.redraw(force=True)
        return results, self.summary(skewed, results)

    @staticmethod
    def summary(skewed: FedConfig, results: dict[str, NonIIDResult]) -> tuple[str, str]:
        """``(message, level)`` of the status line for ``results`` of the setting ``skewed``."""
        s, i = results["skewed"], results["iid"]
        for h in (s.history, i.history):
            if h.diverged:
                return tr(DIVERGED, message=h.message), "warning"
        label = {"dirichlet": f"α={skewed.dirichlet_alpha:.3g}",
                 "shards": counted(skewed.shards_per_client, SHARDS),
                 "iid": "IID"}[skewed.partition]
        s_acc, i_acc = np.nanmean(s.history.test_accuracy), np.nanmean(i.history.test_accuracy)
        s_cos, i_cos = _nanmean(s.update_cosine), _nanmean(i.update_cosine)
        if math.isnan(s_cos) or math.isnan(i_cos):
            cosine = tr(NO_COSINE, clients=counted(skewed.clients_per_round, CLIENTS))
        else:
            cosine = tr(COSINE, s=s_cos, i=i_cos)
        message = tr(SUMMARY, rounds=counted(s.history.completed, ROUNDS), label=label,
                     s_acc=s_acc, i_acc=i_acc, gap=100 * (i_acc - s_acc), cosine=cosine,
                     s_loc=np.nanmean(s.local_accuracy), i_loc=np.nanmean(i.local_accuracy))
        return message, "info"


def _nanmean(x: np.ndarray) -> float:
    """Mean of the finite entries, NaN (without a warning) when there are none."""
    x = np.asarray(x, dtype=float)
    return float(x[np.isfinite(x)].mean()) if np.isfinite(x).any() else float("nan")
