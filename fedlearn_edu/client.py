"""Local training on a client: mini-batch SGD, optionally with a proximal term.

Two implementations that produce the same numbers (tested):

* :func:`local_sgd` trains one client with plain Python loops: read this one.
* :func:`local_sgd_batched` trains ``m`` clients at once on padded stacks
  (``(m, n_max, d)``), one vectorised step for all clients per mini-batch position.

Shuffling: every epoch a client orders its examples by ``argsort`` of uniform keys
drawn from *its own* generator as ``rng.random((epochs, n_i))`` at the start of the
round, so both implementations consume random numbers identically.
"""

from __future__ import annotations

import numpy as np

from .models import Model


def steps_per_epoch(n: int | np.ndarray, batch_size: int) -> int | np.ndarray:
    """Number of mini-batches in one pass over ``n`` examples: ``ceil(n / batch_size)``."""
    return -(-n // batch_size)


def local_sgd(
    model: Model,
    w: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    rng: np.random.Generator,
    mu: float = 0.0,
    max_steps: int | None = None,
) -> np.ndarray:
    """Reference local training of one client.

    Minimises ``f_i(v) + (mu / 2) * ||v - w||^2`` (FedProx; ``mu = 0`` is FedAvg) by
    SGD starting at ``v = w``.

    Args:
        model: the model.
        w: ``(p,)`` starting (global) parameters; not modified.
        X: ``(n, d)`` and y: ``(n,)`` the client's data.
        epochs, batch_size, lr: SGD settings.
        rng: the client's own generator.
        mu: proximal strength >= 0.
        max_steps: stop after this many mini-batch steps (partial work), ``None`` = all.

    Returns:
        ``(p,)`` the client's new parameters.
    """
    n = len(y)
    keys = rng.random((epochs, n))
    v = np.array(w, dtype=float, copy=True)
    steps = 0
    for e in range(epochs):
        order = np.argsort(keys[e], kind="stable")
        for start in range(0, n, batch_size):
            if max_steps is not None and steps >= max_steps:
                return v
            idx = order[start : start + batch_size]
            g = model.grad(v, X[idx], y[idx])
            if mu:
                g = g + mu * (v - w)
            v = v - lr * g
            steps += 1
    return v


def local_sgd_batched(
    model: Model,
    W: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    counts: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    rngs: list[np.random.Generator],
    mu: float = 0.0,
    max_steps: np.ndarray | None = None,
) -> np.ndarray:
    """Local SGD for ``m`` clients at once; same result as calling :func:`local_sgd` on each.

    Args:
        W: ``(m, p)`` starting parameters, one row per client; not modified.
        X: ``(m, n_max, d)`` padded client data; y: ``(m, n_max)``.
        counts: ``(m,)`` real examples per client (rows beyond are padding).
        rngs: one generator per client, in the same order.
        max_steps: ``(m,)`` optional per-client cap on mini-batch steps.

    Returns:
        ``(m, p)`` new parameters.
    """
    m, n_max = y.shape
    counts = np.asarray(counts)
    keys = np.full((m, epochs, n_max), np.inf)
    for i, r in enumerate(rngs):
        keys[i, :, : counts[i]] = r.random((epochs, counts[i]))
    orders = np.argsort(keys, axis=2, kind="stable")  # padding (inf) sorts last
    per_epoch = steps_per_epoch(counts, batch_size)
    valid = np.arange(n_max)[None, :] < counts[:, None]  # (m, n_max) real rows
    # 1 / (rows in this client's batch) for every padded position, reused every epoch
    batch_len = np.minimum(batch_size, counts[:, None] - np.arange(n_max)[None, :] // batch_size
                           * batch_size)
    row_w = np.where(valid, 1.0 / np.maximum(batch_len, 1), 0.0)
    rows = np.arange(m)[:, None]
    W0 = np.asarray(W, dtype=float)
    V = W0.copy()
    X_rows = np.ascontiguousarray(X).reshape(m * n_max, -1)  # one row per (client, example)
    for e in range(epochs):
        # gather each client's data in this epoch's order once; batches are then slices
        flat = (rows * n_max + orders[:, e]).ravel()
        Xe = X_rows.take(flat, axis=0).reshape(m, n_max, -1)
        ye = y.ravel().take(flat).reshape(m, n_max)
        for s in range(int(per_epoch.max())):
            active = s < per_epoch
            if max_steps is not None:
                active &= e * per_epoch + s < np.asarray(max_steps)
            lo, hi = s * batch_size, min((s + 1) * batch_size, n_max)
            everyone = bool(active.all())
            mask = valid[:, lo:hi] if everyone else valid[:, lo:hi] & active[:, None]
            G = model.grad_batched(V, Xe[:, lo:hi], ye[:, lo:hi], mask,
                                   row_weights=row_w[:, lo:hi] if everyone else None)
            if mu:
                G += mu * (V - W0)
            G *= lr
            if not everyone:
                G *= active[:, None]  # clients with no batch left do not move
            V -= G
    return V


def pad_clients(
    X: np.ndarray, y: np.ndarray, parts: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack client datasets into zero-padded arrays.

    Returns:
        ``Xp: (m, n_max, d)``, ``yp: (m, n_max)``, ``counts: (m,)``.
    """
    counts = np.array([len(p) for p in parts])
    n_max = int(counts.max())
    Xp = np.zeros((len(parts), n_max, X.shape[1]))
    yp = np.zeros((len(parts), n_max), dtype=y.dtype)
    for i, p in enumerate(parts):
        Xp[i, : len(p)] = X[p]
        yp[i, : len(p)] = y[p]
    return Xp, yp, counts
