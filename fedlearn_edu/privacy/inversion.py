"""Gradient inversion (梯度反演 gradient inversion): a shared gradient can *be* the data.

For a linear layer with a bias, ``z = W^T x + b``, the gradient of any loss of ``z`` is

    dL/dW[:, c] = (dL/dz_c) * x        dL/db_c = dL/dz_c

so for ONE example every class row of the weight gradient is the input scaled by the bias
gradient: ``x = (dL/dW[:, c]) / (dL/db_c)`` for any class ``c`` with ``dL/db_c != 0``
(Phong et al. 2017; Zhu et al. 2019 "Deep Leakage from Gradients" generalise this to deep nets
by optimisation). For softmax cross-entropy ``dL/dz = p - onehot(y)``, so the label leaks too:
it is the only class with a negative bias gradient.

For a batch of B examples the gradient is a mean, and the same division gives the mixture
``sum_i r_ic x_i / sum_i r_ic`` (``r_ic = dL_i/dz_c``): a blur of the batch. Averaging many
clients' gradients (FedAvg, secure aggregation) and clipping + Gaussian noise (DP) blur it more.

Works with this package's :class:`~fedlearn_edu.core.models.Model` (``linear``, ``logistic``,
``softmax``; softmax parameters are stored class-major, :meth:`Model.unpack` gives ``(d, k)``).
"""

from __future__ import annotations

import numpy as np

from .._validation import RNG, Array, Instance, Int, Real, validated
from ..core.models import Model

MODEL = Instance(Model)
VECTOR = Array(ndim=1)


def _norm(v: np.ndarray) -> float:
    """L2 norm; rescaled when squaring the entries overflows or underflows."""
    n = float(np.linalg.norm(v))
    if 0 < n < np.inf or not v.size:
        return n
    big = float(np.max(np.abs(v)))
    return big * float(np.linalg.norm(v / big)) if 0 < big < np.inf else big


def _check_params(model: Model, **vectors) -> None:
    for name, v in vectors.items():
        if v.shape != (model.num_params,):
            raise ValueError(f"{name} must have shape ({model.num_params},) for this "
                             f"{model.kind} model, got {v.shape}")


def _check_examples(model: Model, X: np.ndarray, y: np.ndarray) -> None:
    if X.shape[1] != model.n_features:
        raise ValueError(f"X must have shape (n, model.n_features) = (n, {model.n_features}),"
                         f" got shape {X.shape}")
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]} "
                         f"and {y.shape[0]}")
    if model.kind == "linear":
        return
    k = max(model.n_classes, 2)
    if np.any(y != np.round(y)) or y.min() < 0 or y.max() >= k:
        raise ValueError(f"y must hold class labels in [0, {k}) for this {model.kind} model, "
                         f"got {y}"[:200])


def _finite(out: np.ndarray, what: str) -> np.ndarray:
    if not np.all(np.isfinite(out)):
        raise ValueError(what)
    return out


@validated(model=MODEL, w=VECTOR, X=Array(ndim=(1, 2)), y=Array(ndim=(0, 1), kind="real"))
def example_gradient(model: Model, w, X, y) -> np.ndarray:
    """The gradient ``(p,)`` a client shares for its examples ``X: (B, d)`` (or one ``(d,)``).

    Args:
        model: the :class:`Model`; w: its ``(p,)`` finite parameters.
        X: ``(B, d)`` or ``(d,)`` finite inputs; y: ``(B,)`` labels (class ids in
            ``[0, k)``, or real targets for ``linear``) or one label.

    Raises:
        ValueError: also when the gradient overflows (inputs far outside the float range).
    """
    X = np.atleast_2d(X).astype(float)
    y = np.atleast_1d(y)
    _check_params(model, w=w)
    _check_examples(model, X, y)
    if model.kind != "linear":
        y = y.astype(np.int64)
    with np.errstate(over="ignore", invalid="ignore"):
        g = model.grad(w, X, y)
    return _finite(g, "the gradient overflowed: X, y or w are too large for float64")


def _data_gradient(model: Model, w, grad) -> tuple[np.ndarray, np.ndarray]:
    """Weight and bias gradients ``(d, k)``/``(k,)`` (or ``(d,)``/scalar) minus the L2 term."""
    w = np.asarray(w, dtype=float)
    g = np.asarray(grad, dtype=float)
    if g.shape != (model.num_params,) or w.shape != (model.num_params,):
        raise ValueError(f"w and grad must have shape ({model.num_params},), got {w.shape} and "
                         f"{g.shape}")
    g_coef, g_bias = model.unpack(g)
    coef, _ = model.unpack(w)
    return g_coef - model.l2 * coef, g_bias  # the attacker knows w, so it removes l2 * w


def invert_all_classes(model: Model, w, grad) -> np.ndarray:
    """One reconstruction per output unit: ``(k, d)`` rows ``dL/dW[:, c] / dL/db_c``
    (``(1, d)`` for linear/logistic); rows with a zero bias gradient are NaN (by design:
    nothing to divide by; not exported for that reason, :func:`invert_gradient` is)."""
    g_coef, g_bias = _data_gradient(model, w, grad)
    G = np.atleast_2d(g_coef.T) if model.kind == "softmax" else g_coef[None, :]
    gb = np.atleast_1d(g_bias)
    out = np.full(G.shape, np.nan)
    ok = gb != 0
    with np.errstate(over="ignore", invalid="ignore"):
        out[ok] = G[ok] / gb[ok, None]
    return out


