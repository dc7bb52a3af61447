"""The article's example functions, corrected, under the article's own names.

The article (section 4) sketches federated learning and transfer learning with seven
functions. Their originals live in :mod:`fedlearn_edu.article.original` (``article.original``)
and fail; here they are made correct while keeping the names and call shapes::

    w = federated_train(np.zeros(10), 5)                  # FedAvg over 5 devices
    source_w = source_train(generate_source_data(), np.zeros(10))
    target_w = target_train(generate_target_data(), source_w)

The task is least squares: a hidden linear truth ``y = X w_true + noise`` with
``X ~ U[0, 1)^(n x d)`` (the article's ``np.random.rand(100, 10)``), loss
``f(w) = (1/n) ||X w - y||^2`` and gradient ``(2/n) X^T (X w - y)``.

Every function checks its arguments (``TypeError``/``ValueError`` naming the parameter):
sizes, steps and rounds are bounded (``10**12`` is refused, data must fit the 1 GiB budget),
``lr`` is finite and > 0, arrays are finite; a run whose weights leave the float range
(``lr`` too large) raises ``DivergenceError``, a ``ValueError``, instead of returning NaN.
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    MAX_ITERATIONS,
    RNG,
    Array,
    DivergenceError,
    Int,
    Maybe,
    Pair,
    Real,
    Seed,
    check_budget,
    validated,
)
from . import original

MAX_DIM = 10**6  # features d
MAX_SAMPLES = 10**6  # examples n of one device (n * d must also fit the memory budget)
MAX_DEVICES = 10**4
MAX_ROUNDS = 100_000  # as FedConfig.rounds
MAGNITUDE = 1e100  # largest |entry| of a truth and noise scale: squares stay finite
STEPS, LR = Int(0, MAX_ITERATIONS), Real(0.0, low_open=True)
DATA = Pair("float")

__all__ = [
    "generate_data", "local_train", "federated_train", "mse", "true_weights",
    "generate_source_data", "generate_target_data", "source_train", "target_train", "original",
]

TRUE_W_SEED = 2024  # the hidden ground truth every device shares
TARGET_SHIFT_SEED = 7  # how the target task's truth differs from the source's


def _rng(rng: np.random.Generator | None, seed: int | None) -> np.random.Generator:
    if rng is not None and not isinstance(rng, np.random.Generator):
        raise TypeError(f"rng must be a numpy.random.Generator, got {type(rng).__name__}")
    return rng if rng is not None else np.random.default_rng(seed)


@validated(d=Int(1, MAX_DIM))
def true_weights(d: int = 10) -> np.ndarray:
    """The hidden linear ground truth ``w_true: (d,)`` (fixed, the same for every device)."""
    return np.random.default_rng(TRUE_W_SEED).normal(size=d)


def _check_data(data, w) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """``data = (X, y)`` (a checked ``Pair``) and ``w`` as float64; ``w`` copied."""
    X, y = np.asarray(data[0], dtype=float), np.asarray(data[1], dtype=float)
    w = np.array(w, dtype=float, copy=True)
    if w.shape != (X.shape[1],):
        raise ValueError(f"w must have shape ({X.shape[1]},) to match X of data, got {w.shape}")
    return X, y, w


def _finite(name: str, value, what: str, **inputs):
    """``value`` if finite, else a ``ValueError`` naming ``inputs`` (name -> array)."""
    if np.isfinite(value).all():
        return value
    sizes = ", ".join(f"max |{k}| = {np.max(np.abs(v)):.3g}" for k, v in inputs.items())
    raise ValueError(f"{name} is not finite: {what} overflows float64 ({sizes}); rescale "
                     f"{', '.join(inputs)}")


@validated(n=Int(1, MAX_SAMPLES), d=Int(1, MAX_DIM),
           w_true=Maybe(Array(ndim=1, low=-MAGNITUDE, high=MAGNITUDE)),
           noise=Real(0.0, MAGNITUDE), rng=Maybe(RNG()), seed=Maybe(Seed()))
def generate_data(
    n: int = 100,
    d: int = 10,
    *,
    w_true: np.ndarray | None = None,
    noise: float = 0.1,
    rng: np.random.Generator | None = None,
    seed: int | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """One device's labelled data: ``X: (n, d)`` uniform on [0, 1), ``y = X w_true + noise``.

    Unlike the article's version, the data now carry labels ``y: (n,)``. ``n <= 10**6``,
    ``d <= 10**6`` and ``n * d`` floats within the 1 GiB budget; ``|w_true|``, ``noise <=
    1e100`` (so that squared errors stay finite).
    """
    check_budget("n * d", n * d)
    w_true = true_weights(d) if w_true is None else w_true
    if w_true.shape != (d,):
        raise ValueError(f"w_true must have shape (d,) = ({d},), got {w_true.shape}")
    r = _rng(rng, seed)
    X = r.random((n, d))
    return X, X @ w_true + noise * r.normal(size=n)


@validated(data=DATA, w=Array(ndim=1))
def mse(data: tuple[np.ndarray, np.ndarray], w: np.ndarray) -> float:
    """Mean squared error ``(1/n) ||X w - y||^2`` of ``w: (d,)`` on ``data = (X (n, d), y)``.

    Raises ``ValueError`` naming ``data`` and ``w`` when the error overflows float64."""
    X, y, w = _check_data(data, w)
    with np.errstate(over="ignore", invalid="ignore"):
        err = float(np.mean((X @ w - y) ** 2))
    return _finite("mse", err, "the squared error", data=X, w=w)


@validated(data=DATA, w=Array(ndim=1), lr=LR, steps=STEPS)
def local_train(data, w, lr: float = 0.2, steps: int = 5) -> np.ndarray:
    """Gradient descent on the least-squares loss of ``data`` starting from ``w``.

    Fixes the article's ``w + np.dot(data, w)``: uses labels, a real loss and its
    gradient ``(2/n) X^T (X w - y)``, so it moves even from ``w = 0``.

    Returns:
        The new weights ``(d,)`` (``w`` itself is not modified).

    Raises:
        ValueError: ``data`` or ``w`` overflow float64 at the start.
        DivergenceError: (a ``ValueError``) the weights left the float range: lower ``lr``.
    """
    X, y, w = _check_data(data, w)
    return _descend(X, y, w, lr, steps)


def _descend(X, y, w, lr, steps) -> np.ndarray:
    """:func:`local_train` on checked float arrays (``w`` is updated in place)."""
    start = w.copy()
    with np.errstate(over="ignore", invalid="ignore"):
        for _ in range(steps):
            w -= lr * (2.0 / len(y)) * (X.T @ (X @ w - y))
        if np.isfinite(w).all():  # NaN/inf never turn finite again: one check suffices
            return w
        _finite("the gradient at the start", X.T @ (X @ start - y), "X^T (X w - y)", data=X,
                w=start)
    raise DivergenceError(f"gradient descent diverged (the weights became NaN/inf); lower "
                          f"lr={lr:g}: it is stable below 1 / the largest eigenvalue of (2/n) "
                          "X^T X, which grows with the scale of the data")


@validated(w=Array(ndim=1), num_devices=Int(1, MAX_DEVICES), rounds=Int(1, MAX_ROUNDS),
           local_steps=STEPS, lr=LR,
           samples_per_device=Array(ndim=(0, 1), kind="int", low=1, high=MAX_SAMPLES),
           seed=Seed())
def federated_train(
    w,
    num_devices: int,
    rounds: int = 20,
    local_steps: int = 5,
    lr: float = 0.2,
    samples_per_device: int | list[int] = 100,
    seed: int = 0,
) -> np.ndarray:
    """Federated averaging (FedAvg) over ``num_devices`` devices, each with its own data.

    Every round the server sends the *same* global ``w`` to all devices, each runs
    :func:`local_train` on its own data, and the server averages the returned weights
    weighted by sample count (the article chained devices one after another instead).

    Args:
        w: ``(d,)`` starting weights, e.g. ``np.zeros(10)``.
        num_devices: number of devices (>= 1).
        rounds: communication rounds; local_steps, lr: local gradient descent settings.
        samples_per_device: an int, or one int per device.
        seed: seeds each device's data (per-device generators spawned from it).

    Returns:
        The global weights ``(d,)`` after the last round.

    Raises:
        DivergenceError: (a ``ValueError``) a device's weights left the float range: lower
            ``lr``. All data must fit the 1 GiB budget, ``rounds <= 100000`` and ``rounds *
            num_devices * local_steps <= 10**6`` gradient steps.
    """
    w = np.array(w, dtype=float, copy=True)
    samples_per_device = np.asarray(samples_per_device)  # the default 100 is not checked
    if samples_per_device.ndim == 1 and len(samples_per_device) != num_devices:
        raise ValueError(f"samples_per_device must be an int or one int per device "
                         f"(num_devices={num_devices}), got {len(samples_per_device)} values")
    sizes = np.broadcast_to(samples_per_device, (num_devices,))
    check_budget("samples_per_device", int(sizes.sum()) * (len(w) + 1))
    if rounds * num_devices * local_steps > MAX_ITERATIONS:
        raise ValueError(f"rounds={rounds} x num_devices={num_devices} x local_steps="
                         f"{local_steps} is more than {MAX_ITERATIONS} gradient steps; "
                         "use fewer rounds, num_devices or local_steps")
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(num_devices)]
    devices = [generate_data(int(n), len(w), rng=r) for n, r in zip(sizes, rngs)]
    weights = sizes / sizes.sum()
    for _ in range(rounds):
        local = [_descend(X, y, w.copy(), lr, local_steps) for X, y in devices]  # same w
        w = weights @ np.stack(local)  # weighted average, not a chain
    return w


_SIZES = dict(n=Int(1, MAX_SAMPLES), d=Int(1, MAX_DIM), rng=Maybe(RNG()), seed=Maybe(Seed()))
_SHIFT = Real(-1e90, 1e90)  # |shift| * |direction| stays within generate_data's 1e100


@validated(**_SIZES)
def generate_source_data(
    n: int = 100, d: int = 10, *, rng: np.random.Generator | None = None, seed: int | None = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Plenty of labelled data for the source task (truth :func:`true_weights`)."""
    return generate_data(n, d, rng=_rng(rng, seed))


