"""Federated transfer learning (联邦迁移学习): a global model, then personal models per client.

Every client owns a :class:`ClientData`: its own train split (used for training) and its own
test split (used to measure *its* accuracy). With non-IID data one global model fits no client
perfectly (the article's "model non-adaptation"); personalization (个性化) trades a little
sharing for a model that fits each client's own distribution.

Methods (all clients take part in every round; all randomness is spawned per client):

All federated methods run on the core round loop (:func:`fedlearn_edu.core.loop.run_rounds`)
over a :meth:`~fedlearn_edu.core.federation.Federation.from_clients` federation.

* :func:`fedavg`: plain FedAvg on the clients' train splits; returns the global model and
  per-round mean / worst client test accuracy (for "pretrained vs scratch start" curves).
* :func:`local_only`: every client trains alone (no federation) — the other extreme.
* :func:`finetune_clients`: global model -> ``k`` full-batch GD steps on the client's data.
* :func:`fedper`: FedPer (Arivazhagan et al. 2019): the body is averaged, every client keeps
  its own head. A convex model has no body (it is all head), so FedPer = local training there.
* :func:`ditto`: Ditto (Li et al. 2021): FedAvg for the global ``w`` and, per client, a personal
  ``v_i`` minimising ``f_i(v) + (lam/2)||v - w||^2``. ``lam = 0``: local training;
  ``lam = inf``: ``v_i = w``.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

from .._validation import Choice, check_float, check_int, validated
from ..core.client import local_sgd
from ..core.federation import Federation, LocalTraining
from ..core.loop import DivergenceError, run_rounds
from ._checks import PERSONALIZE_RULES, check_clients
from .finetune import fit, param_mask
from .scenarios import ClientData

METHODS = ("global", "local", "finetune", "fedper", "ditto")


def client_streams(seed: int, num_clients: int) -> tuple[list, list]:
    """Two independent generators per client: ``(global_rngs, personal_rngs)``.

    Client ``i``'s streams depend only on ``(seed, i)``, so adding clients never changes
    another client's randomness.
    """
    kids = [s.spawn(2) for s in np.random.SeedSequence(seed).spawn(num_clients)]
    return ([np.random.default_rng(k[0]) for k in kids],
            [np.random.default_rng(k[1]) for k in kids])


def client_accuracy(model, W: np.ndarray, clients: list[ClientData]) -> np.ndarray:
    """Accuracy of each client on its own test split, ``(K,)``.

    ``W`` is one model ``(p,)`` for everyone (the global model) or ``(K, p)`` personal models.
    """
    W = np.asarray(W, dtype=float)
    if W.ndim == 1:
        W = np.broadcast_to(W, (len(clients), W.shape[0]))
    return np.array([model.score(W[i], c.X_test, c.y_test) for i, c in enumerate(clients)])


def summarize(acc: np.ndarray) -> dict:
    """``{"mean", "worst", "best"}`` of per-client accuracies (every client counts once)."""
    acc = np.asarray(acc, dtype=float)
    return {"mean": float(acc.mean()), "worst": float(acc.min()), "best": float(acc.max())}


def _start(model, w0):
    return model.init() if w0 is None else np.array(w0, dtype=float, copy=True)


def _training(local_epochs, batch_size, lr) -> LocalTraining:
    return LocalTraining(epochs=check_int("local_epochs", local_epochs, 1),
                         batch_size=check_int("batch_size", batch_size, 1),
                         lr=check_float("lr", lr, 0.0, low_open=True), engine="loop")


def _federation(model, clients, training, rngs) -> Federation:
    return Federation.from_clients(model, [(c.X_train, c.y_train) for c in clients],
                                   training=training, rngs=rngs)


def _rounds(fed, rounds, w0, lr, server=None):
    """The core round loop over every client; raises :class:`DivergenceError` (a
    ``FloatingPointError``) when the model becomes NaN/inf."""
    for rec, w in run_rounds(fed, rounds, w0, server=server):
        if not np.all(np.isfinite(w)):
            raise DivergenceError(f"FedAvg diverged in round {rec.round}; lower lr={lr}")
        yield rec.round, w


def fedavg(model, clients, *, rounds: int = 20, local_epochs: int = 1, batch_size: int = 16,
           lr: float = 0.1, w0=None, seed: int = 0, rngs=None,
           callback: Callable[[int, np.ndarray], bool | None] | None = None):
    """FedAvg over the clients' train splits (every client, every round), on the core loop.

    Args:
        model: ``Model`` or ``MLP``; w0: ``(p,)`` start (default ``model.init()``).
        rngs: optional per-client generators (default: the global streams of
            :func:`client_streams`); lets tests reproduce the engine's run exactly.
        callback: ``callback(round, w)`` after each round; returning ``False`` stops.

    Returns:
        ``(w, curves)``: the global ``(p,)`` model and ``{"mean": (R,), "worst": (R,)}``
        client test accuracy after each round (NaN for rounds not run).
    """
    rounds = check_int("rounds", rounds, 1)
    training = _training(local_epochs, batch_size, lr)
    rngs = client_streams(seed, len(clients))[0] if rngs is None else rngs
    fed = _federation(model, clients, training, rngs)
    start = w = _start(model, w0)
    curves = {"mean": np.full(rounds, np.nan), "worst": np.full(rounds, np.nan)}
    for r, w in _rounds(fed, rounds, start, lr):
        s = summarize(client_accuracy(model, w, clients))
        curves["mean"][r - 1], curves["worst"][r - 1] = s["mean"], s["worst"]
        if callback is not None and callback(r, w) is False:
            break
    return w, curves


def local_only(model, clients, *, epochs: int = 20, batch_size: int = 16, lr: float = 0.1,
               w0=None, seed: int = 0) -> np.ndarray:
    """Every client trains alone from ``w0`` with its personal stream; ``(K, p)`` models."""
    t = _training(epochs, batch_size, lr)
    rngs = client_streams(seed, len(clients))[1]
    w = _start(model, w0)
    return np.stack([local_sgd(model, w, c.X_train, c.y_train, rng=rngs[i], epochs=t.epochs,
                               batch_size=t.batch_size, lr=t.lr)
                     for i, c in enumerate(clients)])


def finetune_clients(model, w, clients, *, steps: int = 10, lr: float = 0.1,
                     params: str = "all") -> np.ndarray:
    """Global model ``w: (p,)`` -> ``steps`` full-batch GD steps on each client's train split.

    ``params="head"`` adapts only the output layer. Returns ``(K, p)``.
    """
    mask = param_mask(model, params)
    return np.stack([fit(model, c.X_train, c.y_train, w0=w, steps=steps, lr=lr,
                         trainable=mask)[0] for c in clients])


class PersonalHeads:
    """FedPer's server: every client starts from its own model ``V[i]``; the server averages
    the models and hands back only the body (the heads stay personal)."""

    epsilon = float("nan")
    accepts_empty = False

    def __init__(self, strategy, body: np.ndarray, V: np.ndarray):
        self.strategy, self.body, self.V = strategy, body, V

    def sample_clients(self, num_clients, rng):
        return self.strategy.sample_clients(num_clients, rng)

    def starts(self, w_global, clients):
        return self.V[clients]

    def aggregate_round(self, fed, w, clients, results):
        shared = self.strategy.aggregate_round(fed, w, clients, results)
        self.V[clients] = results
        self.V[:, self.body] = shared[self.body]  # broadcast the averaged body
        return shared


def fedper(model, clients, *, rounds: int = 20, local_epochs: int = 1, batch_size: int = 16,
           lr: float = 0.1, w0=None, seed: int = 0):
    """FedPer: clients train body + own head locally; the server averages only the body.

    Returns ``(w_shared, V)``: the shared body inside a ``(p,)`` vector (its head part is the
    average head, for reference only) and the ``(K, p)`` personal models.
    """
    rounds = check_int("rounds", rounds, 1)
    fed = _federation(model, clients, _training(local_epochs, batch_size, lr),
                      client_streams(seed, len(clients))[0])
    start = _start(model, w0)
    server = PersonalHeads(fed.strategy, param_mask(model, "body"),
                           np.tile(start, (len(clients), 1)))
    shared = start
    for _, w in _rounds(fed, rounds, start, lr, server):
        shared = w
    return shared, server.V


def ditto(model, clients, *, lam: float = 1.0, rounds: int = 20, local_epochs: int = 1,
          batch_size: int = 16, lr: float = 0.1, w0=None, seed: int = 0):
    """Ditto: FedAvg for the global model plus a personal model per client pulled toward it.

    Each round every client (1) runs local SGD from the global ``w`` (the FedAvg part, same
    streams as :func:`fedavg`, so the global model is identical), the server averages; then
    (2) the client updates its personal ``v_i`` for ``local_epochs`` epochs on
    ``f_i(v) + (lam/2)||v - w||^2`` toward the *new* global ``w`` (Ditto's Algorithm 1 with the
    personal step taken once the new global model has arrived, so ``lam = inf`` gives exactly
    the final global model). The pull is the proximal term of :func:`local_sgd`, applied
    exactly (``exact_prox``) so that any ``lam`` is stable.

    Returns ``(w, V)``: global ``(p,)`` and personal ``(K, p)``.
    """
    lam = check_float("lam", lam, 0.0, allow_inf=True)
    rounds = check_int("rounds", rounds, 1)
    t = _training(local_epochs, batch_size, lr)
    g_rngs, p_rngs = client_streams(seed, len(clients))
    fed = _federation(model, clients, t, g_rngs)
    start = _start(model, w0)
    V, w = np.tile(start, (len(clients), 1)), start
    for _, w in _rounds(fed, rounds, start, lr):
        V = np.stack([local_sgd(model, V[i], c.X_train, c.y_train, rng=p_rngs[i], mu=lam,
                                anchor=w, exact_prox=True, epochs=t.epochs,
                                batch_size=t.batch_size, lr=t.lr)
                      for i, c in enumerate(clients)])
    return w, V


@validated(method=Choice(METHODS), **PERSONALIZE_RULES)
def personalize(method: str, model, clients, *, rounds: int = 20, local_epochs: int = 1,
                batch_size: int = 16, lr: float = 0.1, finetune_steps: int = 10,
                finetune_lr: float | None = None, lam: float = 1.0, w0=None, seed: int = 0):
    """Run FedAvg and one personalization ``method`` and measure both on every client.

    ``method`` is one of ``METHODS``: ``"global"`` (no personalization), ``"local"``
    (``rounds * local_epochs`` epochs alone), ``"finetune"``, ``"fedper"``, ``"ditto"``.

    ``clients``: :class:`ClientData` with the model's feature width (a classifier's labels in
    range); ``w0: (p,)``; ``rounds <= 5000`` and at most 50000 gradient steps in all (see
    ``transfer._checks.check_clients``).

    Returns:
        dict with ``w`` (global FedAvg model), ``V`` (``(K, p)`` personal models),
        ``global_acc`` and ``personal_acc`` (``(K,)`` accuracy on each client's test split).

    Raises:
        DivergenceError: (a ``ValueError``) training diverged; the message names ``lr``
            (or ``finetune_lr``).
    """
    check_clients(model, clients, rounds, local_epochs, batch_size, w0, method, finetune_steps)
    kw = dict(local_epochs=local_epochs, batch_size=batch_size, lr=lr, w0=w0, seed=seed)
    if method == "ditto":
        w, V = ditto(model, clients, lam=lam, rounds=rounds, **kw)
    else:
        w, _ = fedavg(model, clients, rounds=rounds, **kw)
        if method == "global":
            V = np.tile(w, (len(clients), 1))
        elif method == "finetune":
            ft_lr = lr if finetune_lr is None else finetune_lr
            try:  # inputs are checked: a ValueError here is numeric (huge FedAvg model ...)
                V = finetune_clients(model, w, clients, steps=finetune_steps, lr=ft_lr)
            except ValueError as err:
                raise DivergenceError(f"fine-tuning the clients from the FedAvg model diverged: "
                                      f"lower finetune_lr={ft_lr:g} or lr={lr:g}: {err}") from None
        elif method == "fedper":
            V = fedper(model, clients, rounds=rounds, **kw)[1]
        else:
            V = local_only(model, clients, epochs=rounds * local_epochs, batch_size=batch_size,
                           lr=lr, w0=w0, seed=seed)
    return {"w": w, "V": V, "global_acc": client_accuracy(model, w, clients),
            "personal_acc": client_accuracy(model, V, clients)}


def rounds_to_reach(curve: np.ndarray, target: float) -> int | None:
    """First round (1-based) whose accuracy is >= ``target``; ``None`` if never reached."""
    hit = np.flatnonzero(np.asarray(curve) >= target)
    return int(hit[0]) + 1 if len(hit) else None


def pretrained_vs_scratch(model, source, clients, *, source_steps: int = 200,
                          source_lr: float = 0.5, rounds: int = 20, local_epochs: int = 1,
                          batch_size: int = 16, lr: float = 0.1, seed: int = 0) -> dict:
    """Federated training on the target clients from a pretrained vs a scratch start.

    The pretrained start is a centralised source model: ``source_steps`` full-batch GD steps
    on ``source = (X_s, y_s)`` from ``model.init()``. The scratch start is ``model.init()``
    (zeros for the convex models, a seeded random init for the MLP).

    Returns:
        dict with ``w_src`` and the FedAvg accuracy curves ``pretrained`` / ``scratch``
        (each ``{"mean": (R,), "worst": (R,)}``); both runs use the same client streams.
    """
    w_src, _ = fit(model, *source, steps=source_steps, lr=source_lr)
    kw = dict(rounds=rounds, local_epochs=local_epochs, batch_size=batch_size, lr=lr, seed=seed)
    return {"w_src": w_src,
            "pretrained": fedavg(model, clients, w0=w_src, **kw)[1],
            "scratch": fedavg(model, clients, **kw)[1]}
