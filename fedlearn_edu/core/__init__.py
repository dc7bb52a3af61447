"""Plain federated learning: data, models, local training, aggregation, the round loop."""

from .aggregate import (
    clip_to_norm,
    combine,
    coordinate_median,
    finite_rows,
    krum,
    krum_scores,
    multi_krum,
    norm_clip_median,
    norm_clipped_mean,
    trimmed_mean,
    weighted_average,
)
from .baseline import centralised_baseline
from .client import local_sgd
from .config import FedConfig, Settings
from .data import Dataset, label_histogram, load_dataset, partition
from .federation import Federation, LocalTraining
from .history import History, RoundRecord
from .loop import DivergenceError, RoundHooks, iterate, run_history, run_rounds
from .models import Model, make_model
from .stack import ClientStack, pad_clients
from .strategies import FedAvg, FedSGD, make_strategy

__all__ = [
    "clip_to_norm", "combine", "coordinate_median", "finite_rows", "krum", "krum_scores",
    "multi_krum", "norm_clip_median", "norm_clipped_mean", "trimmed_mean", "weighted_average",
    "centralised_baseline", "ClientStack", "local_sgd", "pad_clients", "FedConfig", "Settings",
    "Dataset", "label_histogram", "load_dataset", "partition", "Federation", "LocalTraining",
    "History", "RoundRecord", "DivergenceError", "RoundHooks", "iterate", "run_history",
    "run_rounds", "Model", "make_model", "FedAvg", "FedSGD", "make_strategy",
]
