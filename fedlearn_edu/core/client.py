"""Local training on a client: mini-batch SGD, optionally with a proximal term.

Two implementations that produce the same numbers (tested):

* :func:`local_sgd` trains one client with plain Python loops: read this one.
* :meth:`ClientStack.local_sgd` trains ``m`` clients at once on
  padded stacks (``(m, n_max, d)``): one vectorised step for all clients per mini-batch
  position, two batched matrix products per step (logits, then gradient) with the bias
  folded in as a column of ones. This is the engine's hot loop; see
  ``benchmarks/engine.py``.

Shuffling: at the start of a round a client draws all its epochs' orders at once from
*its own* generator with :func:`epoch_orders`, so both implementations consume random
numbers identically.
"""

from __future__ import annotations

import numpy as np

from .models import Model, _sigmoid


def steps_per_epoch(n: int | np.ndarray, batch_size: int) -> int | np.ndarray:
    """Number of mini-batches in one pass over ``n`` examples: ``ceil(n / batch_size)``."""
    return -(-n // batch_size)


def epoch_orders(rng: np.random.Generator, n: int, epochs: int) -> np.ndarray:
    """``(epochs, n)``: row ``e`` is the order in which a client visits its ``n`` examples in
    epoch ``e``, an independent uniform permutation per epoch."""
    orders = np.empty((epochs, n), dtype=np.intp)
    orders[:] = np.arange(n)
    return rng.permuted(orders, axis=1, out=orders)


def local_sgd(
    model,
    w: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    rng: np.random.Generator,
    mu: float = 0.0,
    anchor: np.ndarray | None = None,
    exact_prox: bool = False,
    max_steps: int | None = None,
) -> np.ndarray:
    """Reference local training of one client (any model with ``grad``).

    Minimises ``f_i(v) + (mu / 2) * ||v - anchor||^2`` by SGD starting at ``v = w``; the
    anchor is ``w`` unless given. This one proximal term serves two ideas:

    * FedProx (Li et al. 2020, ``mu``): the pull toward the global model is one more
      gradient term, ``v <- v - lr * (grad f_i(v) + mu (v - anchor))``;
    * Ditto (Li et al. 2021, ``lambda``): ``exact_prox=True`` applies the pull exactly after
      the gradient step ``u``, ``v <- (u + lr mu anchor) / (1 + lr mu)``, which is stable for
      any ``mu`` including ``inf`` (then ``v = anchor``).

    Args:
        model: the model.
        w: ``(p,)`` starting parameters; not modified.
        X: ``(n, d)`` and y: ``(n,)`` the client's data.
        epochs, batch_size, lr: SGD settings.
        rng: the client's own generator.
        mu: proximal strength >= 0.
        anchor: ``(p,)`` the point the proximal term pulls toward (default ``w``).
        exact_prox: take the proximal step exactly (Ditto) instead of as a gradient term.
        max_steps: stop after this many mini-batch steps (partial work), ``None`` = all.

    Returns:
        ``(p,)`` the client's new parameters.
    """
    n = len(y)
    orders = epoch_orders(rng, n, epochs)
    anchor = w if anchor is None else anchor
    if exact_prox and np.isinf(mu):
        return np.array(anchor, dtype=float, copy=True)
    v = np.array(w, dtype=float, copy=True)
    steps = 0
    for order in orders:
        for start in range(0, n, batch_size):
            if max_steps is not None and steps >= max_steps:
                return v
            idx = order[start : start + batch_size]
            g = model.grad(v, X[idx], y[idx])
            if mu and not exact_prox:
                g = g + mu * (v - anchor)
            v = v - lr * g
            if mu and exact_prox:
                v = (v + lr * mu * anchor) / (1.0 + lr * mu)
            steps += 1
    return v


class ClientStack:
    """Every client's padded data, laid out once for the batched engine.

    A :class:`~fedlearn_edu.core.federation.Federation` builds one and reuses it every round, so
    a round copies no client data except the per-epoch gather into mini-batch order.

    Attributes:
        X: ``(K, n_max, d)`` zero-padded features; y: ``(K, n_max)``; counts: ``(K,)``.
        rows: ``(K * n_max, d + 1)`` the same features, one row per (client, slot), with a
            trailing column of ones so that a bias is one more weight and every step is
            two matrix products.
    """

    def __init__(self, X: np.ndarray, y: np.ndarray, counts: np.ndarray):
        self.X, self.y, self.counts = X, y, np.asarray(counts)
        K, self.n_max, d = X.shape
        self.rows = np.ones((K * self.n_max, d + 1))
        self.rows[:, :d] = X.reshape(K * self.n_max, d)
        self.targets = np.asarray(y).reshape(-1)

    def local_sgd(
        self,
        model: Model,
        W: np.ndarray,
        clients: np.ndarray,
        *,
        epochs: int,
        batch_size: int,
        lr: float,
        rngs: list[np.random.Generator],
        mu: float = 0.0,
        max_steps: np.ndarray | None = None,
    ) -> np.ndarray:
        """Local SGD of ``clients`` (``m`` indices into the stack) from ``W: (m, p)``.

        ``rngs`` and ``max_steps`` are aligned with ``clients``. Returns ``(m, p)``;
        ``W`` is not modified. Same numbers as :func:`local_sgd` per client (tested).
        """
        clients = np.asarray(clients, dtype=np.intp)
        counts = self.counts[clients]
        m, n_max, b = len(clients), self.n_max, batch_size
        orders = np.empty((m, epochs, n_max), dtype=np.intp)
        orders[:] = np.arange(n_max)  # padding slots stay last, in place
        for i, r in enumerate(rngs):
            orders[i, :, : counts[i]] = epoch_orders(r, counts[i], epochs)
        # which steps each client takes: (m, epochs, steps); a client with fewer examples
        # runs out of batches first, and max_steps stops partial workers early
        per_epoch = steps_per_epoch(counts, b)
        step = np.arange(steps_per_epoch(n_max, b))  # slots are laid out for the largest client
        active = np.broadcast_to(step < per_epoch[:, None], (epochs, m, len(step)))
        active = active.transpose(1, 0, 2)
        if max_steps is not None:
            done = np.arange(epochs)[None, :, None] * per_epoch[:, None, None] + step
            active = active & (done < np.asarray(max_steps)[:, None, None])
        slot = np.arange(n_max)
        # lr / (rows in the slot's batch) on real rows, 0 on padding: each row's weight in
        # its client's mean-gradient step; folding lr in saves one pass per step
        batch_len = np.minimum(b, counts[:, None] - slot // b * b)
        row_w = np.where(slot < counts[:, None], lr / np.maximum(batch_len, 1), 0.0)
        V0 = _to_kernel_layout(model, np.asarray(W, dtype=float))
        args = (model, V0, clients, orders, row_w, active, lr, mu, b)
        if model.kind != "softmax":
            return _from_kernel_layout(model, self._epochs(*args, safe=True))
        with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
            V = self._epochs(*args, safe=False)
        if not np.isfinite(V).all():
            # exp overflowed (a logit > 709) or all of an example's exps underflowed:
            # redo the round shifting logits by their max, as the reference does
            V = self._epochs(*args, safe=True)
        return _from_kernel_layout(model, V)

    def _epochs(self, model, V0, clients, orders, row_w, active, lr, mu, b, *, safe):
        """The SGD steps on kernel-layout parameters ``V0: (m, k, d + 1)``.

        Every step is ``Z = V @ X_b^T`` (logits), the per-row residual ``R`` weighted by
        ``lr / batch size``, and ``V -= R @ X_b``: the same update as ``v -= lr * grad``.
        """
        m, k, d1 = V0.shape
        n_max = self.n_max
        epochs, n_steps = active.shape[1:]
        V = V0.copy()
        slot = np.arange(n_max)
        everyone = bool(active.all())
        softmax, l2 = model.kind == "softmax", model.l2
        # per-epoch buffers, refilled in place, and each step's views into them (made once)
        Xe = np.empty((m, n_max, d1))  # this epoch's rows in visiting order
        ye = np.empty((m, n_max), dtype=self.targets.dtype)
        T = np.empty((m, k, n_max))  # softmax: lr-weighted one-hot targets
        R = row_w.copy()
        cuts = [slice(s * b, min(s * b + b, n_max)) for s in range(n_steps)]
        XT = Xe.transpose(0, 2, 1)
        steps = [(s, XT[:, :, c], Xe[:, c], R[:, None, c], T[:, :, c], ye[:, None, c])
                 for s, c in enumerate(cuts)]
        first_target = np.arange(m)[:, None] * k * n_max + slot
        for e in range(epochs):
            flat = (clients[:, None] * n_max + orders[:, e]).reshape(-1)
            np.take(self.rows, flat, axis=0, out=Xe.reshape(m * n_max, d1), mode="clip")
            np.take(self.targets, flat, out=ye.reshape(-1), mode="clip")
            if not everyone:
                np.multiply(row_w, active[:, e, slot // b], out=R)
            if softmax:
                T.fill(0.0)
                T.reshape(-1)[first_target + ye.astype(np.intp) * n_max] = R
            for s, Xs_T, Xs, Rs, Ts, ys in steps:
                act = active[:, e, s]
                if not everyone and not act.any():
                    continue
                Z = np.matmul(V, Xs_T)  # (m, k, rows) logits
                if softmax:
                    if safe:
                        Z -= Z.max(axis=1, keepdims=True)
                    np.exp(Z, out=Z)
                    total = np.add.reduce(Z, 1, keepdims=True)
                    Z *= np.divide(Rs, total, out=total)  # lr-weighted softmax
                    Z -= Ts
                elif model.kind == "logistic":
                    Z = (_sigmoid(Z) - ys) * Rs
                else:  # d/dz (z - y)^2
                    Z = 2.0 * (Z - ys) * Rs
                G = np.matmul(Z, Xs)  # lr * mean data gradient, (m, k, d + 1)
                if mu:
                    prox = (lr * mu * act)[:, None, None] * (V - V0)
                if l2:  # the L2 step on weights (not the bias column): v -= lr * l2 * v
                    V[:, :, :-1] *= (1.0 - lr * l2 * act)[:, None, None]
                V -= G
                if mu:
                    V -= prox
        return V


def _to_kernel_layout(model: Model, W: np.ndarray) -> np.ndarray:
    """``(m, p)`` flat parameters to ``(m, k, d + 1)``: per class its weights, then its bias."""
    m, d = W.shape[0], model.n_features
    if model.kind != "softmax":
        return W.reshape(m, 1, d + 1).copy()
    k = model.n_classes
    V = np.empty((m, k, d + 1))
    V[:, :, :d] = W[:, : d * k].reshape(m, k, d)
    V[:, :, d] = W[:, d * k :]
    return V


def _from_kernel_layout(model: Model, V: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_to_kernel_layout`: ``(m, k, d + 1)`` to flat ``(m, p)``."""
    m, k, d1 = V.shape
    if model.kind != "softmax":
        return V.reshape(m, d1)
    W = np.empty((m, k * d1))
    W[:, : k * (d1 - 1)] = V[:, :, :-1].reshape(m, -1)
    W[:, k * (d1 - 1) :] = V[:, :, -1]
    return W


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
