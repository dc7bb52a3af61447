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
``sigma``; :mod:`fedlearn_edu.accountant` turns the rounds into an (eps, delta) guarantee for
client-level DP. With ``sigma = 0``, ``S = inf`` and ``q = 1`` this is exactly FedAvg's
example-weighted average (tested).

Adaptive clipping (Andrew, Thakkar, McMahan & Ramaswamy 2021): instead of guessing ``S``,
track a target quantile ``gamma`` of the update norms with the geometric update
``S <- S * exp(-eta * (b - gamma))``, where ``b`` is the (noisy) fraction of clients whose
update norm was <= S. :func:`adaptive_clip_norm` implements one step; releasing the noisy
count costs a little extra privacy (they give the noise calibration), which this teaching
engine does not account for, so the engine uses fixed clipping only.

:class:`SecureServer` plugs DP-FedAvg, poisoning attacks (:mod:`fedlearn_edu.attacks`) and
robust aggregation (:mod:`fedlearn_edu.aggregate`) into the plain round loop of
:func:`fedlearn_edu.simulation.iterate`.
"""

from __future__ import annotations

import math

import numpy as np

from . import aggregate as agg
from .accountant import RDPAccountant
from .attacks import DATA_ATTACKS, MODEL_ATTACKS, choose_attackers, poison_dataset, poison_updates
from .client import pad_clients
from .config import FedConfig, check_float

BACKDOOR_FRACTION = 0.5  # share of each backdoor attacker's examples that carry the trigger


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


def dp_enabled(config: FedConfig) -> bool:
    """DP-FedAvg runs when there is noise or a finite clip norm."""
    return config.dp_noise_multiplier > 0 or math.isfinite(config.dp_clip_norm)


class SecureServer:
    """DP-FedAvg, attackers and robust aggregation inside the synchronous round loop.

    Built by :func:`make_secure_server`. It owns its own random streams (seeded from
    ``config.seed`` with a salt), so the clients' training randomness is unchanged.

    Attributes:
        attackers: indices of malicious clients (empty without an attack).
        dp: whether DP-FedAvg is on; accountant: its :class:`RDPAccountant` (or None).
        epsilon: eps spent after the last round (NaN when DP is off).
    """

    def __init__(self, config: FedConfig, fed):
        self.config = cfg = config
        ss = np.random.SeedSequence([cfg.seed, 7007])  # salt: independent of the engine's streams
        attack_ss, noise_ss, sample_ss, poison_ss = ss.spawn(4)
        self.attack_rng = np.random.default_rng(attack_ss)
        self.noise_rng = np.random.default_rng(noise_ss)
        self.sample_rng = np.random.default_rng(sample_ss)
        self.attackers = np.array([], dtype=int)
        if cfg.attack != "none":
            self.attackers = choose_attackers(cfg.num_clients, cfg.attacker_fraction,
                                              np.random.default_rng(poison_ss))
        if cfg.attack in DATA_ATTACKS and len(self.attackers):
            fed.data = poison_dataset(fed.data, fed.parts, self.attackers, cfg.attack,
                                      target=cfg.backdoor_target, fraction=BACKDOOR_FRACTION,
                                      rng=np.random.default_rng(poison_ss.spawn(1)[0]))
            fed.X, fed.y, fed.counts = pad_clients(fed.data.X_train, fed.data.y_train, fed.parts)
        self.dp = dp_enabled(cfg)
        self.accountant = RDPAccountant() if self.dp else None
        self.client_weights = fed.counts / fed.counts.max()
        self.epsilon = float("nan")

    # -- who takes part -------------------------------------------------------------
    def sample_clients(self, fed) -> np.ndarray:
        """Poisson sampling with rate ``q = client_fraction`` under DP (the accountant's
        assumption), otherwise the strategy's usual fixed-size sample."""
        if self.dp:
            return np.flatnonzero(self.sample_rng.random(self.config.num_clients)
                                  < self.config.client_fraction)
        return fed.strategy.sample_clients(self.config.num_clients, fed.sample_rng)

    # -- how results combine --------------------------------------------------------
    def _to_updates(self, fed, w, results):
        """Client results -> model updates (delta for FedAvg, -lr * grad for FedSGD)."""
        if fed.strategy.client_returns == "gradient":
            return -self.config.lr * results
        return results - w

    def aggregate(self, fed, w, selected, results) -> np.ndarray:
        """New global model from this round's client ``results: (m, p)``."""
        cfg = self.config
        U = self._to_updates(fed, w, np.asarray(results, dtype=float).reshape(-1, w.shape[0]))
        bad = np.isin(selected, self.attackers)
        if cfg.attack in MODEL_ATTACKS and np.any(bad):
            U = U.copy()
            U[bad] = poison_updates(U[bad], cfg.attack, cfg.attack_scale, self.attack_rng)
        if self.dp:
            w_new = dp_fedavg_aggregate(
                w, w + U, self.client_weights[selected], clip_norm=cfg.dp_clip_norm,
                noise_multiplier=cfg.dp_noise_multiplier, rng=self.noise_rng,
                expected_weight=cfg.client_fraction * self.client_weights.sum())
            self.accountant.step(cfg.client_fraction, cfg.dp_noise_multiplier)
            self.epsilon = self.accountant.epsilon(cfg.dp_delta)
            return w_new
        return w + robust_aggregate(U, cfg.aggregator, cfg.aggregator_f, fed.counts[selected])


def robust_aggregate(updates, aggregator: str, f: int, weights) -> np.ndarray:
    """Combine client updates ``(m, p)`` with the named rule (see ``aggregate.AGGREGATORS``).

    ``mean`` is the example-weighted average (FedAvg); ``norm_clip`` clips every update to
    the median update norm of the round (a parameter-free bound), then takes the weighted mean.
    """
    U = np.asarray(updates, dtype=float)
    if aggregator == "mean":
        return agg.weighted_average(U, weights)
    if aggregator == "median":
        return agg.coordinate_median(U)
    if aggregator == "trimmed_mean":
        return agg.trimmed_mean(U, f)
    if aggregator == "krum":
        return agg.krum(U, f)
    if aggregator == "multi_krum":
        return agg.multi_krum(U, f, U.shape[0] - f)
    if aggregator == "norm_clip":
        bound = float(np.median(np.linalg.norm(U, axis=1)))
        return agg.norm_clipped_mean(U, bound if bound > 0 else np.inf, weights)
    raise ValueError(f"aggregator must be one of {agg.AGGREGATORS}, got {aggregator!r}")


def make_secure_server(config: FedConfig, fed) -> SecureServer | None:
    """``None`` when DP, attacks and robust aggregation are all off (the plain loop then
    runs exactly as before), else a :class:`SecureServer`."""
    if config.attack == "none" and config.aggregator == "mean" and not dp_enabled(config):
        return None
    return SecureServer(config, fed)
