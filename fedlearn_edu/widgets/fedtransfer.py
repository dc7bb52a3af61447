"""Notebook 05 dashboard: personalization, pretrained vs scratch start, source ranking — live.

:class:`FedTransferDashboard` builds on :class:`fedlearn_edu.widgets.Dashboard` (controls,
status line, progress bar, reset button, draw once / update in place, background runs).
Test it without a browser: ``dash = FedTransferDashboard(background=False)``, set
``dash.controls["alpha"].value = 10``, then read ``dash.result`` and ``dash.plot``.
"""

from __future__ import annotations

import html

import ipywidgets as W
import numpy as np

from ..core.models import Model
from ..i18n import tr
from ..plots.fedtransfer import FedTransferPlot, source_name
from ..transfer.evaluation import client_intervals, worst_client
from ..transfer.mlp import MLP
from ..transfer.personalization import METHODS, personalize, pretrained_vs_scratch, rounds_to_reach
from ..transfer.scenarios import digits_scenario, relabel, source_candidates, target_task
from ..transfer.selection import rank_desc, rank_sources, spearman
from .base import Dashboard

__all__ = ["FedTransferDashboard"]

MIN_CLIENT_SIZE = 12  # examples per client (>= 2 needed to split into train/test)
MAX_CLIENTS = 50  # digits_scenario's limit; 50 clients x 40 rounds run in ~2 s


def method_names() -> dict[str, str]:
    """The personalization methods' short names (status line, legend), in the current
    language; in English the method keys themselves."""
    return {"global": tr("global"), "local": tr("local"), "finetune": tr("finetune"),
            "fedper": tr("fedper"), "ditto": tr("ditto")}


