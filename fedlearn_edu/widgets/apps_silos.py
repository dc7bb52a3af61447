"""Notebook 08: the silo applications trained three ways, live (hospitals, banks, phones, shops).

:class:`SilosDashboard`: pick an application (medical diagnosis, financial risk, faces, text),
the number of silos, the hospitals' case mix α, the rounds and (for the hospitals) a
patient-level DP budget ε; see one bar per silo of each way of training (alone, pooled,
federated, and federated with DP-SGD) and the federated model's accuracy growing round by
round. The computation is :func:`fedlearn_edu.apps.three_ways` and
:func:`fedlearn_edu.apps.dp_federated` on the loaders of :mod:`fedlearn_edu.apps`, which need
no widgets: import them from there.
"""

from __future__ import annotations

import math

import ipywidgets as W
import numpy as np

from ..apps import dp_federated, three_ways
from ..apps.loaders import AppData
from ..apps.text import SHOPS
from ..core.models import Model
from ..i18n import tr
from ..plots.apps import DP_SERIES, SilosPlot
from .apps_settings import (
    APPLICATIONS,
    DP_LOCAL_STEPS,
    SETTINGS,
    SilosJob,
    SilosResult,
    bank_shares,
    load_silos,
)
from .base import Dashboard
from .defaults import KeepsDefault

__all__ = ["SilosDashboard", "SilosJob", "SilosResult", "bank_shares"]

EPSILONS = (("off (ε = ∞)", math.inf), ("10", 10.0), ("8", 8.0), ("3", 3.0), ("1", 1.0),
            ("0.5", 0.5))
MAX_SILOS, MAX_ROUNDS, MAX_SEED = 10, 30, 4  # the largest run (text, 30 rounds): ~3 s CPU

# Whole sentences (one template each), translated by tr(TEMPLATE, **fields) when the message
# is made (Chinese texts in i18n/texts/apps.py); SETTINGS' words (label, silos, metric) are
# translated one by one and passed in as fields.
ROUNDS = ("{n} round", "{n} rounds")
COUNT = {"hospitals": "{n} hospitals", "banks": "{n} banks", "phones": "{n} phones",
         "shops": "{n} shops"}
SUMMARY = ("{app}, {count}, {rounds}: mean {metric} alone {a:.3f}, pooled {p:.3f}, federated "
           "{f:.3f}; {name} (the weakest alone) goes from {wa:.3f} to {wf:.3f}")
SUMMARY_FINANCE = ("{app}, {count}, {rounds}: mean recall alone {a:.2f}, pooled {p:.2f}, "
                   "federated {f:.2f}; {name} (fewest defaults found alone) goes from {wa:.2f} "
                   "to {wf:.2f}; AUC alone {auc_a:.3f} vs federated {auc_f:.3f}; the federated "
                   "accuracy {acc:.3f} shows none of this (about 97 % of customers never "
                   "default)")
SUMMARY_DP = ("{app}, {count}, {rounds}: mean accuracy alone {a:.3f}, pooled {p:.3f}, "
              "federated {f:.3f}; federated with patient-level DP-SGD at ε = {eps:g}: {dp:.3f} "
              "(the same clipped SGD without noise: {clean:.3f})")
LOADING = "{app}: loading the {silos} and training each alone and pooled…"
PROGRESS = "federated round {r}/{n}"
DP_STAGE = "DP-SGD in every hospital at ε = {eps:g}…"
CLEAN_STAGE = "the same clipped SGD without noise…"
XLABEL_ALL = "{silo} (defaults in its training rows); scored on all test customers"
TITLE_ALL = "{Metric} of each {silo}'s model"
XLABEL_OWN = "{silo} (its test rows)"
TITLE_OWN = "{Metric} on each {silo}'s own test rows"


