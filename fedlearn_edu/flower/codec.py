"""What travels between our processes: a ``FedConfig`` as JSON, a round as a JSON line.

Floats go through ``json`` with Python's shortest round-trip ``repr``, so weights read back
are bit-for-bit the weights written (the parity tests compare them to 1e-12).
"""

from __future__ import annotations

import dataclasses
import json

import numpy as np

from ..core.config import FedConfig
from ..core.history import METRICS, RoundRecord
from ..privacy.config import AttackConfig, DPConfig

SUPPORTED = "plain FedAvg/FedSGD, FedProx (mu), robust aggregators and DP-FedAvg"


def check_supported(config: FedConfig) -> None:
    """Refuse what the Flower bridge does not run (the clock and attackers stay simulated)."""
    if not isinstance(config, FedConfig):
        raise TypeError(f"config must be a FedConfig, got {type(config).__name__}")
    if config.systems is not None:
        raise ValueError(f"config.systems must be None on Flower (real processes have real "
                         f"clocks; the virtual clock is simulate()'s), got {config.systems!r}; "
                         f"supported: {SUPPORTED}")
    if config.attack is not None:
        raise ValueError(f"config.attack must be None on Flower (attackers are simulated in "
                         f"simulate()), got {config.attack!r}; supported: {SUPPORTED}")
    if config.partition == "natural":
        raise ValueError("partition='natural' is not supported on Flower; use 'iid', "
                         "'dirichlet', 'shards' or 'quantity'")


def config_to_json(config: FedConfig) -> str:
    """``config`` as a JSON object (its concept configs as nested objects)."""
    check_supported(config)
    return json.dumps(dataclasses.asdict(config), sort_keys=True)


def config_from_json(text: str) -> FedConfig:
    """The :class:`FedConfig` :func:`config_to_json` wrote (validated again)."""
    d = json.loads(text)
    if d.get("dp") is not None:
        d["dp"] = DPConfig(**d["dp"])
    if d.get("attack") is not None:
        d["attack"] = AttackConfig(**d["attack"])
    config = FedConfig(**d)
    check_supported(config)
    return config


def round_to_json(record: RoundRecord, w: np.ndarray) -> str:
    """One JSON line: the record's fields and the global weights after the round."""
    d = {name: float(getattr(record, name)) for name in METRICS}
    d.update(round=record.round, participants=[int(i) for i in record.participants],
             weights=[float(x) for x in np.asarray(w, dtype=float)])
    return json.dumps(d)


def round_from_json(line: str) -> tuple[RoundRecord, np.ndarray]:
    """``(record, weights)`` back from :func:`round_to_json`."""
    d = json.loads(line)
    w = np.array(d.pop("weights"), dtype=float)
    d["participants"] = np.array(d["participants"], dtype=int)
    return RoundRecord(**d), w
