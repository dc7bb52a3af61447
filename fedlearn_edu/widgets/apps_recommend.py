"""Notebook 08: federated matrix factorisation on MovieLens against centralised ALS, live.

:class:`RecommendDashboard`: rounds, latent factors ``k``, regularisation ``λ`` and the
cold-start users' known ratings; the test RMSE of federated MF (every user a client) and of
centralised alternating least squares grows round by round, and the cold-start users'
RMSE shows what the global movie factors give a new user. The computation is
:func:`fedlearn_edu.apps.federated_mf`, :func:`~fedlearn_edu.apps.centralised_mf` and
:func:`~fedlearn_edu.apps.cold_start_user`, which need no widgets.
"""

from __future__ import annotations

from dataclasses import dataclass

import ipywidgets as W
import numpy as np

from ..apps import (
    centralised_mf,
    cold_start_user,
    federated_mf,
    load_movielens,
    predict,
    rmse,
)
from ..apps.loaders import AppData
from ..i18n import tr
from ..plots.apps import COLD_WAYS, RecommendPlot
from .base import Dashboard
from .defaults import KeepsDefault

__all__ = ["RecommendDashboard", "RecommendJob", "RecommendResult", "cold_start_rmse"]

COLD_USERS = 30  # held out of training, as in the notebook
MAX_FACTORS = 10  # ALS costs ~k^2 per round: k = 10 and 30 rounds take ~3 s of CPU time

# Whole sentences (one template each), translated by tr(TEMPLATE, **fields) when the message
# is made (Chinese texts in i18n/texts/apps.py).
ROUNDS = ("{n} round", "{n} rounds")
FACTORS = ("{n} factor", "{n} factors")
COLD = ("a cold-start user with {n} rating: global factors {g:.3f}, movie averages {m:.3f}, "
        "mean rating {r:.3f}",
        "a cold-start user with {n} ratings: global factors {g:.3f}, movie averages {m:.3f}, "
        "mean rating {r:.3f}")
SUMMARY = ("{rounds}, {factors}, λ = {lam:g}: test RMSE federated {f:.4f} (lowest after round "
           "{best}) vs centralised ALS {a:.4f}; predicting the mean rating {mean:.4f}; {cold}")
STARTING = "federated rounds…"
PROGRESS = {"federated": "federated: round {r}/{n}",
            "centralised": "centralised ALS: round {r}/{n}"}


def cold_start_rmse(app: AppData, model: dict, users, n_known: int, lam: float) -> dict:
    """RMSE over ``users``' test ratings when each user, new to the service, rated only
    ``n_known`` of their training movies (picked with the user's id as seed):
    ``{"mean rating", "movie averages", "global factors"}`` (the last: their own vector from
    the global movie factors, :func:`cold_start_user`)."""
    d = app.data
    errs: dict[str, list] = {way: [] for way in COLD_WAYS}
    for u in users:
        tr, te = d.users[u], app.test_users[u]
        movies, stars = d.X_train[tr, 1].astype(int), d.y_train[tr]
        pick = np.random.default_rng(int(u)).permutation(len(movies))[:n_known]
        mine = cold_start_user(model, movies[pick], stars[pick], lam=lam)
        ask = np.column_stack([np.zeros(len(te)), d.X_test[te, 1]])
        truth = d.y_test[te]
        errs["global factors"].append(predict(mine, ask) - truth)
        errs["mean rating"].append(model["mu"] - truth)
        errs["movie averages"].append(model["mu"] + model["c"][ask[:, 1].astype(int)] - truth)
    return {k: float(np.sqrt(np.mean(np.concatenate(v) ** 2))) for k, v in errs.items()}


@dataclass(frozen=True)
class RecommendJob:
    """One setting of the dashboard."""

    rounds: int
    k: int
    lam: float
    known: int


@dataclass(frozen=True)
class RecommendResult:
    """``federated`` / ``centralised``: :func:`federated_mf` / :func:`centralised_mf` (ALS)
    results; ``mean_rmse``: predicting the mean rating; ``cold``: :func:`cold_start_rmse`
    with the federated model."""

    job: RecommendJob
    federated: dict
    centralised: dict
    mean_rmse: float
    cold: dict


