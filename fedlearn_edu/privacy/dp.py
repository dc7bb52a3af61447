"""Differential privacy (差分隐私 differential privacy) for federated averaging: DP-FedAvg.

DP-FedAvg (McMahan, Ramage, Talwar & Zhang 2018, "Learning Differentially Private Recurrent
Language Models", Alg. 1 with the fixed-denominator estimator f~_f) protects each *client*:

1. each client joins the round independently with probability ``q`` (Poisson sampling);
2. a client's update ``Delta_k = w_k - w`` is clipped to L2 norm ``S``;
3. the server sums ``sum_k c_k * clip(Delta_k)`` with weights ``c_k = n_k / max_j n_j <= 1``
   (so one client changes the sum by at most ``S``: the L2 sensitivity), adds Gaussian noise
   ``N(0, (sigma * S)^2 I)``, and divides by the *expected* weight ``q * sum_all c_k``::

       w <- w + (sum_k c_k clip_S(Delta_k) + N(0, sigma^2 S^2 I)) / (q * sum_all c_k)

Each round is one step of the sampled Gaussian mechanism with rate ``q`` and noise multiplier
``sigma``; :mod:`.accountant` turns the rounds into an (eps, delta) guarantee for
client-level DP. With ``sigma = 0``, ``S = inf`` and ``q = 1`` this is exactly FedAvg's
example-weighted average (tested).

Adaptive clipping (Andrew, Thakkar, McMahan & Ramaswamy 2021): instead of guessing ``S``,
track a target quantile ``gamma`` of the update norms with the geometric update
``S <- S * exp(-eta * (b - gamma))``, where ``b`` is the (noisy) fraction of clients whose
update norm was <= S. :func:`adaptive_clip_norm` implements one step; releasing the noisy
count costs a little extra privacy (they give the noise calibration), which this teaching
engine does not account for, so the engine uses fixed clipping only.

:class:`~fedlearn_edu.privacy.server.PrivateServer` wraps a strategy with DP-FedAvg and the
attackers of :mod:`.attacks` for the core round loop.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import check_float
from ..core import aggregate as agg


def dp_fedavg_aggregate(w_global, client_models, weights, *, clip_norm: float,
                        noise_multiplier: float, expected_weight: float,
                        rng: np.random.Generator | None = None) -> np.ndarray:
    """One DP-FedAvg server step, ``(p,)``.

    Args:
        w_global: ``(p,)`` current global model.
        client_models: ``(m, p)`` models returned by the sampled clients (``m`` may be 0).
        weights: ``(m,)`` client weights in [0, 1] (e.g. ``n_k / max n``).
        clip_norm: ``S > 0`` (``inf`` = no clipping, only allowed without noise).
        noise_multiplier: ``sigma >= 0``; noise std on the weighted sum is ``sigma * S``.
        expected_weight: ``q * sum of all clients' weights`` (the fixed denominator), > 0.
        rng: generator for the noise (needed when ``sigma > 0``).
    """
    w_global = np.asarray(w_global, dtype=float)
    p = w_global.shape[0]
    M = np.asarray(client_models, dtype=float).reshape(-1, p)
    c = np.asarray(weights, dtype=float)
    if c.shape != (M.shape[0],) or np.any(c < 0) or np.any(c > 1):
        raise ValueError(f"weights must be {M.shape[0]} numbers in [0, 1], got {c}")
    clip_norm = check_float("clip_norm", clip_norm, 0.0, low_open=True, allow_inf=True)
    sigma = check_float("noise_multiplier", noise_multiplier, 0.0)
    expected_weight = check_float("expected_weight", expected_weight, 0.0, low_open=True)
    if sigma > 0 and math.isinf(clip_norm):
        raise ValueError("noise_multiplier > 0 needs a finite clip_norm (noise std is sigma * S)")
    total = np.zeros(p)
    if M.shape[0]:
        total += c @ agg.clip_to_norm(M - w_global, clip_norm)
    if sigma > 0:
        if rng is None:
            raise ValueError("rng is required when noise_multiplier > 0")
        total += rng.normal(0.0, sigma * clip_norm, size=p)
    return w_global + total / expected_weight


def adaptive_clip_norm(clip_norm: float, update_norms, *, target_quantile: float = 0.5,
                       lr: float = 0.2, count_noise: float = 0.0,
                       rng: np.random.Generator | None = None) -> float:
    """One step of adaptive clipping (Andrew et al. 2021, geometric update).

    ``b`` = fraction of ``update_norms`` <= ``clip_norm`` (plus ``N(0, count_noise^2)/m``
    if ``count_noise > 0``); returns ``clip_norm * exp(-lr * (b - target_quantile))``.
    """
    clip_norm = check_float("clip_norm", clip_norm, 0.0, low_open=True)
    gamma = check_float("target_quantile", target_quantile, 0.0, 1.0)
    norms = np.asarray(update_norms, dtype=float)
    if norms.ndim != 1 or norms.size == 0:
        raise ValueError(f"update_norms must be a non-empty 1-D array, got shape {norms.shape}")
    b = float(np.mean(norms <= clip_norm))
    if count_noise > 0:
        if rng is None:
            raise ValueError("rng is required when count_noise > 0")
        b += rng.normal(0.0, count_noise) / norms.size
    return clip_norm * math.exp(-lr * (b - gamma))
