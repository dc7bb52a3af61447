"""Poisoning attacks (投毒攻击 poisoning attack) by malicious clients, and the backdoor metric.

Two families:

* **model poisoning** - the attacker trains honestly, then changes what it sends:
  ``sign_flip`` sends ``-scale * u``, ``scale`` sends a boosted ``scale * u``,
  ``gaussian`` sends pure noise ``N(0, scale^2 I)``, ``nonfinite`` sends NaN and inf
  (entries cycle NaN, +inf, NaN, -inf; deterministic, ``scale`` unused): the update that
  turns a plain mean into NaN, which robust rules and DP clipping must reduce to nothing
  (``u`` = its honest update, i.e. new model minus global model, or its gradient for FedSGD);
* **data poisoning** - the attacker trains honestly on poisoned data:
  ``label_flip`` relabels ``y -> k - 1 - y``; ``backdoor`` (后门 backdoor) stamps a
  trigger (a bright 2x2 patch in the bottom-right corner of a digit) on a fraction of its
  examples and relabels them to ``target``. A good backdoor keeps clean accuracy high while
  :func:`backdoor_success_rate` (triggered test digits classified as ``target``) goes up.

Every function returns new arrays and never modifies its inputs.
"""

from __future__ import annotations

import dataclasses

import numpy as np

from .._validation import RNG, Array, Choice, Instance, Int, Real, check_float, check_int, validated
from ..core.data import Dataset
from ..core.models import Model

MODEL_ATTACKS = ("sign_flip", "scale", "gaussian", "nonfinite")
DATA_ATTACKS = ("label_flip", "backdoor")
ATTACK_NAMES = ("none", *MODEL_ATTACKS, *DATA_ATTACKS)

# digits are 8x8 images flattened row-major: pixels (6,6), (6,7), (7,6), (7,7)
DIGITS_TRIGGER = np.array([54, 55, 62, 63])
TRIGGER_VALUE = 6.0  # in standardised units: far brighter than these pixels usually are


def num_attackers(num_clients: int, fraction: float) -> int:
    """``round(fraction * num_clients)`` malicious clients."""
    check_int("num_clients", num_clients, 1)
    fraction = check_float("fraction", fraction, 0.0, 1.0)
    return int(round(fraction * num_clients))


def choose_attackers(num_clients: int, fraction: float, rng: np.random.Generator) -> np.ndarray:
    """Sorted indices of the malicious clients (a random subset of fixed size)."""
    k = num_attackers(num_clients, fraction)
    return np.sort(rng.choice(num_clients, size=k, replace=False)) if k else np.array([], int)


def nonfinite_like(U: np.ndarray) -> np.ndarray:
    """``U``'s shape filled with NaN, +inf, NaN, -inf, ... (row-major): the ``nonfinite``
    attack. Both kinds of non-finite value, so no single check (``isnan``, ``> big``) misses."""
    cycle = np.array([np.nan, np.inf, np.nan, -np.inf])
    return cycle[np.arange(U.size) % 4].reshape(U.shape)


def poison(U: np.ndarray, kind: str, scale: float, rng: np.random.Generator) -> np.ndarray:
    """The unchecked kernel the server calls every round (honest updates may be NaN there)."""
    if kind == "sign_flip":
        return -scale * U
    if kind == "scale":
        return scale * U
    if kind == "gaussian":
        return rng.normal(0.0, scale, size=U.shape)
    return nonfinite_like(U)


@validated(updates=Array(ndim=2, min_len=0), kind=Choice(MODEL_ATTACKS),
           scale=Real(0.0, low_open=True), rng=RNG())
def poison_updates(updates, kind: str, scale: float, rng: np.random.Generator) -> np.ndarray:
    """Model poisoning: what the attackers send instead of their honest ``updates: (a, p)``.

    Args:
        updates: ``(a, p)`` finite honest updates of the ``a`` attackers.
        kind: one of :data:`MODEL_ATTACKS`.
        scale: flip/boost factor (``sign_flip``, ``scale``) or noise std (``gaussian``), > 0
            and finite (``nonfinite`` ignores it).
        rng: used by ``gaussian`` only.

    Returns:
        ``(a, p)`` new array; NaN/inf only for ``kind="nonfinite"``.

    Raises:
        ValueError: also when ``scale`` is so large that the poisoned updates overflow.
    """
    with np.errstate(over="ignore", invalid="ignore"):
        out = poison(updates, kind, scale, rng)
    if kind != "nonfinite" and not np.all(np.isfinite(out)):
        raise ValueError(f"scale={scale:.3g} makes the {kind!r} updates overflow to inf; use a "
                         f"smaller scale")
    return out


def flip_labels(y, n_classes: int) -> np.ndarray:
    """Label flipping ``y -> n_classes - 1 - y`` (a new int array)."""
    y = np.asarray(y)
    check_int("n_classes", n_classes, 2)
    return (n_classes - 1 - y).astype(y.dtype)


