"""Notebook 06 dashboards: :class:`DPDashboard` (sigma, S, q, clients, rounds -> accuracy,
epsilon, noise), :class:`AttackDashboard` (attackers vs defences -> accuracy, backdoor rate),
:class:`SecAggDashboard` (clients, threshold, dropouts -> exact-sum check, traffic; in
:mod:`.secagg`, handed on here).

Without a browser: ``dash.set_values(...)``, then read ``dash.result`` and the line data. Each
keeps ``default_result`` (its default settings' result) for the notebook's checks.
"""

from __future__ import annotations

import math
from functools import lru_cache

import ipywidgets as W
import numpy as np

from ..core.config import FedConfig
from ..core.federation import Federation
from ..i18n import tr
from ..plots.privacy import AttackPlot, DPPlot
from ..privacy.attacks import ATTACK_NAMES, backdoor_success_rate, num_attackers
from ..privacy.config import AttackConfig, DPConfig
from ..privacy.dp import average_noise_std, measured_noise_std
from ..runner import records, simulate
from .base import Dashboard
from .defaults import KeepsDefault
from .secagg import SecAggDashboard

__all__ = ["DPDashboard", "AttackDashboard", "SecAggDashboard"]

STYLE = {"description_width": "170px"}
LAYOUT = W.Layout(width="430px")
FPR = 0.05  # false-positive rate of the membership test the DP status line bounds
# One whole message per tier of epsilon (Ponomareva et al. 2023), so each translates whole:
# the status line shows tr(message, **fields) (Chinese texts in i18n/texts/privacy.py).
EPS_MESSAGES = (
    (1.0, "(ε = {eps:.2f}, δ = {delta:g})-DP for each client after round {rounds}: strong "
          "privacy (ε ≤ 1). A test of 'was this client in?' that wrongly accuses {fpr:.0%} of "
          "outsiders catches at most {tpr:.0%} of members (TPR ≤ e^ε·FPR + δ). Accuracy "
          "{acc:.3f} vs {ref:.3f} without DP."),
    (10.0, "(ε = {eps:.2f}, δ = {delta:g})-DP for each client after round {rounds}: the "
           "range common in deployments (1 < ε ≤ 10). The bound TPR ≤ e^ε·FPR + δ still lets "
           "a membership test with {fpr:.0%} false positives catch up to {tpr:.0%} of "
           "members. Accuracy {acc:.3f} vs {ref:.3f} without DP."),
    (math.inf, "(ε = {eps:.2f}, δ = {delta:g})-DP for each client after round {rounds}: weak "
               "privacy (ε > 10). The bound TPR ≤ e^ε·FPR + δ rules out almost nothing (up "
               "to {tpr:.0%} of members caught at {fpr:.0%} false positives). Accuracy "
               "{acc:.3f} vs {ref:.3f} without DP."),
)
NO_GUARANTEE = ("σ = 0: clipping only, no privacy guarantee (ε = ∞); accuracy {acc:.3f} vs "
                "{ref:.3f} without DP")
DIVERGED = "Diverged: {message}"
ATTACK_SUMMARY = ("attackers: {k} of {n} clients ({kind}); defence {defence}: accuracy {acc:.3f} "
                  "(clean {clean:.3f}), backdoor success {rate:.2f}")
ATTACK_DIVERGED = "the model diverged (NaN/inf) in round {r}"


def attack_names() -> dict[str, str]:
    """How each attack is shown (dropdown, status line), in the current language."""
    return {"none": tr("none"), "sign_flip": tr("sign_flip"), "scale": tr("scale"),
            "gaussian": tr("gaussian"), "nonfinite": tr("nonfinite"),
            "label_flip": tr("label_flip"), "backdoor": tr("backdoor")}


def defence_names() -> dict[str, str]:
    """How each aggregator is shown (dropdown, status line), in the current language."""
    return {"mean": tr("mean"), "median": tr("median"), "trimmed_mean": tr("trimmed_mean"),
            "krum": tr("krum"), "multi_krum": tr("multi_krum"), "norm_clip": tr("norm_clip")}


@lru_cache(maxsize=32)
def _clean_run(cfg: FedConfig) -> tuple[np.ndarray, np.ndarray]:
    """(accuracy per round, backdoor rate per round) of a run, cached (configs are hashable)."""
    out = _attack_run(cfg)
    return out["accuracy"], out["backdoor"]


def _target(cfg: FedConfig) -> int:
    """The label the backdoor metric checks (the attack's target, 0 without an attack)."""
    return 0 if cfg.attack is None else cfg.attack.backdoor_target


