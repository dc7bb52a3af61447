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
    check_array,
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


@validated(model=Instance(Model), w=Array(ndim=1), X=Array(ndim=2), y=Array(ndim=1, kind="real"))
def client_scores(model: Model, w: np.ndarray, X: np.ndarray, y: np.ndarray) -> dict:
    """``accuracy`` (and ``auc``, ``recall``, ``precision`` for a logistic model) of
    ``w: (p,)`` on ``X: (n, d)``, ``y: (n,)``; AUC is NaN when the rows hold one class only,
    recall without positives, precision when nothing is predicted positive."""
    check_fits(model, X, y, "X", "y")
    if len(w) != model.num_params:
        raise ValueError(f"w must hold the model's {model.num_params} parameters, got shape "
                         f"{w.shape}")
    with np.errstate(over="ignore", invalid="ignore"):
        finite = np.isfinite(model.decision(w, X)).all()
    if not finite:
        raise ValueError("the scores X @ w overflow float64: w or X is too large (entries up to "
                         f"{max(np.abs(w).max(), np.abs(X).max()):.3g})")
    return _scores(model, w, X, y)


def check_fits(model: Model, X: np.ndarray, y: np.ndarray, x_name: str, y_name: str) -> None:
    """Refuse features ``X`` of another width than ``model``'s and labels ``y`` outside
    ``model``'s classes (integers in ``[0, n_classes - 1]``), naming the arguments."""
    if X.shape[1] != model.n_features:
        raise ValueError(f"{x_name} must have the model's {model.n_features} columns, got shape "
                         f"{X.shape}")
    if len(y) != len(X):
        raise ValueError(f"{y_name} must hold one label per row of {x_name} ({len(X)}), got "
                         f"shape {y.shape}")
    if model.task == "classification":
        check_array(y_name, y, ndim=1, kind="int", low=0, high=model.n_classes - 1)


def _scores(model: Model, w: np.ndarray, X: np.ndarray, y: np.ndarray) -> dict:
    """:func:`client_scores` without the checks (the training loops call it every round)."""
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
        return [_scores(model, w, app.data.X_test, app.data.y_test) for w in w_per_client]
    return [_scores(model, w, *app.client(i)[2:]) for i, w in enumerate(w_per_client)]


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
    check_fits(model, d.X_train, d.y_train, "app.data.X_train", "app.data.y_train")
    parts = list(d.users) if parts is None else parts
    if len(parts) != app.num_clients:
        raise ValueError(f"parts must hold {app.num_clients} clients (one per natural client "
                         f"with a test set), got {len(parts)}")
    for i, p in enumerate(parts):
        if len(p) == 0 or p.min() < 0 or p.max() >= len(d.y_train):
            raise ValueError(f"parts[{i}] must hold indices into the {len(d.y_train)} training "
                             f"rows (0 .. {len(d.y_train) - 1}), got {_span(p)}")
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
    for i, (X, y) in enumerate(clients):
        check_fits(model, X, y, f"clients[{i}][0]", f"clients[{i}][1]")
    fed = Federation.from_clients(model, clients,
                                  training=LocalTraining(local_epochs, batch_size, lr), seed=seed)
    w = model.init()
    for rec, w in run_rounds(fed, rounds):
        if callback is not None:
            callback(rec.round, w)
    return w


def _span(p: np.ndarray) -> str:
    return f"range [{p.min()}, {p.max()}]" if len(p) else "no rows"


class _WaysResult:
    """A rule: a result of :func:`three_ways` (``{method: {"scores": [dict, ...]}}``)."""

    def check(self, name, value):
        if not isinstance(value, dict):
            raise TypeError(f"{name} must be the dict three_ways returns, got "
                            f"{repr(value)[:60]} ({type(value).__name__})")
        for m in METHODS:
            entry = value.get(m)
            scores = entry.get("scores") if isinstance(entry, dict) else None
            if not isinstance(scores, (list, tuple)) or not scores \
                    or not all(isinstance(s, dict) for s in scores):
                raise ValueError(f"{name} must be the dict three_ways returns, with per-client "
                                 f"score dicts under {name}[{m!r}]['scores'], got "
                                 f"{repr(entry)[:60]}")
        return value


@validated(result=_WaysResult(), metric=Instance(str))
def summary(result: dict, metric: str = "accuracy") -> dict:
    """``{method: per-client array of metric}`` from :func:`three_ways`'s result."""
    known = sorted(set.intersection(*(set(s) for m in METHODS for s in result[m]["scores"])))
    if metric not in known:
        raise ValueError(f"metric must be one of the scores in result, {known}, got {metric!r}")
    return {m: np.array([s[metric] for s in result[m]["scores"]]) for m in METHODS}