@validated(model=MODEL, w=VECTOR, grad=VECTOR)
def invert_gradient(model: Model, w, grad) -> tuple[np.ndarray, int | None]:
    """Reconstruct the input (and, for softmax, the label) from a shared gradient.

    Uses the class with the largest ``|dL/db_c|`` (best conditioned division). Exact for a
    single example; a blurred mixture for a batch.

    Args:
        model: the :class:`Model`; w, grad: ``(p,)`` finite parameters and gradient.

    Returns:
        ``(x_hat: (d,), label)``; ``label`` is the class with the most negative bias gradient
        for softmax, ``None`` otherwise.

    Raises:
        ValueError: when every bias gradient is zero (nothing to divide by), or the division
            overflows (a bias gradient too close to zero for the weight gradient).
    """
    _check_params(model, w=w, grad=grad)
    g_coef, g_bias = _data_gradient(model, w, grad)
    gb = np.atleast_1d(g_bias)
    if not np.any(gb != 0):
        raise ValueError("the bias gradient is zero (the bias part of grad): the example is "
                         "fit perfectly, nothing can be recovered by division")
    c = int(np.argmax(np.abs(gb)))
    x_hat = _finite(invert_all_classes(model, w, grad)[c],
                    f"the reconstruction overflowed: grad's weight part (minus l2 * w) divided "
                    f"by its bias part {gb[c]:.3g} leaves the float range")
    label = int(np.argmin(gb)) if model.kind == "softmax" else None
    return x_hat, label


@validated(model=MODEL, w=VECTOR, X=Array(ndim=(1, 2)), y=Array(ndim=(0, 1), kind="real"),
           c=Int(0))
def batch_mixture(model: Model, w, X, y, c: int) -> np.ndarray:
    """What inverting a batch's mean gradient through class ``c`` gives, by formula:
    ``sum_i r_ic x_i / sum_i r_ic`` with ``r_ic = dL_i / dz_c``. ``(d,)``.

    Args:
        c: output unit in ``[0, k)`` (``0`` for linear/logistic); X, y: as
            :func:`example_gradient`.

    Raises:
        ValueError: when ``sum_i r_ic`` is 0 or the mixture overflows.
    """
    X = np.atleast_2d(X).astype(float)
    y = np.atleast_1d(y)
    _check_params(model, w=w)
    _check_examples(model, X, y)
    units = model.n_classes if model.kind == "softmax" else 1
    if c >= units:
        raise ValueError(f"c must be an output unit in [0, {units}) for this {model.kind} "
                         f"model, got {c}")
    R = np.stack([np.atleast_1d(_data_gradient(model, w, example_gradient(model, w, x, t))[1])
                  for x, t in zip(X, y)])  # (B, k): per-example dL/dz
    r = R[:, c]
    with np.errstate(over="ignore", invalid="ignore", divide="ignore"):
        out = r @ X / r.sum()
    return _finite(out, f"the mixture for class c={c} is not finite: the batch's bias "
                        f"gradients sum to {r.sum():.3g} (X, y and w give nothing to divide by)")


@validated(grad=VECTOR, clip_norm=Real(0.0, low_open=True), noise_multiplier=Real(0.0),
           rng=RNG())
def dp_noised_gradient(grad, clip_norm: float, noise_multiplier: float,
                       rng: np.random.Generator) -> np.ndarray:
    """The gradient after DP's defence: clip to L2 norm ``S``, add ``N(0, (sigma S)^2 I)``.

    Args:
        grad: ``(p,)`` finite; clip_norm: ``S > 0``; noise_multiplier: ``sigma >= 0``
            (both finite, ``sigma * S`` too).
    """
    g = grad
    std = noise_multiplier * clip_norm
    if not np.isfinite(std):
        raise ValueError(f"noise std noise_multiplier * clip_norm = {noise_multiplier} * "
                         f"{clip_norm} overflows; use a smaller noise_multiplier or clip_norm")
    g = g * min(1.0, clip_norm / max(_norm(g), 1e-300))
    with np.errstate(over="ignore", invalid="ignore"):
        out = g + rng.normal(0.0, std, size=g.shape)
    return _finite(out, f"the noise N(0, (noise_multiplier * clip_norm)^2) = N(0, {std:.3g}^2) "
                        f"overflows; use a smaller noise_multiplier or clip_norm")


@validated(x_hat=VECTOR, x=VECTOR)
def relative_error(x_hat, x) -> float:
    """``||x_hat - x|| / ||x||`` (0 = perfect reconstruction) for finite ``(d,)`` vectors;
    ``x`` must not be all zeros."""
    if x_hat.shape != x.shape:
        raise ValueError(f"x_hat and x must have the same shape, got {x_hat.shape} and "
                         f"{x.shape}")
    nx = _norm(x)
    if nx == 0:
        raise ValueError("x must not be all zeros (the relative error divides by ||x||)")
    with np.errstate(over="ignore", invalid="ignore"):
        err = _norm(x_hat.astype(float) - x) / nx
    if not np.isfinite(err):
        raise ValueError(f"relative_error overflows: ||x_hat - x|| / ||x|| with ||x|| = "
                         f"{nx:.3g}; x_hat is too far from x for float64")
    return float(err)