class SilosDashboard(KeepsDefault, Dashboard):
    """Alone / pooled / federated (/ federated with patient-level DP) on an application's silos.

    Controls: ``application`` (medical / finance / faces / text), ``silos`` (2..10 hospitals,
    banks or phones; text always has its 5 shops), ``alpha`` (the hospitals' case mix),
    ``epsilon`` (the hospitals' DP budget; "off" = no DP run), ``rounds`` (1..30),
    ``seed`` (data split and training). Controls an application ignores are greyed out.
    ``result`` / ``default_result`` are :class:`SilosResult`. The keyword arguments are the
    controls' start values (the defaults the reset button returns to), e.g.
    ``SilosDashboard(application="faces", silos=10)``.
    """

    def __init__(self, *, application: str = "medical", silos: int = 4, alpha: float = 0.3,
                 epsilon: float = math.inf, rounds: int = 20, seed: int = 0, **kwargs):
        start = dict(application=application, silos=silos, alpha=alpha, epsilon=epsilon,
                     rounds=rounds, seed=seed)
        self.prepare(start)  # names a bad start value
        if epsilon not in dict(EPSILONS).values():
            raise ValueError(f"epsilon must be one of {[v for _, v in EPSILONS]}, got {epsilon!r}")
        self._start = start
        self._apps: dict[tuple, AppData] = {}
        self._dp_cache: dict[tuple, dict] = {}
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        style, lay, v = {"description_width": "150px"}, W.Layout(width="420px"), self._start
        controls = {
            "application": W.Dropdown(
                options=[(tr("{label} ({key})", label=tr(SETTINGS[a].label), key=a), a)
                         for a in APPLICATIONS],
                value=v["application"], description=tr("application (应用)"), style=style,
                layout=lay),
            "silos": W.IntSlider(v["silos"], min=2, max=MAX_SILOS,
                                 description=tr("silos (clients)"), style=style, layout=lay),
            "alpha": W.FloatLogSlider(v["alpha"], base=10, min=-2, max=2, step=0.1,
                                      description=tr("case mix α (medical)"), readout_format=".3g",
                                      style=style, layout=lay),
            "epsilon": W.SelectionSlider(options=[(tr(lab), e) for lab, e in EPSILONS],
                                         value=v["epsilon"], description=tr("DP ε (medical)"),
                                         style=style, layout=lay),
            "rounds": W.IntSlider(v["rounds"], min=1, max=MAX_ROUNDS,
                                  description=tr("rounds (轮数)"), style=style, layout=lay),
            "seed": W.IntSlider(v["seed"], min=0, max=MAX_SEED, description=tr("seed"), style=style,
                                layout=lay),
        }
        # greys out what the application ignores (registered before the dashboard's observer)
        controls["application"].observe(lambda ch: self._grey_out(controls, ch["new"]),
                                        names="value")
        self._grey_out(controls, v["application"])
        return controls

    @staticmethod
    def _grey_out(controls: dict, application: str) -> None:
        controls["silos"].disabled = application == "text"
        controls["alpha"].disabled = application != "medical"
        controls["epsilon"].disabled = application != "medical"

    def make_figure(self):
        self.plot = SilosPlot(self._start["rounds"], MAX_SILOS)
        return self.plot.fig

    def prepare(self, values: dict) -> SilosJob:
        app = values["application"]
        if app not in APPLICATIONS:
            raise ValueError(f"application must be one of {APPLICATIONS}, got {app!r}")
        silos, rounds, seed = int(values["silos"]), int(values["rounds"]), int(values["seed"])
        if not 2 <= silos <= MAX_SILOS:
            raise ValueError(f"silos must be in [2, {MAX_SILOS}], got {silos}")
        if not 1 <= rounds <= MAX_ROUNDS:
            raise ValueError(f"rounds must be in [1, {MAX_ROUNDS}], got {rounds}")
        if not 0 <= seed <= MAX_SEED:
            raise ValueError(f"seed must be in [0, {MAX_SEED}], got {seed}")
        alpha, eps = float(values["alpha"]), float(values["epsilon"])
        if not 0.01 - 1e-12 <= alpha <= 100 + 1e-9:
            raise ValueError(f"α must be in [0.01, 100], got {alpha:g}")
        medical = app == "medical"
        return SilosJob(app, len(SHOPS) if app == "text" else silos,
                        float(f"{alpha:.6g}") if medical else None, rounds,
                        eps if medical and math.isfinite(eps) else None, seed)

    def data(self, job: SilosJob) -> AppData:
        """The application's silos for ``job`` (loaded once per setting)."""
        key = job.data_key
        if key not in self._apps:
            if len(self._apps) >= 16:  # keep memory bounded
                self._apps.clear()
            self._apps[key] = load_silos(job)
        return self._apps[key]

    def run_job(self, job: SilosJob, on_round=None, on_stage=None) -> SilosResult:
        """The whole run of ``job``: ``on_round(round, mean accuracy)`` after every federated
        round, ``on_stage(text)`` before each of the DP runs."""
        s, app = SETTINGS[job.application], self.data(job)
        model = Model(s.kind, app.data.n_features, 2)
        ways = three_ways(app, model, rounds=job.rounds, local_epochs=s.local_epochs,
                          batch_size=s.batch_size, lr=s.lr, seed=job.seed, on=s.on,
                          callback=on_round)
        counts = tuple(len(app.data.y_test) if s.on == "all" else len(t)
                       for t in app.test_users)
        short = [name.split()[-1] for name in app.names]  # "hospital 0" -> "0"
        if job.application == "finance":  # what differs between the banks: their defaults
            labels = tuple(f"{x}\n({int(app.data.y_train[u].sum())})"
                           for x, u in zip(short, app.data.users))
        else:
            labels = tuple(f"{x}\n(n={c})" for x, c in zip(short, counts))
        dp = dp_clean = None
        if job.epsilon is not None:
            if on_stage is not None:
                on_stage(tr(DP_STAGE, eps=job.epsilon))
            dp = dp_federated(app, model, job.epsilon, rounds=job.rounds,
                              local_steps=DP_LOCAL_STEPS, seed=job.seed)
            key = (job.data_key, job.rounds)
            if key not in self._dp_cache:
                if on_stage is not None:
                    on_stage(tr(CLEAN_STAGE))
                self._dp_cache[key] = dp_federated(app, model, math.inf, rounds=job.rounds,
                                                   local_steps=DP_LOCAL_STEPS, seed=job.seed)
            dp_clean = self._dp_cache[key]
        return SilosResult(job, app.names, counts, labels, s.metric, ways, dp, dp_clean)

    def run_quietly(self, job: SilosJob) -> SilosResult:
        return self.run_job(job)

    def compute(self, job: SilosJob, report):
        s = SETTINGS[job.application]
        total = job.rounds + (1 if job.epsilon is not None else 0)
        self.plot.set_rounds(job.rounds)
        report(0, total, tr(LOADING, app=tr(s.label), silos=tr(s.silos)))
        curve: list[float] = []

        def on_round(r, acc):
            curve.append(acc)
            self.plot.set_curve(curve)
            report(r, total, tr(PROGRESS, r=r, n=job.rounds))
            self.redraw()

        result = self.run_job(job, on_round, lambda text: report(job.rounds, total, text))
        self.draw(result)
        self._keep(job, result)
        return result, (self.summary(result), "info")

    def draw(self, result: SilosResult) -> None:
        """Bars and reference lines of ``result`` (the curve is drawn round by round)."""
        s = SETTINGS[result.job.application]
        fields = dict(silo=tr(s.silo), Metric=tr(s.metric.capitalize()))
        if s.on == "all":
            xlabel, title = tr(XLABEL_ALL, **fields), tr(TITLE_ALL, **fields)
        else:
            xlabel, title = tr(XLABEL_OWN, **fields), tr(TITLE_OWN, **fields)
        self.plot.set_bars(result.labels, result.scores(), tr(s.metric), xlabel, title)
        self.plot.set_curve(result.ways["curve"])
        means = result.mean("accuracy")
        self.plot.set_refs({k: v for k, v in means.items() if k != "federated"})
        self.redraw(force=True)

    @staticmethod
    def summary(result: SilosResult) -> str:
        """The status line of ``result`` (one whole sentence per case)."""
        job, s = result.job, SETTINGS[result.job.application]
        m, scores = result.mean(), result.scores()
        weakest = int(np.nanargmin(scores["alone"]))
        wa, wf = scores["alone"][weakest], scores["federated"][weakest]
        name, n = result.names[weakest], job.silos
        a, p, f = m["alone"], m["pooled"], m["federated"]
        common = dict(app=tr(s.label), count=tr(COUNT[s.silos], n=n),
                      rounds=tr(ROUNDS[0] if job.rounds == 1 else ROUNDS[1], n=job.rounds),
                      a=a, p=p, f=f)
        if job.application == "finance":
            auc, acc = result.mean("auc"), result.mean("accuracy")["federated"]
            return tr(SUMMARY_FINANCE, name=name, wa=wa, wf=wf, auc_a=auc["alone"],
                      auc_f=auc["federated"], acc=acc, **common)
        if result.dp is not None:
            dp, clean = m[DP_SERIES], float(np.mean([c["accuracy"]
                                                     for c in result.dp_clean["scores"]]))
            return tr(SUMMARY_DP, eps=job.epsilon, dp=dp, clean=clean, **common)
        return tr(SUMMARY, metric=tr(s.metric), name=name, wa=wa, wf=wf, **common)
