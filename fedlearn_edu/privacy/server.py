"""A strategy wrapper that adds DP-FedAvg and malicious clients to any core strategy.

As Flower's ``DifferentialPrivacyServerSideFixedClipping`` keeps ``self.strategy`` and calls
it, :class:`PrivateServer` keeps the federation's strategy and changes only what it must:

* **who takes part**: under DP every client joins independently with probability
  ``q = client_fraction`` (Poisson sampling, the accountant's assumption); otherwise the
  wrapped strategy samples as usual;
* **what arrives**: model-poisoning attackers replace their honest update;
* **how it combines**: DP-FedAvg (clip, weighted sum, Gaussian noise, fixed denominator) and
  the RDP accountant; otherwise the wrapped strategy's aggregator (mean or a robust rule).

Data-poisoning attackers are set up once, when the wrapper is built: it hands the federation
poisoned training rows. The wrapper owns its own random streams (seeded from
``config.seed`` with a salt), so the clients' training randomness is unchanged.

A client update holding NaN/inf (the ``nonfinite`` attack, or a client whose training
diverged) is counted every round in ``last_nonfinite`` (the round loop records it as
``History.rejected``); DP-FedAvg and the robust aggregators give it no weight.
"""

from __future__ import annotations

import numpy as np

from .._validation import Instance, validated
from ..core.config import FedConfig
from ..core.federation import Federation
from .accountant import RDPAccountant
from .attacks import choose_attackers, poison, poison_dataset
from .dp import dp_fedavg_aggregate

BACKDOOR_FRACTION = 0.5  # share of each backdoor attacker's examples that carry the trigger


class PrivateServer:
    """DP-FedAvg and attackers around ``fed.strategy`` (a ``FedConfig`` with ``dp`` and/or
    ``attack`` set).

    Attributes:
        strategy: the wrapped strategy.
        attackers: indices of malicious clients (empty without an attack).
        accountant: the :class:`RDPAccountant` (``None`` without DP).
        epsilon: epsilon spent after the last round (NaN without DP).
        last_nonfinite: client updates of the last round holding NaN/inf after poisoning.

    Args:
        config: the run's :class:`FedConfig`; fed: the :class:`Federation` built from it
            (same ``num_clients``). Data poisoning replaces ``fed``'s training rows.
    """

    @validated(config=Instance(FedConfig), fed=Instance(Federation))
    def __init__(self, config: FedConfig, fed: Federation):
        if fed.num_clients != config.num_clients:
            raise ValueError(f"fed must be built from config: fed has {fed.num_clients} "
                             f"clients, config.num_clients={config.num_clients}")
        self.config, self.strategy = config, fed.strategy
        self.dp, self.attack = config.dp, config.attack
        ss = np.random.SeedSequence([config.seed, 7007])  # salt: apart from the engine's streams
        attack_ss, noise_ss, sample_ss, poison_ss = ss.spawn(4)
        self.attack_rng = np.random.default_rng(attack_ss)
        self.noise_rng = np.random.default_rng(noise_ss)
        self.sample_rng = np.random.default_rng(sample_ss)
        self.attackers = np.array([], dtype=int)
        if self.attack is not None:
            self.attackers = choose_attackers(config.num_clients, self.attack.fraction,
                                              np.random.default_rng(poison_ss))
            if self.attack.poisons_data and len(self.attackers):
                fed.replace_data(poison_dataset(
                    fed.data, fed.parts, self.attackers, self.attack.kind,
                    target=self.attack.backdoor_target, fraction=BACKDOOR_FRACTION,
                    rng=np.random.default_rng(poison_ss.spawn(1)[0])))
        self.accountant = RDPAccountant() if self.dp is not None else None
        self.client_weights = fed.counts / fed.counts.max()
        self.epsilon = float("nan")
        self.accepts_empty = self.dp is not None  # DP adds noise even when nobody joined
        self.last_nonfinite = 0

    # -- who takes part -------------------------------------------------------------
    def sample_clients(self, num_clients: int, rng: np.random.Generator) -> np.ndarray:
        """Poisson sampling with rate ``q = client_fraction`` under DP (the wrapper's own
        stream), otherwise the wrapped strategy's fixed-size sample from ``rng``."""
        self.last_nonfinite = 0  # a round nobody joins aggregates nothing
        if self.dp is not None:
            return np.flatnonzero(self.sample_rng.random(num_clients)
                                  < self.config.client_fraction)
        return self.strategy.sample_clients(num_clients, rng)

    def starts(self, w_global, clients):
        return self.strategy.starts(w_global, clients)

    # -- how results combine --------------------------------------------------------
    def aggregate_round(self, fed, w, clients, results) -> np.ndarray:
        """New global model from this round's client ``results: (m, p)``; sets
        ``last_nonfinite`` (updates holding NaN/inf, after poisoning)."""
        cfg = self.config
        U = self.strategy.to_updates(w, np.asarray(results, dtype=float).reshape(-1, w.shape[0]))
        bad = np.isin(clients, self.attackers)
        if self.attack is not None and not self.attack.poisons_data and np.any(bad):
            U = U.copy()
            U[bad] = poison(U[bad], self.attack.kind, self.attack.scale, self.attack_rng)
        self.last_nonfinite = int(len(U) - np.isfinite(U).all(axis=1).sum())
        if self.dp is None:
            return self.strategy.aggregate_updates(w, U, fed.counts[clients])
        w_new = dp_fedavg_aggregate(
            w, w + U, self.client_weights[clients], clip_norm=self.dp.clip_norm,
            noise_multiplier=self.dp.noise_multiplier, rng=self.noise_rng,
            expected_weight=cfg.client_fraction * self.client_weights.sum())
        self.accountant.step(cfg.client_fraction, self.dp.noise_multiplier)
        self.epsilon = self.accountant.epsilon(self.dp.delta)
        return w_new
