"""Transfer learning: the article's joint objective ``min_w alpha * f(w) + beta * g(w)``.

``f`` is the mean loss on the source task, ``g`` the mean loss on the target task, both
for the same :class:`~fedlearn_edu.core.models.Model`. ``alpha = 0`` trains on the target only
("from scratch"), ``beta = 0`` on the source only.

* :func:`joint_loss` / :func:`joint_grad`: the objective and its gradient for any model.
* :func:`joint_train`: gradient descent on it (any model).
* :func:`joint_closed_form`: the exact minimiser for the linear (least-squares) model,
  which the tests and notebooks use to check :func:`joint_train`.

See also :mod:`fedlearn_edu.transfer.finetune` (fine-tuning all parameters or the head, feature
extraction, L2-SP), :mod:`fedlearn_edu.transfer.mlp` (a two-layer model with a body and a head),
:mod:`fedlearn_edu.transfer.selection` (source selection, alpha/beta by validation) and
:mod:`fedlearn_edu.transfer.personalization` (federated transfer learning).
"""

from __future__ import annotations

import numpy as np

from .._validation import check_float, check_int
from ..core.models import Model

Task = tuple[np.ndarray, np.ndarray]  # (X: (n, d), y: (n,))


def check_weights(alpha, beta) -> tuple[float, float]:
    alpha = check_float("alpha", alpha, 0.0)
    beta = check_float("beta", beta, 0.0)
    if alpha + beta == 0:
        raise ValueError(f"alpha + beta must be > 0, got alpha={alpha}, beta={beta}")
    return alpha, beta


def _check_task(name: str, task, d: int) -> Task:
    if not (isinstance(task, tuple) and len(task) == 2):
        raise TypeError(f"{name} must be a tuple (X, y), got {type(task).__name__}")
    X, y = np.asarray(task[0], dtype=float), np.asarray(task[1])
    if X.ndim != 2 or X.shape[1] != d or y.shape != (X.shape[0],) or len(y) == 0:
        raise ValueError(
            f"{name} must be (X: (n, {d}), y: (n,)) with n >= 1, got X {X.shape}, y {y.shape}"
        )
    return X, y


def joint_loss(model: Model, w: np.ndarray, source: Task, target: Task, alpha, beta) -> float:
    """``alpha * f(w) + beta * g(w)`` (each term a mean over its task's examples)."""
    alpha, beta = check_weights(alpha, beta)
    return alpha * model.loss(w, *source) + beta * model.loss(w, *target)


def joint_grad(model: Model, w: np.ndarray, source: Task, target: Task, alpha, beta) -> np.ndarray:
    """Gradient ``alpha * grad f(w) + beta * grad g(w)``, shape ``(p,)``."""
    return alpha * model.grad(w, *source) + beta * model.grad(w, *target)


def joint_train(
    model: Model,
    source: Task,
    target: Task,
    alpha: float = 1.0,
    beta: float = 1.0,
    *,
    w0: np.ndarray | None = None,
    lr: float = 0.1,
    steps: int = 200,
) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch gradient descent on ``alpha * f + beta * g``.

    Returns:
        ``(w, losses)``: final parameters ``(p,)`` and the objective after each step
        ``(steps,)``. Raises ``FloatingPointError`` if the objective becomes NaN/inf
        (learning rate too large).
    """
    alpha, beta = check_weights(alpha, beta)
    source = _check_task("source", source, model.n_features)
    target = _check_task("target", target, model.n_features)
    lr, steps = check_float("lr", lr, 0.0, low_open=True), check_int("steps", steps, 0)
    w = model.init() if w0 is None else np.array(w0, dtype=float, copy=True)
    losses = np.empty(steps)
    with np.errstate(over="ignore", invalid="ignore"):
        for t in range(steps):
            w -= lr * joint_grad(model, w, source, target, alpha, beta)
            losses[t] = joint_loss(model, w, source, target, alpha, beta)
            if not np.isfinite(losses[t]):
                raise FloatingPointError(
                    f"joint_train diverged at step {t + 1} (loss {losses[t]}); lower lr={lr}"
                )
    return w, losses


def joint_closed_form(
    source: Task, target: Task, alpha: float = 1.0, beta: float = 1.0, l2: float = 0.0
) -> np.ndarray:
    """Exact minimiser of ``alpha * f + beta * g`` for the ``linear`` model (with bias).

    With ``f(w) = (1/n_s) ||A_s w - y_s||^2 + (l2/2)||coef||^2`` (``A = [X, 1]``) and likewise
    ``g``, setting the gradient to zero gives the normal equations
    ``(2 alpha/n_s A_s^T A_s + 2 beta/n_t A_t^T A_t + (alpha+beta) l2 P) w
    = 2 alpha/n_s A_s^T y_s + 2 beta/n_t A_t^T y_t`` (``P`` = identity on coef, 0 on bias),
    solved by least squares (so a singular system returns the minimum-norm solution).

    Returns:
        ``(d + 1,)`` parameters in the linear model's layout ``[coef, bias]``.
    """
    alpha, beta = check_weights(alpha, beta)
    l2 = check_float("l2", l2, 0.0)
    Xs, ys = _check_task("source", source, np.asarray(source[0]).shape[-1])
    Xt, yt = _check_task("target", target, Xs.shape[1])
    As = np.column_stack([Xs, np.ones(len(Xs))])
    At = np.column_stack([Xt, np.ones(len(Xt))])
    P = np.eye(As.shape[1])
    P[-1, -1] = 0.0
    H = 2 * alpha / len(ys) * As.T @ As + 2 * beta / len(yt) * At.T @ At + (alpha + beta) * l2 * P
    b = 2 * alpha / len(ys) * As.T @ ys + 2 * beta / len(yt) * At.T @ yt
    return np.linalg.lstsq(H, b, rcond=None)[0]
