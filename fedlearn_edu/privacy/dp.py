"""Differential privacy (差分隐私 differential privacy) for federated averaging: DP-FedAvg.

DP-FedAvg (McMahan, Ramage, Talwar & Zhang 2018, "Learning Differentially Private Recurrent
Language Models", Alg. 1 with the fixed-denominator estimator f~_f) protects each *client*:

1. each client joins the round independently with probability ``q`` (Poisson sampling);
2. a client's update ``Delta_k = w_k - w`` is clipped to L2 norm ``S``; an update holding
   NaN/inf (a diverged or malicious client) is the worst update there is and is clipped to
   zero (no contribution), so one such client cannot turn the model NaN;
3. the server sums ``sum_k c_k * clip(Delta_k)`` with weights ``c_k = n_k / max_j n_j <= 1``
   (so one client changes the sum by at most ``S``: the L2 sensitivity), adds Gaussian noise
   ``N(0, (sigma * S)^2 I)``, and divides by the *expected* weight ``q * sum_all c_k``::

       w <- w + (sum_k c_k clip_S(Delta_k) + N(0, sigma^2 S^2 I)) / (q * sum_all c_k)

The weights use every client's example count ``n_k``: this engine treats client sizes as
**public** (the server knows them, and the neighbouring datasets of the guarantee differ in
one client's *data*, not in the sizes). McMahan et al. instead cap the weights with a
constant ``w_hat`` fixed before training, ``c_k = min(n_k / w_hat, 1)``, so no client's size
changes another's weight and sizes need not be public; the engine's weights are that cap with
``w_hat = max_j n_j``, valid only because that maximum is taken as public.

Per coordinate, the noise on the *average* update has std ``sigma S / (q sum_all c_k)``
(:func:`average_noise_std`), about ``sigma S / (q N)`` for ``N`` clients of equal size: more
clients drown the same noise in a larger sum.

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

from .._validation import RNG, Array, Maybe, Real, validated
from ..core import aggregate as agg

MAX_LOG = math.log(np.finfo(float).max)  # log of the largest float


def finite_updates(D: np.ndarray) -> np.ndarray:
    """Copy of the updates ``D: (m, p)`` whose rows holding NaN/inf are zero rows."""
    ok = np.isfinite(D).all(axis=1)
    return D if ok.all() else np.where(ok[:, None], D, 0.0)


@validated(w_global=Array(ndim=1), client_models=Array(ndim=(1, 2), finite=False, min_len=0),
           weights=Array(ndim=1, min_len=0),
           clip_norm=Real(0.0, low_open=True, allow_inf=True), noise_multiplier=Real(0.0),
           expected_weight=Real(0.0, low_open=True), rng=Maybe(RNG()))
def dp_fedavg_aggregate(w_global, client_models, weights, *, clip_norm: float,
                        noise_multiplier: float, expected_weight: float,
                        rng: np.random.Generator | None = None) -> np.ndarray:
    """One DP-FedAvg server step, ``(p,)``.

    Args:
        w_global: ``(p,)`` current global model (finite).
        client_models: ``(m, p)`` models returned by the sampled clients (``m`` may be 0).
            A client whose update ``w_k - w_global`` holds NaN/inf (a diverged or malicious
            client) contributes **zero**, as if clipped to norm 0: it cannot turn the model
            NaN, and the sensitivity bound ``S`` still holds.
        weights: ``(m,)`` client weights in [0, 1] (e.g. ``n_k / max n``), finite.
        clip_norm: ``S > 0`` (``inf`` = no clipping, only allowed without noise).
        noise_multiplier: ``sigma >= 0``; noise std on the weighted sum is ``sigma * S``.
        expected_weight: ``q * sum of all clients' weights`` (the fixed denominator), > 0.
        rng: generator for the noise (needed when ``sigma > 0``).

    Raises:
        ValueError: bad arguments, or a step that would overflow to inf (noise std
            ``sigma * S`` or the division by ``expected_weight`` beyond the float range).
    """
    p = w_global.shape[0]
    if client_models.size % p or (client_models.ndim == 2 and client_models.shape[1] != p):
        raise ValueError(f"client_models must be (m, p) with p = len(w_global) = {p}, "
                         f"got shape {client_models.shape}")
    M = client_models.reshape(-1, p)
    c = weights
    if c.shape != (M.shape[0],) or np.any(c < 0) or np.any(c > 1):
        raise ValueError(f"weights must be numbers in [0, 1], one per row of client_models "
                         f"(m = {M.shape[0]}), got {c}")
    sigma = noise_multiplier
    if sigma > 0 and math.isinf(clip_norm):
        raise ValueError("noise_multiplier > 0 needs a finite clip_norm (noise std is sigma * S)")
    std = sigma * clip_norm
    if sigma > 0 and not np.isfinite(std):
        raise ValueError(f"noise std noise_multiplier * clip_norm = {sigma} * {clip_norm} "
                         f"overflows; use a smaller noise_multiplier or clip_norm")
    total = np.zeros(p)
    if M.shape[0]:
        with np.errstate(over="ignore", invalid="ignore"):
            D = M - w_global
        total += c @ agg.clip_to_norm(finite_updates(D), clip_norm)
    if sigma > 0:
        if rng is None:
            raise ValueError("rng is required when noise_multiplier > 0")
        total += rng.normal(0.0, std, size=p)
    with np.errstate(over="ignore", invalid="ignore"):
        out = w_global + total / expected_weight
    if not np.all(np.isfinite(out)):
        raise ValueError(f"the DP-FedAvg step overflowed: (clipped sum + noise) / "
                         f"expected_weight = .../{expected_weight:.3g} added to w_global leaves "
                         f"the float range; use a larger expected_weight or a smaller "
                         f"clip_norm / noise_multiplier")
    return out


@validated(clip_norm=Real(0.0, low_open=True), update_norms=Array(ndim=1, finite=False),
           target_quantile=Real(0.0, 1.0), lr=Real(0.0), count_noise=Real(0.0),
           rng=Maybe(RNG()))
def adaptive_clip_norm(clip_norm: float, update_norms, *, target_quantile: float = 0.5,
                       lr: float = 0.2, count_noise: float = 0.0,
                       rng: np.random.Generator | None = None) -> float:
    """One step of adaptive clipping (Andrew et al. 2021, geometric update).

    ``b`` = fraction of ``update_norms`` <= ``clip_norm`` (plus ``N(0, count_noise^2)/m``
    if ``count_noise > 0``); returns ``clip_norm * exp(-lr * (b - target_quantile))``.

    Args:
        clip_norm: current ``S``, finite and > 0.
        update_norms: ``(m,)`` L2 norms >= 0 of this round's updates (``inf`` allowed: a
            non-finite update is above any bound; NaN refused).
        target_quantile: ``gamma`` in [0, 1]; lr: ``eta >= 0``, finite;
        count_noise: std of the noise on the count (in clients), >= 0, finite.

    Raises:
        ValueError: also when the step would leave the positive float range (``lr`` far too
            large).
    """
    norms = update_norms
    if np.isnan(norms).any() or np.any(norms < 0):
        raise ValueError(f"update_norms must be L2 norms >= 0 (inf allowed, not NaN), got "
                         f"{norms}")
    b = float(np.mean(norms <= clip_norm))
    if count_noise > 0:
        if rng is None:
            raise ValueError("rng is required when count_noise > 0")
        b += rng.normal(0.0, count_noise) / norms.size
    step = -lr * (b - target_quantile)
    new = clip_norm * math.exp(step) if step < MAX_LOG else math.inf
    if not 0 < new < math.inf:
        raise ValueError(f"the step clip_norm * exp(-lr * (b - target_quantile)) = {clip_norm:.3g}"
                         f" * exp({step:.3g}) leaves the positive float range (b = {b:.3g}, "
                         f"count_noise={count_noise}); use a smaller lr (e.g. 0.2), got lr={lr}")
    return new



def average_noise_std(noise_multiplier: float, clip_norm: float, client_fraction: float,
                      weights) -> float:
    """Std of DP-FedAvg's noise on each coordinate of the average update:
    ``sigma S / (q sum_k c_k)`` with ``weights: (N,)`` the ``c_k`` of *all* clients
    (``= sigma S / (q N)`` when all clients hold the same number of examples)."""
    return noise_multiplier * clip_norm / (client_fraction * float(np.sum(weights)))


def measured_noise_std(noise_multiplier: float, clip_norm: float, client_fraction: float,
                       weights, num_params: int, rng: np.random.Generator,
                       draws: int = 8) -> float:
    """The same std measured: ``draws`` DP-FedAvg steps (:func:`dp_fedavg_aggregate`) in
    which no client joins, so only the noise moves the ``(num_params,)`` model; the root
    mean square of the moves."""
    w0, c = np.zeros(num_params), np.asarray(weights, dtype=float)
    steps = [dp_fedavg_aggregate(w0, np.empty((0, num_params)), np.empty(0), rng=rng,
                                 clip_norm=clip_norm, noise_multiplier=noise_multiplier,
                                 expected_weight=client_fraction * c.sum())
             for _ in range(draws)]
    return float(np.sqrt(np.mean(np.square(steps))))
