"""Re-implementations of reference algorithms that cannot be installed (for test_references.py).

Each function re-implements, in its own code, the algorithm of one published source file
(cited in its docstring), with the same constants, the same order of random draws and the
same stopping rules, so that the tests compare the engine against the reference's semantics.
None of them imports fedlearn_edu: the engine is never compared against itself.
"""

from __future__ import annotations

import numpy as np


# --------------------------------------------------------------------------- thuml LogME
def thuml_logme(F: np.ndarray, y: np.ndarray) -> tuple[float, list, list]:
    """LogME as thuml/LogME ``LogME.py`` computes it by default (``LogME._fit`` is
    ``_fit_fixed_point``; You et al., arXiv:2110.10545), classification case.

    The reference's choices, kept here:

    * SVD: for ``N > D`` the eigen-decomposition of ``F^T F`` (its ``truncated_svd``: singular
      values ``sqrt`` of its eigenvalues, directions with ``s <= 1e-10`` dropped), else
      ``np.linalg.svd(F)``;
    * per one-hot column, start at ``alpha = beta = 1`` and apply at most 11 fixed-point steps
      ``alpha <- gamma / (||m||^2 + 1e-5)``, ``beta <- (N - gamma) / (||F m - t||^2 + 1e-5)``,
      where ``||m||^2`` and the residual are those at the *previous* ratio ``t = alpha/beta``;
      stop once the ratio moved by ``<= 1e-3`` relatively;
    * the evidence is then evaluated with the new ``alpha, beta`` and the previous step's
      ``||m||^2`` and residual (no ``1e-5`` there), divided by ``N``; the score is the mean
      over the columns.

    Returns ``(score, alphas, betas)``.
    """
    F = np.asarray(F, dtype=np.float64)
    N, D = F.shape
    if N > D:
        evals, evecs_t = np.linalg.svd(F.T @ F)[1:]
        sv = np.sqrt(evals)
        keep = sv > 1e-10
        sv, vh = sv[keep], evecs_t[keep]
        U = (F @ vh.T) / sv
    else:
        U, sv, _ = np.linalg.svd(F, full_matrices=False)
    s2 = sv**2

    scores, alphas, betas = [], [], []
    for c in range(int(y.max()) + 1):
        t_col = (y == c).astype(np.float64)
        proj2 = (U.T @ t_col) ** 2
        outside = t_col @ t_col - proj2.sum()  # the part of t outside span(F)
        alpha = beta = 1.0
        for _ in range(11):
            ratio = alpha / beta
            gamma = np.sum(s2 / (s2 + ratio))
            m_sq = np.sum(s2 * proj2 / (ratio + s2) ** 2)
            resid_sq = np.sum(proj2 / (1.0 + s2 / ratio) ** 2) + outside
            alpha = gamma / (m_sq + 1e-5)
            beta = (N - gamma) / (resid_sq + 1e-5)
            if abs(alpha / beta - ratio) / ratio <= 1e-3:
                break
        log_ev = (0.5 * D * np.log(alpha) + 0.5 * N * np.log(beta)
                  - 0.5 * np.sum(np.log(alpha + beta * s2))
                  - 0.5 * beta * resid_sq - 0.5 * alpha * m_sq
                  - 0.5 * N * np.log(2 * np.pi))
        scores.append(log_ev / N)
        alphas.append(float(alpha))
        betas.append(float(beta))
    return float(np.mean(scores)), alphas, betas


# ------------------------------------------------------------- FedProx Synthetic(alpha, beta)
def fedprox_synthetic(alpha, beta, rng, *, num_user=30, dimension=60, num_class=10):
    """``generate_synthetic(alpha, beta, iid=0)`` of litian96/FedProx,
    ``data/synthetic_1_1/generate_synthetic.py`` (the copies in ``synthetic_0_0`` and
    ``synthetic_0.5_0.5`` are the same function for ``iid=0``; Li et al., MLSys 2020).

    The reference draws from the global ``np.random``, in this order: the device sizes
    ``lognormal(4, 2, NUM_USER)`` cast to int plus 50; ``mean_W ~ normal(0, alpha, NUM_USER)``
    (also the bias mean); ``B ~ normal(0, beta, NUM_USER)``; per device ``mean_x[i] ~
    normal(B[i], 1, 60)``; then per device ``W ~ normal(mean_W[i], 1, (60, 10))``, ``b ~
    normal(mean_W[i], 1, 10)``, ``x ~ multivariate_normal(mean_x[i], diag((j+1)^-1.2), n_i)``
    and ``y = argmax(softmax(x W + b))``. Here the same calls go to ``rng`` so that, given the
    same generator, values can be compared one by one. The 90% / 10% train/test split is in
    the reference's ``main`` (after a ``random.shuffle``), not in this function.

    Returns ``(X, y, sizes)``: per-device arrays and the ``(num_user,)`` sizes.
    """
    sizes = rng.lognormal(4, 2, num_user).astype(int) + 50
    mean_w = rng.normal(0, alpha, num_user)
    b_dev = rng.normal(0, beta, num_user)
    cov = np.diag([(j + 1.0) ** -1.2 for j in range(dimension)])
    mean_x = np.stack([rng.normal(b_dev[i], 1, dimension) for i in range(num_user)])
    X, y = [], []
    for i in range(num_user):
        W = rng.normal(mean_w[i], 1, (dimension, num_class))
        b = rng.normal(mean_w[i], 1, num_class)
        x = rng.multivariate_normal(mean_x[i], cov, sizes[i])
        logits = x @ W + b
        # argmax(softmax(z)) = argmax(z); the reference's unshifted exp would overflow (NaN
        # labels) past 709, which these inputs never reach
        assert logits.max() < 709, "logits beyond the reference's softmax range"
        X.append(x)
        y.append(np.argmax(logits, axis=1))
    return X, y, sizes


# ---------------------------------------------------------------------------- Ditto
def softmax_grad(W: np.ndarray, b: np.ndarray, X: np.ndarray, y: np.ndarray):
    """``(dW, db)``: gradient of the mean cross-entropy of ``softmax(X W + b)``, ``W: (d, k)``,
    from the formula ``X^T (softmax(Z) - onehot(y)) / n`` (the reference trainer gets it from
    TensorFlow)."""
    Z = X @ W + b
    P = np.exp(Z - Z.max(axis=1, keepdims=True))
    P /= P.sum(axis=1, keepdims=True)
    P[np.arange(len(y)), y] -= 1.0
    P /= len(y)
    return X.T @ P, P.sum(axis=0)


def ditto_personal(v, w_global, batches, X, y, *, lam: float, lr: float):
    """The personal-model step of litian96/ditto ``flearn/trainers_MTL/ditto.py``
    (``Server.train`` with a fixed ``lam``, ``dynamic_lam`` off): for every local batch, each
    layer moves by ``-lr * (grad_layer + lam * (v_layer - w_global_layer))``, an explicit
    gradient step on ``f_i(v) + lam/2 ||v - w||^2``; ``w_global`` stays fixed over the round.

    Args:
        v, w_global: ``[W (d, k), b (k,)]`` layers of the personal and the global model.
        batches: one index array per local iteration (the reference's ``next(batches[c])``).

    Returns the new personal layers.
    """
    v = [np.array(layer, dtype=float) for layer in v]
    for idx in batches:
        grads = softmax_grad(v[0], v[1], X[idx], y[idx])
        v = [vl - lr * (g + lam * (vl - wl)) for vl, g, wl in zip(v, grads, w_global)]
    return v
