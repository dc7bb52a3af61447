"""Systems realism: device profiles, a virtual clock, sync/deadline/FedProx rounds, FedAsync
and FedBuff, update compression, and the FedProx paper's synthetic data."""

from .compression import (
    compress,
    compress_rows,
    compress_with_feedback,
    compressed_bytes,
    topk_compress,
    topk_count,
    topk_decompress,
)
from .config import SystemsConfig
from .profiles import PRESETS, Profiles, client_times, make_profiles
from .quantize import dequantize_int8, quantize_int8
from .rounds import SystemsRounds
from .server_steps import fedasync_mix, fedbuff_aggregate, staleness_weight
from .synthetic import synthetic_fedprox
from .timeline import Timeline

__all__ = [
    "fedasync_mix", "fedbuff_aggregate", "staleness_weight", "compress", "compress_rows",
    "compress_with_feedback", "compressed_bytes", "quantize_int8", "dequantize_int8",
    "topk_compress", "topk_decompress", "topk_count", "SystemsConfig", "PRESETS", "Profiles",
    "client_times", "make_profiles", "SystemsRounds", "synthetic_fedprox", "Timeline",
]
