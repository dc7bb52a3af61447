"""Synchronous rounds on the virtual clock: the systems hooks of the core round loop.

:class:`SystemsRounds` plugs into :func:`fedlearn_edu.core.loop.run_rounds`. Each round it

1. decides which of the sampled clients answer and how much of their work arrives
   (availability, crashes, and the server's waiting rule :data:`WAIT_RULES`),
2. compresses what they send (``SystemsConfig.compression``), and
3. adds the simulated time and the bytes moved to the round's record, logging every job in
   a :class:`~fedlearn_edu.systems.timeline.Timeline`.

When the settings only move the clock (``SystemsConfig.only_moves_clock``) every sampled
client answers in full, so the numbers are exactly those of the plain loop.
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from .._validation import Instance, validated
from ..core.client import steps_per_epoch
from ..core.config import FedConfig
from ..core.federation import Federation
from ..core.loop import RoundHooks
from .compression import ClientMemory, compress_updates, compressed_bytes
from .profiles import INF, Profiles, times_of
from .timeline import DROPPED, LATE, OFFLINE, OK, PARTIAL, Timeline

# How long the server waits in a synchronous round, by SystemsConfig.mode.
WAIT_RULES = {
    "sync": "for every online client",
    "deadline": "until deadline_s; late clients are dropped",
    "fedprox": "until deadline_s; late clients send the partial work they managed",
}


def local_epochs(config) -> int:
    """Passes over its data a client makes per round (FedSGD: one gradient = one pass)."""
    return config.local_epochs if config.strategy == "fedavg" else 1


class SystemsRounds(RoundHooks):
    """The clock, the waiting rule and compression of ``config.systems`` for a federation.

    Args:
        config: the ``FedConfig``, with ``systems`` set to a synchronous mode (``sync``,
            ``deadline``, ``fedprox``; the event-driven modes run in :mod:`.asynchronous`).
        fed: its ``Federation`` (``config.num_clients`` clients).
        profiles: every client's :class:`Profiles` (``config.num_clients`` of them).
        timeline: the job log to fill.

    Raises:
        TypeError, ValueError: wrong types, no or asynchronous ``config.systems``, sizes that
            disagree with ``config.num_clients``.
    """

    @validated(config=Instance(FedConfig), fed=Instance(Federation),
               profiles=Instance(Profiles), timeline=Instance(Timeline))
    def __init__(self, config, fed, profiles: Profiles, timeline: Timeline):
        if config.systems is None or config.systems.mode not in WAIT_RULES:
            mode = None if config.systems is None else config.systems.mode
            raise ValueError(f"config.systems must be a SystemsConfig with a synchronous mode "
                             f"{tuple(WAIT_RULES)}, got mode {mode!r}")
        K = config.num_clients
        if len(fed.counts) != K:
            raise ValueError(f"fed must have as many clients as config.num_clients={K}, got "
                             f"{len(fed.counts)}")
        if profiles.num_clients != K:
            raise ValueError(f"profiles must describe as many clients as "
                             f"config.num_clients={K}, got {profiles.num_clients}")
        self.config, self.settings, self.fed = config, config.systems, fed
        self.profiles, self.timeline = profiles, timeline
        self.rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0x5157, 1]))
        self.msg = fed.message_bytes
        s = self.settings
        self.up_msg = compressed_bytes(s.compression, fed.num_params, s.topk_fraction)
        self.deadline = s.deadline_s if s.mode in ("deadline", "fedprox") else INF
        self.memory = ClientMemory(config.seed)  # error feedback, rounding streams
        self.clock = 0.0
        self._round: dict = {}

    def participants(self, r: int, sel: np.ndarray):
        p, fed = self.profiles, self.fed
        u_on, u_crash, u_when = self.rng.random((3, len(sel)))
        online = u_on < p.availability[sel]
        crash = online & (u_crash < p.dropout[sel])
        n = fed.counts[sel]
        epochs = local_epochs(self.config)
        full_steps = epochs * steps_per_epoch(n, self.config.batch_size)
        td, tc, tu = times_of(p, sel, n, epochs, self.msg, self.up_msg)
        status = np.where(online, OK, OFFLINE)
        steps = full_steps.copy()
        too_slow = online & (td + tc + tu > self.deadline)
        if self.settings.mode == "fedprox":
            # partial work: as many local steps as fit before the deadline
            budget = self.deadline - td - tu
            with np.errstate(invalid="ignore", divide="ignore"):
                fit = np.floor(np.where(tc > 0, budget / (tc / full_steps), full_steps))
            steps = np.where(too_slow, np.clip(fit, 0, full_steps), full_steps).astype(int)
            tc = np.where(too_slow, steps * tc / full_steps, tc)
            status = np.where(too_slow, np.where(steps >= 1, PARTIAL, LATE), status)
        else:
            status = np.where(too_slow, LATE, status)
        status = np.where(crash, DROPPED, status)
        tc = np.where(online, tc, 0.0)
        td, tu = np.where(online, td, 0.0), np.where(online, tu, 0.0)
        end = np.where(crash, u_when * (td + tc + tu), td + tc + tu)
        end = np.where(online, np.minimum(end, self.deadline), 0.0)
        use = (status == OK) | (status == PARTIAL)
        self._round = dict(sel=sel, td=td, tc=tc, tu=tu, end=end, status=status,
                           answered=int(use.sum()), online=int(online.sum()))
        partial = bool(np.any(status == PARTIAL))
        return sel[use], (steps[use] if partial else None)

    def encode(self, w, clients, results):
        if self.settings.compression == "none":
            return results
        base = 0.0 if self.fed.strategy.client_returns == "gradient" else w
        deltas, _ = compress_updates(self.settings, results - base, clients, self.memory)
        return base + deltas

    def finish(self, r: int, record):
        t = self._round
        self.timeline.add(r, t["sel"], self.clock, t["td"], t["tc"], t["tu"],
                          self.clock + t["end"], t["status"])
        self.clock += float(t["end"].max()) if len(t["sel"]) else 0.0
        self.timeline.record_end.append(self.clock)
        return replace(record, wall_clock=self.clock, bytes_up=float(self.up_msg * t["answered"]),
                       bytes_down=float(self.msg * t["online"]))
