"""The same model trained three ways on an application's clients: each alone, pooled, federated.

* **alone**: every client trains only on its own rows (what it can do without partners);
* **pooled**: one model on everybody's rows (what the law often forbids: the rows would have
  to leave the hospital or bank);
* **federated**: FedAvg over the clients (the core round loop, :func:`core.loop.run_rounds`).

All three use the same local SGD, learning rate and number of passes over the data
(``rounds * local_epochs`` epochs), so only *who sees which rows* differs. Every model is
scored on every client's own test rows (accuracy, and AUC and recall for a binary task:
:mod:`.metrics`).
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    Array,
    Choice,
    Func,
    Instance,
    Int,
    Maybe,
    Pair,
    Real,
    Seed,
    Sequence,
    validated,
)
from ..core.client import local_sgd
from ..core.federation import Federation
from ..core.loop import run_rounds
from ..core.models import Model
from ..core.training import LocalTraining
from .loaders import AppData
from .metrics import precision, recall, roc_auc

METHODS = ("alone", "pooled", "federated")


def client_scores(model: Model, w: np.ndarray, X: np.ndarray, y: np.ndarray) -> dict:
    """``accuracy`` (and ``auc``, ``recall``, ``precision`` for a logistic model) of ``w`` on
    ``(X, y)``; AUC is NaN when the rows hold one class only."""
    out = {"accuracy": model.score(w, X, y), "n": len(y)}
    if model.kind == "logistic":
        s = model.decision(w, X)
        out["auc"] = roc_auc(y, s) if 0 < y.sum() < len(y) else float("nan")
        out["recall"] = recall(y, (s > 0).astype(int)) if y.sum() else float("nan")
        out["precision"] = precision(y, (s > 0).astype(int))
        out["positives"] = int(y.sum())
    return out


def score_all(model: Model, w_per_client: list, app: AppData, on: str = "own") -> list[dict]:
    """Scores of client ``i``'s model ``w_per_client[i]`` on client ``i``'s own test rows
    (``on="own"``) or on every client's test rows together (``on="all"``: the population, for
    when a client's own test set holds too few positives to measure recall)."""
    if on == "all":
        return [client_scores(model, w, app.data.X_test, app.data.y_test) for w in w_per_client]
    return [client_scores(model, w, *app.client(i)[2:]) for i, w in enumerate(w_per_client)]


@validated(app=Instance(AppData), model=Instance(Model), rounds=Int(1, 500),
           local_epochs=Int(1, 50), batch_size=Int(1, 10_000), lr=Real(0.0, 10.0,
                                                                         low_open=True),
           seed=Seed(), parts=Maybe(Sequence(Array(ndim=1, kind="int"), 1)),
           on=Choice(("own", "all")), callback=Maybe(Func()))
def three_ways(app: AppData, model: Model, *, rounds: int = 20, local_epochs: int = 2,
               batch_size: int = 16, lr: float = 0.1, seed: int = 0, parts=None,
               on: str = "own", callback=None) -> dict:
    """Train ``model`` alone / pooled / federated on ``app``'s clients.

    Args:
        parts: index arrays into the training rows (default: the natural clients); scores
            are always taken on the natural clients' test rows.
        on: ``"own"`` (each client's test rows) or ``"all"`` (all test rows), see
            :func:`score_all`.
        callback: called as ``callback(round, mean_client_accuracy)`` after every federated
            round (e.g. a live plot).

    Returns:
        ``{method: {"w": per-client weights (one model for pooled/federated, repeated),
        "scores": per-client dicts of client_scores}}`` plus ``"curve"``: the federated
        model's mean client accuracy after every round.
    """
    d = app.data
    parts = list(d.users) if parts is None else parts
    if len(parts) != app.num_clients:
        raise ValueError(f"parts must hold {app.num_clients} clients (one per natural client "
                         f"with a test set), got {len(parts)}")
    epochs = rounds * local_epochs
    kids = np.random.SeedSequence(seed).spawn(len(parts) + 2)
    opts = dict(epochs=epochs, batch_size=batch_size, lr=lr)
    alone = [local_sgd(model, model.init(), d.X_train[p], d.y_train[p],
                       rng=np.random.default_rng(kids[i]), **opts) for i, p in enumerate(parts)]
    pooled = local_sgd(model, model.init(), d.X_train, d.y_train,
                       rng=np.random.default_rng(kids[-1]), **opts)
    curve = []

    def record(r, w):
        curve.append(np.mean([s["accuracy"] for s in score_all(model, [w] * len(parts), app,
                                                              on)]))
        if callback is not None:
            callback(r, curve[-1])

    w_fed = fedavg(model, [(d.X_train[p], d.y_train[p]) for p in parts], rounds=rounds,
                   local_epochs=local_epochs, batch_size=batch_size, lr=lr,
                   seed=int(kids[-2].generate_state(1)[0]), callback=record)
    out = {"alone": alone, "pooled": [pooled] * len(parts), "federated": [w_fed] * len(parts)}
    result = {m: {"w": ws, "scores": score_all(model, ws, app, on)} for m, ws in out.items()}
    result["curve"] = np.array(curve)
    return result


@validated(model=Instance(Model), clients=Sequence(Pair("real"), 1), rounds=Int(1, 500),
           local_epochs=Int(1, 50), batch_size=Int(1, 10_000),
           lr=Real(0.0, 10.0, low_open=True), seed=Seed(), callback=Maybe(Func()))
def fedavg(model: Model, clients, *, rounds: int = 20, local_epochs: int = 2,
           batch_size: int = 16, lr: float = 0.1, seed: int = 0, callback=None) -> np.ndarray:
    """FedAvg (every client, every round) over ``clients = [(X_i, y_i), ...]`` with the core
    round loop; ``callback(round, w)`` after each round. Returns the final ``w: (p,)``."""
    fed = Federation.from_clients(model, clients,
                                  training=LocalTraining(local_epochs, batch_size, lr), seed=seed)
    w = model.init()
    for rec, w in run_rounds(fed, rounds):
        if callback is not None:
            callback(rec.round, w)
    return w


def summary(result: dict, metric: str = "accuracy") -> dict:
    """``{method: per-client array of metric}`` from :func:`three_ways`'s result."""
    return {m: np.array([s[metric] for s in result[m]["scores"]]) for m in METHODS}