class FedTransferDashboard(Dashboard):
    """Controls: ``alpha`` (Dirichlet label skew), ``num_clients``, ``method``,
    ``finetune_steps``, ``lam`` (Ditto), ``relatedness`` (of the pretraining source), ``rounds``.

    ``result`` is a dict with ``personal`` (output of
    :func:`~fedlearn_edu.transfer.personalization.personalize`), ``n_test`` (each client's
    test-split size), ``intervals`` (95% Wilson intervals ``{"global", "personal"}`` ->
    ``(low, high)``), ``worst`` (:func:`~fedlearn_edu.transfer.evaluation.worst_client` of
    both), ``curves`` (of :func:`~fedlearn_edu.transfer.personalization.pretrained_vs_scratch`),
    ``rows`` (source ranking) and ``spearman``. Each panel is recomputed only when its own
    inputs change. ``default_result`` keeps the last result with the default settings.
    """

    TARGET_ACC = 0.9  # panel (b): rounds needed to reach this mean client accuracy

    def __init__(self, *, seed: int = 0, **kwargs):
        self.seed = seed
        self.mlp = MLP(64, 32, 10)
        self.glm = Model("softmax", 64, 10)
        self._cache: dict = {}
        self.plot: FedTransferPlot | None = None
        self.default_result: dict | None = None
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        style, lay = {"description_width": "170px"}, W.Layout(width="430px")
        return {
            "alpha": W.FloatLogSlider(0.1, base=10, min=-2, max=2, step=0.1,
                                      description=tr("Dirichlet α (skew)"),
                                      readout_format=".3g", style=style, layout=lay),
            "num_clients": W.IntSlider(10, min=2, max=MAX_CLIENTS,
                                       description=tr("clients (客户端)"),
                                       style=style, layout=lay),
            "method": W.Dropdown(options=[(tr("fine-tune (微调)"), "finetune"),
                                          (tr("FedPer (shared body)"), "fedper"),
                                          (tr("Ditto (λ pull)"), "ditto"),
                                          (tr("local only (本地)"), "local"),
                                          (tr("global only"), "global")],
                                 value="finetune", description=tr("personalization (个性化)"),
                                 style=style, layout=lay),
            "finetune_steps": W.IntSlider(10, min=0, max=100,
                                          description=tr("fine-tune steps k"),
                                          style=style, layout=lay),
            "lam": W.FloatLogSlider(0.5, base=10, min=-3, max=2, step=0.1,
                                    description=tr("Ditto λ"), readout_format=".3g",
                                    style=style, layout=lay),
            "relatedness": W.FloatSlider(1.0, min=0.0, max=1.0, step=0.05,
                                         description=tr("source relatedness r"), style=style,
                                         layout=lay),
            "rounds": W.IntSlider(15, min=2, max=40, description=tr("rounds (轮数)"),
                                  style=style, layout=lay),
        }

    def make_figure(self):
        self.plot = FedTransferPlot(num_clients=10, rounds=15, num_sources=7)
        return self.plot.fig

    def make_layout(self) -> W.Widget:
        self.table = W.HTML()
        box = super().make_layout()
        return W.VBox([box, self.table])

    def prepare(self, values: dict) -> dict:
        v = dict(values)
        if v["method"] not in METHODS:
            raise ValueError(tr("method must be one of {methods}, got {method!r}",
                                methods=METHODS, method=v["method"]))
        pool = self._pool_size()
        if v["num_clients"] * MIN_CLIENT_SIZE > pool:
            raise ValueError(tr(
                "num_clients={n} is too many: each client needs >= {size} of the {pool} "
                "client-pool examples, so at most {most} clients", n=v["num_clients"],
                size=MIN_CLIENT_SIZE, pool=pool, most=pool // MIN_CLIENT_SIZE))
        return v

    def _pool_size(self) -> int:
        from ..core.data import load_dataset

        n = len(load_dataset("digits").y_train)
        return n - n // 2

    def _cached(self, key, fn):
        if key not in self._cache:
            if len(self._cache) > 64:
                self._cache.clear()
            self._cache[key] = fn()
        return self._cache[key]

    def compute(self, v: dict, report):
        seed, R = self.seed, v["rounds"]
        report(0, 4, tr("building clients…"))
        Xs, ys, clients = self._cached(("clients", v["alpha"], v["num_clients"]), lambda: (
            digits_scenario(v["num_clients"], v["alpha"], min_size=MIN_CLIENT_SIZE, seed=seed)))
        report(1, 4, tr("personalization: {method}…", method=method_names()[v["method"]]))
        pers = self._cached(
            ("pers", v["alpha"], v["num_clients"], v["method"], v["finetune_steps"], v["lam"],
             R), lambda: personalize(v["method"], self.mlp, clients, rounds=R,
                                     finetune_steps=v["finetune_steps"], lam=v["lam"],
                                     seed=seed))
        n_test = np.array([len(c.y_test) for c in clients])
        intervals = {k: client_intervals(pers[f"{k}_acc"], n_test) for k in ("global", "personal")}
        self.plot.update_clients(pers["global_acc"], pers["personal_acc"],
                                 method_names()[v["method"]],
                                 (intervals["global"], intervals["personal"]))
        self.redraw()
        report(2, 4, tr("pretrained vs scratch start…"))
        curves = self._cached(
            ("curves", v["alpha"], v["num_clients"], v["relatedness"], R),
            lambda: pretrained_vs_scratch(self.glm, (Xs, relabel(ys, v["relatedness"], 10, seed)),
                                          clients, rounds=R, seed=seed))
        self.plot.update_curves(curves["pretrained"]["mean"], curves["scratch"]["mean"],
                                self.TARGET_ACC)
        self.redraw()
        report(3, 4, tr("ranking source tasks…"))
        rows = self._ranking(v["relatedness"], Xs, ys)
        self.plot.update_ranking(rows)
        report(4, 4)
        g = lambda k: [r[k] for r in rows]  # noqa: E731
        rho = spearman(g("probe"), g("gain"))
        self.table.value = self._table_html(rows, rho, spearman(g("logme"), g("gain_fx")))
        worst = {k: worst_client(pers[f"{k}_acc"], n_test) for k in ("global", "personal")}
        result = {"personal": pers, "n_test": n_test, "intervals": intervals, "worst": worst,
                  "curves": curves, "rows": rows, "spearman": rho, "values": v}
        if v == self.defaults:
            self.default_result = result
        return result, self._summary(v, pers, worst, curves, rows, rho)

    def _ranking(self, r: float, Xs, ys) -> list[dict]:
        """Six shipped candidates (computed once) + the slider's source of relatedness r."""
        train, val, test = self._cached(("target",), lambda: target_task(30, 60, seed=self.seed))
        base = self._cached(("rank_base",), lambda: rank_sources(
            self.mlp, source_candidates(Xs, ys, seed=self.seed), train, val, test))
        mine = self._cached(("rank_r", r), lambda: rank_sources(
            self.mlp, {f"slider source r={r:.2f}": (Xs, relabel(ys, r, 10, self.seed))},
            train, val, test))
        rows = [dict(row) for row in base + mine]
        for key in ("probe", "logme", "gain"):
            for row, rk in zip(rows, rank_desc([row[key] for row in rows]), strict=True):
                row["rank_" + key] = float(rk)
        return sorted(rows, key=lambda row: (row["rank_probe"], row["name"]))

    @staticmethod
    def _table_html(rows, rho, rho_fx) -> str:
        head = "".join(f"<th>{html.escape(t)}</th>" for t in (
            tr("source task (源任务)"), tr("probe score"), "LogME", tr("true gain (fine-tune)"),
            tr("gain (frozen features)")))
        body = "".join(
            f"<tr><td>{html.escape(source_name(r['name']))}</td><td>{r['probe']:.3f}</td>"
            f"<td>{r['logme']:.3f}</td><td style='color:{'red' if r['gain'] < 0 else 'green'}'>"
            f"{r['gain']:+.3f}</td><td>{r['gain_fx']:+.3f}</td></tr>" for r in rows)
        note = tr("Spearman(probe, fine-tune gain) = {rho:.2f}; Spearman(LogME, frozen-feature "
                  "gain) = {rho_fx:.2f}", rho=rho, rho_fx=rho_fx)
        return (f"<table style='font-size:12px'><tr>{head}</tr>{body}</table>"
                f"<p style='font-size:12px'>{html.escape(note)}</p>")

    def _summary(self, v, pers, worst, curves, rows, rho):
        """The status line: independent statements (each one whole sentence, translated by
        tr() with its fields) joined by " | "."""
        g, p = pers["global_acc"], pers["personal_acc"]
        r_pre = rounds_to_reach(curves["pretrained"]["mean"], self.TARGET_ACC)
        r_scr = rounds_to_reach(curves["scratch"]["mean"], self.TARGET_ACC)
        fmt = lambda r: tr("never") if r is None else tr("round {r}", r=r)  # noqa: E731
        wg, wp = worst["global"], worst["personal"]
        parts = [
            tr("{method}: mean client accuracy {g:.3f} → {p:.3f} ({gain:+.1f} points)",
               method=method_names()[v["method"]], g=g.mean(), p=p.mean(),
               gain=100 * (p.mean() - g.mean())),
            tr("worst client {g_acc:.2f} [95% CI {g_low:.2f}–{g_high:.2f}, n = {g_n}] → "
               "{p_acc:.2f} [{p_low:.2f}–{p_high:.2f}, n = {p_n}]",
               g_acc=wg["acc"], g_low=wg["low"], g_high=wg["high"], g_n=wg["n_test"],
               p_acc=wp["acc"], p_low=wp["low"], p_high=wp["high"], p_n=wp["n_test"]),
            tr("{target:.0%} reached: pretrained {pre}, scratch {scratch}",
               target=self.TARGET_ACC, pre=fmt(r_pre), scratch=fmt(r_scr)),
            tr("top-ranked source: {name} (Spearman {rho:.2f})",
               name=source_name(rows[0]["name"]), rho=rho),
        ]
        pre_end = curves["pretrained"]["mean"][-1]
        scr_end = curves["scratch"]["mean"][-1]
        level = "info"
        if pre_end < scr_end - 0.01:
            parts.append(tr("negative transfer (负迁移): the r={r:.2f} source leaves FedAvg "
                            "{gap:.1f} points behind scratch", r=v["relatedness"],
                            gap=100 * (scr_end - pre_end)))
            level = "warning"
        return " | ".join(parts), level
