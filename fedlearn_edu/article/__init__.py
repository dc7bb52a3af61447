"""The source article's example functions: fixed under their own names, and the originals.

``article.federated_train(np.zeros(10), 5)`` runs as the article wrote it;
``article.original`` holds the functions exactly as printed (they fail or mislead).
"""

from . import original
from .fixed import (
    federated_train,
    generate_data,
    generate_source_data,
    generate_target_data,
    local_train,
    mse,
    source_train,
    target_train,
    target_weights,
    true_weights,
)

__all__ = [
    "original", "federated_train", "generate_data", "generate_source_data",
    "generate_target_data", "local_train", "mse", "source_train", "target_train",
    "target_weights", "true_weights",
]
