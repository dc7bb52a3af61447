"""Dashboards of notebook 06 (privacy and security), built on :class:`widgets.Dashboard`.

* :class:`DPDashboard` - sliders sigma, S, q, rounds -> accuracy and epsilon curves;
* :class:`AttackDashboard` - attacker fraction, attack, defence -> accuracy and backdoor rate;
* :class:`SecAggDashboard` - clients, threshold, dropout fraction -> exact-sum check and bytes.

All work without a browser: set ``dash.controls[name].value`` (or ``dash.set_values``), then
read ``dash.result`` and the plot's line data. Bad settings (e.g. Krum with too few clients,
too many dropouts for the threshold) show a message in the status line.
"""

from __future__ import annotations

from functools import lru_cache

import ipywidgets as W
import numpy as np

from ..core.config import FedConfig
from ..core.federation import Federation
from ..plots.privacy import AttackPlot, DPPlot, SecAggPlot
from ..privacy.attacks import ATTACK_NAMES, backdoor_success_rate, num_attackers
from ..privacy.config import AttackConfig, DPConfig
from ..privacy.secagg import SecAggError, fixed_point_sum, secure_sum
from ..runner import records, simulate
from .base import Dashboard

__all__ = ["DPDashboard", "AttackDashboard", "SecAggDashboard"]

STYLE = {"description_width": "170px"}
LAYOUT = W.Layout(width="430px")


@lru_cache(maxsize=32)
def _clean_run(cfg: FedConfig) -> tuple[np.ndarray, np.ndarray]:
    """(accuracy per round, backdoor rate per round) of a run, cached (configs are hashable)."""
    accs, rates = [], []
    fed = Federation(cfg)
    for rec, w in records(cfg, fed):
        accs.append(rec.test_accuracy)
        rates.append(backdoor_success_rate(fed.model, w, fed.data.X_test, fed.data.y_test,
                                           _target(cfg)))
    return np.array(accs), np.array(rates)


def _target(cfg: FedConfig) -> int:
    """The label the backdoor metric checks (the attack's target, 0 without an attack)."""
    return 0 if cfg.attack is None else cfg.attack.backdoor_target


class DPDashboard(Dashboard):
    """DP-FedAvg: noise multiplier, clip norm, sampling rate, rounds -> accuracy and epsilon.

    ``result`` is the DP run's :class:`History`; the dashed line is the same run without DP.
    Local training runs in ``dtype`` (float32 by default; ``None`` keeps ``base.dtype``); the
    clipping, the noise and the accountant compute in float64 (see ``FedConfig.dtype``).
    """

    def __init__(self, base: FedConfig | None = None, *, dtype: str | None = "float32",
                 **kwargs):
        self.base = base or FedConfig(num_clients=100, local_epochs=2, rounds=30,
                                      client_fraction=0.2,
                                      dp=DPConfig(noise_multiplier=1.0, clip_norm=0.3))
        if self.base.dp is None:
            raise ValueError("base must have dp=DPConfig(...) set")
        if dtype:
            self.base = self.base.replace(dtype=dtype)
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        b, dp = self.base, self.base.dp
        return {
            "dp_noise_multiplier": W.FloatSlider(dp.noise_multiplier, min=0.0, max=3.0,
                                                 step=0.1, description="noise multiplier σ",
                                                 style=STYLE, layout=LAYOUT),
            "dp_clip_norm": W.FloatLogSlider(dp.clip_norm, base=10, min=-2, max=1, step=0.1,
                                             description="clip norm S", readout_format=".3g",
                                             style=STYLE, layout=LAYOUT),
            "client_fraction": W.FloatSlider(b.client_fraction, min=0.02, max=1.0, step=0.02,
                                             description="sampling rate q", style=STYLE,
                                             layout=LAYOUT),
            "rounds": W.IntSlider(b.rounds, min=1, max=100, description="rounds",
                                  style=STYLE, layout=LAYOUT),
        }

    def make_figure(self):
        self.plot = DPPlot(self.base.rounds)
        return self.plot.fig

    def prepare(self, values: dict) -> FedConfig:
        v = dict(values)
        dp = self.base.dp.replace(noise_multiplier=v.pop("dp_noise_multiplier"),
                                  clip_norm=v.pop("dp_clip_norm"))
        return self.base.replace(dp=dp, **v)  # the configs name the bad field

    def compute(self, cfg: FedConfig, report):
        ref_cfg = cfg.replace(dp=None)
        self.plot.set_rounds(cfg.rounds)
        report(0, cfg.rounds, "reference run without DP…")
        self.plot.update([], [], reference=_clean_run(ref_cfg)[0])
        self.redraw(force=True)

        def on_round(rec, hist):
            self.plot.update(hist.test_accuracy, hist.epsilon)
            report(rec.round, cfg.rounds)
            self.redraw()

        hist = simulate(cfg, callback=on_round)
        self.plot.update(hist.test_accuracy, hist.epsilon)
        if hist.diverged:
            return hist, (f"Diverged: {hist.message}", "warning")
        acc, eps = hist.final()["test_accuracy"], hist.final()["epsilon"]
        ref = _clean_run(ref_cfg)[0][-1]
        if not np.isfinite(eps):
            return hist, (f"σ = 0: clipping only, no privacy guarantee (ε = ∞); accuracy "
                          f"{acc:.3f} vs {ref:.3f} without DP", "warning")
        return hist, (f"(ε = {eps:.2f}, δ = {cfg.dp.delta:g})-DP for each client after "
                      f"{cfg.rounds} rounds; accuracy {acc:.3f} vs {ref:.3f} without DP", "info")