def add_trigger(X, trigger=DIGITS_TRIGGER, value: float = TRIGGER_VALUE) -> np.ndarray:
    """Copy of ``X: (n, d)`` with the trigger features set to ``value``."""
    Xt = np.array(X, dtype=float, copy=True)
    Xt[:, np.asarray(trigger)] = value
    return Xt


def backdoor_examples(X, y, target: int, fraction: float, rng: np.random.Generator,
                      trigger=DIGITS_TRIGGER, value: float = TRIGGER_VALUE):
    """Stamp the trigger on a random ``fraction`` of rows and relabel them ``target``.

    Returns:
        new ``(X, y)``; the other rows are unchanged (the attacker still looks honest).
    """
    X = np.array(X, dtype=float, copy=True)
    y = np.array(y, copy=True)
    fraction = check_float("fraction", fraction, 0.0, 1.0)
    rows = rng.permutation(len(y))[: int(round(fraction * len(y)))]
    X[rows] = add_trigger(X[rows], trigger, value)
    y[rows] = target
    return X, y


def poison_dataset(data: Dataset, parts, attackers, kind: str, *, target: int = 0,
                   fraction: float = 0.5, rng: np.random.Generator | None = None) -> Dataset:
    """A copy of ``data`` whose training rows owned by ``attackers`` are poisoned.

    Args:
        parts: the clients' index arrays into ``data.X_train``.
        attackers: malicious client indices.
        kind: one of :data:`DATA_ATTACKS`.
        target, fraction: backdoor target label and share of each attacker's rows stamped.
    """
    if kind not in DATA_ATTACKS:
        raise ValueError(f"kind must be one of {DATA_ATTACKS}, got {kind!r}")
    if data.n_classes < 2:
        raise ValueError(f"data poisoning needs a classification dataset, got {data.name!r}")
    if isinstance(target, bool) or not isinstance(target, (int, np.integer)) \
            or not 0 <= target < data.n_classes:
        raise ValueError(f"target (AttackConfig.backdoor_target) must be a label in [0, "
                         f"{data.n_classes - 1}] of {data.name!r}, got {target!r}")
    rng = np.random.default_rng(0) if rng is None else rng
    X = np.array(data.X_train, copy=True)
    y = np.array(data.y_train, copy=True)
    for a in attackers:
        idx = np.asarray(parts[a])
        if kind == "label_flip":
            y[idx] = flip_labels(y[idx], data.n_classes)
        else:
            X[idx], y[idx] = backdoor_examples(X[idx], y[idx], target, fraction, rng)
    X.setflags(write=False)
    y.setflags(write=False)
    return dataclasses.replace(data, X_train=X, y_train=y)


@validated(model=Instance(Model), w=Array(ndim=1), X_test=Array(ndim=2),
           y_test=Array(ndim=1, kind="int"), target=Int(0),
           trigger=Array(ndim=1, kind="int", low=0), value=Real())
def backdoor_success_rate(model: Model, w, X_test, y_test, target: int,
                          trigger=DIGITS_TRIGGER, value: float = TRIGGER_VALUE) -> float:
    """Share of triggered test inputs (whose true label is not ``target``) predicted ``target``.

    A clean model scores near the base rate of predicting ``target`` on such inputs;
    a backdoored one scores near 1.

    Args:
        model: a classification :class:`Model`; w: its ``(p,)`` finite parameters.
        X_test: ``(n, d)``; y_test: ``(n,)`` labels in ``[0, n_classes)``.
        target: the backdoor's label, in ``[0, n_classes)``.
        trigger: feature indices in ``[0, d)`` set to ``value`` (finite).
    """
    if model.task != "classification":
        raise ValueError(f"model must be a classification model for a backdoor, got "
                         f"kind={model.kind!r}")
    k, d = max(model.n_classes, 2), model.n_features
    if w.shape != (model.num_params,):
        raise ValueError(f"w must have shape ({model.num_params},) for this model, got {w.shape}")
    if X_test.shape[1] != d:
        raise ValueError(f"X_test must have shape (n, model.n_features) = (n, {d}), got shape "
                         f"{X_test.shape}")
    if y_test.shape != (len(X_test),) or y_test.min() < 0 or y_test.max() >= k:
        raise ValueError(f"y_test must have shape (len(X_test),) = ({len(X_test)},) with "
                         f"labels in [0, {k}), got shape "
                         f"{y_test.shape}, range [{y_test.min()}, {y_test.max()}]")
    if target >= k:
        raise ValueError(f"target must be a label in [0, {k}), got {target}")
    if trigger.max() >= d:
        raise ValueError(f"trigger must hold feature indices in [0, {d}), got {trigger}")
    keep = y_test != target
    if not np.any(keep):
        raise ValueError(f"no test example with a label other than target={target}")
    with np.errstate(over="ignore", invalid="ignore"):
        pred = model.predict(w, add_trigger(X_test[keep], trigger, value))
    return float(np.mean(pred == target))