@validated(d=Int(1, MAX_DIM), shift=_SHIFT)
def target_weights(d: int = 10, shift: float = 0.3) -> np.ndarray:
    """The target task's truth: the source truth moved by ``shift`` (``|shift| <= 1e90``) in
    a fixed direction."""
    direction = np.random.default_rng(TARGET_SHIFT_SEED).normal(size=d)
    return true_weights(d) + shift * direction


@validated(**_SIZES, shift=_SHIFT)
def generate_target_data(
    n: int = 20,
    d: int = 10,
    *,
    shift: float = 0.3,
    rng: np.random.Generator | None = None,
    seed: int | None = 2,
) -> tuple[np.ndarray, np.ndarray]:
    """A little labelled data for a related target task (truth :func:`target_weights`)."""
    return generate_data(n, d, w_true=target_weights(d, shift), rng=_rng(rng, seed))


@validated(data=DATA, w=Array(ndim=1), lr=LR, steps=STEPS)
def source_train(data, w, lr: float = 0.2, steps: int = 300) -> np.ndarray:
    """Train on the source task: gradient descent on its least-squares loss from ``w``."""
    return local_train(data, w, lr, steps)


@validated(data=DATA, w=Array(ndim=1), lr=LR, steps=STEPS)
def target_train(data, w, lr: float = 0.2, steps: int = 10) -> np.ndarray:
    """Fine-tune on the target task starting from the source weights ``w``.

    The article wrote ``w - np.dot(data, w)`` (a flipped sign); this descends the
    target loss, so starting from good source weights pays off with a small budget.
    """
    return local_train(data, w, lr, steps)
