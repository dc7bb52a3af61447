"""``DPConfig`` and ``AttackConfig``: the privacy and security knobs of a run.

Put them in a run with ``FedConfig(dp=DPConfig(noise_multiplier=1.0, clip_norm=0.5))`` or
``FedConfig(attack=AttackConfig("sign_flip", fraction=0.3), aggregator="median")``; ``None``
(the default) means off, so "is DP on?" is ``config.dp is not None``.
"""

from __future__ import annotations

from dataclasses import dataclass, fields
from typing import ClassVar

from .._validation import Choice, Int, Real
from ..core.config import REGRESSION_DATASETS, Settings
from ..core.models import MAX_CLASSES

# Allowed names, declared beside the fields; a test checks them against attacks.py.
MODEL_ATTACK_NAMES = ("sign_flip", "scale", "gaussian", "nonfinite")
DATA_ATTACK_NAMES = ("label_flip", "backdoor")


class _Canonical(Settings):
    """Settings whose ``Real`` fields are stored as ``float`` once checked (``scale=4`` and
    ``scale=4.0`` are the same config; a huge integer becomes its float)."""

    def __post_init__(self):
        super().__post_init__()
        for f in fields(self):
            if isinstance(self.CONSTRAINTS.get(f.name), Real):
                object.__setattr__(self, f.name, float(getattr(self, f.name)))


@dataclass(frozen=True)
class DPConfig(_Canonical):
    """DP-FedAvg (McMahan et al. 2018): Poisson sampling with rate ``client_fraction``, each
    update clipped to L2 norm ``clip_norm``, Gaussian noise ``N(0, (sigma S)^2)`` on the sum.

    Attributes:
        noise_multiplier: ``sigma`` (noise std on the clipped sum is ``sigma * clip_norm``);
            0 = clipping only (no privacy guarantee: epsilon is infinite).
        clip_norm: ``S``, the L2 bound on each client's update (> 0, finite).
        delta: ``delta`` of the reported ``(epsilon, delta)``.
    """

    noise_multiplier: float = 1.0
    clip_norm: float = 1.0
    delta: float = 1e-5

    slot: ClassVar[str] = "dp"
    CONSTRAINTS: ClassVar[dict] = {
        "noise_multiplier": Real(0.0),
        "clip_norm": Real(0.0, low_open=True),
        "delta": Real(0.0, 1.0, low_open=True, high_open=True),
    }

    def check_with(self, config) -> None:
        if config.aggregator != "mean":
            raise ValueError(f"aggregator must be 'mean' when DP-FedAvg is on (its noise is "
                             f"calibrated to the clipped sum), got "
                             f"aggregator={config.aggregator!r}")


@dataclass(frozen=True)
class AttackConfig(_Canonical):
    """Malicious clients (a fixed random subset of all clients).

    Attributes:
        kind: model poisoning ``sign_flip`` / ``scale`` / ``gaussian`` / ``nonfinite``
            (change what is sent; ``nonfinite`` sends NaN/inf, which the robust aggregators
            and DP clipping reduce to no contribution and the history counts as
            ``rejected``) or data poisoning ``label_flip`` / ``backdoor`` (train on poisoned
            data).
        fraction: share of clients that are malicious, in [0, 1).
        scale: flip/boost factor (``sign_flip``, ``scale``) or noise std (``gaussian``);
            unused by ``nonfinite`` and the data attacks.
        backdoor_target: the label the backdoor trigger maps to.
    """

    kind: str = "sign_flip"
    fraction: float = 0.2
    scale: float = 4.0
    backdoor_target: int = 0

    slot: ClassVar[str] = "attack"
    CONSTRAINTS: ClassVar[dict] = {
        "kind": Choice((*MODEL_ATTACK_NAMES, *DATA_ATTACK_NAMES)),
        "fraction": Real(0.0, 1.0, high_open=True),
        "scale": Real(0.0, low_open=True),
        "backdoor_target": Int(0, MAX_CLASSES - 1),
    }

    @property
    def poisons_data(self) -> bool:
        return self.kind in DATA_ATTACK_NAMES

    def check_with(self, config) -> None:
        if self.poisons_data and config.dataset in REGRESSION_DATASETS:
            raise ValueError(f"attack kind={self.kind!r} needs a classification dataset, got "
                             f"{config.dataset!r}")
