"""``FedConfig``: every knob of a federated simulation, validated on construction.

A config is a frozen dataclass, so a dashboard makes a new one with
``dataclasses.replace(cfg, num_clients=20)`` and the old one never changes.
Every invalid value raises ``ValueError`` (or ``TypeError`` for a wrong type)
whose message names the field, the value and what is allowed.
"""

from __future__ import annotations

import dataclasses
import math
import numbers
from dataclasses import dataclass

from .data import DATASET_NAMES, PARTITION_NAMES, train_size
from .models import MODEL_NAMES

STRATEGY_NAMES = ("fedavg", "fedsgd")
ENGINE_NAMES = ("batched", "loop")

# The model each dataset is meant for; ``model="auto"`` picks it.
DEFAULT_MODEL = {
    "digits": "softmax",
    "breast_cancer": "logistic",
    "wine": "softmax",
    "iris": "softmax",
    "diabetes": "linear",
    "synthetic": "linear",
}
REGRESSION_DATASETS = ("diabetes", "synthetic")


def check_int(name: str, value, low: int | None = None, high: int | None = None) -> int:
    """Return ``value`` as int or raise naming ``name``; bounds are inclusive."""
    if isinstance(value, bool) or not isinstance(value, numbers.Integral):
        raise TypeError(f"{name} must be an integer, got {value!r} ({type(value).__name__})")
    value = int(value)
    if (low is not None and value < low) or (high is not None and value > high):
        lo = "-inf" if low is None else low
        hi = "inf" if high is None else high
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {value}")
    return value


def check_float(
    name: str,
    value,
    low: float | None = None,
    high: float | None = None,
    *,
    low_open: bool = False,
    high_open: bool = False,
    allow_inf: bool = False,
) -> float:
    """Return ``value`` as float or raise naming ``name`` and the allowed interval."""
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a number, got {value!r} ({type(value).__name__})")
    value = float(value)
    lo_b, hi_b = ("(" if low_open else "["), (")" if high_open else "]")
    lo = "-inf" if low is None else low
    hi = "inf" if high is None else high
    allowed = f"{lo_b}{lo}, {hi}{hi_b}"
    bad = math.isnan(value) or (math.isinf(value) and not allow_inf)
    if low is not None:
        bad |= value < low or (low_open and value == low)
    if high is not None:
        bad |= value > high or (high_open and value == high)
    if bad:
        raise ValueError(f"{name} must be a finite number in {allowed}, got {value}")
    return value


def check_choice(name: str, value, choices: tuple[str, ...]) -> str:
    """Return ``value`` if it is one of ``choices``, else raise naming ``name``."""
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {choices}, got {value!r}")
    return value


@dataclass(frozen=True)
class FedConfig:
    """Configuration of one federated training run (all fields have teaching defaults).

    Attributes:
        dataset: one of ``data.DATASET_NAMES``.
        model: ``"softmax"``, ``"logistic"``, ``"linear"`` or ``"auto"`` (the dataset's usual model).
        num_clients: number of clients holding data, 1..n_train.
        rounds: communication rounds.
        local_epochs: passes over its own data each client makes per round (FedAvg).
        batch_size: mini-batch size for local SGD.
        lr: learning rate (local SGD for FedAvg, server step for FedSGD).
        client_fraction: fraction of clients sampled per round, in (0, 1].
        partition: ``"iid"``, ``"dirichlet"``, ``"shards"`` or ``"quantity"``.
        dirichlet_alpha: concentration for ``dirichlet``/``quantity``; small = skewed.
        strategy: ``"fedavg"`` (local SGD, weighted average of models) or ``"fedsgd"``
            (one full-batch gradient per client, server gradient step).
        seed: seed of every random choice in the run.
        shards_per_client: label shards per client for ``partition="shards"``.
        l2: L2 penalty on the weights.
        test_size: fraction of the dataset held out for the test set.
        engine: ``"batched"`` (all clients at once with NumPy) or ``"loop"`` (readable
            reference, one client after another). Both give the same numbers.
    """

    dataset: str = "digits"
    model: str = "softmax"
    num_clients: int = 10
    rounds: int = 30
    local_epochs: int = 5
    batch_size: int = 32
    lr: float = 0.1
    client_fraction: float = 1.0
    partition: str = "iid"
    dirichlet_alpha: float = 0.5
    strategy: str = "fedavg"
    seed: int = 0
    shards_per_client: int = 2
    l2: float = 0.0
    test_size: float = 0.25
    engine: str = "batched"

    def __post_init__(self):
        check_choice("dataset", self.dataset, DATASET_NAMES)
        check_choice("model", self.model, (*MODEL_NAMES, "auto"))
        model = self.resolved_model
        if self.dataset in REGRESSION_DATASETS and model != "linear":
            raise ValueError(
                f"model must be 'linear' (or 'auto') for the regression dataset "
                f"{self.dataset!r}, got {self.model!r}"
            )
        if self.dataset not in REGRESSION_DATASETS and model == "linear":
            raise ValueError(
                f"model must be 'softmax', 'logistic' or 'auto' for the classification "
                f"dataset {self.dataset!r}, got {self.model!r}"
            )
        if model == "logistic" and self.dataset != "breast_cancer":
            raise ValueError(
                f"model='logistic' needs a binary dataset ('breast_cancer'), got dataset="
                f"{self.dataset!r}; use model='softmax'"
            )
        check_float("test_size", self.test_size, 0.0, 1.0, low_open=True, high_open=True)
        n_train = train_size(self.dataset, self.test_size)
        check_int("num_clients", self.num_clients, 1)
        if self.num_clients > n_train:
            raise ValueError(
                f"num_clients must be <= the {n_train} training examples of "
                f"{self.dataset!r}, got {self.num_clients}"
            )
        check_int("rounds", self.rounds, 1, 100_000)
        check_int("local_epochs", self.local_epochs, 1, 10_000)
        check_int("batch_size", self.batch_size, 1)
        check_float("lr", self.lr, 0.0, low_open=True)
        check_float("client_fraction", self.client_fraction, 0.0, 1.0, low_open=True)
        check_choice("partition", self.partition, PARTITION_NAMES)
        check_float("dirichlet_alpha", self.dirichlet_alpha, 0.0, low_open=True)
        check_choice("strategy", self.strategy, STRATEGY_NAMES)
        check_int("seed", self.seed, 0)
        check_int("shards_per_client", self.shards_per_client, 1)
        if self.partition == "shards" and self.num_clients * self.shards_per_client > n_train:
            raise ValueError(
                f"shards_per_client * num_clients must be <= {n_train} training examples, "
                f"got {self.shards_per_client} * {self.num_clients}"
            )
        check_float("l2", self.l2, 0.0)
        check_choice("engine", self.engine, ENGINE_NAMES)

    @property
    def resolved_model(self) -> str:
        """The model name after resolving ``"auto"``."""
        return DEFAULT_MODEL[self.dataset] if self.model == "auto" else self.model

    @property
    def clients_per_round(self) -> int:
        """How many clients the server samples each round (at least 1)."""
        return max(1, int(round(self.client_fraction * self.num_clients)))

    def replace(self, **changes) -> FedConfig:
        """A copy with some fields changed (validated like a new config)."""
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict:
        return dataclasses.asdict(self)
