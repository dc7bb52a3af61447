"""Notebook 06's secure-aggregation dashboard: clients, threshold t, dropouts -> the exact-sum
check and the traffic of one round, compared like with like (same clients, same encoding)."""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..core.config import FedConfig
from ..core.federation import Federation
from ..i18n import tr
from ..plots.privacy import SecAggPlot
from ..privacy.secagg import SecAggError, fixed_point_sum, secure_sum
from .base import Dashboard
from .defaults import KeepsDefault

__all__ = ["SecAggDashboard"]

STYLE = {"description_width": "170px"}
LAYOUT = W.Layout(width="430px")
# Whole sentences, translated by tr(TEMPLATE, **fields) when the message is made (Chinese texts
# in i18n/texts/privacy.py); the protocol's own error {e} stays English.
SUMMARY = ("dropped: {d} of {n} clients (t = {t}); secure sum == plain sum: {exact} (max float "
           "error {err:.1e}). Upload {up:.1f} KB = masked vectors {vec:.1f} KB (as large as "
           "sending them in the clear) + keys and shares {keys:.1f} KB; download {down:.1f} KB")
REFUSED = "Protocol refused: {gone} of {n} clients dropped out. {e}"


def _dropouts(job: dict) -> list[int]:
    """The clients (a seeded random ``dropout`` share of ``n``) that vanish before uploading."""
    n = job["num_clients"]
    rng = np.random.default_rng(job["seed"])
    return np.sort(rng.permutation(n)[: int(round(job["dropout"] * n))]).tolist()


def _secagg_round(job: dict, dtype: str) -> dict:
    """One FedAvg round's updates summed by :func:`secure_sum` with the job's dropouts.
    Raises :class:`SecAggError` when too few clients remain."""
    n, t, seed = job["num_clients"], job["threshold"], job["seed"]
    fed = Federation(FedConfig(num_clients=n, local_epochs=1, seed=seed, dtype=dtype))
    w0 = fed.model.init()
    updates = fed.train(w0, np.arange(n)) - w0  # (n, p) what clients want to send
    res = secure_sum(updates, t, drop_before_upload=_dropouts(job), seed=seed)
    plain = fixed_point_sum(updates[res.included])
    return {"secagg": res, "plain_sum": plain, "exact": bool(np.array_equal(res.total, plain)),
            "dropped": res.dropped, "float_sum": updates[res.included].sum(axis=0)}


class SecAggDashboard(KeepsDefault, Dashboard):
    """Secure aggregation of one FedAvg round's client updates on digits, with dropouts.

    ``result`` is ``{"secagg": SecAggResult, "plain_sum", "exact", "dropped", "float_sum"}``
    (``exact``: secure sum == plain fixed-point sum of the survivors, bit for bit), ``None``
    after the protocol refused. The traffic panel compares like with like: the same clients
    sending the same fixed-point vectors in the clear. Local training runs in ``dtype``
    (float32 by default); the protocol sums integers, exactly.
    """

    def __init__(self, *, dtype: str = "float32", **kwargs):
        self.dtype = dtype
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        return {
            "num_clients": W.IntSlider(10, min=3, max=30, description=tr("clients n"),
                                       style=STYLE, layout=LAYOUT),
            "threshold": W.IntSlider(6, min=2, max=30, description=tr("threshold t"),
                                     style=STYLE, layout=LAYOUT),
            "dropout": W.FloatSlider(0.2, min=0.0, max=0.9, step=0.05,
                                     description=tr("dropout fraction"), style=STYLE,
                                     layout=LAYOUT),
            "seed": W.IntSlider(0, min=0, max=20, description=tr("seed"), style=STYLE,
                                layout=LAYOUT),
        }

    def make_figure(self):
        self.plot = SecAggPlot()
        return self.plot.fig

    def prepare(self, values: dict) -> dict:
        n, t = values["num_clients"], values["threshold"]
        if t > n:
            raise ValueError(tr("threshold t must be <= clients n, got t={t} > n={n}", t=t, n=n))
        return dict(values)

    def run_quietly(self, job: dict) -> dict:
        return _secagg_round(job, self.dtype)

    def compute(self, job: dict, report):
        report(0, 2, tr("one FedAvg round of local training, then the protocol…"))
        try:
            out = _secagg_round(job, self.dtype)
        except SecAggError as e:  # the protocol's own refusal: shown, not a crash
            self.plot.clear()
            gone = len(_dropouts(job))
            return None, (tr(REFUSED, gone=gone, n=job["num_clients"], e=e), "warning")
        res = out["secagg"]
        self._keep(job, out)
        keys_up = res.bytes_up - res.clear_bytes_up
        self.plot.update(out["float_sum"], res.total, res.clear_bytes_up, res.clear_bytes_up,
                         keys_up, res.bytes_down)
        report(2, 2)
        err = np.abs(res.total - out["float_sum"]).max()
        exact = tr("True") if out["exact"] else tr("False")
        return out, (tr(SUMMARY, d=len(out["dropped"]), n=job["num_clients"], t=job["threshold"],
                        exact=exact, err=err, up=res.bytes_up / 1024,
                        vec=res.clear_bytes_up / 1024, keys=keys_up / 1024,
                        down=res.bytes_down / 1024), "info")
