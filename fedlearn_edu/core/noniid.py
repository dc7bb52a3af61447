"""Non-IID data ("model non-adaptation", 模型不适应性) and client drift, without any UI.

* :func:`iterate_with_drift` / :func:`run_noniid`: plain FedAvg (or FedProx, ``mu > 0``)
  rounds, the same numbers as :func:`fedlearn_edu.core.loop.iterate`, that also measure how
  the clients' local models relate to each other and to the global one. Notebook 02's
  dashboard (:mod:`fedlearn_edu.widgets.noniid`), the notebook itself and the tests call them.

Client drift (客户端漂移), per round, over the participating clients ``i`` with weights
``p_i = n_i / sum_j n_j``, local models ``w_i`` and the global model ``w`` they started from::

    update_cosine  = mean over pairs i != j (weights p_i p_j) of cos(w_i - w, w_j - w)
                     (do the clients' updates point the same way? parameter space,
                      :mod:`.drift`; NaN with one client per round)
    local_accuracy = sum_i p_i acc(w_i; test set)
                     (how good each client's own model is on everyone's data, function space)

On IID data the clients' updates point roughly the same way and every local model is a
decent global model; on label-skewed data the updates are close to orthogonal and each
client's model specialises in its few labels, so ``local_accuracy`` collapses.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import numpy as np

from .config import FedConfig
from .data import label_histogram
from .drift import cosine_kernel
from .federation import Federation
from .history import History, RoundRecord
from .loop import iterate, run_history

__all__ = ["iterate_with_drift", "run_noniid", "NonIIDResult", "drift_stats", "NONIID_DEFAULTS"]

# Where the non-IID effect on digits is large and stable across seeds (measured, see
# notebook 02): 20 clients, 4 sampled per round, 10 local epochs, Dirichlet alpha 0.05.
NONIID_DEFAULTS = FedConfig(num_clients=20, client_fraction=0.2, local_epochs=10, rounds=10,
                            partition="dirichlet", dirichlet_alpha=0.05)


def drift_stats(model, w: np.ndarray, W_clients: np.ndarray, num_examples,
                X_test: np.ndarray, y_test: np.ndarray) -> tuple[float, float]:
    """``(update_cosine, local_accuracy)`` of client models ``W_clients: (m, p)`` that
    started from ``w: (p,)`` (see the module docstring).

    ``num_examples: (m,)`` weights the clients as FedAvg does; ``X_test: (n, d)``,
    ``y_test: (n,)`` is the common test set the local models are scored on.
    """
    W_clients = np.asarray(W_clients, dtype=float)
    p = np.asarray(num_examples, dtype=float)
    cosine = cosine_kernel(W_clients - np.asarray(w, dtype=float)[None, :], p)
    if not len(W_clients) or not np.isfinite(W_clients).all():
        return cosine, float("nan")
    local = np.array([model.score(wi, X_test, y_test) for wi in W_clients])
    return cosine, float(p @ local / p.sum())


def iterate_with_drift(
    config: FedConfig, fed: Federation | None = None
) -> Iterator[tuple[RoundRecord, np.ndarray, tuple[float, float]]]:
    """Yield ``(record, global_weights, (update_cosine, local_accuracy))`` after every
    FedAvg round.

    Same loop and random streams as :func:`fedlearn_edu.core.loop.iterate` (so the
    accuracies are identical); only FedAvg/FedProx (clients return models) has a drift.
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
        update_cosine, local_accuracy: ``(rounds,)`` client-drift statistics (see the
            module docstring; NaN for rounds not run).
        counts: ``(num_clients, n_classes)`` label histogram of the partition.
    """

    history: History
    update_cosine: np.ndarray
    local_accuracy: np.ndarray
    counts: np.ndarray


def run_noniid(
    config: FedConfig,
    callback: Callable[[RoundRecord, NonIIDResult], bool | None] | None = None,
    *,
    fed: Federation | None = None,
) -> NonIIDResult:
    """Run FedAvg (FedProx if ``config.mu > 0``) with ``config`` and record client drift.

    Args:
        callback: called as ``callback(record, result)`` after every round, where
            ``result`` is the :class:`NonIIDResult` being filled (its ``history``,
            ``update_cosine`` and ``local_accuracy`` hold the rounds run so far); returning
            ``False`` stops the run.
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
            result.update_cosine[rec.round - 1], result.local_accuracy[rec.round - 1] = d, a
            yield rec, w

    def on_round(rec, hist):
        result.history = hist
        return None if callback is None else callback(rec, result)

    result.history = run_history(config, records(), on_round)
    return result
