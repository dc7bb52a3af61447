"""Transfer by re-using source weights: fine-tuning, feature extraction and L2-SP.

All functions work for any model with the ``Model`` interface (``loss``, ``grad``,
``num_params``, ``init``): the convex models of :mod:`fedlearn_edu.core.models` and the two-layer
:class:`~fedlearn_edu.transfer.mlp.MLP`. Training is full-batch gradient descent (deterministic).

* :func:`fit`: GD on the mean loss, optionally only on some parameters (a boolean mask) and
  with the L2-SP pull ``(l2sp / 2) * ||w_S - w_src_S||^2`` on the shared parameters ``S``.
* :func:`finetune`: start at the source weights and train ``"all"`` parameters or only the
  ``"head"`` (for an :class:`MLP` the head is the output layer; a convex model is all head).
* :func:`feature_extraction`: freeze the source body, compute ``H = body(X)`` once and train a
  **new** softmax head on ``H`` (possibly for a different number of classes).
* :func:`l2sp_closed_form`: the exact L2-SP minimiser for the linear (least-squares) model.
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    Array,
    Choice,
    Instance,
    Int,
    Maybe,
    Real,
    check_choice,
    check_float,
    validated,
)
from ..core.models import MAX_CLASSES
from ._checks import (
    LR,
    MODEL,
    STEPS,
    check_mask,
    check_vec,
    check_xy,
    diverged,
    overflowed,
)
from .mlp import MLP

PARAM_GROUPS = ("all", "head", "body")


def param_mask(model, params: str = "all") -> np.ndarray:
    """Boolean ``(p,)``: which parameters ``params`` (``"all"``, ``"head"``, ``"body"``) selects.

    A convex :class:`Model` has no hidden layer, so it is all head and has no body.
    """
    check_choice("params", params, PARAM_GROUPS)
    mask = np.zeros(model.num_params, dtype=bool)
    if params == "all":
        mask[:] = True
    elif isinstance(model, MLP):
        mask[model.head_slice if params == "head" else model.body_slice] = True
    elif params == "head":
        mask[:] = True
    return mask


def l2sp_loss(model, w, X, y, w_src, l2sp, shared=None) -> float:
    """``loss(w) + (l2sp / 2) * ||(w - w_src)[shared]||^2`` (``shared``: bool mask, default all)."""
    shared = np.ones(model.num_params, bool) if shared is None else shared
    diff = (w - w_src)[shared]
    return model.loss(w, X, y) + 0.5 * l2sp * float(diff @ diff)


def l2sp_grad(model, w, X, y, w_src, l2sp, shared=None) -> np.ndarray:
    """Gradient of :func:`l2sp_loss`, shape ``(p,)``."""
    shared = np.ones(model.num_params, bool) if shared is None else shared
    return model.grad(w, X, y) + l2sp * shared * (w - w_src)


_X, _Y = Array(ndim=2), Array(ndim=1, kind="real")
_VEC, _MASK = Maybe(Array(ndim=1)), Maybe(Array(ndim=1, kind="bool"))


@validated(model=MODEL, X=_X, y=_Y, w0=_VEC, steps=STEPS, lr=LR, trainable=_MASK,
           l2sp=Real(0.0), w_src=_VEC, shared=_MASK)
def fit(
    model,
    X: np.ndarray,
    y: np.ndarray,
    *,
    w0: np.ndarray | None = None,
    steps: int = 200,
    lr: float = 0.1,
    trainable: np.ndarray | None = None,
    l2sp: float = 0.0,
    w_src: np.ndarray | None = None,
    shared: np.ndarray | None = None,
) -> tuple[np.ndarray, np.ndarray]:
    """Full-batch gradient descent ``w <- w - lr * grad`` on the trainable parameters.

    Args:
        model: a ``Model`` or ``MLP``.
        X: ``(n, d)``; y: ``(n,)``.
        w0: ``(p,)`` start (default ``model.init()``); never modified.
        steps: number of GD steps (>= 0).
        lr: learning rate (> 0).
        trainable: bool ``(p,)``; frozen entries (False) never change. Default: all.
        l2sp: strength of the pull ``(l2sp/2)||w_S - w_src_S||^2`` (0 = plain training).
        w_src: ``(p,)`` source weights the pull points to (needed when ``l2sp > 0``).
        shared: bool ``(p,)``, the set ``S`` of shared parameters (default all).

    Returns:
        ``(w, losses)``: final ``(p,)`` and the objective after each step ``(steps,)``.

    Every array must be finite and shaped as above (``X`` with the model's ``n_features``
    columns, a classifier's labels in ``[0, n_classes - 1]``); ``steps <= 50000``.

    Raises:
        ValueError: the objective or its gradient is not finite at the start (inputs too
            large for float64; the message names them).
        DivergenceError: a ``ValueError`` and ``FloatingPointError``: the objective became
            NaN/inf during training (lower ``lr``; the message names what sets the curvature).
    """
    X, y = check_xy(model, X, y)
    p = int(model.num_params)
    w = model.init() if w0 is None else np.array(check_vec("w0", w0, p), dtype=float)
    train = np.ones(p, bool) if trainable is None else check_mask("trainable", trainable, p)
    shared = None if shared is None else check_mask("shared", shared, p)
    if l2sp > 0 and w_src is None:
        raise ValueError("w_src is required when l2sp > 0")
    w_src = w if w_src is None else check_vec("w_src", w_src, p)
    losses = np.empty(steps)

    def objective(v):  # (loss, grad); one forward/backward pass when the model offers it
        if hasattr(model, "loss_grad"):
            loss, g = model.loss_grad(v, X, y)
            if l2sp:
                diff = (v - w_src) * (np.ones(p, bool) if shared is None else shared)
                loss, g = loss + 0.5 * l2sp * float(diff @ diff), g + l2sp * diff
            return loss, g
        return (l2sp_loss(model, v, X, y, w_src, l2sp, shared),
                l2sp_grad(model, v, X, y, w_src, l2sp, shared))

    with np.errstate(over="ignore", invalid="ignore"):
        if steps:
            loss0, g = objective(w)
            if not (np.isfinite(loss0) and np.isfinite(g).all()):
                raise overflowed("the training loss or its gradient at the start", loss0, X=X,
                                 y=y, w0=w, w_src=w_src if l2sp else None)
        for t in range(steps):
            w -= lr * train * g
            losses[t], g = objective(w)  # loss after step t, gradient for step t + 1
            if not np.isfinite(losses[t]):
                raise diverged("training", t + 1, losses[t], lr, X=X, l2sp=l2sp,
                               l2=getattr(model, "l2", None))
    return w, losses


@validated(model=MODEL, w_src=Array(ndim=1), X=_X, y=_Y, steps=STEPS, lr=LR,
           params=Choice(PARAM_GROUPS), l2sp=Real(0.0))
def finetune(
    model,
    w_src: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    *,
    steps: int = 50,
    lr: float = 0.1,
    params: str = "all",
    l2sp: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Fine-tune from the source weights ``w_src: (p,)`` on the target ``(X, y)``.

    ``params="all"`` trains every parameter, ``"head"`` only the output layer (the body stays
    the source body), ``"body"`` only the hidden layer. ``l2sp > 0`` adds the L2-SP pull toward
    ``w_src`` on the trained parameters. Returns ``(w, losses)`` like :func:`fit` (and raises
    like it).
    """
    w_src = check_vec("w_src", w_src, model.num_params)
    mask = param_mask(model, params)
    return fit(model, X, y, w0=w_src, steps=steps, lr=lr, trainable=mask, l2sp=l2sp,
               w_src=w_src, shared=mask)


@validated(model=Instance(MLP), w_src=Array(ndim=1), X=_X, y=_Y,
           n_classes=Maybe(Int(2, MAX_CLASSES)), steps=STEPS, lr=LR, l2=Maybe(Real(0.0)))
def feature_extraction(
    model: MLP,
    w_src: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    *,
    n_classes: int | None = None,
    steps: int = 200,
    lr: float = 0.5,
    l2: float | None = None,
) -> tuple[MLP, np.ndarray, np.ndarray]:
    """Freeze the source body, train a new softmax head on the features ``H = body(X)``.

    Args:
        model: the source :class:`MLP`; ``w_src: (p,)`` its trained weights.
        X: ``(n, d)`` target inputs; y: ``(n,)`` target labels in ``0..n_classes-1``.
        n_classes: classes of the target task (default: the source's).
        steps, lr: GD on the head (a convex problem: softmax regression on ``H``).
        l2: L2 penalty of the new head (default: the model's).

    Returns:
        ``(target_model, w, losses)``: an :class:`MLP` with the new head, its ``(p',)``
        parameters (source body + trained head, which starts at zero) and the head losses.
    """
    w_src = check_vec("w_src", w_src, model.num_params)
    k = model.n_classes if n_classes is None else n_classes
    X, y = check_xy(model, X, y, n_classes=k)
    target = MLP(model.n_features, model.n_hidden, k, model.activation,
                 model.l2 if l2 is None else l2)
    with np.errstate(over="ignore", invalid="ignore"):
        H = model.features(w_src, X)  # computed once: the body is frozen
    if not np.isfinite(H).all():
        raise overflowed("the source body's features", "NaN/inf", X=X, w_src=w_src)
    head, losses = fit(target.head_model(), H, y, steps=steps, lr=lr)
    return target, np.concatenate([w_src[model.body_slice], head]), losses


def l2sp_closed_form(X: np.ndarray, y: np.ndarray, w_src: np.ndarray, l2sp: float) -> np.ndarray:
    """Exact minimiser of ``(1/n)||A w - y||^2 + (l2sp/2)||w - w_src||^2`` (``A = [X, 1]``).

    Setting the gradient to zero: ``(2/n A^T A + l2sp I) w = 2/n A^T y + l2sp w_src``.
    ``l2sp -> inf`` gives ``w_src``; ``l2sp = 0`` ordinary least squares.
    Returns ``(d + 1,)`` in the linear model's layout ``[coef, bias]``.
    """
    l2sp = check_float("l2sp", l2sp, 0.0)
    X = np.asarray(X, dtype=float)
    A = np.column_stack([X, np.ones(len(X))])
    w_src = check_vec("w_src", w_src, A.shape[1])
    n = len(y)
    H = 2.0 / n * A.T @ A + l2sp * np.eye(A.shape[1])
    return np.linalg.lstsq(H, 2.0 / n * A.T @ np.asarray(y, float) + l2sp * w_src, rcond=None)[0]

