"""The federated round loop: the article's 8 steps, one record per round. The only one.

One round of :func:`run_rounds` is::

    1. the server samples clients                (server.sample_clients)
    2.-3. each sampled client loads its data and trains locally from the global model
                                                 (Federation.train)
    4. clients send their parameters (or gradients) to the server
    5. the server aggregates them                (server.aggregate_round -> aggregate.py)
    6.-7. the new global model is broadcast (it is the start of the next round)
    8. repeat; after each round, metrics go to History and ``callback``.

Everything else plugs in without a branch in the loop:

* the **server** is the federation's strategy or a wrapper around it (privacy wraps it with
  DP-FedAvg, attackers and its accountant, as Flower's DP strategy wrappers do);
* a :class:`RoundHooks` object decides who of the sampled clients really answers and how much
  work they manage (systems: the virtual clock, deadlines, dropouts), encodes their updates
  (compression) and adds the clock to the record.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache

import numpy as np
from threadpoolctl import ThreadpoolController

from .._validation import MAX_ITERATIONS, Array, Bool, Duck, Func, Instance, Int, Maybe, validated
from .config import FedConfig
from .errors import DivergenceError  # noqa: F401 - handed on: raised by run_history
from .federation import Federation
from .history import History, RoundRecord


class RoundHooks:
    """What happens around local training in a round; this base class is plain FL."""

    def participants(self, r: int, selected: np.ndarray):
        """``(clients, max_steps)``: who of ``selected`` answers, and their step caps."""
        return selected, None

    def encode(self, w: np.ndarray, clients: np.ndarray, results: np.ndarray) -> np.ndarray:
        """The results as the server receives them (e.g. compressed)."""
        return results

    def finish(self, r: int, record: RoundRecord) -> RoundRecord:
        """The round's record, completed (e.g. with the clock and the bytes moved)."""
        return record


PLAIN = RoundHooks()


SERVER = Duck(("sample_clients", "starts", "aggregate_round", "accepts_empty", "epsilon"),
              "server strategy")


def _check_w0(w0, fed) -> None:
    if w0 is not None and w0.shape != (fed.num_params,):
        raise ValueError(f"w0 must have the model's {fed.num_params} parameters, got shape "
                         f"{w0.shape}")


@validated(fed=Instance(Federation), rounds=Int(0, MAX_ITERATIONS), w0=Maybe(Array(ndim=1)),
           server=Maybe(SERVER), hooks=Instance(RoundHooks), observe=Maybe(Func()))
def run_rounds(
    fed: Federation,
    rounds: int,
    w0: np.ndarray | None = None,
    *,
    server=None,
    hooks: RoundHooks = PLAIN,
    observe: Callable[[np.ndarray, np.ndarray, np.ndarray], None] | None = None,
) -> Iterator[tuple[RoundRecord, np.ndarray]]:
    """Yield ``(record, global_weights)`` after every one of ``rounds`` rounds.

    Args:
        fed: the :class:`Federation`.
        w0: starting global parameters (default: the model's ``init()``).
        server: who samples and aggregates (default: ``fed.strategy``).
        hooks: participation, encoding and bookkeeping of each round (default: plain FL).
        observe: called as ``observe(w_global, clients, results)`` every round after local
            training and before aggregation, e.g. to measure client drift.
    """
    _check_w0(w0, fed)
    return _rounds(fed, rounds, w0, server, hooks, observe)


def _rounds(fed, rounds, w0, server, hooks, observe):
    server = fed.strategy if server is None else server
    w = fed.model.init() if w0 is None else np.array(w0, dtype=float, copy=True)
    w = w.astype(fed.dtype, copy=False)
    msg_bytes = fed.message_bytes
    for r in range(1, rounds + 1):
        selected = server.sample_clients(fed.num_clients, fed.sample_rng)
        clients, max_steps = hooks.participants(r, selected)
        with np.errstate(over="ignore", invalid="ignore"):
            if len(clients):
                results = fed.train(w, clients, max_steps=max_steps,
                                    starts=server.starts(w, clients))
                results = hooks.encode(w, clients, results)
            else:  # nobody answered (Poisson sampling, everyone offline)
                results = np.empty((0, len(w)))
            if observe is not None:
                observe(w, clients, results)
            if len(clients) or server.accepts_empty:
                w = server.aggregate_round(fed, w, clients, results)
            # what the aggregator saw: a wrapping server (attacks) reports it, else count here
            rejected = getattr(server, "last_nonfinite", None)
            if rejected is None:
                rejected = len(results) - int(np.isfinite(results).all(axis=1).sum())
            acc, test_loss, train_loss = fed.evaluate(w)
        record = RoundRecord(round=r, test_accuracy=acc, test_loss=test_loss,
                             train_loss=train_loss, participants=clients,
                             bytes_up=msg_bytes * len(clients),
                             bytes_down=msg_bytes * len(selected), epsilon=server.epsilon,
                             rejected=float(rejected))
        yield hooks.finish(r, record), w


@validated(config=Instance(FedConfig), w0=Maybe(Array(ndim=1)), fed=Maybe(Instance(Federation)),
           observe=Maybe(Func()))
def iterate(config: FedConfig, w0: np.ndarray | None = None, *, fed: Federation | None = None,
            observe=None) -> Iterator[tuple[RoundRecord, np.ndarray]]:
    """Plain synchronous FL of ``config`` (no clock, no privacy): :func:`run_rounds` on a
    :class:`Federation` built from it (or the given ``fed``)."""
    fed = Federation(config) if fed is None else fed
    _check_w0(w0, fed)
    return _rounds(fed, config.rounds, w0, None, PLAIN, observe)


@lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    """Finding the BLAS libraries takes milliseconds, so it is done once per process."""
    return ThreadpoolController()


@validated(config=Instance(FedConfig), records=Duck(("__iter__",), "iterable of records"),
           callback=Maybe(Func()), raise_on_divergence=Bool())
def run_history(
    config: FedConfig,
    records: Iterator[tuple[RoundRecord, np.ndarray]],
    callback: Callable[[RoundRecord, History], bool | None] | None = None,
    *,
    raise_on_divergence: bool = False,
) -> History:
    """Collect a stream of round records into a :class:`History`.

    Stops early when ``callback`` returns ``False`` or the loss becomes NaN/inf (then
    ``history.diverged`` is True and ``history.message`` says what to change).
    """
    hist = History(config.rounds, config=config, dtype=config.dtype)
    # The engine's matrices are small: multi-threaded BLAS only adds overhead (and thrashes
    # when a 2-core machine is shared), so the run uses one BLAS thread.
    with _blas_controller().limit(limits=1, user_api="blas"):
        for item in records:
            if not (isinstance(item, tuple) and len(item) == 2
                    and isinstance(item[0], RoundRecord)):
                raise TypeError(f"records must yield (RoundRecord, weights) pairs, got "
                                f"{type(item).__name__}")
            rec, w = item
            if not (np.isfinite(rec.train_loss) and np.all(np.isfinite(w))):
                hist.diverged = True
                hist.message = (f"training diverged in round {rec.round}: the loss became "
                                f"{rec.train_loss} (NaN/inf); lower the learning rate "
                                f"(lr={config.lr})")
                if raise_on_divergence:
                    raise DivergenceError(hist.message)
                break
            hist.record(rec)
            hist.final_weights = w
            if callback is not None and callback(rec, hist) is False:
                hist.message = f"stopped by callback after round {rec.round}"
                break
    if hist.completed == 0 and not hist.diverged:
        raise ValueError("records yielded no round: nothing ran")
    return hist
