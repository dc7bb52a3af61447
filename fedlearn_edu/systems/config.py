"""``SystemsConfig``: devices, network, the server's waiting rule and update compression.

Put one in a run with ``FedConfig(systems=SystemsConfig(latency_ms=300))``; without it
(``systems=None``) a run has no clock and takes the plain round loop.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import ClassVar

from .._validation import Bool, Choice, Int, Real
from ..core.config import Settings

# Allowed names, declared beside the fields; a test checks them against the registries of
# profiles.PRESETS, rounds.WAIT_RULES + asynchronous.ASYNC_MODES, asynchronous.STALENESS,
# compression.COMPRESSION_NAMES and quantize.ROUNDING_NAMES.
PRESET_NAMES = ("ideal", "datacenter", "mobile", "iot")
MODE_NAMES = ("sync", "deadline", "fedprox", "async", "fedbuff")
STALENESS_NAMES = ("polynomial", "constant", "hinge")
COMPRESSION_NAMES = ("none", "topk", "int8")
ROUNDING_NAMES = ("nearest", "stochastic")


@dataclass(frozen=True)
class SystemsConfig(Settings):
    """Systems realism of a run (all times simulated; nothing ever sleeps).

    Attributes:
        preset: devices: ``ideal``, ``datacenter``, ``mobile``, ``iot`` (``profiles.PRESETS``).
        latency_ms: mean one-way network latency per message, milliseconds.
        latency_spread: log-normal spread of latency across clients (0 = all equal).
        straggler_fraction: share of clients that compute ``straggler_slowdown`` x slower.
        straggler_slowdown: how much slower a straggler computes.
        mode: ``sync`` (wait for all), ``deadline`` (drop late clients), ``fedprox`` (keep
            their partial work), ``async`` (FedAsync), ``fedbuff`` (FedBuff).
        deadline_s: round deadline in simulated seconds (``deadline``, ``fedprox``).
        async_mixing: FedAsync ``a``: ``w <- (1 - a s(tau)) w + a s(tau) v``.
        staleness: how an update of staleness ``tau`` is discounted (FedAsync and FedBuff,
            Xie et al. 2019): ``"polynomial"`` ``s(tau) = (tau + 1)^-p``, ``"constant"``
            ``1``, ``"hinge"`` ``1`` for ``tau <= b``, else ``1 / (a (tau - b) + 1)``.
        staleness_exp: polynomial ``p``, in ``[0, 100]``.
        staleness_slope: hinge ``a >= 0`` (how fast late updates lose weight), ``<= 1e6``.
        staleness_cutoff: hinge ``b >= 0``, the staleness kept at full weight, ``<= 1e6``.
        buffer_size: FedBuff ``K``: aggregate every ``K`` arrivals (<= clients per round).
        compression: update compression: ``none``, ``topk``, ``int8``.
        topk_fraction: share of entries top-k keeps.
        int8_rounding: ``nearest`` (deterministic, biased by up to half a level) or
            ``stochastic`` (unbiased, QSGD; each client draws from its own stream seeded by
            the run's seed and its index). Used by ``compression="int8"`` only.
        error_feedback: carry the compression error over to the next update.
    """

    preset: str = "datacenter"
    latency_ms: float = 0.0
    latency_spread: float = 0.0
    straggler_fraction: float = 0.0
    straggler_slowdown: float = 10.0
    mode: str = "sync"
    deadline_s: float = math.inf
    async_mixing: float = 0.5
    staleness: str = "polynomial"
    staleness_exp: float = 0.5
    staleness_slope: float = 10.0
    staleness_cutoff: float = 4.0
    buffer_size: int = 5
    compression: str = "none"
    topk_fraction: float = 0.1
    int8_rounding: str = "nearest"
    error_feedback: bool = False

    slot: ClassVar[str] = "systems"
    CONSTRAINTS: ClassVar[dict] = {
        "preset": Choice(PRESET_NAMES),
        "latency_ms": Real(0.0, 3_600_000.0),
        "latency_spread": Real(0.0, 5.0),
        "straggler_fraction": Real(0.0, 1.0),
        "straggler_slowdown": Real(1.0, 1e9),
        "mode": Choice(MODE_NAMES),
        "deadline_s": Real(0.0, low_open=True, allow_inf=True),
        "async_mixing": Real(0.0, 1.0, low_open=True),
        "staleness": Choice(STALENESS_NAMES),
        "staleness_exp": Real(0.0, 100.0),
        "staleness_slope": Real(0.0, 1e6),
        "staleness_cutoff": Real(0.0, 1e6),
        "buffer_size": Int(1, 1_000_000),
        "compression": Choice(COMPRESSION_NAMES),
        "topk_fraction": Real(0.0, 1.0, low_open=True),
        "int8_rounding": Choice(ROUNDING_NAMES),
        "error_feedback": Bool(),
    }

    @property
    def only_moves_clock(self) -> bool:
        """True when these settings change no number but the clock (every client always
        online and answering in full, nothing compressed)."""
        return (self.mode == "sync" and self.compression == "none"
                and self.preset in ("ideal", "datacenter"))

    @property
    def is_async(self) -> bool:
        return self.mode in ("async", "fedbuff")

    def check_with(self, config) -> None:
        if self.mode == "fedbuff" and self.buffer_size > config.clients_per_round:
            raise ValueError(f"buffer_size must be <= clients per round "
                             f"({config.clients_per_round}) for mode='fedbuff', got "
                             f"{self.buffer_size}")
        if config.strategy != "fedavg" and self.mode in ("fedprox", "async", "fedbuff"):
            raise ValueError(f"mode={self.mode!r} needs strategy='fedavg' (clients must train "
                             f"locally), got strategy={config.strategy!r}")
