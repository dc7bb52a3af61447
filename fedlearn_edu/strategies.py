"""Strategies decide who trains each round and how their results become the new model.

* :class:`FedAvg` (McMahan et al. 2017): sampled clients run local SGD from the global
  model; the server takes the example-weighted average of the returned models.
* :class:`FedSGD`: sampled clients each return one full-batch gradient at the global
  model; the server takes one gradient step with the example-weighted mean gradient.
  With all clients this is exactly centralised gradient descent on ``sum_i (n_i/n) f_i``.

The arithmetic lives in :mod:`fedlearn_edu.aggregate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .aggregate import weighted_average


@dataclass(frozen=True)
class FedAvg:
    """Federated averaging.

    Attributes:
        clients_per_round: how many clients are sampled (without replacement) per round.
    """

    clients_per_round: int
    client_returns = "weights"  # what a client sends back: its new parameters

    def sample_clients(self, num_clients: int, rng: np.random.Generator) -> np.ndarray:
        """Sorted indices of this round's participants."""
        if self.clients_per_round >= num_clients:
            return np.arange(num_clients)
        return np.sort(rng.choice(num_clients, size=self.clients_per_round, replace=False))

    def aggregate(self, w_global: np.ndarray, results: np.ndarray, num_examples) -> np.ndarray:
        """New global model ``(p,)`` from client models ``results: (m, p)``."""
        return weighted_average(results, num_examples)


@dataclass(frozen=True)
class FedSGD(FedAvg):
    """Federated SGD: one server gradient step per round with learning rate ``lr``."""

    lr: float = 0.1
    client_returns = "gradient"  # what a client sends back: its full-batch gradient

    def aggregate(self, w_global: np.ndarray, results: np.ndarray, num_examples) -> np.ndarray:
        """``w_global - lr * weighted mean of client gradients``."""
        return w_global - self.lr * weighted_average(results, num_examples)


def make_strategy(name: str, clients_per_round: int, lr: float):
    """Build the strategy named in a :class:`~fedlearn_edu.config.FedConfig`."""
    if name == "fedavg":
        return FedAvg(clients_per_round)
    if name == "fedsgd":
        return FedSGD(clients_per_round, lr)
    raise ValueError(f"strategy must be one of ('fedavg', 'fedsgd'), got {name!r}")
