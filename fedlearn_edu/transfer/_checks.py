"""Argument rules and checks the transfer room's public functions share.

The per-parameter rules (``MODEL``, ``STEPS``, ``LR``, ...) go into ``@validated``; the
functions below check what one rule cannot see: that data fit the model (feature width,
labels in range), that a vector has the model's length, and how a diverged run is reported.
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    Array,
    Duck,
    Instance,
    Int,
    Maybe,
    Real,
    Seed,
    Sequence,
    check_array,
)
from ..core.batches import steps_per_epoch
from ..core.loop import DivergenceError
from .scenarios import ClientData

MODEL = Duck(("init", "grad", "loss", "num_params", "n_features"), "model")
# Gradient steps one call may run in all (full-batch GD steps, local mini-batch steps): 10x
# the most any notebook or test asks for, a few seconds on small data (a step of the tiny
# MLP costs ~50-100 us, almost all of it NumPy overhead), so that no call "hangs".
MAX_STEPS = 50_000
MAX_ROUNDS = 5_000  # personalize: every round also scores every client
STEPS = Int(0, MAX_STEPS)
LR = Real(0.0, low_open=True)
PERSONALIZE_RULES = dict(  # personalize's parameters besides method
    model=Duck(("init", "grad", "loss", "num_params", "n_features", "score"), "model"),
    clients=Sequence(Instance(ClientData), 1), rounds=Int(1, MAX_ROUNDS),
    local_epochs=Int(1, 10_000), batch_size=Int(1), lr=LR, finetune_steps=STEPS,
    finetune_lr=Maybe(LR), lam=Real(0.0, allow_inf=True), w0=Maybe(Array(ndim=1)), seed=Seed())


def n_classes_of(model) -> int | None:
    """The number of classes of a classifier (``None`` for regression or unknown)."""
    if getattr(model, "task", None) != "classification":
        return None
    return int(model.n_classes)


def check_labels(name: str, y: np.ndarray, k: int, source: str = "the model's") -> np.ndarray:
    """``y`` as int64 labels in ``[0, k - 1]`` or a ``ValueError`` naming ``name`` (and
    ``source``, where ``k`` comes from)."""
    y = check_array(name, y, ndim=1, kind="int")
    if y.size and (y.min() < 0 or y.max() >= k):
        raise ValueError(f"{name} must hold class labels in [0, {k - 1}] ({source} n_classes="
                         f"{k}), got range [{y.min()}, {y.max()}]")
    return y


def check_xy(model, X: np.ndarray, y: np.ndarray, xname: str = "X", yname: str = "y",
             n_classes: int | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Data ``X: (n, d)``, ``y: (n,)`` (already checked arrays) that fit ``model``: ``d`` is
    the model's ``n_features``, and a classifier's labels lie in ``[0, n_classes - 1]``
    (``n_classes`` default: the model's). Returns ``(X, y)``, labels as int64."""
    d = int(model.n_features)
    if X.shape[1] != d:
        raise ValueError(f"{xname} must be (n, {d}) for the model's {d} features, got shape "
                         f"{X.shape}")
    if len(y) != len(X):
        raise ValueError(f"{yname} must have one entry per row of {xname} ({len(X)}), "
                         f"got {len(y)}")
    k = n_classes_of(model) if n_classes is None else n_classes
    y = y if k is None else check_labels(yname, y, k, "the model's" if n_classes is None else
                                         "the target's")
    return X.astype(float, copy=False), y


def check_pair(model, name: str, pair) -> tuple[np.ndarray, np.ndarray]:
    """A checked ``Pair`` ``(X, y)`` named ``name`` that fits ``model``."""
    return check_xy(model, pair[0], pair[1], f"{name}[0]", f"{name}[1]")


