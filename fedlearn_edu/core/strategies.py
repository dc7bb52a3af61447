"""Strategies decide who trains each round and how their results become the new model.

* :class:`FedAvg` (McMahan et al. 2017): sampled clients run local SGD from the global
  model; the server takes the example-weighted average of the returned models.
* :class:`FedSGD`: sampled clients each return one full-batch gradient at the global
  model; the server takes one gradient step with the example-weighted mean gradient.
  With all clients this is exactly centralised gradient descent on ``sum_i (n_i/n) f_i``.

The arithmetic lives in :mod:`fedlearn_edu.core.aggregate`.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import Choice, Int, Real, check_choice, check_float, check_int, validated
from .aggregate import AGGREGATORS, RULES


@dataclass(frozen=True)
class FedAvg:
    """Federated averaging.

    Attributes:
        clients_per_round: how many clients are sampled (without replacement) per round.
        aggregator: ``"mean"`` (the example-weighted average) or a robust rule of
            :data:`fedlearn_edu.core.aggregate.RULES`, applied to the updates ``v_i - w``.
        aggregator_f: attackers the robust rule assumes.
    """

    clients_per_round: int
    aggregator: str = "mean"
    aggregator_f: int = 0
    client_returns = "weights"  # what a client sends back: its new parameters
    epsilon = float("nan")  # privacy spent so far: a plain strategy gives none
    accepts_empty = False  # a round nobody answered leaves the model as it is

    def __post_init__(self):
        check_int("clients_per_round", self.clients_per_round, 1, 10**6)
        check_choice("aggregator", self.aggregator, AGGREGATORS)
        check_int("aggregator_f", self.aggregator_f, 0, 10**6)
        if hasattr(self, "lr"):
            check_float("lr", self.lr, 0.0, low_open=True)

    def sample_clients(self, num_clients: int, rng: np.random.Generator) -> np.ndarray:
        """Sorted indices of this round's participants."""
        if self.clients_per_round >= num_clients:
            return np.arange(num_clients)
        return np.sort(rng.choice(num_clients, size=self.clients_per_round, replace=False))

    def starts(self, w_global: np.ndarray, clients: np.ndarray) -> np.ndarray | None:
        """Where each client's local training starts (``None``: at the global model)."""
        return None

    def to_updates(self, w_global: np.ndarray, results: np.ndarray) -> np.ndarray:
        """Client results ``(m, p)`` as model updates: ``v_i - w``."""
        return results - w_global

    def aggregate_updates(self, w_global, updates, num_examples) -> np.ndarray:
        """``w + combine(updates)`` with this strategy's aggregator."""
        return w_global + RULES[self.aggregator](updates, self.aggregator_f, num_examples)

    def aggregate(self, w_global: np.ndarray, results: np.ndarray, num_examples) -> np.ndarray:
        """New global model ``(p,)`` from client models ``results: (m, p)``."""
        if self.aggregator == "mean":
            return RULES["mean"](results, 0, num_examples)
        return self.aggregate_updates(w_global, self.to_updates(w_global, results), num_examples)

    def aggregate_round(self, fed, w_global, clients, results) -> np.ndarray:
        """The round loop's call: ``clients`` are the indices whose ``results`` arrived."""
        return self.aggregate(w_global, results, fed.counts[clients])


@dataclass(frozen=True)
class FedSGD(FedAvg):
    """Federated SGD: one server gradient step per round with learning rate ``lr``."""

    lr: float = 0.1
    client_returns = "gradient"  # what a client sends back: its full-batch gradient

    def to_updates(self, w_global: np.ndarray, results: np.ndarray) -> np.ndarray:
        """Client gradients as model updates: ``-lr * g_i``."""
        return -self.lr * results

    def aggregate(self, w_global: np.ndarray, results: np.ndarray, num_examples) -> np.ndarray:
        """``w_global - lr * weighted mean of client gradients`` (or a robust rule)."""
        if self.aggregator == "mean":
            return w_global - self.lr * RULES["mean"](results, 0, num_examples)
        return self.aggregate_updates(w_global, self.to_updates(w_global, results), num_examples)


STRATEGIES = {"fedavg": FedAvg, "fedsgd": FedSGD}


@validated(name=Choice(("fedavg", "fedsgd")), clients_per_round=Int(1, 10**6),
           lr=Real(0.0, low_open=True), aggregator=Choice(AGGREGATORS), aggregator_f=Int(0))
def make_strategy(name: str, clients_per_round: int, lr: float, aggregator: str = "mean",
                  aggregator_f: int = 0):
    """Build the strategy named in a :class:`~fedlearn_edu.core.config.FedConfig`."""
    if name == "fedsgd":
        return FedSGD(clients_per_round, aggregator, aggregator_f, lr)
    return FedAvg(clients_per_round, aggregator, aggregator_f)
