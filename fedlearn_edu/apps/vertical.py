"""Vertical federated learning (纵向联邦学习) in its simplest form: two-party logistic regression.

Horizontal FL (notebooks 01-06) splits the *rows*: clients hold different customers with the
same columns. Vertical FL splits the *columns*: two parties hold different facts about the
same customers (Yang, Liu, Chen & Tong 2019, "Federated Machine Learning: Concept and
Applications", Sec. 2.3; Hardy et al. 2017). Here party A (the *active* party) holds the
label and some columns, party B (the *passive* party) other columns of the same customers
(matched beforehand, in practice by private set intersection).

The model is ``p = sigmoid(X_A w_A + X_B w_B + b)`` and one step of full-batch gradient
descent on the mean logistic loss is, with ``r = p - y`` (``r_i = dl_i/dz_i``: the gradient of
customer ``i``'s loss with respect to their score)::

    B -> A   z_B = X_B w_B                (n partial scores)
    A        r = sigmoid(X_A w_A + b + z_B) - y
    A -> B   r                            (n per-customer loss gradients)
    A, B     w_P -= lr * (X_P^T r / n + l2 w_P);   b -= lr * mean(r)

No column and no label leaves its owner, and each party updates only its own weights; yet
the sum of the two steps *is* gradient descent on the joined table (tested to 1e-12 against
:class:`~fedlearn_edu.core.models.Model` on ``[X_A, X_B]`` and against scikit-learn at
convergence). What this plain form does not hide: ``r_i < 0`` exactly when ``y_i = 1``, so B
reads every label off the residuals (:func:`labels_from_residuals`). The published protocols
therefore encrypt ``z_B`` and ``r`` (additively homomorphic Paillier encryption) and mask the
gradients; this module shows the arithmetic and measures the leak instead.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import Array, DivergenceError, Int, Real, validated
from ..core.models import _sigmoid

FLOAT_BYTES = 8


@dataclass
class Party:
    """One party's columns ``X: (n, d_P)`` and its own weights ``w: (d_P,)`` (A also keeps
    the bias)."""

    name: str
    X: np.ndarray
    w: np.ndarray = field(init=False)
    bias: float = 0.0

    def __post_init__(self):
        self.w = np.zeros(self.X.shape[1])

    def partial_scores(self) -> np.ndarray:
        """``X w`` (+ bias for the active party): this party's share of every score."""
        return self.X @ self.w + self.bias

    def step(self, r: np.ndarray, lr: float, l2: float, *, active: bool) -> None:
        """One gradient step from the per-customer loss gradients ``r: (n,)``."""
        self.w -= lr * (self.X.T @ r / len(r) + l2 * self.w)
        if active:
            self.bias -= lr * float(np.mean(r))


@validated(X_a=Array(ndim=2), X_b=Array(ndim=2), y=Array(ndim=1, kind="int", low=0, high=1),
           steps=Int(1, 100_000), lr=Real(0.0, 100.0, low_open=True), l2=Real(0.0))
def vertical_logistic(X_a, X_b, y, *, steps: int = 300, lr: float = 1.0,
                      l2: float = 0.0) -> dict:
    """Train the two-party logistic regression of the module docstring.

    Args:
        X_a: ``(n, d_A)`` the active party's columns (it also holds ``y: (n,)`` in {0, 1});
        X_b: ``(n, d_B)`` the passive party's columns of the same ``n`` customers.

    Returns:
        ``{"w_a", "w_b", "bias", "loss" (steps,), "residuals" (the last r, as B saw it),
        "bytes" (sent each way, all steps), "messages"}``; ``loss[t]`` is the mean
        loss before step ``t``.
    """
    n = len(y)
    for name, X in (("X_a", X_a), ("X_b", X_b)):
        if len(X) != n:
            raise ValueError(f"{name} must hold the same {n} customers as y (one row each), "
                             f"got {len(X)} rows")
    if lr * l2 >= 2.0:
        raise ValueError(f"lr * l2 must be below 2 (each step multiplies the weights by "
                         f"1 - lr * l2), got lr={lr}, l2={l2}")
    a, b = Party("A", X_a), Party("B", X_b)
    losses = np.empty(steps)
    r = np.zeros(n)
    for t in range(steps):
        z_b = b.partial_scores()                  # B -> A
        z = a.partial_scores() + z_b
        losses[t] = float(np.mean(np.logaddexp(0.0, z) - y * z))
        r = _sigmoid(z) - y                       # A -> B
        a.step(r, lr, l2, active=True)
        b.step(r, lr, l2, active=False)
    if not (np.isfinite(losses).all() and np.isfinite(a.w).all() and np.isfinite(b.w).all()):
        big = max(np.abs(X_a).max(), np.abs(X_b).max())
        raise DivergenceError(f"vertical_logistic overflowed float64: the columns X_a, X_b "
                              f"(entries up to {big:.3g}) are too large for lr={lr}; "
                              f"standardise them")
    sent = steps * n * FLOAT_BYTES
    return {"w_a": a.w, "w_b": b.w, "bias": a.bias, "loss": losses, "residuals": r,
            "bytes": {"B->A": sent, "A->B": sent}, "messages": 2 * steps}


@validated(residuals=Array(ndim=1))
def labels_from_residuals(residuals) -> np.ndarray:
    """What the passive party learns from one message ``r = p - y``: ``y_i = 1`` exactly when
    ``r_i < 0`` (because ``0 < p_i < 1``). ``(n,)`` labels in {0, 1}."""
    return (residuals < 0).astype(int)


@validated(X_a=Array(ndim=2), X_b=Array(ndim=2), w_a=Array(ndim=1), w_b=Array(ndim=1),
           bias=Real())
def joint_scores(X_a, X_b, w_a, w_b, bias: float = 0.0) -> np.ndarray:
    """Scores ``X_A w_A + X_B w_B + b`` of new customers (each party computes its share)."""
    if X_a.shape[1] != len(w_a) or X_b.shape[1] != len(w_b) or len(X_a) != len(X_b):
        raise ValueError(f"X_a {X_a.shape} / w_a {w_a.shape} and X_b {X_b.shape} / w_b "
                         f"{w_b.shape} must match (same customers, one weight per column)")
    with np.errstate(over="ignore", invalid="ignore"):
        out = X_a @ w_a + X_b @ w_b + float(bias)
    if not np.isfinite(out).all():
        raise ValueError("the scores X_a @ w_a + X_b @ w_b + bias overflow float64: X_a, X_b, "
                         "w_a, w_b or bias are too large")
    return out
