"""Privacy and security: DP-FedAvg and its accountant, secure aggregation, gradient
inversion, poisoning attacks, and the strategy wrapper that adds them to a run."""

from .accountant import RDPAccountant, epsilon
from .attacks import backdoor_success_rate, poison_updates
from .config import AttackConfig, DPConfig
from .dp import adaptive_clip_norm, dp_fedavg_aggregate
from .secagg import SecAggError, secure_sum
from .server import PrivateServer

__all__ = [
    "RDPAccountant", "epsilon", "backdoor_success_rate", "poison_updates", "AttackConfig",
    "DPConfig", "adaptive_clip_norm", "dp_fedavg_aggregate", "SecAggError", "secure_sum",
    "PrivateServer",
]
