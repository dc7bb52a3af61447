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
"""

from __future__ import annotations

import numpy as np

from .._validation import check_float, check_int
from . import original

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


def true_weights(d: int = 10) -> np.ndarray:
    """The hidden linear ground truth ``w_true: (d,)`` (fixed, the same for every device)."""
    return np.random.default_rng(TRUE_W_SEED).normal(size=check_int("d", d, 1))


def _check_data(data, w) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Validate ``data = (X, y)`` and ``w``; return float copies (inputs never mutated)."""
    if not (isinstance(data, tuple) and len(data) == 2):
        raise TypeError(
            "data must be a tuple (X, y) with X: (n, d) and y: (n,), as returned by "
            f"generate_data(); got {type(data).__name__}"
        )
    X, y = np.asarray(data[0], dtype=float), np.asarray(data[1], dtype=float)
    w = np.array(w, dtype=float, copy=True)
    if X.ndim != 2 or y.shape != (X.shape[0],):
        raise ValueError(f"data must be (X: (n, d), y: (n,)), got X {X.shape} and y {y.shape}")
    if w.shape != (X.shape[1],):
        raise ValueError(f"w must have shape ({X.shape[1]},) to match X, got {w.shape}")
    return X, y, w


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

    Unlike the article's version, the data now carry labels ``y: (n,)``.
    """
    n, d = check_int("n", n, 1), check_int("d", d, 1)
    noise = check_float("noise", noise, 0.0)
    w_true = true_weights(d) if w_true is None else np.asarray(w_true, dtype=float)
    if w_true.shape != (d,):
        raise ValueError(f"w_true must have shape ({d},), got {w_true.shape}")
    r = _rng(rng, seed)
    X = r.random((n, d))
    return X, X @ w_true + noise * r.normal(size=n)


def mse(data: tuple[np.ndarray, np.ndarray], w: np.ndarray) -> float:
    """Mean squared error ``(1/n) ||X w - y||^2`` of ``w`` on ``data = (X, y)``."""
    X, y, w = _check_data(data, w)
    return float(np.mean((X @ w - y) ** 2))


def local_train(data, w, lr: float = 0.2, steps: int = 5) -> np.ndarray:
    """Gradient descent on the least-squares loss of ``data`` starting from ``w``.

    Fixes the article's ``w + np.dot(data, w)``: uses labels, a real loss and its
    gradient ``(2/n) X^T (X w - y)``, so it moves even from ``w = 0``.

    Returns:
        The new weights ``(d,)`` (``w`` itself is not modified).
    """
    X, y, w = _check_data(data, w)
    lr, steps = check_float("lr", lr, 0.0, low_open=True), check_int("steps", steps, 0)
    for _ in range(steps):
        w -= lr * (2.0 / len(y)) * (X.T @ (X @ w - y))
    return w


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
    """
    w = np.array(w, dtype=float, copy=True)
    if w.ndim != 1:
        raise ValueError(f"w must be a 1-D vector of weights, got shape {w.shape}")
    num_devices = check_int("num_devices", num_devices, 1)
    rounds = check_int("rounds", rounds, 1)
    sizes = np.broadcast_to(np.asarray(samples_per_device), (num_devices,))
    for s in sizes:
        check_int("samples_per_device", s.item(), 1)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(num_devices)]
    devices = [generate_data(int(n), len(w), rng=r) for n, r in zip(sizes, rngs)]
    weights = sizes / sizes.sum()
    for _ in range(rounds):
        local = [local_train(data, w, lr, local_steps) for data in devices]  # same w for all
        w = weights @ np.stack(local)  # weighted average, not a chain
    return w


def generate_source_data(
    n: int = 100, d: int = 10, *, rng: np.random.Generator | None = None, seed: int | None = 1
) -> tuple[np.ndarray, np.ndarray]:
    """Plenty of labelled data for the source task (truth :func:`true_weights`)."""
    return generate_data(n, d, rng=_rng(rng, seed))


def target_weights(d: int = 10, shift: float = 0.3) -> np.ndarray:
    """The target task's truth: the source truth moved by ``shift`` in a fixed direction."""
    direction = np.random.default_rng(TARGET_SHIFT_SEED).normal(size=d)
    return true_weights(d) + shift * direction


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


def source_train(data, w, lr: float = 0.2, steps: int = 300) -> np.ndarray:
    """Train on the source task: gradient descent on its least-squares loss from ``w``."""
    return local_train(data, w, lr, steps)


def target_train(data, w, lr: float = 0.2, steps: int = 10) -> np.ndarray:
    """Fine-tune on the target task starting from the source weights ``w``.

    The article wrote ``w - np.dot(data, w)`` (a flipped sign); this descends the
    target loss, so starting from good source weights pays off with a small budget.
    """
    return local_train(data, w, lr, steps)
