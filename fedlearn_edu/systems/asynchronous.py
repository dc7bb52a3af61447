"""Asynchronous federated learning on the virtual clock: FedAsync and FedBuff.

There are no rounds: ``m = clients_per_round`` clients train at the same time; whenever one
finishes (an *event* on the simulated clock), the server uses its update straight away and
hands the newest model to the next idle client. A client that started from model version
``v0`` and arrives when the server is at version ``v`` has **staleness** ``tau = v - v0``.

* **FedAsync** (Xie et al. 2019): ``w <- (1 - alpha) w + alpha v_i`` with
  ``alpha = a * s(tau)``; ``s`` is ``SystemsConfig.staleness``: ``polynomial``
  ``(tau + 1)^(-p)``, ``constant`` ``1`` or ``hinge`` (1 up to ``tau = b``, then
  ``1 / (a (tau - b) + 1)``), see :mod:`.server_steps`.
* **FedBuff** (Nguyen et al. 2022): updates ``Delta_i = v_i - w_start`` wait in a buffer;
  every ``K`` arrivals ``w <- w + sum_i n_i s(tau_i) Delta_i / sum_i n_i``.

To compare with synchronous rounds, the History gets one record per ``m`` arrivals (as many
client updates as one synchronous round uses). Training is lazy and batched: a job's result
depends only on its start model and the client's own random stream, so all started jobs are
trained together in one vectorised call when the first of them is needed.
"""

from __future__ import annotations

import heapq
import itertools
from collections.abc import Iterator

import numpy as np

from ..core.federation import Federation
from ..core.history import RoundRecord
from .compression import ClientMemory, compress_updates, compressed_bytes
from .profiles import Profiles, times_of
from .server_steps import (
    STALENESS,
    buffer_step,
    fedasync_mix,
    fedbuff_aggregate,
    mix,
    staleness_weight,
)
from .timeline import DROPPED, OFFLINE, OK, Timeline

__all__ = ["ASYNC_MODES", "STALENESS", "async_records", "fedasync_mix", "fedbuff_aggregate",
           "staleness_weight"]

# The event-driven modes of SystemsConfig.mode.
ASYNC_MODES = ("async", "fedbuff")


def async_records(config, fed: Federation, profiles: Profiles, timeline: Timeline,
                  w0: np.ndarray | None = None) -> Iterator[tuple[RoundRecord, np.ndarray]]:
    """Event-driven ``async`` (FedAsync) or ``fedbuff`` run of a ``FedConfig`` with
    ``systems``; one record per ``m`` arrivals."""
    rng = np.random.default_rng(np.random.SeedSequence([config.seed, 0x5157, 2]))
    s = config.systems
    w = fed.model.init() if w0 is None else np.array(w0, dtype=float, copy=True)
    msg = fed.message_bytes
    up_msg = compressed_bytes(s.compression, fed.num_params, s.topk_fraction)
    weigh = STALENESS[s.staleness]  # s(tau, p, slope, cutoff), one call per arrival
    stale_args = (s.staleness_exp, s.staleness_slope, s.staleness_cutoff)
    epochs = config.local_epochs
    m = fed.strategy.clients_per_round
    heap: list = []
    seq = itertools.count()
    running: dict[int, dict] = {}  # client -> its current job
    untrained: list[int] = []  # started jobs not trained yet
    memory = ClientMemory(config.seed)  # error feedback, stochastic-rounding streams
    version, clock, down = 0, 0.0, 0.0

    # every job of a client takes the same time: look it up instead of recomputing
    every = np.arange(config.num_clients)
    t_all = [a.tolist() for a in times_of(profiles, every, fed.counts, epochs, msg, up_msg)]
    avail, crash_p = profiles.availability.tolist(), profiles.dropout.tolist()
    timeout = np.maximum(2e-3 * profiles.latency_ms, 1e-3).tolist()

    def start(i: int, t: float) -> None:
        nonlocal down
        u_on, u_crash, u_when = rng.random(3).tolist()
        job = dict(client=i, start=t, td=0.0, tc=0.0, tu=0.0, w_start=w, version=version)
        if u_on >= avail[i]:  # offline: the request times out after a round trip
            job.update(status=OFFLINE, end=t + timeout[i])
        else:
            td, tc, tu = t_all[0][i], t_all[1][i], t_all[2][i]
            crash = u_crash < crash_p[i]
            total = td + tc + tu
            job.update(td=td, tc=tc, tu=tu, status=DROPPED if crash else OK,
                       end=t + (u_when * total if crash else total))
            down += msg
            if not crash:
                untrained.append(i)
        running[i] = job
        heapq.heappush(heap, (job["end"], next(seq), i))

    def train_pending() -> None:
        clients = np.array(untrained)
        starts = np.stack([running[i]["w_start"] for i in clients])
        V = fed.train(w, clients, starts=starts)
        for i, v in zip(clients, V, strict=True):
            running[int(i)]["v"] = v
        untrained.clear()

    first = fed.strategy.sample_clients(config.num_clients, fed.sample_rng)
    chosen = set(first.tolist())
    idle = [i for i in range(config.num_clients) if i not in chosen]
    for i in first:
        start(int(i), 0.0)
    buffer: list[tuple] = []
    log: list[tuple] = []  # timeline rows of the current record
    record, arrivals, parts, events = 1, 0, [], 0
    max_events = 1000 * config.rounds * m + 10_000
    while record <= config.rounds:
        events += 1
        if events > max_events:
            raise RuntimeError(f"async run made no progress after {max_events} events")
        clock, _, i = heapq.heappop(heap)
        job = running[i]
        if job["status"] == OK:
            with np.errstate(over="ignore", invalid="ignore"):
                if "v" not in job:
                    train_pending()
                delta = job["v"] - job["w_start"]
                if s.compression != "none":
                    delta = compress_updates(s, delta[None], [i], memory)[0][0]
                tau = version - job["version"]
                stale = float(weigh(float(tau), *stale_args))
                if s.mode == "async":
                    w = mix(w, job["w_start"] + delta, s.async_mixing * stale)
                    version += 1
                else:
                    buffer.append((delta, fed.counts[i], stale))
                    if len(buffer) == s.buffer_size:
                        w = buffer_step(w, *(np.array(c) for c in zip(*buffer, strict=True)))
                        version += 1
                        buffer = []
            arrivals += 1
            parts.append(i)
        log.append((i, job["start"], job["td"], job["tc"], job["tu"], job["end"], job["status"]))
        del running[i]
        idle.append(i)
        j = int(fed.sample_rng.integers(len(idle)))
        idle[j], idle[-1] = idle[-1], idle[j]
        start(idle.pop(), clock)
        if job["status"] == OK and arrivals == m:
            with np.errstate(over="ignore", invalid="ignore"):
                acc, test_loss, train_loss = fed.evaluate(w)
            timeline.add(record, *(np.array(c) for c in zip(*log, strict=True)))
            timeline.record_end.append(clock)
            log = []
            yield RoundRecord(
                round=record, test_accuracy=acc, test_loss=test_loss, train_loss=train_loss,
                participants=np.array(parts), wall_clock=clock, bytes_up=float(up_msg * m),
                bytes_down=down,
            ), w
            record, arrivals, parts, down = record + 1, 0, [], 0.0