def _attack_run(cfg: FedConfig, on_round=None) -> dict:
    """``{"accuracy", "backdoor", "config", "diverged"}`` of a run; ``on_round(rec, accs,
    rates)`` after each round. Stops at the first round whose model is not finite."""
    fed = Federation(cfg)
    accs, rates, diverged = [], [], None
    for rec, w in records(cfg, fed):
        if not np.all(np.isfinite(w)):
            diverged = rec.round
            break
        accs.append(rec.test_accuracy)
        rates.append(backdoor_success_rate(fed.model, w, fed.data.X_test, fed.data.y_test,
                                           _target(cfg)))
        if on_round is not None:
            on_round(rec, accs, rates)
    return {"accuracy": np.array(accs), "backdoor": np.array(rates), "config": cfg,
            "diverged": diverged}


def dp_noise(cfg: FedConfig, grid) -> dict:
    """Noise std per coordinate of the average update: ``closed_form`` sigma S/(q sum c_k),
    ``measured`` (the engine's DP step, nobody joining), ``curve`` sigma S/(q N) at each
    ``N`` of ``grid`` (equal sizes), ``signal`` S/sqrt(p), ``clients`` N."""
    fed = Federation(cfg)
    dp, q, p, c = cfg.dp, cfg.client_fraction, fed.model.num_params, fed.counts / fed.counts.max()
    args = (dp.noise_multiplier, dp.clip_norm, q, c)
    return {"clients": cfg.num_clients, "closed_form": average_noise_std(*args),
            "measured": measured_noise_std(*args, p, np.random.default_rng([cfg.seed, 606])),
            "curve": dp.noise_multiplier * dp.clip_norm / (q * np.asarray(grid, dtype=float)),
            "signal": dp.clip_norm / math.sqrt(p)}


class DPDashboard(KeepsDefault, Dashboard):
    """DP-FedAvg: noise multiplier, clip norm, sampling rate, clients, rounds -> accuracy,
    epsilon and the noise on the average update.

    ``result`` is the DP run's :class:`History`; the dashed line is the same run without DP;
    ``noise`` is :func:`dp_noise` of the run. Local training runs in ``dtype`` (float32 by
    default; ``None`` keeps ``base.dtype``); clipping, noise and accountant use float64.
    """

    CLIENTS = (10, 300)

    def __init__(self, base: FedConfig | None = None, *, dtype: str | None = "float32",
                 **kwargs):
        self.base = base or FedConfig(num_clients=100, local_epochs=2, rounds=30,
                                      client_fraction=0.2,
                                      dp=DPConfig(noise_multiplier=1.0, clip_norm=0.3))
        if self.base.dp is None:
            raise ValueError("base must have dp=DPConfig(...) set")
        if dtype:
            self.base = self.base.replace(dtype=dtype)
        self.noise = None
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        b, dp = self.base, self.base.dp
        return {
            "dp_noise_multiplier": W.FloatSlider(dp.noise_multiplier, min=0.0, max=3.0,
                                                 step=0.1,
                                                 description=tr("noise multiplier σ"),
                                                 style=STYLE, layout=LAYOUT),
            "dp_clip_norm": W.FloatLogSlider(dp.clip_norm, base=10, min=-2, max=1, step=0.1,
                                             description=tr("clip norm S"),
                                             readout_format=".3g",
                                             style=STYLE, layout=LAYOUT),
            "client_fraction": W.FloatSlider(b.client_fraction, min=0.02, max=1.0, step=0.02,
                                             description=tr("sampling rate q"), style=STYLE,
                                             layout=LAYOUT),
            "num_clients": W.IntSlider(b.num_clients, min=self.CLIENTS[0],
                                       max=self.CLIENTS[1], step=10,
                                       description=tr("clients N"),
                                       style=STYLE, layout=LAYOUT),
            "rounds": W.IntSlider(b.rounds, min=1, max=60, description=tr("rounds"),
                                  style=STYLE, layout=LAYOUT),
        }

    def make_figure(self):
        self.plot = DPPlot(self.base.rounds, clients_range=self.CLIENTS)
        return self.plot.fig

    def prepare(self, values: dict) -> FedConfig:
        v = dict(values)
        dp = self.base.dp.replace(noise_multiplier=v.pop("dp_noise_multiplier"),
                                  clip_norm=v.pop("dp_clip_norm"))
        return self.base.replace(dp=dp, **v)  # the configs name the bad field

    def run_quietly(self, cfg: FedConfig):
        return simulate(cfg)

    def compute(self, cfg: FedConfig, report):
        ref_cfg = cfg.replace(dp=None)
        self.plot.set_rounds(cfg.rounds)
        self.noise = noise = dp_noise(cfg, self.plot.clients)
        self.plot.update_noise(noise["curve"], cfg.num_clients, noise["closed_form"],
                               noise["measured"], noise["signal"])
        report(0, cfg.rounds, tr("reference run without DP…"))
        self.plot.update([], [], reference=_clean_run(ref_cfg)[0])
        self.redraw(force=True)

        def on_round(rec, hist):
            self.plot.update(hist.test_accuracy, hist.epsilon)
            report(rec.round, cfg.rounds)
            self.redraw()

        hist = simulate(cfg, callback=on_round)
        self.plot.update(hist.test_accuracy, hist.epsilon)
        self._keep(cfg, hist)
        if hist.diverged:
            return hist, (tr(DIVERGED, message=hist.message), "warning")
        acc, eps = hist.final()["test_accuracy"], hist.final()["epsilon"]
        ref = _clean_run(ref_cfg)[0][-1]
        if not np.isfinite(eps):
            return hist, (tr(NO_GUARANTEE, acc=acc, ref=ref), "warning")
        delta = cfg.dp.delta
        tpr = min(1.0, math.exp(min(eps, 700.0)) * FPR + delta)
        text = next(msg for top, msg in EPS_MESSAGES if eps <= top)
        return hist, (tr(text, eps=eps, delta=delta, rounds=cfg.rounds, fpr=FPR, tpr=tpr,
                         acc=acc, ref=ref), "info")


