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

from .._validation import Array, Maybe, Pair, Real, check_float, validated
from ..core.models import Model
from ._checks import LR, MODEL, STEPS, check_pair, check_vec, diverged, overflowed

Task = tuple[np.ndarray, np.ndarray]  # (X: (n, d), y: (n,))


def check_weights(alpha, beta) -> tuple[float, float]:
    alpha = check_float("alpha", alpha, 0.0)
    beta = check_float("beta", beta, 0.0)
    if alpha + beta == 0:
        raise ValueError(f"alpha + beta must be > 0, got alpha={alpha}, beta={beta}")
    return alpha, beta


TASK = Pair("real")  # (X (n, d), y (n,)), finite, equal lengths
WEIGHT = Real(0.0)


@validated(model=MODEL, w=Array(ndim=1), source=TASK, target=TASK, alpha=WEIGHT, beta=WEIGHT)
def joint_loss(model: Model, w: np.ndarray, source: Task, target: Task, alpha, beta) -> float:
    """``alpha * f(w) + beta * g(w)`` (each term a mean over its task's examples).

    ``w: (p,)`` the model's parameters; ``source``/``target``: ``(X, y)`` with the model's
    feature width (a classifier's labels in range); ``alpha, beta >= 0``, not both 0.

    Raises:
        ValueError: the objective overflows float64 (the message names the inputs).
    """
    alpha, beta = check_weights(alpha, beta)
    w = check_vec("w", w, model.num_params)
    source, target = check_pair(model, "source", source), check_pair(model, "target", target)
    with np.errstate(over="ignore", invalid="ignore"):
        value = _joint_loss(model, w, source, target, alpha, beta)
    if not np.isfinite(value):
        raise overflowed("alpha * f(w) + beta * g(w)", value, w=w, source=source[0],
                         target=target[0], alpha=alpha, beta=beta)
    return value


def _joint_loss(model, w, source, target, alpha, beta) -> float:
    """:func:`joint_loss` without the checks (a term with weight 0 is left out)."""
    f = alpha * model.loss(w, *source) if alpha else 0.0
    return f + (beta * model.loss(w, *target) if beta else 0.0)


def joint_grad(model: Model, w: np.ndarray, source: Task, target: Task, alpha, beta) -> np.ndarray:
    """Gradient ``alpha * grad f(w) + beta * grad g(w)``, shape ``(p,)`` (a term with weight 0
    is left out)."""
    g = alpha * model.grad(w, *source) if alpha else 0.0
    return g + beta * model.grad(w, *target) if beta else g


@validated(model=MODEL, source=TASK, target=TASK, alpha=WEIGHT, beta=WEIGHT,
           w0=Maybe(Array(ndim=1)), lr=LR, steps=STEPS)
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
        ``(steps,)``; ``w0: (p,)`` (default ``model.init()``) is not modified.

    Raises:
        ValueError: the objective or its gradient is not finite at ``w0``.
        DivergenceError: (a ``ValueError`` and ``FloatingPointError``) the objective became
            NaN/inf: lower ``lr`` (the message names what sets the curvature).
    """
    alpha, beta = check_weights(alpha, beta)
    source, target = check_pair(model, "source", source), check_pair(model, "target", target)
    p = int(model.num_params)
    w = model.init() if w0 is None else np.array(check_vec("w0", w0, p), dtype=float)
    return w, descend(model, source, target, alpha, beta, w, lr, steps)


def descend(model, source, target, alpha, beta, w, lr, steps, path=None) -> np.ndarray:
    """:func:`joint_train`'s loop on checked inputs: ``w`` is updated in place, the iterates
    go to ``path[1:]`` (``(steps + 1, p)``) when given; returns the losses ``(steps,)``."""
    losses = np.empty(steps)
    with np.errstate(over="ignore", invalid="ignore"):
        g = joint_grad(model, w, source, target, alpha, beta) if steps else None
        if steps and not (np.isfinite(g).all()
                          and np.isfinite(_joint_loss(model, w, source, target, alpha, beta))):
            raise overflowed("alpha * f + beta * g or its gradient at w0", "NaN/inf", w0=w,
                             source=source[0], target=target[0], alpha=alpha, beta=beta)
        for t in range(steps):
            w -= lr * g
            losses[t] = _joint_loss(model, w, source, target, alpha, beta)
            if path is not None:
                path[t + 1] = w
            if t + 1 < steps:
                g = joint_grad(model, w, source, target, alpha, beta)
            if not np.isfinite(losses[t]):
                raise diverged("joint_train", t + 1, losses[t], lr, source=source[0],
                               target=target[0], alpha=alpha, beta=beta)
    return losses


@validated(source=TASK, target=TASK, alpha=WEIGHT, beta=WEIGHT, l2=Real(0.0))
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

    Raises:
        ValueError: the two tasks differ in width, or the normal equations (or their
            solution) overflow float64 (the message names the inputs).
    """
    alpha, beta = check_weights(alpha, beta)
    (Xs, ys), (Xt, yt) = source, target
    if Xt.shape[1] != Xs.shape[1]:
        raise ValueError(f"target[0] must have the source's {Xs.shape[1]} feature columns, "
                         f"got shape {Xt.shape}")
    As = np.column_stack([Xs, np.ones(len(Xs))])
    At = np.column_stack([Xt, np.ones(len(Xt))])
    P = np.eye(As.shape[1])
    P[-1, -1] = 0.0
    with np.errstate(over="ignore", invalid="ignore"):
        H = 2 * alpha / len(ys) * As.T @ As + 2 * beta / len(yt) * At.T @ At \
            + (alpha + beta) * l2 * P
        b = 2 * alpha / len(ys) * As.T @ ys + 2 * beta / len(yt) * At.T @ yt
        w = np.linalg.lstsq(H, b, rcond=None)[0] if np.isfinite(H).all() \
            and np.isfinite(b).all() else b
    if not np.isfinite(w).all():
        raise overflowed("the normal equations (or their solution)", "NaN/inf",
                                  source=Xs, target=Xt, alpha=alpha, beta=beta, l2=l2)
    return w