class RecommendDashboard(KeepsDefault, Dashboard):
    """Federated MF vs centralised ALS on MovieLens, and a cold-start user.

    Controls: ``rounds`` (1..30), ``k`` (latent factors, 1..10), ``lam`` (regularisation λ,
    log slider 0.1..100), ``known`` (the cold-start users' known ratings, 0..10).
    ``result`` / ``default_result`` are :class:`RecommendResult`.

    Args:
        app: ``load_movielens()``'s data (loaded if not given).
        cold_users: the users held out of training and scored as cold-start users (default:
            30 drawn with seed 0, as in the notebook).
    """

    def __init__(self, app: AppData | None = None, *, cold_users=None, **kwargs):
        self.app = load_movielens(min_ratings=20, seed=0) if app is None else app
        if cold_users is None:
            cold_users = np.random.default_rng(0).choice(self.app.num_clients, COLD_USERS,
                                                         replace=False)
        self.cold_users = np.asarray(cold_users, dtype=int)
        if self.cold_users.ndim != 1 or len(self.cold_users) == 0 or np.any(
                (self.cold_users < 0) | (self.cold_users >= self.app.num_clients)):
            raise ValueError(f"cold_users must be user ids in [0, {self.app.num_clients}), "
                             f"at least one, got {cold_users!r}")
        self._runs: dict[tuple, dict] = {}
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        style, lay = {"description_width": "170px"}, W.Layout(width="430px")
        return {
            "rounds": W.IntSlider(20, min=1, max=30, description=tr("rounds (轮数)"), style=style,
                                  layout=lay),
            "k": W.IntSlider(10, min=1, max=MAX_FACTORS, description=tr("factors k (隐因子)"),
                             style=style, layout=lay),
            "lam": W.FloatLogSlider(10.0, base=10, min=-1, max=2, step=0.1,
                                    description=tr("regularisation λ"), readout_format=".3g",
                                    style=style, layout=lay),
            "known": W.IntSlider(3, min=0, max=10, description=tr("cold-start ratings (冷启动)"),
                                 style=style, layout=lay),
        }

    def make_figure(self):
        self.plot = RecommendPlot(20)
        return self.plot.fig

    def prepare(self, values: dict) -> RecommendJob:
        rounds, k, known = int(values["rounds"]), int(values["k"]), int(values["known"])
        lam = float(values["lam"])
        for name, v, lo, hi in (("rounds", rounds, 1, 30), ("k", k, 1, MAX_FACTORS),
                                ("known", known, 0, 10)):
            if not lo <= v <= hi:
                raise ValueError(f"{name} must be in [{lo}, {hi}], got {v}")
        if not 0.1 - 1e-12 <= lam <= 100 + 1e-9:
            raise ValueError(f"λ must be in [0.1, 100], got {lam:g}")
        return RecommendJob(rounds, k, float(f"{lam:.6g}"), known)

    def _train(self, job: RecommendJob, which: str, callback=None) -> dict:
        key = (which, job.rounds, job.k, job.lam)  # the known ratings need no retraining
        if key not in self._runs:
            if len(self._runs) >= 16:  # keep memory bounded
                self._runs.clear()
            args = dict(k=job.k, lam=job.lam, rounds=job.rounds, exclude=self.cold_users,
                        callback=callback)
            self._runs[key] = (federated_mf(self.app, **args) if which == "federated" else
                               centralised_mf(self.app, method="als", **args))
        return self._runs[key]

    def run_job(self, job: RecommendJob, on_round=None) -> RecommendResult:
        """Both trainings (``on_round(which, round, rmse)`` after each round) and the
        cold-start users."""
        runs = {}
        for which in ("federated", "centralised"):
            cb = None if on_round is None else (lambda r, e, w=which: on_round(w, r, e))
            runs[which] = self._train(job, which, cb)
        fed = runs["federated"]
        d = self.app.data
        test = ~np.isin(d.X_test[:, 0].astype(int), self.cold_users)
        mean_rmse = rmse(d.y_test[test], np.full(int(test.sum()), fed["model"]["mu"]))
        cold = cold_start_rmse(self.app, fed["model"], self.cold_users, job.known, job.lam)
        return RecommendResult(job, fed, runs["centralised"], mean_rmse, cold)

    def run_quietly(self, job: RecommendJob) -> RecommendResult:
        return self.run_job(job)

    def compute(self, job: RecommendJob, report):
        self.plot.set_rounds(job.rounds)
        curves: dict[str, list] = {"federated": [], "centralised": []}
        total = 2 * job.rounds
        report(0, total, tr(STARTING))

        def on_round(which, r, e):
            curves[which].append(e)
            self.plot.set_curve(which, curves[which])
            done = r + (job.rounds if which == "centralised" else 0)
            report(done, total, tr(PROGRESS[which], r=r, n=job.rounds))
            self.redraw()

        result = self.run_job(job, on_round)
        self.plot.set_curve("federated", result.federated["rmse"])
        self.plot.set_curve("centralised", result.centralised["rmse"])
        self.plot.set_mean(result.mean_rmse)
        self.plot.set_cold(result.cold, job.known, len(self.cold_users))
        self.redraw(force=True)
        self._keep(job, result)
        return result, (self.summary(result), "info")

    @staticmethod
    def summary(result: RecommendResult) -> str:
        """The status line of ``result`` (one whole sentence per case)."""
        job, c = result.job, result.cold
        f, a = result.federated["rmse"][-1], result.centralised["rmse"][-1]
        best = int(np.argmin(result.federated["rmse"])) + 1
        cold = tr(COLD[0] if job.known == 1 else COLD[1], n=job.known,
                  g=c["global factors"], m=c["movie averages"], r=c["mean rating"])
        return tr(SUMMARY, rounds=tr(ROUNDS[0] if job.rounds == 1 else ROUNDS[1], n=job.rounds),
                  factors=tr(FACTORS[0] if job.k == 1 else FACTORS[1], n=job.k), lam=job.lam,
                  f=f, best=best, a=a, mean=result.mean_rmse, cold=cold)
