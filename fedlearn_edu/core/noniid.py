"""Non-IID data ("model non-adaptation", 模型不适应性) and client drift, without any UI.

* :func:`iterate_with_drift` / :func:`run_noniid`: plain FedAvg rounds (the same numbers as
  :func:`fedlearn_edu.core.loop.iterate`) that also measure how far each client's local
  model moves from the global one. Notebook 02's dashboard (:mod:`.widgets_noniid`), the
  notebook itself and the tests call them.

Client drift (客户端漂移), per round, over the participating clients ``i`` with weights
``p_i = n_i / sum_j n_j``, local models ``w_i`` and the global model ``w`` they started from::

    drift          = sum_i p_i ||w_i - w||            (how far clients walk away, parameter space)
    local_accuracy = sum_i p_i acc(w_i; test set)     (how good each client's own model is on
                                                        everyone's data, function space)

On IID data every local model is a decent global model (``local_accuracy`` close to the
global accuracy); on skewed data each client's model specialises in its few labels, so
``local_accuracy`` collapses and averaging such models is what costs FedAvg accuracy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .config import FedConfig
from .data import label_histogram
from .federation import Federation
from .history import History, RoundRecord
from .loop import iterate, run_history

__all__ = ["iterate_with_drift", "run_noniid", "NonIIDResult", "drift_stats", "NONIID_DEFAULTS"]

# Where the non-IID effect on digits is large and stable across seeds (measured, see
# notebook 02): 20 clients, 4 sampled per round, 10 local epochs.
NONIID_DEFAULTS = FedConfig(num_clients=20, client_fraction=0.2, local_epochs=10, rounds=10,
                            partition="dirichlet", dirichlet_alpha=0.05)


def drift_stats(model, w: np.ndarray, W_clients: np.ndarray, num_examples,
                X_test: np.ndarray, y_test: np.ndarray) -> tuple[float, float]:
    """``(drift, local_accuracy)`` of client models ``W_clients: (m, p)`` around ``w: (p,)``.

    ``num_examples: (m,)`` weights the clients as FedAvg does; ``X_test: (n, d)``,
    ``y_test: (n,)`` is the common test set the local models are scored on.
    """
    W_clients = np.asarray(W_clients, dtype=float)
    p = np.asarray(num_examples, dtype=float)
    p = p / p.sum()
    drift = float(p @ np.linalg.norm(W_clients - np.asarray(w, dtype=float)[None, :], axis=1))
    local = np.array([model.score(wi, X_test, y_test) for wi in W_clients])
    return drift, float(p @ local)


def iterate_with_drift(
    config: FedConfig, fed: Federation | None = None
) -> Iterator[tuple[RoundRecord, np.ndarray, tuple[float, float]]]:
    """Yield ``(record, global_weights, (drift, local_accuracy))`` after every FedAvg round.

    Same loop and random streams as :func:`fedlearn_edu.core.loop.iterate` (so the
    accuracies are identical); only FedAvg (clients return models) has a drift.
    """
    if config.strategy != "fedavg":
        raise ValueError(f"strategy must be 'fedavg' to measure client drift, "
                         f"got {config.strategy!r}")
    fed = Federation(config) if fed is None else fed
    stats: list[tuple[float, float]] = []

    def measure(w, selected, W_clients):  # step 3 done: local models before aggregation
        stats.append(drift_stats(fed.model, w, W_clients, fed.counts[selected],
                                 fed.data.X_test, fed.data.y_test))

    for rec, w in iterate(config, fed=fed, observe=measure):
        yield rec, w, stats[-1]


@dataclass
class NonIIDResult:
    """One run of :func:`run_noniid`.

    Attributes:
        history: the :class:`History` (accuracy, loss per round).
        drift, local_accuracy: ``(rounds,)`` client-drift statistics (see the module
            docstring; NaN for rounds not run).
        counts: ``(num_clients, n_classes)`` label histogram of the partition.
    """

    history: History
    drift: np.ndarray
    local_accuracy: np.ndarray
    counts: np.ndarray


def run_noniid(
    config: FedConfig,
    callback: Callable[[RoundRecord, NonIIDResult], bool | None] | None = None,
    *,
    fed: Federation | None = None,
) -> NonIIDResult:
    """Run FedAvg with ``config`` and record client drift.

    Args:
        callback: called as ``callback(record, result)`` after every round, where
            ``result`` is the :class:`NonIIDResult` being filled (its ``history`` and
            ``local_accuracy`` hold the rounds run so far); returning ``False`` stops the run.
        fed: an already built :class:`Federation` for ``config`` (else one is built).
    """
    if not isinstance(config, FedConfig):
        raise TypeError(f"config must be a FedConfig, got {type(config).__name__}")
    fed = Federation(config) if fed is None else fed
    result = NonIIDResult(History(config.rounds, config=config),
                          np.full(config.rounds, np.nan), np.full(config.rounds, np.nan),
                          label_histogram(fed.data.y_train, fed.parts, fed.data.n_classes))

    def records():
        for rec, w, (d, a) in iterate_with_drift(config, fed):
            result.drift[rec.round - 1], result.local_accuracy[rec.round - 1] = d, a
            yield rec, w

    def on_round(rec, hist):
        result.history = hist
        return None if callback is None else callback(rec, result)

    result.history = run_history(config, records(), on_round)
    return result
