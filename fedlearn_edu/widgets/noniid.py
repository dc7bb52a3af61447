"""Notebook 02: non-IID data ("model non-adaptation", 模型不适应性) and client drift.

:class:`NonIIDDashboard`: Dirichlet-alpha (log slider) / shards controls, the per-client
label histogram, accuracy of the skewed run vs an IID reference and the clients' own models'
accuracy (client drift), all growing round by round. The computation (and the definition of
client drift) lives in :mod:`fedlearn_edu.core.noniid`, which needs no widgets: import them
from there.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..core.config import FedConfig
from ..core.data import label_histogram
from ..core.federation import Federation
from ..core.noniid import NONIID_DEFAULTS, NonIIDResult, run_noniid
from ..plots.noniid import NonIIDPlot
from .base import Dashboard

__all__ = ["NonIIDDashboard"]

class NonIIDDashboard(Dashboard):
    """Skewed vs IID FedAvg on digits; the IID reference is cached per setting.

    Controls: ``partition`` (dirichlet / shards / iid), ``alpha`` (log slider 0.01..100),
    ``shards_per_client``, ``num_clients``, ``client_fraction``, ``local_epochs``,
    ``rounds``, ``seed``. ``self.result`` is ``{"skewed": NonIIDResult, "iid": NonIIDResult}``.

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
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        b, style, lay = self.base, {"description_width": "160px"}, W.Layout(width="430px")
        part = b.partition if b.partition in ("dirichlet", "shards", "iid") else "dirichlet"
        return {
            "partition": W.Dropdown(options=("dirichlet", "shards", "iid"), value=part,
                                    description="partition (划分)", style=style, layout=lay),
            "alpha": W.FloatLogSlider(b.dirichlet_alpha, base=10, min=-2, max=2, step=0.1,
                                      description="Dirichlet α", readout_format=".3g",
                                      style=style, layout=lay),
            "shards_per_client": W.IntSlider(b.shards_per_client, min=1, max=10,
                                             description="shards per client", style=style,
                                             layout=lay),
            "num_clients": W.IntSlider(b.num_clients, min=2, max=200,
                                       description="clients (客户端)", style=style, layout=lay),
            "client_fraction": W.FloatSlider(b.client_fraction, min=0.05, max=1.0, step=0.05,
                                             description="client fraction C", style=style,
                                             layout=lay),
            "local_epochs": W.IntSlider(b.local_epochs, min=1, max=20,
                                        description="local epochs", style=style, layout=lay),
            "rounds": W.IntSlider(b.rounds, min=1, max=50, description="rounds (轮数)",
                                  style=style, layout=lay),
            "seed": W.IntSlider(b.seed, min=0, max=9, description="seed", style=style,
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
            raise ValueError(f"Dirichlet α must be in [0.01, 100], got {alpha:g}")
        skewed = self.base.replace(dirichlet_alpha=alpha, **v)
        return skewed, skewed.replace(partition="iid")

    def compute(self, job, report):
        skewed, iid = job
        total = skewed.rounds * len({c for c in job if c not in self._iid_cache})
        done = 0
        self.plot.set_rounds(skewed.rounds)
        report(0, total, "partitioning…")
        results: dict[str, NonIIDResult] = {}
        for key, cfg in (("iid", iid), ("skewed", skewed)):
            if cfg in self._iid_cache:  # the IID reference (or an IID "skewed" run) is cached
                results[key] = self._iid_cache[cfg]
            else:
                fed = Federation(cfg)
                if key == "skewed":  # the histogram first: it is what alpha changes
                    self.plot.set_histogram(label_histogram(fed.data.y_train, fed.parts,
                                                            fed.data.n_classes))
                    self.redraw(force=True)

                def on_round(rec, res, key=key):
                    nonlocal done
                    done += 1
                    self.plot.update(key, res.history.test_accuracy, res.local_accuracy)
                    report(done, total, f"{key}: round {rec.round}/{skewed.rounds}")
                    self.redraw()

                results[key] = run_noniid(cfg, on_round, fed=fed)
                if key == "iid" and not results[key].history.diverged:
                    if len(self._iid_cache) >= 32:  # keep memory bounded
                        self._iid_cache.clear()
                    self._iid_cache[cfg] = results[key]
            r = results[key]
            self.plot.update(key, r.history.test_accuracy, r.local_accuracy)
            self.redraw(force=True)
        self.plot.set_histogram(results["skewed"].counts)
        s, i = results["skewed"].history, results["iid"].history
        for h in (s, i):
            if h.diverged:
                return results, (f"Diverged: {h.message}", "warning")
        s_acc, i_acc = np.nanmean(s.test_accuracy), np.nanmean(i.test_accuracy)
        label = {"dirichlet": f"α={skewed.dirichlet_alpha:.3g}",
                 "shards": f"{skewed.shards_per_client} shard(s)/client",
                 "iid": "IID"}[skewed.partition]
        loc_s = np.nanmean(results["skewed"].local_accuracy)
        loc_i = np.nanmean(results["iid"].local_accuracy)
        return results, (f"{s.completed} rounds, mean test accuracy: skewed ({label}) "
                         f"{s_acc:.3f} vs IID {i_acc:.3f} (gap {100 * (i_acc - s_acc):+.1f} "
                         f"points); clients' own models score {loc_s:.2f} vs {loc_i:.2f}", "info")
