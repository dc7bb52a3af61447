"""The batched engine: every client's padded data laid out once, and local SGD of ``m``
clients in one vectorised step per mini-batch position (same numbers as
:func:`~fedlearn_edu.core.client.local_sgd`, tested)."""

from __future__ import annotations

import numpy as np

from .._validation import Array, Sequence, check_budget, validated
from .batches import epoch_orders, steps_per_epoch
from .models import Model, _sigmoid


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

    @validated(X=Array(ndim=3), y=Array(ndim=2, kind="real"), counts=Array(ndim=1, kind="int",
                                                                          low=1))
    def __init__(self, X: np.ndarray, y: np.ndarray, counts: np.ndarray):
        if y.shape != X.shape[:2] or counts.shape != X.shape[:1] or counts.max() > X.shape[1]:
            raise ValueError(f"X (K, n_max, d), y (K, n_max) and counts (K,) <= n_max must "
                             f"agree, got shapes {X.shape}, {y.shape}, {counts.shape} and "
                             f"max count {counts.max()}")
        check_budget("X", X.size + X.shape[0] * X.shape[1])
        self.X, self.y, self.counts = X, y, counts
        K, self.n_max, d = X.shape
        self.rows = np.ones((K * self.n_max, d + 1), dtype=X.dtype)  # float64 or float32
        self.rows[:, :d] = X.reshape(K * self.n_max, d)
        self.targets = np.asarray(y).reshape(-1)

    @classmethod
    def of_parts(cls, X: np.ndarray, y: np.ndarray, parts: list[np.ndarray]) -> ClientStack:
        """The stack of the clients ``parts`` (index arrays into ``X: (n, d)``, ``y: (n,)``),
        gathered straight into the kernel's row layout in ``X``'s precision (one copy)."""
        counts = np.array([len(p) for p in parts])
        n_max, d = int(counts.max()), X.shape[1]
        check_budget("parts", len(parts) * n_max * (d + 1), X.dtype.itemsize)
        st = cls.__new__(cls)
        st.X = st.y = None
        st.counts, st.n_max = counts, n_max
        st.rows = np.zeros((len(parts) * n_max, d + 1), dtype=X.dtype)
        st.rows[:, d] = 1.0  # the bias column
        st.targets = np.zeros(len(parts) * n_max, dtype=y.dtype)
        for i, p in enumerate(parts):
            st.rows[i * n_max: i * n_max + len(p), :d] = X[p]
            st.targets[i * n_max: i * n_max + len(p)] = y[p]
        return st

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
        dtype = self.rows.dtype  # the whole kernel runs in the data's precision
        row_w = np.where(slot < counts[:, None], lr / np.maximum(batch_len, 1), 0.0).astype(dtype)
        V0 = _to_kernel_layout(model, np.asarray(W, dtype=dtype))
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
        Xe = np.empty((m, n_max, d1), dtype=V0.dtype)  # this epoch's rows in visiting order
        ye = np.empty((m, n_max), dtype=self.targets.dtype)
        T = np.empty((m, k, n_max), dtype=V0.dtype)  # softmax: lr-weighted one-hot targets
        R = row_w.copy()
        ones = np.ones((1, k), dtype=V0.dtype)  # sum over classes as a product: 2x an add.reduce
        cuts = [slice(s * b, min(s * b + b, n_max)) for s in range(n_steps)]
        XT = Xe.transpose(0, 2, 1)  # a transposed copy per epoch would cost more than it saves
        steps = [(XT[:, :, c], Xe[:, c], R[:, None, c], T[:, :, c], ye[:, None, c])
                 for c in cuts]
        first_target = np.arange(m)[:, None] * k * n_max + slot
        plain = softmax and everyone and not safe and not mu and not l2
        for e in range(epochs):
            flat = (clients[:, None] * n_max + orders[:, e]).reshape(-1)
            np.take(self.rows, flat, axis=0, out=Xe.reshape(m * n_max, d1), mode="clip")
            np.take(self.targets, flat, out=ye.reshape(-1), mode="clip")
            if not everyone:
                np.multiply(row_w, active[:, e, slot // b], out=R)
            if softmax:
                T.fill(0.0)
                T.reshape(-1)[first_target + ye.astype(np.intp) * n_max] = R
            if plain:  # the common case with nothing to test per step
                for Xs_T, Xs, Rs, Ts, _ in steps:
                    Z = np.matmul(V, Xs_T)  # (m, k, rows) logits
                    np.exp(Z, out=Z)
                    total = np.matmul(ones, Z)
                    Z *= np.divide(Rs, total, out=total)  # lr-weighted softmax
                    Z -= Ts
                    V -= np.matmul(Z, Xs)  # lr * mean data gradient, (m, k, d + 1)
                continue
            for s, (Xs_T, Xs, Rs, Ts, ys) in enumerate(steps):
                act = active[:, e, s]
                if not everyone and not act.any():
                    continue
                Z = np.matmul(V, Xs_T)  # (m, k, rows) logits
                if softmax:
                    if safe:
                        Z -= Z.max(axis=1, keepdims=True)
                    np.exp(Z, out=Z)
                    total = np.matmul(ones, Z)
                    Z *= np.divide(Rs, total, out=total)  # lr-weighted softmax
                    Z -= Ts
                elif model.kind == "logistic":
                    Z = (_sigmoid(Z) - ys) * Rs
                else:  # d/dz (z - y)^2
                    Z = 2.0 * (Z - ys) * Rs
                G = np.matmul(Z, Xs)  # lr * mean data gradient, (m, k, d + 1)
                if mu:
                    prox = (lr * mu * act).astype(V.dtype)[:, None, None] * (V - V0)
                if l2:  # the L2 step on weights (not the bias column): v -= lr * l2 * v
                    V[:, :, :-1] *= (1.0 - lr * l2 * act).astype(V.dtype)[:, None, None]
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
    V = np.empty((m, k, d + 1), dtype=W.dtype)
    V[:, :, :d] = W[:, : d * k].reshape(m, k, d)
    V[:, :, d] = W[:, d * k :]
    return V


def _from_kernel_layout(model: Model, V: np.ndarray) -> np.ndarray:
    """Inverse of :func:`_to_kernel_layout`: ``(m, k, d + 1)`` to flat ``(m, p)``."""
    m, k, d1 = V.shape
    if model.kind != "softmax":
        return V.reshape(m, d1)
    W = np.empty((m, k * d1), dtype=V.dtype)
    W[:, : k * (d1 - 1)] = V[:, :, :-1].reshape(m, -1)
    W[:, k * (d1 - 1) :] = V[:, :, -1]
    return W


def chunked_stacks(X, y, parts, selected, counts, budget: int):
    """The ``selected`` clients' stacks in chunks of at most ``budget`` bytes each, clients
    sorted by size so that a chunk pads little. Returns ``[(stack, positions)]`` with
    ``positions`` the chunk's places in ``selected``."""
    order = np.argsort(counts[selected], kind="stable")
    per_row = (X.shape[1] + 1) * X.dtype.itemsize * 3  # rows, the epoch buffer, targets
    out, start = [], 0
    while start < len(order):
        stop = start + 1
        while stop < len(order) and (stop + 1 - start) * int(
                counts[selected[order[stop]]]) * per_row <= budget:
            stop += 1
        chunk = order[start:stop]
        out.append((ClientStack.of_parts(X, y, [parts[i] for i in selected[chunk]]), chunk))
        start = stop
    return out


@validated(X=Array(ndim=2), y=Array(ndim=1, kind="real"),
           parts=Sequence(Array(ndim=1, kind="int"), 1))
def pad_clients(
    X: np.ndarray, y: np.ndarray, parts: list[np.ndarray]
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Stack client datasets into zero-padded arrays.

    Returns:
        ``Xp: (m, n_max, d)``, ``yp: (m, n_max)``, ``counts: (m,)``.
    """
    if len(y) != len(X):
        raise ValueError(f"y must have one entry per row of X ({len(X)}), got {len(y)}")
    for i, p in enumerate(parts):
        if p.min() < 0 or p.max() >= len(X):
            raise ValueError(f"parts[{i}] holds indices outside [0, {len(X)})")
    counts = np.array([len(p) for p in parts])
    n_max = int(counts.max())
    check_budget("parts", len(parts) * n_max * (X.shape[1] + 1))
    Xp = np.zeros((len(parts), n_max, X.shape[1]))
    yp = np.zeros((len(parts), n_max), dtype=y.dtype)
    for i, p in enumerate(parts):
        Xp[i, : len(p)] = X[p]
        yp[i, : len(p)] = y[p]
    return Xp, yp, counts
