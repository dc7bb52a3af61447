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

from ..core.models import Model


def example_gradient(model: Model, w, X, y) -> np.ndarray:
    """The gradient ``(p,)`` a client shares for its examples ``X: (B, d)`` (or one ``(d,)``)."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    y = np.atleast_1d(np.asarray(y))
    if X.shape[0] != y.shape[0]:
        raise ValueError(f"X and y must have the same number of rows, got {X.shape[0]} "
                         f"and {y.shape[0]}")
    return model.grad(np.asarray(w, dtype=float), X, y)


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
    (``(1, d)`` for linear/logistic); rows with a zero bias gradient are NaN."""
    g_coef, g_bias = _data_gradient(model, w, grad)
    G = np.atleast_2d(g_coef.T) if model.kind == "softmax" else g_coef[None, :]
    gb = np.atleast_1d(g_bias)
    out = np.full(G.shape, np.nan)
    ok = gb != 0
    out[ok] = G[ok] / gb[ok, None]
    return out


def invert_gradient(model: Model, w, grad) -> tuple[np.ndarray, int | None]:
    """Reconstruct the input (and, for softmax, the label) from a shared gradient.

    Uses the class with the largest ``|dL/db_c|`` (best conditioned division). Exact for a
    single example; a blurred mixture for a batch.

    Returns:
        ``(x_hat: (d,), label)``; ``label`` is the class with the most negative bias gradient
        for softmax, ``None`` otherwise.

    Raises:
        ValueError: when every bias gradient is zero (nothing to divide by).
    """
    g_coef, g_bias = _data_gradient(model, w, grad)
    gb = np.atleast_1d(g_bias)
    if not np.any(gb != 0):
        raise ValueError("the bias gradient is zero: the example is fit perfectly, "
                         "nothing can be recovered by division")
    c = int(np.argmax(np.abs(gb)))
    x_hat = invert_all_classes(model, w, grad)[c]
    label = int(np.argmin(gb)) if model.kind == "softmax" else None
    return x_hat, label


def batch_mixture(model: Model, w, X, y, c: int) -> np.ndarray:
    """What inverting a batch's mean gradient through class ``c`` gives, by formula:
    ``sum_i r_ic x_i / sum_i r_ic`` with ``r_ic = dL_i / dz_c``. ``(d,)``."""
    X = np.atleast_2d(np.asarray(X, dtype=float))
    R = np.stack([np.atleast_1d(_data_gradient(model, w, example_gradient(model, w, x, t))[1])
                  for x, t in zip(X, np.atleast_1d(y))])  # (B, k): per-example dL/dz
    r = R[:, c]
    return r @ X / r.sum()


def dp_noised_gradient(grad, clip_norm: float, noise_multiplier: float,
                       rng: np.random.Generator) -> np.ndarray:
    """The gradient after DP's defence: clip to L2 norm ``S``, add ``N(0, (sigma S)^2 I)``."""
    g = np.asarray(grad, dtype=float)
    if not clip_norm > 0 or noise_multiplier < 0:
        raise ValueError(f"need clip_norm > 0 and noise_multiplier >= 0, got {clip_norm}, "
                         f"{noise_multiplier}")
    g = g * min(1.0, clip_norm / max(np.linalg.norm(g), 1e-300))
    return g + rng.normal(0.0, noise_multiplier * clip_norm, size=g.shape)


def relative_error(x_hat, x) -> float:
    """``||x_hat - x|| / ||x||`` (0 = perfect reconstruction)."""
    x = np.asarray(x, dtype=float)
    return float(np.linalg.norm(np.asarray(x_hat) - x) / np.linalg.norm(x))