class AttackDashboard(KeepsDefault, Dashboard):
    """Poisoning vs robust aggregation on digits.

    The defence assumes it knows the number of attackers (``aggregator_f`` = their count).
    ``result`` is ``{"accuracy": (R,), "backdoor": (R,), "config": FedConfig, "diverged"}``.
    Runs in ``dtype`` (float32 by default; ``None`` keeps ``base.dtype``).
    """

    DEFENCES = ("mean", "median", "trimmed_mean", "krum", "multi_krum", "norm_clip")

    def __init__(self, base: FedConfig | None = None, *, dtype: str | None = "float32",
                 **kwargs):
        self.base = base or FedConfig(rounds=20, attack=AttackConfig("sign_flip", fraction=0.3),
                                      aggregator="median")
        if dtype:
            self.base = self.base.replace(dtype=dtype)
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        b = self.base
        attack = b.attack or AttackConfig(fraction=0.0)
        kind = b.attack.kind if b.attack else "none"
        attacks, defences = attack_names(), defence_names()
        return {
            "attacker_fraction": W.FloatSlider(attack.fraction, min=0.0, max=0.5, step=0.1,
                                               description=tr("attacker fraction"),
                                               style=STYLE, layout=LAYOUT),
            "attack": W.Dropdown(options=[(attacks.get(a, a), a) for a in ATTACK_NAMES],
                                 value=kind,
                                 description=tr("attack (投毒攻击)"), style=STYLE,
                                 layout=LAYOUT),
            "aggregator": W.Dropdown(options=[(defences.get(d, d), d) for d in self.DEFENCES],
                                     value=b.aggregator,
                                     description=tr("defence (aggregator)"), style=STYLE,
                                     layout=LAYOUT),
            "rounds": W.IntSlider(b.rounds, min=1, max=60, description=tr("rounds"),
                                  style=STYLE, layout=LAYOUT),
        }

    def make_figure(self):
        self.plot = AttackPlot(self.base.rounds)
        return self.plot.fig

    def prepare(self, values: dict) -> FedConfig:
        v = dict(values)
        kind, fraction = v.pop("attack"), v.pop("attacker_fraction")
        f = num_attackers(self.base.num_clients, fraction)
        attack = None
        if kind != "none":
            attack = (self.base.attack or AttackConfig()).replace(kind=kind, fraction=fraction)
        # raises e.g. for Krum with n <= 2f + 2
        return self.base.replace(**v, attack=attack, aggregator_f=f)

    def run_quietly(self, cfg: FedConfig) -> dict:
        return _attack_run(cfg)

    def compute(self, cfg: FedConfig, report):
        clean = cfg.replace(attack=None, aggregator="mean", aggregator_f=0)
        self.plot.set_rounds(cfg.rounds)
        report(0, cfg.rounds, tr("clean reference run…"))
        ref_acc, ref_bd = _clean_run(clean)
        self.plot.update([], [], reference=ref_acc, backdoor_ref=ref_bd)
        self.redraw(force=True)

        def on_round(rec, accs, rates):
            self.plot.update(accs, rates)
            report(rec.round, cfg.rounds)
            self.redraw()

        result = _attack_run(cfg, on_round)
        self._keep(cfg, result)
        if result["diverged"] is not None:
            return result, (tr(ATTACK_DIVERGED, r=result["diverged"]), "warning")
        kind = "none" if cfg.attack is None else cfg.attack.kind
        k = 0 if cfg.attack is None else num_attackers(cfg.num_clients, cfg.attack.fraction)
        acc, rate = result["accuracy"][-1], result["backdoor"][-1]
        return result, (tr(ATTACK_SUMMARY, k=k, n=cfg.num_clients,
                           kind=attack_names().get(kind, kind),
                           defence=defence_names().get(cfg.aggregator, cfg.aggregator),
                           acc=acc, clean=ref_acc[-1], rate=rate), "info")
