"""Systems realism: device profiles, a virtual clock, sync/deadline/FedProx rounds, FedAsync
and FedBuff, update compression, and the FedProx paper's synthetic data."""

from .asynchronous import fedasync_mix, fedbuff_aggregate, staleness_weight
from .compression import compress, compress_rows, compressed_bytes
from .config import SystemsConfig
from .profiles import PRESETS, Profiles, client_times, make_profiles
from .rounds import SystemsRounds
from .synthetic import synthetic_fedprox
from .timeline import Timeline

__all__ = [
    "fedasync_mix", "fedbuff_aggregate", "staleness_weight", "compress", "compress_rows",
    "compressed_bytes", "SystemsConfig", "PRESETS", "Profiles", "client_times", "make_profiles",
    "SystemsRounds", "synthetic_fedprox", "Timeline",
]
