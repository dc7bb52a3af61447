"""Notebook 08's silo applications: how each is trained, a setting, a result (no widgets).

:class:`~.apps_silos.SilosDashboard` runs them; kept apart so that the dashboard's file stays
small. :func:`load_silos` loads an application's clients for a :class:`SilosJob`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from ..apps import load_default, load_faces, load_hospitals, load_reviews, summary
from ..apps.loaders import AppData
from ..plots.apps import DP_SERIES

__all__ = ["APPLICATIONS", "SETTINGS", "AppSetting", "SilosJob", "SilosResult", "bank_shares",
           "load_silos"]

APPLICATIONS = ("medical", "finance", "faces", "text")


@dataclass(frozen=True)
class AppSetting:
    """How one application is trained: the notebook's settings for it."""

    label: str
    silo: str  # one client, singular
    silos: str  # plural
    metric: str  # what the bars show
    kind: str  # the model
    local_epochs: int
    batch_size: int
    lr: float
    on: str  # scored on each client's own test rows, or on all test rows (see three_ways)


SETTINGS = {
    "medical": AppSetting("medical diagnosis", "hospital", "hospitals", "accuracy", "logistic",
                          2, 16, 0.1, "own"),
    "finance": AppSetting("financial risk", "bank", "banks", "recall", "logistic", 1, 32, 0.5,
                          "all"),
    "faces": AppSetting("faces", "phone", "phones", "accuracy", "logistic", 2, 8, 0.05, "own"),
    "text": AppSetting("text", "shop", "shops", "accuracy", "softmax", 1, 32, 2.0, "own"),
}
DP_LOCAL_STEPS = 10  # the notebook's dp_federated setting


def bank_shares(n: int) -> tuple[float, ...]:
    """Customer shares of ``n`` banks: the last bank holds 5 %, the others share 95 %, each
    two thirds of the one before (``n = 4`` gives ``load_default``'s 45 / 30 / 20 / 5 %)."""
    g = (2 / 3) ** np.arange(n - 1)
    return tuple(float(x) for x in np.r_[0.95 * g / g.sum(), 0.05])


@dataclass(frozen=True)
class SilosJob:
    """One setting; the controls an application ignores are ``None`` (text: 5 shops)."""

    application: str
    silos: int
    alpha: float | None
    rounds: int
    epsilon: float | None  # None: no DP run
    seed: int

    @property
    def data_key(self) -> tuple:
        return self.application, self.silos, self.alpha, self.seed


@dataclass(frozen=True)
class SilosResult:
    """What a run of the dashboard gives: ``ways`` is :func:`three_ways`'s result, ``dp`` and
    ``dp_clean`` :func:`dp_federated`'s at ``job.epsilon`` and at ε = ∞ (the same clipped
    SGD without noise), ``None`` without DP; ``counts`` the test rows each silo is scored on."""

    job: SilosJob
    names: tuple
    counts: tuple
    labels: tuple  # the bars' tick labels
    metric: str
    ways: dict
    dp: dict | None = None
    dp_clean: dict | None = None

    def scores(self, metric: str | None = None) -> dict:
        """``{series: per-silo array}`` of ``metric`` (default: the application's)."""
        metric = metric or self.metric
        out = summary(self.ways, metric)
        if self.dp is not None:
            out[DP_SERIES] = np.array([s[metric] for s in self.dp["scores"]])
        return out

    def mean(self, metric: str | None = None) -> dict:
        """``{series: mean over the silos}`` (NaN-free silos only)."""
        return {k: float(np.nanmean(v)) for k, v in self.scores(metric).items()}

    def weighted(self, metric: str | None = None) -> dict:
        """``{series: mean over the silos weighted by their test rows}``."""
        return {k: float(np.average(v, weights=self.counts))
                for k, v in self.scores(metric).items()}


def load_silos(job: SilosJob) -> AppData:
    """The application's clients for ``job`` (hospitals, banks, phones or the 5 shops)."""
    if job.application == "medical":
        return load_hospitals(job.silos, job.alpha, job.seed)
    if job.application == "finance":
        return load_default(bank_shares(job.silos), seed=job.seed)
    if job.application == "faces":
        return load_faces(job.silos, seed=job.seed)
    return load_reviews(1024, 2, seed=job.seed)
