"""Round loops with systems realism, and the runner that picks the right loop.

:func:`run_systems` (or :class:`SystemsRun`) runs a :class:`FedConfig` on the virtual clock of
:mod:`fedlearn_edu.systems` and keeps a :class:`~fedlearn_edu.systems.Timeline` of every client
job. :func:`fedlearn_edu.simulation.simulate` uses :func:`system_records`, so every History
gets a ``wall_clock``:

* when the systems settings only move the clock (``mode="sync"``, ``mu=0``, no compression,
  every client always online and never crashing) the numbers come from the plain round loop
  ``simulation.iterate`` unchanged and :func:`clocked` only adds the time;
* ``sync`` / ``deadline`` / ``fedprox`` with availability, dropout or compression run in
  :func:`sync_records`; ``async`` / ``fedbuff`` in :func:`fedlearn_edu.async_fl.async_records`.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import replace

import numpy as np

from .client import pad_clients, steps_per_epoch
from .compression import compressed_bytes
from .config import FedConfig
from .history import RoundRecord
from .simulation import BYTES_PER_PARAM, Federation, iterate, run_history
from .systems import (
    DROPPED,
    INF,
    LATE,
    OFFLINE,
    OK,
    PARTIAL,
    Profiles,
    Timeline,
    client_times,
    compress_updates,
    profiles_from_config,
)


def is_plain(config: FedConfig, profiles: Profiles) -> bool:
    """True when systems settings only move the clock, so today's round loop gives the numbers."""
    return (config.mode == "sync" and config.mu == 0 and config.compression == "none"
            and bool(np.all(profiles.availability == 1)) and bool(np.all(profiles.dropout == 0)))


def _epochs(config: FedConfig) -> int:
    return config.local_epochs if config.strategy == "fedavg" else 1


def clocked(config: FedConfig, records, fed: Federation, profiles: Profiles, timeline: Timeline):
    """Add ``wall_clock`` to a stream of plain synchronous rounds (numbers unchanged)."""
    msg = fed.num_params * BYTES_PER_PARAM
    clock = 0.0
    for rec, w in records:
        c = np.asarray(rec.participants, dtype=int)
        td, tc, tu = client_times(profiles, c, fed.counts[c], _epochs(config), msg, msg)
        end = td + tc + tu
        timeline.add(rec.round, c, clock, td, tc, tu, clock + end, np.zeros(len(c), dtype=int))
        clock += float(end.max()) if len(c) else 0.0
        timeline.record_end.append(clock)
        yield replace(rec, wall_clock=clock), w


def sync_records(config: FedConfig, fed: Federation, profiles: Profiles, timeline: Timeline,
                 w0: np.ndarray | None = None) -> Iterator[tuple[RoundRecord, np.ndarray]]:
    """Rounds of ``sync``, ``deadline`` or ``fedprox`` with availability, dropout, compression."""
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0x5157, 1]))
    w = fed.model.init() if w0 is None else np.array(w0, dtype=float, copy=True)
    msg = fed.num_params * BYTES_PER_PARAM
    up_msg = compressed_bytes(config.compression, fed.num_params, config.topk_fraction)
    deadline = config.deadline_s if config.mode in ("deadline", "fedprox") else INF
    residuals: dict = {}
    clock = 0.0
    for r in range(1, config.rounds + 1):
        sel = fed.strategy.sample_clients(config.num_clients, fed.sample_rng)
        u_on, u_crash, u_when = rng.random((3, len(sel)))
        online = u_on < profiles.availability[sel]
        crash = online & (u_crash < profiles.dropout[sel])
        n = fed.counts[sel]
        full_steps = _epochs(config) * steps_per_epoch(n, config.batch_size)
        td, tc, tu = client_times(profiles, sel, n, _epochs(config), msg, up_msg)
        status = np.where(online, OK, OFFLINE)
        steps = full_steps.copy()
        too_slow = online & (td + tc + tu > deadline)
        if config.mode == "fedprox":
            # partial work: as many local steps as fit before the deadline
            budget = deadline - td - tu
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
        end = np.where(online, np.minimum(end, deadline), 0.0)
        use = (status == OK) | (status == PARTIAL)
        contrib = sel[use]
        with np.errstate(over="ignore", invalid="ignore"):
            if len(contrib):
                partial = bool(np.any(status == PARTIAL))
                results = fed.train(w, contrib, mu=config.mu,
                                    max_steps=steps[use] if partial else None)
                if config.compression != "none":
                    base = 0.0 if fed.strategy.client_returns == "gradient" else w
                    deltas, _ = compress_updates(config, results - base, contrib, residuals)
                    results = base + deltas
                w = fed.strategy.aggregate(w, results, fed.counts[contrib])
            acc, test_loss, train_loss = fed.evaluate(w)
        timeline.add(r, sel, clock, td, tc, tu, clock + end, status)
        clock += float(end.max()) if len(sel) else 0.0
        timeline.record_end.append(clock)
        yield RoundRecord(
            round=r, test_accuracy=acc, test_loss=test_loss, train_loss=train_loss,
            participants=contrib, wall_clock=clock, bytes_up=float(up_msg * use.sum()),
            bytes_down=float(msg * online.sum()),
        ), w


