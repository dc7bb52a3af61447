"""Notebook 03: transfer learning (迁移学习) with the article's ``min_w alpha f(w) + beta g(w)``.

:class:`TransferDashboard`: sliders for alpha, beta, the number of target examples, the
source's relation and the step budget; the three panels of :class:`plots_transfer.TransferPlot`.
The experiments themselves (tasks, curves, method comparison, loss landscape) live in
:mod:`fedlearn_edu.transfer.tasks`, which needs no widgets; import them from there.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from .._validation import check_choice, check_int
from ..i18n import tr
from ..plots.transfer import TransferPlot
from ..transfer.joint import check_weights
from ..transfer.tasks import (
    METHODS,
    RELATIONS,
    article_tasks,
    compare_methods,
    slice_landscape,
)
from .base import Dashboard

__all__ = ["TransferDashboard", "VERDICTS", "verdict"]

MARGIN = 0.1  # a method "helps" / "hurts" when its error is 10% below / above scratch's
# The English texts (also the keys of their Chinese ones in i18n/texts/transfer.py); the status
# line shows tr(VERDICTS[key]), so it follows the language chosen before the run.
VERDICTS = {
    "helps": "transfer helps",
    "hurts": "negative transfer (负迁移): the source hurts",
    "even": "no clear gain: the target data alone do as well",
}


def relation_names() -> dict[str, str]:
    """How each source relation is shown (dropdown, status line), in the current language."""
    return {"related": tr("related"), "unrelated": tr("unrelated"), "opposite": tr("opposite")}


def method_names() -> dict[str, str]:
    """How each method is named in the status line's "best: ...", in the current language."""
    return {"scratch": tr("scratch"), "finetune": tr("finetune"), "joint": tr("joint")}


def verdict(errors: dict) -> str:
    """``"helps"`` if the better transfer method (fine-tune or joint) has a target error more
    than ``MARGIN`` below scratch's, ``"hurts"`` if it is more than ``MARGIN`` above (every
    way of using the source is worse: negative transfer), else ``"even"``."""
    best = min(errors["finetune"], errors["joint"])
    if best < (1 - MARGIN) * errors["scratch"]:
        return "helps"
    if best > (1 + MARGIN) * errors["scratch"]:
        return "hurts"
    return "even"


class TransferDashboard(Dashboard):
    """Source -> target on the article's linear tasks; ``self.result`` is a dict.

    Controls: ``alpha``, ``beta`` (weights of the source and target losses), ``n_target``,
    ``relation`` (related / unrelated / opposite source), ``steps`` (GD budget), ``seed``.
    ``self.result`` holds what :func:`compare_methods` returns (with curves) plus
    ``ns``/``n_errors`` (final errors per target size), the landscape ``grid`` and the
    ``verdict`` (one of :data:`VERDICTS`' keys). ``self.default_result`` keeps the result of
    the last run with the default settings (``None`` before one finished), so that a cell
    after the dashboard can check numbers whatever the sliders show now.
    """

    NS = np.array([2, 3, 5, 8, 12, 20, 35, 60, 100, 200])
    MAX_STEPS = 500  # the slider's end: 11 comparisons of 3 x 500 steps take ~2.5 s

    def __init__(self, **kwargs):
        self.default_result: dict | None = None
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        style, lay = {"description_width": "170px"}, W.Layout(width="430px")
        fs = dict(min=0.0, max=5.0, step=0.05, readout_format=".2f", style=style, layout=lay)
        names = relation_names()
        return {
            "alpha": W.FloatSlider(1.0, description=tr("α (source weight)"), **fs),
            "beta": W.FloatSlider(1.0, description=tr("β (target weight)"), **fs),
            "n_target": W.IntSlider(5, min=1, max=200, description=tr("target examples"),
                                    style=style, layout=lay),
            "relation": W.Dropdown(options=[(names[r], r) for r in RELATIONS], value="related",
                                   description=tr("source task (源任务)"), style=style,
                                   layout=lay),
            "steps": W.IntSlider(200, min=10, max=self.MAX_STEPS, step=10,
                                 description=tr("GD steps"),
                                 style=style, layout=lay),
            "seed": W.IntSlider(0, min=0, max=9, description=tr("seed"), style=style,
                                layout=lay),
        }

    def make_figure(self):
        self.plot = TransferPlot()
        return self.plot.fig

    def prepare(self, values: dict) -> dict:
        v = dict(values)
        check_weights(v["alpha"], v["beta"])  # alpha + beta must be > 0: a clear message
        check_int("n_target", v["n_target"], 1, 200)
        check_int("steps", v["steps"], 1, self.MAX_STEPS)
        check_choice("relation", v["relation"], RELATIONS)
        return v

    def compute(self, v: dict, report):
        total = 2 + len(self.NS)
        report(0, total, tr("training from scratch, fine-tuning, joint…"))
        tasks = article_tasks(v["n_target"], v["relation"], v["seed"])
        res = compare_methods(tasks, v["alpha"], v["beta"], v["steps"], curves=True)
        self.plot.set_step_curves(res["curves"], res["closed_form_error"])
        report(1, total)
        self.redraw()
        # landscape: slice through the closed-form minimiser along coefficients 0 and 1
        c = res["closed_form"]
        pts = {"closed_form": c[:2], "gd": res["w"]["joint"][:2],
               "source": res["w_source"][:2], "target": tasks.w_target[:2]}
        half = 1.25 * max(np.abs(np.array(list(pts.values())) - c[:2]).max(), 0.25)
        xs = np.linspace(c[0] - half, c[0] + half, 61)
        ys = np.linspace(c[1] - half, c[1] + half, 61)
        grid = slice_landscape(tasks.source, tasks.target, v["alpha"], v["beta"], c, xs, ys)
        self.plot.set_landscape(xs, ys, grid, pts, res["paths"]["joint"][:, :2])
        report(2, total)
        self.redraw()
        n_errors = {m: np.full(len(self.NS), np.nan) for m in METHODS}
        for k, n in enumerate(self.NS):
            r = compare_methods(tasks.with_n_target(int(n)), v["alpha"], v["beta"], v["steps"])
            for m in METHODS:
                n_errors[m][k] = r["errors"][m]
            self.plot.set_n_curves(self.NS, n_errors, v["n_target"])
            report(3 + k, total)
            self.redraw()
        res.update(ns=self.NS.copy(), n_errors=n_errors, grid=grid, grid_x=xs, grid_y=ys,
                   tasks=tasks)
        e = res["errors"]
        best = min(METHODS, key=e.get)
        res["verdict"] = verdict(e)
        if v == self.defaults:
            self.default_result = res
        # one whole sentence, translated when the message is made (i18n/texts/transfer.py)
        message = tr("target examples: {n_target}, source: {relation} | target test MSE "
                     "scratch {scratch:.3g}, fine-tune {finetune:.3g}, joint {joint:.3g} "
                     "(closed form {closed:.3g}); best: {best} — {verdict}",
                     n_target=v["n_target"], relation=relation_names()[v["relation"]],
                     scratch=e["scratch"], finetune=e["finetune"], joint=e["joint"],
                     closed=res["closed_form_error"], best=method_names()[best],
                     verdict=tr(VERDICTS[res["verdict"]]))
        return res, (message, "info")