class AttackDashboard(Dashboard):
    """Poisoning vs robust aggregation on digits.

    The defence assumes it knows the number of attackers (``aggregator_f`` = their count).
    ``result`` is ``{"accuracy": (R,), "backdoor": (R,), "config": FedConfig}``. Runs in
    ``dtype`` (float32 by default; ``None`` keeps ``base.dtype``).
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
        return {
            "attacker_fraction": W.FloatSlider(attack.fraction, min=0.0, max=0.5, step=0.1,
                                               description="attacker fraction", style=STYLE,
                                               layout=LAYOUT),
            "attack": W.Dropdown(options=ATTACK_NAMES, value=kind,
                                 description="attack (投毒攻击)", style=STYLE, layout=LAYOUT),
            "aggregator": W.Dropdown(options=self.DEFENCES, value=b.aggregator,
                                     description="defence (aggregator)", style=STYLE,
                                     layout=LAYOUT),
            "rounds": W.IntSlider(b.rounds, min=1, max=60, description="rounds", style=STYLE,
                                  layout=LAYOUT),
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

    def compute(self, cfg: FedConfig, report):
        clean = cfg.replace(attack=None, aggregator="mean", aggregator_f=0)
        self.plot.set_rounds(cfg.rounds)
        report(0, cfg.rounds, "clean reference run…")
        ref_acc, ref_bd = _clean_run(clean)
        self.plot.update([], [], reference=ref_acc, backdoor_ref=ref_bd)
        self.redraw(force=True)
        fed = Federation(cfg)
        accs, rates = [], []
        for rec, w in records(cfg, fed):
            if not np.all(np.isfinite(w)):
                self.plot.update(accs, rates)
                return None, (f"the model diverged (NaN/inf) in round {rec.round}", "warning")
            accs.append(rec.test_accuracy)
            rates.append(backdoor_success_rate(fed.model, w, fed.data.X_test, fed.data.y_test,
                                               _target(cfg)))
            self.plot.update(accs, rates)
            report(rec.round, cfg.rounds)
            self.redraw()
        kind = "none" if cfg.attack is None else cfg.attack.kind
        k = 0 if cfg.attack is None else num_attackers(cfg.num_clients, cfg.attack.fraction)
        result = {"accuracy": np.array(accs), "backdoor": np.array(rates), "config": cfg}
        return result, (f"{k} of {cfg.num_clients} clients attack ({kind}), defence "
                        f"{cfg.aggregator}: accuracy {accs[-1]:.3f} (clean {ref_acc[-1]:.3f}), "
                        f"backdoor success {rates[-1]:.2f}", "info")


class SecAggDashboard(Dashboard):
    """Secure aggregation of one FedAvg round's client updates on digits, with dropouts.

    ``result`` is the :class:`~fedlearn_edu.privacy.secagg.SecAggResult` plus ``plain_sum`` and
    ``exact`` (secure sum == plain fixed-point sum of the survivors, bit for bit). The local
    training runs in ``dtype`` (float32 by default); the protocol sums integers, exactly.
    """

    def __init__(self, *, dtype: str = "float32", **kwargs):
        self.dtype = dtype
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        return {
            "num_clients": W.IntSlider(10, min=3, max=30, description="clients n", style=STYLE,
                                       layout=LAYOUT),
            "threshold": W.IntSlider(6, min=2, max=30, description="threshold t", style=STYLE,
                                     layout=LAYOUT),
            "dropout": W.FloatSlider(0.2, min=0.0, max=0.9, step=0.05,
                                     description="dropout fraction", style=STYLE,
                                     layout=LAYOUT),
            "seed": W.IntSlider(0, min=0, max=20, description="seed", style=STYLE,
                                layout=LAYOUT),
        }

    def make_figure(self):
        self.plot = SecAggPlot()
        return self.plot.fig

    def prepare(self, values: dict) -> dict:
        n, t = values["num_clients"], values["threshold"]
        if t > n:
            raise ValueError(f"threshold t must be <= clients n, got t={t} > n={n}")
        return dict(values)

    def compute(self, job: dict, report):
        n, t, seed = job["num_clients"], job["threshold"], job["seed"]
        report(0, 2, "one FedAvg round of local training…")
        cfg = FedConfig(num_clients=n, local_epochs=1, seed=seed, dtype=self.dtype)
        fed = Federation(cfg)
        w0 = fed.model.init()
        updates = fed.train(w0, np.arange(n)) - w0  # (n, p) what clients want to send
        rng = np.random.default_rng(seed)
        gone = np.sort(rng.permutation(n)[: int(round(job["dropout"] * n))]).tolist()
        report(1, 2, "running the protocol…")
        try:
            res = secure_sum(updates, t, drop_before_upload=gone, seed=seed)
        except SecAggError as e:
            self.plot.clear()
            self.result = None
            return None, (f"{len(gone)} of {n} clients dropped: {e}", "error")
        plain = fixed_point_sum(updates[res.included])
        exact = bool(np.array_equal(res.total, plain))
        self.plot.update(updates[res.included].sum(axis=0), res.total, res.plain_bytes_up,
                         res.bytes_up, res.bytes_down)
        report(2, 2)
        out = {"secagg": res, "plain_sum": plain, "exact": exact, "dropped": gone}
        err = np.abs(res.total - updates[res.included].sum(axis=0)).max()
        return out, (f"{len(gone)} of {n} dropped (t = {t}); secure sum == plain sum: {exact} "
                     f"(max float error {err:.1e}); traffic {res.bytes_up / 1024:.1f} KB up, "
                     f"{res.bytes_down / 1024:.1f} KB down vs {res.plain_bytes_up / 1024:.1f} "
                     f"KB plain upload", "info")