def check_vec(name: str, w, p: int) -> np.ndarray:
    """A finite float vector of the model's ``p`` parameters (not copied)."""
    w = check_array(name, w, ndim=1)
    if w.shape != (p,):
        raise ValueError(f"{name} must have shape ({p},) (the model's parameters), got "
                         f"{w.shape}")
    return w


def check_mask(name: str, mask, p: int) -> np.ndarray:
    """A boolean ``(p,)`` mask over the model's parameters."""
    mask = check_array(name, mask, ndim=1, kind="bool")
    if mask.shape != (p,):
        raise ValueError(f"{name} must be a bool mask of shape ({p},), got {mask.shape}")
    return mask


def scale(a) -> float:
    """``max |a|`` of an array (0 for an empty one), for messages."""
    a = np.asarray(a, dtype=float)
    return float(np.max(np.abs(a))) if a.size else 0.0


def overflowed(what: str, value, **inputs) -> ValueError:
    """``what`` (e.g. the loss at the start) is NaN/inf: the inputs overflow by themselves.

    ``inputs``: name -> value (``None`` = not involved), all named in the message."""
    inputs = {k: v for k, v in inputs.items() if v is not None}
    sizes = ", ".join(f"max |{k}| = {scale(v):.3g}" for k, v in inputs.items())
    return ValueError(f"{what} is not finite ({value}): the inputs are too large in magnitude "
                      f"for float64 ({sizes}); rescale {', '.join(inputs)}")


def diverged(what: str, step: int, value, lr: float, lr_name: str = "lr",
             **curvature) -> DivergenceError:
    """Training left the float range: the step is too long for the objective's curvature.

    The message names ``lr_name`` and the inputs that set the curvature (``curvature``:
    name -> value, shown as ``max |value|``), so a caller knows what to change."""
    grow = ", ".join(f"{k} (max |{k}| = {scale(v):.3g})" for k, v in curvature.items()
                     if v is not None)
    return DivergenceError(f"{what} diverged at step {step} (objective {value}); lower "
                           f"{lr_name}={lr:g}" + (f": the largest stable step shrinks as the "
                                                  f"curvature grows with {grow}" if grow else ""))


def check_work(total: int, what: str, names: str) -> None:
    """Refuse a call that would run more than ``MAX_STEPS`` gradient steps in all."""
    if total > MAX_STEPS:
        raise ValueError(f"{what} is {total} gradient steps, more than the {MAX_STEPS} a call "
                         f"may run; use fewer {names}")


def check_clients(model, clients, rounds: int, local_epochs: int, batch_size: int, w0,
                  method: str, finetune_steps: int) -> None:
    """Clients that fit ``model``, ``w0`` of its length, and at most ``MAX_STEPS`` gradient
    steps in all: ``rounds * local_epochs * (the clients' mini-batches per epoch)`` for
    FedAvg, twice that for the methods that train a second model that long (``local``,
    ``fedper``, ``ditto``), plus ``finetune_steps`` per client for ``finetune``."""
    for i, c in enumerate(clients):
        check_xy(model, c.X_train, c.y_train, f"clients[{i}].X_train", f"clients[{i}].y_train")
        check_xy(model, c.X_test, c.y_test, f"clients[{i}].X_test", f"clients[{i}].y_test")
    if w0 is not None:
        check_vec("w0", w0, model.num_params)
    fedavg = rounds * local_epochs * sum(steps_per_epoch(c.n_train, batch_size) for c in clients)
    total = fedavg * (2 if method in ("local", "fedper", "ditto") else 1) + (
        finetune_steps * len(clients) if method == "finetune" else 0)
    check_work(total, f"method={method!r} with rounds={rounds}, local_epochs={local_epochs}, "
               f"batch_size={batch_size} over {len(clients)} clients",
               "rounds, local_epochs or finetune_steps")
    if method == "local" and rounds * local_epochs > 10_000:
        raise ValueError(f"method='local' trains rounds * local_epochs = {rounds * local_epochs}"
                         " epochs, more than 10000; use fewer rounds or local_epochs")
