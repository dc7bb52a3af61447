"""Notebook 01, section 4: FedAvg at the article's scale, up to 10,000 clients."""

from __future__ import annotations

import time

import ipywidgets as W
import numpy as np

from ..core.config import FedConfig
from ..i18n import tr
from ..plots import ConvergencePlot
from .base import Dashboard
from .intro import labelled

CLIENT_COUNTS = (100, 300, 1_000, 3_000, 10_000)
MAX_CLIENT_UPDATES = 10_000  # local trainings per run (clients per round x rounds): ~10 s here


class ScaleDashboard(Dashboard):
    """FedAvg on the FedProx paper's synthetic users (``dataset="fedprox_synthetic"``,
    ``partition="natural"``: every generated user is one client, power-law sizes), float32.

    Controls: ``num_clients`` (100 ... 10,000), ``client_fraction``, ``rounds``. The result is
    ``(history, seconds_per_round)``; the status line says how many clients trained per round
    and how long a round took, so a student sees the cost follow the *training* clients.
    A setting with more than ``MAX_CLIENT_UPDATES`` local trainings in all (e.g. all 10,000
    clients for 2 rounds) is refused in the status line, so every run ends within seconds.
    ``default_result`` is the result of the default setting (kept from its run, or computed
    on demand without drawing).
    """

    def __init__(self, base: FedConfig | None = None, **kwargs):
        self.base = base or FedConfig(dataset="fedprox_synthetic", partition="natural",
                                      num_clients=1_000, client_fraction=0.1, rounds=10,
                                      lr=0.01, dtype="float32")
        self.history = None
        self._default = None
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        b, style, lay = self.base, {"description_width": "130px"}, W.Layout(width="420px")
        return {
            "num_clients": W.SelectionSlider(options=CLIENT_COUNTS, value=b.num_clients,
                                             **labelled("clients", "客户端数量 K"),
                                             continuous_update=False, style=style, layout=lay),
            "client_fraction": W.FloatLogSlider(b.client_fraction, base=10, min=-2, max=0,
                                                step=0.5,
                                                **labelled("client fraction C",
                                                           "每轮参与的客户端比例"),
                                                readout_format=".2g", style=style, layout=lay),
            "rounds": W.IntSlider(b.rounds, min=1, max=30, **labelled("rounds", "通信轮次"),
                                  style=style, layout=lay),
        }

    def make_figure(self):
        self.plot = ConvergencePlot(self.base.rounds, label=tr("FedAvg, synthetic users"))
        return self.plot.fig

    def prepare(self, values: dict) -> FedConfig:
        cfg = self.base.replace(**values)
        m, r = cfg.clients_per_round, cfg.rounds
        if m * r > MAX_CLIENT_UPDATES:
            raise ValueError(tr("{m} clients per round x {r} rounds = {total:,} local "
                                "trainings; this dashboard runs at most {most:,} per setting: "
                                "lower the client fraction or the rounds", m=m, r=r,
                                total=m * r, most=MAX_CLIENT_UPDATES))
        return cfg

    @property
    def default_result(self) -> tuple:
        """``(history, seconds_per_round)`` of the default setting, whatever the controls show."""
        if self._default is None:
            self._default = self._run_config(self.prepare(self.defaults))
        return self._default

    def _run_config(self, cfg: FedConfig, on_round=None) -> tuple:
        from ..core.federation import Federation
        from ..core.loop import run_history
        from ..runner import records

        fed = Federation(cfg)  # built before the clock starts: round times are rounds only
        stamps = [time.perf_counter()]

        def callback(rec, hist):
            stamps.append(time.perf_counter())
            if on_round is not None:
                on_round(rec, hist, stamps[-1] - stamps[-2])

        hist = run_history(cfg, records(cfg, fed), callback)
        per_round = float(np.median(np.diff(stamps))) if len(stamps) > 1 else float("nan")
        return hist, per_round

    def compute(self, cfg: FedConfig, report):
        report(0, cfg.rounds, tr("generating {n} users (once per size)…", n=cfg.num_clients))
        self.plot.set_rounds(cfg.rounds)

        def on_round(rec, hist, seconds):
            self.plot.update(hist)
            report(rec.round, cfg.rounds, tr("round {r}: {seconds:.2f} s", r=rec.round,
                                             seconds=seconds))
            self.redraw()

        hist, per_round = out = self._run_config(cfg, on_round)
        self.plot.update(hist)
        self.history = hist
        if cfg == self.prepare(self.defaults):
            self._default = out
        if hist.diverged:
            return out, (tr("Diverged: {message}", message=hist.message), "warning")
        return out, (tr("{n} clients, {m} trained per round: {seconds:.2f} s per round "
                        "(median), test accuracy {acc:.3f}", n=cfg.num_clients,
                        m=cfg.clients_per_round, seconds=per_round,
                        acc=hist.final()["test_accuracy"]), "info")
