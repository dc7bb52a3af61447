"""Privacy and security: DP-FedAvg and its accountant, secure aggregation, gradient
inversion, poisoning attacks, and the strategy wrapper that adds them to a run.

Exported (and fuzzed) are the names a notebook or a run uses: the configs, DP-FedAvg, the
(eps, delta) accountant, the secure-aggregation protocol with its building blocks (Shamir
sharing, fixed point, PRG), the inversion attack, the poisoning attack and metric, and the
wrapper. The module-level helpers stay internal: ``compute_rdp``/``rdp_to_epsilon`` (they
return ``inf`` by design: no noise, order ``inf``), ``invert_all_classes`` (NaN rows by
design), and the per-round kernels the wrapper calls (checked at its entry point).
"""

from .accountant import RDPAccountant, epsilon
from .attacks import backdoor_success_rate, poison_updates
from .config import AttackConfig, DPConfig
from .dp import adaptive_clip_norm, dp_fedavg_aggregate
from .fixedpoint import decode, encode, fixed_point_sum, prg
from .inversion import (
    batch_mixture,
    dp_noised_gradient,
    example_gradient,
    invert_gradient,
    relative_error,
)
from .secagg import secure_sum
from .server import PrivateServer
from .shamir import SecAggError, shamir_reconstruct, shamir_share

__all__ = [
    "RDPAccountant", "epsilon", "backdoor_success_rate", "poison_updates", "AttackConfig",
    "DPConfig", "adaptive_clip_norm", "dp_fedavg_aggregate", "SecAggError", "secure_sum",
    "PrivateServer", "shamir_share", "shamir_reconstruct", "encode", "decode", "prg",
    "fixed_point_sum", "batch_mixture", "dp_noised_gradient", "example_gradient",
    "invert_gradient", "relative_error",
]
