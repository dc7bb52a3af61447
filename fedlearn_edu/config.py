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

from .data import DATASET_NAMES, PARTITION_NAMES, check_test_size, train_size
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
    # --- privacy (issue 7): DP-FedAvg, poisoning attacks, robust aggregation
    dp_noise_multiplier: float = 0.0  # sigma: noise std = sigma * dp_clip_norm on the update sum
    dp_clip_norm: float = math.inf  # S: L2 bound on each client's update (inf = no clipping)
    dp_delta: float = 1e-5  # delta of the reported (epsilon, delta)
    attack: str = "none"  # none, sign_flip, scale, gaussian, label_flip, backdoor
    attacker_fraction: float = 0.0  # share of clients that are malicious
    attack_scale: float = 4.0  # flip/boost factor (sign_flip, scale) or noise std (gaussian)
    backdoor_target: int = 0  # label the backdoor trigger maps to
    aggregator: str = "mean"  # mean, median, trimmed_mean, krum, multi_krum, norm_clip
    aggregator_f: int = 0  # attackers the defence assumes (Krum's f; trimmed from each end)
    # --- systems (issue 5): virtual clock, stragglers, sync/async modes, compression
    system_preset: str = "datacenter"  # devices: ideal, datacenter, mobile, iot (systems.PRESETS)
    latency_ms: float = 0.0  # mean one-way network latency per message, milliseconds
    latency_spread: float = 0.0  # log-normal spread of latency across clients (0 = all equal)
    straggler_fraction: float = 0.0  # share of clients that compute straggler_slowdown x slower
    straggler_slowdown: float = 10.0  # how much slower a straggler computes
    mode: str = "sync"  # sync, deadline, fedprox, async, fedbuff
    deadline_s: float = math.inf  # round deadline in simulated seconds (deadline, fedprox)
    mu: float = 0.0  # FedProx proximal strength mu/2 ||v - w||^2 (any mode)
    async_mixing: float = 0.5  # FedAsync a: w <- (1 - a s(tau)) w + a s(tau) v
    staleness: str = "polynomial"  # s(tau) = (tau + 1)^-p ("polynomial") or 1 ("constant")
    staleness_exp: float = 0.5  # p in s(tau)
    buffer_size: int = 5  # FedBuff K: aggregate every K arrivals (<= clients per round)
    compression: str = "none"  # update compression: none, topk, int8
    topk_fraction: float = 0.1  # share of entries top-k keeps
    error_feedback: bool = False  # carry compression error over to the next update

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
        check_test_size(self.dataset, self.test_size)
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
        # --- privacy (issue 7) validation: begin
        from .aggregate import AGGREGATORS
        from .attacks import ATTACK_NAMES, DATA_ATTACKS

        check_float("dp_noise_multiplier", self.dp_noise_multiplier, 0.0)
        check_float("dp_clip_norm", self.dp_clip_norm, 0.0, low_open=True, allow_inf=True)
        check_float("dp_delta", self.dp_delta, 0.0, 1.0, low_open=True, high_open=True)
        if self.dp_noise_multiplier > 0 and math.isinf(self.dp_clip_norm):
            raise ValueError(
                f"dp_clip_norm must be finite when dp_noise_multiplier > 0 (noise std is "
                f"sigma * S), got dp_clip_norm={self.dp_clip_norm}"
            )
        check_choice("attack", self.attack, ATTACK_NAMES)
        check_float("attacker_fraction", self.attacker_fraction, 0.0, 1.0, high_open=True)
        check_float("attack_scale", self.attack_scale, 0.0, low_open=True)
        check_int("backdoor_target", self.backdoor_target, 0)
        if self.attack in DATA_ATTACKS and self.dataset in REGRESSION_DATASETS:
            raise ValueError(
                f"attack={self.attack!r} needs a classification dataset, got {self.dataset!r}"
            )
        check_choice("aggregator", self.aggregator, AGGREGATORS)
        check_int("aggregator_f", self.aggregator_f, 0)
        m = self.clients_per_round
        if self.aggregator in ("krum", "multi_krum") and m <= 2 * self.aggregator_f + 2:
            raise ValueError(
                f"aggregator={self.aggregator!r} needs clients per round > 2*aggregator_f + 2, "
                f"got {m} clients for aggregator_f={self.aggregator_f}"
            )
        if self.aggregator == "trimmed_mean" and m <= 2 * self.aggregator_f:
            raise ValueError(
                f"aggregator='trimmed_mean' needs clients per round > 2*aggregator_f, "
                f"got {m} clients for aggregator_f={self.aggregator_f}"
            )
        dp_on = self.dp_noise_multiplier > 0 or math.isfinite(self.dp_clip_norm)
        if dp_on and self.aggregator != "mean":
            raise ValueError(
                f"aggregator must be 'mean' when DP-FedAvg is on (its noise is calibrated to "
                f"the clipped sum), got aggregator={self.aggregator!r}"
            )
        # --- privacy (issue 7) validation: end
        # --- systems (issue 5) validation: begin
        from .compression import COMPRESSION_NAMES
        from .systems import MODE_NAMES, PRESET_NAMES, STALENESS_NAMES

        check_choice("system_preset", self.system_preset, PRESET_NAMES)
        check_float("latency_ms", self.latency_ms, 0.0, 3_600_000.0)
        check_float("latency_spread", self.latency_spread, 0.0, 5.0)
        check_float("straggler_fraction", self.straggler_fraction, 0.0, 1.0)
        check_float("straggler_slowdown", self.straggler_slowdown, 1.0, 1e9)
        check_choice("mode", self.mode, MODE_NAMES)
        check_float("deadline_s", self.deadline_s, 0.0, low_open=True, allow_inf=True)
        check_float("mu", self.mu, 0.0)
        check_float("async_mixing", self.async_mixing, 0.0, 1.0, low_open=True)
        check_choice("staleness", self.staleness, STALENESS_NAMES)
        check_float("staleness_exp", self.staleness_exp, 0.0, 100.0)
        check_int("buffer_size", self.buffer_size, 1)
        check_choice("compression", self.compression, COMPRESSION_NAMES)
        check_float("topk_fraction", self.topk_fraction, 0.0, 1.0, low_open=True)
        if not isinstance(self.error_feedback, bool):
            raise TypeError(f"error_feedback must be True or False, got {self.error_feedback!r}")
        if self.mode == "fedbuff" and self.buffer_size > self.clients_per_round:
            raise ValueError(f"buffer_size must be <= clients per round ({self.clients_per_round})"
                             f" for mode='fedbuff', got {self.buffer_size}")
        if self.strategy != "fedavg" and (self.mode in ("fedprox", "async", "fedbuff") or self.mu):
            raise ValueError(f"mode={self.mode!r} and mu > 0 need strategy='fedavg' (clients must "
                             f"train locally), got strategy={self.strategy!r}")
        systems_loop = (self.mode != "sync" or self.mu > 0 or self.compression != "none"
                        or self.system_preset in ("mobile", "iot"))
        guarded = dp_on or self.attack != "none" or self.aggregator != "mean"
        if systems_loop and guarded:
            raise ValueError("privacy/attack/robust-aggregation settings need mode='sync', mu=0, "
                             "compression='none' and system_preset 'ideal' or 'datacenter', got "
                             f"mode={self.mode!r}, mu={self.mu}, compression={self.compression!r},"
                             f" system_preset={self.system_preset!r}")
        # --- systems (issue 5) validation: end

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
