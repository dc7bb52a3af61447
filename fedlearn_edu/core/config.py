"""``FedConfig``: the knobs of a federated run, validated on construction.

A config is a frozen dataclass, so a dashboard makes a new one with
``cfg.replace(num_clients=20)`` and the old one never changes. Every invalid value raises
``ValueError`` (or ``TypeError`` for a wrong type) whose message names the field, the value
and what is allowed.

The core fields describe plain federated training. Each further concept brings its own
small config, ``None`` meaning "off"::

    FedConfig(systems=SystemsConfig(latency_ms=300))          # virtual clock, stragglers
    FedConfig(dp=DPConfig(noise_multiplier=1.0, clip_norm=0.5))  # DP-FedAvg
    FedConfig(attack=AttackConfig("sign_flip", fraction=0.3), aggregator="median")

Those classes live with what they configure (``systems``, ``privacy``) and subclass
:class:`Settings`; ``FedConfig`` only calls their ``check_with`` for the rules that
involve both sides, so core never imports them.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import ClassVar

from .._validation import Choice, Int, Real, validate_fields
from .aggregate import AGGREGATORS
from .data import (
    DATASET_NAMES,
    MAX_USERS,
    PARTITION_NAMES,
    USER_DATASETS,
    check_test_size,
    train_size,
)
from .models import MODEL_NAMES
from .strategies import STRATEGIES

ENGINE_NAMES = ("batched", "loop")
STRATEGY_NAMES = tuple(STRATEGIES)

# The model each dataset is meant for; ``model="auto"`` picks it.
DEFAULT_MODEL = {
    "digits": "softmax",
    "breast_cancer": "logistic",
    "wine": "softmax",
    "iris": "softmax",
    "diabetes": "linear",
    "synthetic": "linear",
    "fedprox_synthetic": "softmax",
}
REGRESSION_DATASETS = ("diabetes", "synthetic")


class Settings:
    """Base of a concept's own config (``SystemsConfig``, ``DPConfig``, ``AttackConfig``).

    A subclass is a frozen dataclass that declares ``slot`` (the ``FedConfig`` field it goes
    in) and ``CONSTRAINTS`` (allowed values beside the fields); ``__post_init__`` checks
    them. ``check_with(config)`` holds the rules between it and the rest of the run.
    """

    slot: ClassVar[str] = ""
    CONSTRAINTS: ClassVar[dict] = {}

    def __post_init__(self):
        validate_fields(self, self.CONSTRAINTS, prefix=f"{type(self).__name__}.")

    def check_with(self, config: FedConfig) -> None:
        """Raise ``ValueError`` if these settings cannot run with ``config``."""

    def replace(self, **changes):
        """A copy with some fields changed (validated like a new one)."""
        return dataclasses.replace(self, **changes)


DTYPES = ("float64", "float32")  # the engine's precisions: reference, fast path


@dataclass(frozen=True)
class FedConfig:
    """Configuration of one federated training run (all fields have teaching defaults).

    Attributes:
        dataset: one of ``data.DATASET_NAMES``.
        model: ``"softmax"``, ``"logistic"``, ``"linear"`` or ``"auto"`` (the dataset's
            usual model).
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
        mu: FedProx proximal strength: clients minimise ``f_i(v) + mu/2 ||v - w||^2``.
        aggregator: how the server combines updates: ``"mean"`` (FedAvg) or a robust rule
            (``median``, ``trimmed_mean``, ``krum``, ``multi_krum``, ``norm_clip``).
        aggregator_f: attackers the robust rule assumes (Krum's f; trimmed from each end).
        dtype: precision of local training, aggregation and evaluation: ``"float64"`` (the
            reference, every closed-form test) or ``"float32"`` (the fast path: same
            algorithms, about twice as fast; the dashboards use it). DP noise, secure
            aggregation and the accountant always compute in float64.
        systems: ``SystemsConfig`` (virtual clock, devices, sync/async modes, compression)
            or ``None`` (no clock: the plain round loop).
        dp: ``DPConfig`` (DP-FedAvg) or ``None``.
        attack: ``AttackConfig`` (malicious clients) or ``None``.
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
    mu: float = 0.0
    aggregator: str = "mean"
    aggregator_f: int = 0
    dtype: str = "float64"
    systems: Settings | None = None
    dp: Settings | None = None
    attack: Settings | None = None

    CONSTRAINTS: ClassVar[dict] = {
        "dataset": Choice(DATASET_NAMES),
        "model": Choice((*MODEL_NAMES, "auto")),
        "test_size": Real(0.0, 1.0, low_open=True, high_open=True),
        "num_clients": Int(1),
        "rounds": Int(1, 100_000),
        "local_epochs": Int(1, 10_000),
        "batch_size": Int(1),
        "lr": Real(0.0, low_open=True),
        "client_fraction": Real(0.0, 1.0, low_open=True),
        "partition": Choice(PARTITION_NAMES),
        "dirichlet_alpha": Real(0.0, low_open=True),
        "strategy": Choice(STRATEGY_NAMES),
        "seed": Int(0),
        "shards_per_client": Int(1),
        "l2": Real(0.0),
        "engine": Choice(ENGINE_NAMES),
        "mu": Real(0.0),
        "aggregator": Choice(AGGREGATORS),
        "aggregator_f": Int(0),
        "dtype": Choice(DTYPES),
    }

    def __post_init__(self):
        validate_fields(self, self.CONSTRAINTS)
        self._check_model()
        check_test_size(self.dataset, self.test_size)
        n_train = train_size(self.dataset, self.test_size)
        natural = self.partition == "natural"
        if natural and self.dataset not in USER_DATASETS:
            raise ValueError(f"partition='natural' gives every user of the dataset its own "
                             f"client; {self.dataset!r} has no users (datasets with users: "
                             f"{tuple(USER_DATASETS)}); use 'iid', 'dirichlet', 'shards' or "
                             f"'quantity'")
        if natural and self.num_clients > MAX_USERS:
            raise ValueError(f"num_clients must be <= {MAX_USERS} users of {self.dataset!r}, "
                             f"got {self.num_clients}")
        if not natural and self.num_clients > n_train:
            raise ValueError(f"num_clients must be <= the {n_train} training examples of "
                             f"{self.dataset!r}, got {self.num_clients}")
        if self.partition == "shards" and self.num_clients * self.shards_per_client > n_train:
            raise ValueError(f"shards_per_client * num_clients must be <= {n_train} training "
                             f"examples, got {self.shards_per_client} * {self.num_clients}")
        if self.mu and self.strategy != "fedavg":
            raise ValueError(f"mu > 0 needs strategy='fedavg' (clients must train locally), "
                             f"got strategy={self.strategy!r}")
        self._check_aggregator()
        for slot in ("systems", "dp", "attack"):
            settings = getattr(self, slot)
            if settings is None:
                continue
            if not isinstance(settings, Settings) or settings.slot != slot:
                raise TypeError(f"{slot} must be a {_SETTINGS_CLASS[slot]} or None, got "
                                f"{settings!r}")
            settings.check_with(self)
        guarded = self.dp is not None or self.attack is not None or self.aggregator != "mean"
        if guarded and self.systems is not None and not self.systems.only_moves_clock:
            raise ValueError("privacy/attack/robust-aggregation settings need systems that only "
                             "move the clock (mode='sync', compression='none', preset 'ideal' "
                             f"or 'datacenter'), got {self.systems!r}")

    def _check_model(self) -> None:
        model = self.resolved_model
        if self.dataset in REGRESSION_DATASETS and model != "linear":
            raise ValueError(f"model must be 'linear' (or 'auto') for the regression dataset "
                             f"{self.dataset!r}, got {self.model!r}")
        if self.dataset not in REGRESSION_DATASETS and model == "linear":
            raise ValueError(f"model must be 'softmax', 'logistic' or 'auto' for the "
                             f"classification dataset {self.dataset!r}, got {self.model!r}")
        if model == "logistic" and self.dataset != "breast_cancer":
            raise ValueError(f"model='logistic' needs a binary dataset ('breast_cancer'), got "
                             f"dataset={self.dataset!r}; use model='softmax'")

    def _check_aggregator(self) -> None:
        m, f = self.clients_per_round, self.aggregator_f
        if self.aggregator in ("krum", "multi_krum") and m <= 2 * f + 2:
            raise ValueError(f"aggregator={self.aggregator!r} needs clients per round > "
                             f"2*aggregator_f + 2, got {m} clients for aggregator_f={f}")
        if self.aggregator == "trimmed_mean" and m <= 2 * f:
            raise ValueError(f"aggregator='trimmed_mean' needs clients per round > "
                             f"2*aggregator_f, got {m} clients for aggregator_f={f}")

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


_SETTINGS_CLASS = {"systems": "SystemsConfig", "dp": "DPConfig", "attack": "AttackConfig"}
