"""Notebook 04 dashboard: latency, stragglers, sync vs async and compression, live.

Every change runs three simulations on the virtual clock (:class:`fedlearn_edu.runner.SystemsRun`):
``sync`` (the reference), the chosen ``mode`` and the chosen mode with compressed updates,
then redraws the three panels of :class:`~fedlearn_edu.plots.systems.SystemsFigure` in place.
Works without a browser: set ``dash.controls["latency_ms"].value = 800`` and read
``dash.result`` or the line data.
"""

from __future__ import annotations

import ipywidgets as W
import numpy as np

from ..core.config import FedConfig
from ..core.history import time_to_accuracy
from ..plots.systems import SystemsFigure
from ..runner import SystemsRun
from ..systems.config import MODE_NAMES, SystemsConfig
from .base import Dashboard
from .defaults import KeepsDefault

__all__ = ["SystemsDashboard"]


class SystemsDashboard(KeepsDefault, Dashboard):
    """Sliders for latency, spread, stragglers, deadline, mode, mu, compression, clients.

    ``result`` is a dict ``{"sync", "chosen", "compressed"}`` -> :class:`SystemsRun`;
    ``default_result`` the same for the default settings (kept for the notebook's checks).

    Args:
        base: the :class:`FedConfig` the controls start from (other fields are kept).
        dtype: precision of the runs, ``"float32"`` by default (the fast path); ``None``
            keeps ``base.dtype``.
    """

    SYSTEMS_CONTROLS = ("latency_ms", "latency_spread", "straggler_fraction", "deadline_s", "mode")

    def __init__(self, base: FedConfig | None = None, *, dtype: str | None = "float32",
                 **kwargs):
        self.base = base or FedConfig(
            dataset="digits", num_clients=20, rounds=20, local_epochs=2, mu=0.1,
            systems=SystemsConfig(preset="mobile", latency_ms=200.0, latency_spread=0.5,
                                  straggler_fraction=0.3, deadline_s=2.0, mode="fedprox",
                                  buffer_size=5))
        if self.base.systems is None:
            self.base = self.base.replace(systems=SystemsConfig())
        if dtype:
            self.base = self.base.replace(dtype=dtype)
        self._cache: dict = {}
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        b, s = self.base, self.base.systems
        # English labels (the browser may lack CJK fonts); the Chinese term is the tooltip
        kw = dict(style={"description_width": "150px"}, layout=W.Layout(width="430px"))
        deadline = s.deadline_s if np.isfinite(s.deadline_s) else 10.0
        return {
            "latency_ms": W.FloatSlider(s.latency_ms, min=0, max=2000, step=50,
                                        description="mean latency (ms)", tooltip="延迟", **kw),
            "latency_spread": W.FloatSlider(s.latency_spread, min=0, max=1.5, step=0.1,
                                            description="latency spread",
                                            tooltip="延迟差异 (对数正态)", **kw),
            "straggler_fraction": W.FloatSlider(s.straggler_fraction, min=0, max=0.9, step=0.1,
                                                description="straggler fraction",
                                                tooltip="掉队者比例", **kw),
            "deadline_s": W.FloatLogSlider(deadline, base=10, min=-1, max=2, step=0.05,
                                           description="deadline (s)", tooltip="截止时间",
                                           readout_format=".3g", **kw),
            "mode": W.Dropdown(options=MODE_NAMES, value=s.mode, description="mode",
                               tooltip="同步 / 截止时间 / FedProx / 异步 / 缓冲异步", **kw),
            "mu": W.FloatSlider(b.mu, min=0, max=1, step=0.05, description="FedProx mu",
                                tooltip="近端项强度", **kw),
            "compression": W.Dropdown(options=("topk", "int8"), value="topk",
                                      description="compression", tooltip="压缩 (通信开销)", **kw),
            "num_clients": W.IntSlider(b.num_clients, min=2, max=60, description="clients",
                                       tooltip="客户端数量", **kw),
            "round": W.IntSlider(2, min=1, max=b.rounds, description="timeline round",
                                 tooltip="时间线显示的轮次", **kw),
        }

    def make_figure(self):
        self.plot = SystemsFigure()
        return self.plot.fig

    def prepare(self, values: dict):
        v = dict(values)
        rnd, method = v.pop("round"), v.pop("compression")
        # the configs validate: errors name the field
        systems = self.base.systems.replace(**{k: v.pop(k) for k in self.SYSTEMS_CONTROLS})
        chosen = self.base.replace(systems=systems, **v)
        sync = chosen.replace(systems=systems.replace(mode="sync"), mu=0.0)
        compressed = chosen.replace(systems=systems.replace(
            compression=method, error_feedback=method == "topk"))
        return {"sync": sync, "chosen": chosen, "compressed": compressed}, rnd

    def _simulate(self, cfg: FedConfig, report, offset: int, total: int) -> SystemsRun:
        if cfg in self._cache:
            return self._cache[cfg]
        run = SystemsRun(cfg)
        run.run(lambda rec, hist: report(offset + rec.round, total))
        if len(self._cache) > 24:
            self._cache.clear()
        self._cache[cfg] = run
        return run

    def run_quietly(self, job) -> dict:
        return {name: self._simulate(cfg, lambda done, total: None, 0, 0)
                for name, cfg in job[0].items()}

    def compute(self, job, report):
        cfgs, rnd = job
        total = 3 * self.base.rounds
        runs = {name: self._simulate(cfg, report, i * self.base.rounds, total)
                for i, (name, cfg) in enumerate(cfgs.items())}
        self._keep(job, runs)
        chosen, sync, comp = runs["chosen"], runs["sync"], runs["compressed"]
        mode = cfgs["chosen"].systems.mode
        self.plot.time.update("sync", sync.history, label="sync")
        self.plot.time.update("chosen", chosen.history, label=f"{mode} (chosen)")
        rnd = min(rnd, max(chosen.history.completed, 1))
        deadline = cfgs["chosen"].systems.deadline_s if mode in ("deadline", "fedprox") else np.inf
        self.plot.gantt.update(chosen.timeline, rnd, deadline=deadline,
                               show_idle=mode not in ("async", "fedbuff"))
        self.plot.bytes.update("no compression", chosen.history, label=f"{mode}, dense")
        self.plot.bytes.update("compressed", comp.history,
                               label=f"{mode}, {cfgs['compressed'].systems.compression}")
        for name, run in runs.items():
            if run.history.diverged:
                return runs, (f"{name} run diverged: {run.history.message}", "warning")
        h, hs = chosen.history, sync.history
        if mode in ("deadline", "fedprox") and h.num_participants[: h.completed].sum() == 0:
            return runs, ("No client ever met the deadline, so the model never changed: "
                          "raise the deadline or lower the latency.", "warning")
        target = 0.9 * float(np.nanmax(hs.test_accuracy))
        ratio = np.nansum(h.bytes_up) / max(np.nansum(comp.history.bytes_up), 1.0)
        return runs, (
            f"time to {target:.2f} accuracy: {mode} {time_to_accuracy(h, target):.3g} s, "
            f"sync {time_to_accuracy(hs, target):.3g} s (simulated). Final accuracy "
            f"{h.final()['test_accuracy']:.3f} vs sync {hs.final()['test_accuracy']:.3f}; "
            f"compression sends {ratio:.1f}x fewer bytes "
            f"(accuracy {comp.history.final()['test_accuracy']:.3f}).", "info")