class SystemsRun:
    """One run with systems realism: ``run()`` fills ``history``; ``timeline`` logs every job.

    Args:
        config: the :class:`FedConfig` (its systems fields choose mode, preset, compression).
        profiles: explicit :class:`Profiles` (default: :func:`profiles_from_config`).
        data, parts: optional own dataset and client index arrays (e.g. the FedProx
            synthetic data); then ``config.dataset`` only labels the run.
    """

    def __init__(self, config: FedConfig, *, profiles: Profiles | None = None, data=None,
                 parts: list[np.ndarray] | None = None):
        if not isinstance(config, FedConfig):
            raise TypeError(f"config must be a FedConfig, got {type(config).__name__}")
        self.config = config
        self.profiles = profiles_from_config(config) if profiles is None else profiles
        if self.profiles.num_clients != config.num_clients:
            raise ValueError(f"profiles must describe num_clients={config.num_clients} clients, "
                             f"got {self.profiles.num_clients}")
        if parts is not None and len(parts) != config.num_clients:
            raise ValueError(f"parts must have num_clients={config.num_clients} entries, "
                             f"got {len(parts)}")
        guarded = (getattr(config, "dp_noise_multiplier", 0.0) > 0
                   or np.isfinite(getattr(config, "dp_clip_norm", np.inf))
                   or getattr(config, "attack", "none") != "none"
                   or getattr(config, "aggregator", "mean") != "mean")
        if guarded and (data is not None or parts is not None
                        or not is_plain(config, self.profiles)):
            raise ValueError("privacy/attack/robust-aggregation settings run only in the plain "
                             "synchronous loop: use mode='sync', mu=0, no compression, default "
                             "data and profiles where every client is always online")
        self.data, self.parts = data, parts
        self.timeline = Timeline()
        self.history = None

    def federation(self) -> Federation:
        """A fresh :class:`Federation` (fresh random streams) for this run."""
        fed = Federation(self.config, data=self.data)
        if self.parts is not None:
            fed.parts = [np.asarray(p, dtype=int) for p in self.parts]
            fed.X, fed.y, fed.counts = pad_clients(fed.data.X_train, fed.data.y_train, fed.parts)
        return fed

    def records(self) -> Iterator[tuple[RoundRecord, np.ndarray]]:
        """The stream of ``(record, weights)``, one per round (or per ``m`` async arrivals)."""
        cfg, self.timeline = self.config, Timeline()
        if self.data is None and self.parts is None and is_plain(cfg, self.profiles):
            # the plain engine computes the numbers; we only add the clock
            fed = self.federation()
            return clocked(cfg, iterate(cfg, fed=fed), fed, self.profiles, self.timeline)
        fed = self.federation()
        if cfg.mode in ("async", "fedbuff"):
            from .async_fl import async_records  # async_fl imports this module

            return async_records(cfg, fed, self.profiles, self.timeline)
        return sync_records(cfg, fed, self.profiles, self.timeline)

    def run(self, callback=None, *, raise_on_divergence: bool = False):
        """Run to the end (or until ``callback`` returns False); returns the History."""
        self.history = run_history(self.config, self.records(), callback,
                                   raise_on_divergence=raise_on_divergence)
        return self.history


def run_systems(config: FedConfig, callback=None, **kwargs) -> SystemsRun:
    """Build a :class:`SystemsRun`, run it, return it (``.history``, ``.timeline``)."""
    run = SystemsRun(config, **kwargs)
    run.run(callback)
    return run


def system_records(config: FedConfig) -> Iterator[tuple[RoundRecord, np.ndarray]]:
    """What :func:`fedlearn_edu.simulation.simulate` iterates over."""
    return SystemsRun(config).records()
