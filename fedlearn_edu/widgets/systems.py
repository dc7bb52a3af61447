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
from ..i18n import get_language, tr
from ..plots.systems import SystemsFigure
from ..runner import SystemsRun
from ..systems.config import MODE_NAMES, SystemsConfig
from .base import Dashboard
from .defaults import KeepsDefault

__all__ = ["SystemsDashboard"]

# Whole sentences (one template each), translated by tr(TEMPLATE, **fields) when the message is
# made (Chinese texts in i18n/texts/systems.py).
SUMMARY = ("time to {target:.2f} accuracy: {mode} {t_mode:.3g} s, sync {t_sync:.3g} s "
           "(simulated). Final accuracy {acc:.3f} vs sync {acc_sync:.3f}; compression sends "
           "{ratio:.1f}x fewer bytes (accuracy {acc_comp:.3f}).")
NO_CLIENT = ("No client ever met the deadline, so the model never changed: raise the deadline "
             "or lower the latency.")
DIVERGED = "{name} run diverged: {message}"
CHOSEN, DENSE, COMPRESSED = "{mode} (chosen)", "{mode}, dense", "{mode}, {method}"
COMPRESSIONS = ("topk", "int8")


def labelled(text: str, term: str) -> dict:
    """A control's ``description`` and ``tooltip``, read when the dashboard is built: in
    English the label is English and its Chinese term the tooltip (the browser may lack CJK
    fonts); in Chinese the label is Chinese and the tooltip the English original (the word a
    student meets in the papers)."""
    if get_language() == "en":
        return {"description": text, "tooltip": term}
    return {"description": tr(text), "tooltip": text}


def mode_names() -> dict[str, str]:
    """How each mode is shown (dropdown, legend, status line), in the current language."""
    return {"sync": tr("sync"), "deadline": tr("deadline"), "fedprox": tr("fedprox"),
            "async": tr("async"), "fedbuff": tr("fedbuff")}


def compression_names() -> dict[str, str]:
    """How each compression method is shown, in the current language."""
    return {"topk": tr("topk"), "int8": tr("int8")}


def run_names() -> dict[str, str]:
    """The three runs of every change, as the status line names them."""
    return {"sync": tr("sync"), "chosen": tr("chosen"), "compressed": tr("compressed")}


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
        # English labels with the Chinese term as tooltip, or Chinese labels with the English one
        kw = dict(style={"description_width": "150px"}, layout=W.Layout(width="430px"))
        deadline = s.deadline_s if np.isfinite(s.deadline_s) else 10.0
        modes, methods = mode_names(), compression_names()
        return {
            "latency_ms": W.FloatSlider(s.latency_ms, min=0, max=2000, step=50,
                                        **labelled("mean latency (ms)", "延迟"), **kw),
            "latency_spread": W.FloatSlider(s.latency_spread, min=0, max=1.5, step=0.1,
                                            **labelled("latency spread", "延迟差异 (对数正态)"),
                                            **kw),
            "straggler_fraction": W.FloatSlider(s.straggler_fraction, min=0, max=0.9, step=0.1,
                                                **labelled("straggler fraction", "掉队者比例"),
                                                **kw),
            "deadline_s": W.FloatLogSlider(deadline, base=10, min=-1, max=2, step=0.05,
                                           **labelled("deadline (s)", "截止时间"),
                                           readout_format=".3g", **kw),
            "mode": W.Dropdown(options=[(modes[m], m) for m in MODE_NAMES], value=s.mode,
                               **labelled("mode", "同步 / 截止时间 / FedProx / 异步 / 缓冲异步"),
                               **kw),
            "mu": W.FloatSlider(b.mu, min=0, max=1, step=0.05,
                                **labelled("FedProx mu", "近端项强度"), **kw),
            "compression": W.Dropdown(options=[(methods[c], c) for c in COMPRESSIONS],
                                      value="topk", **labelled("compression", "压缩 (通信开销)"),
                                      **kw),
            "num_clients": W.IntSlider(b.num_clients, min=2, max=60,
                                       **labelled("clients", "客户端数量"), **kw),
            "round": W.IntSlider(2, min=1, max=b.rounds,
                                 **labelled("timeline round", "时间线显示的轮次"), **kw),
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
        modes, method = mode_names(), cfgs["compressed"].systems.compression
        self.plot.time.update("sync", sync.history, label=modes["sync"])
        self.plot.time.update("chosen", chosen.history, label=tr(CHOSEN, mode=modes[mode]))
        rnd = min(rnd, max(chosen.history.completed, 1))
        deadline = cfgs["chosen"].systems.deadline_s if mode in ("deadline", "fedprox") else np.inf
        self.plot.gantt.update(chosen.timeline, rnd, deadline=deadline,
                               show_idle=mode not in ("async", "fedbuff"))
        self.plot.bytes.update("no compression", chosen.history,
                               label=tr(DENSE, mode=modes[mode]))
        self.plot.bytes.update("compressed", comp.history,
                               label=tr(COMPRESSED, mode=modes[mode],
                                        method=compression_names().get(method, method)))
        for name, run in runs.items():
            if run.history.diverged:
                return runs, (tr(DIVERGED, name=run_names()[name], message=run.history.message),
                              "warning")
        h, hs = chosen.history, sync.history
        if mode in ("deadline", "fedprox") and h.num_participants[: h.completed].sum() == 0:
            return runs, (tr(NO_CLIENT), "warning")
        target = 0.9 * float(np.nanmax(hs.test_accuracy))
        ratio = np.nansum(h.bytes_up) / max(np.nansum(comp.history.bytes_up), 1.0)
        return runs, (tr(SUMMARY, target=target, mode=modes[mode],
                         t_mode=time_to_accuracy(h, target), t_sync=time_to_accuracy(hs, target),
                         acc=h.final()["test_accuracy"], acc_sync=hs.final()["test_accuracy"],
                         ratio=ratio, acc_comp=comp.history.final()["test_accuracy"]), "info")
