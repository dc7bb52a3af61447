"""What a client does with the global model each round, and checks on given client parts."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import check_choice, check_float, check_int


def check_parts(parts, n: int) -> None:
    """Given parts must be disjoint index arrays into the ``n`` training rows."""
    flat = np.concatenate(parts)
    if flat.min() < 0 or flat.max() >= n or len(np.unique(flat)) != len(flat):
        raise ValueError(f"parts must be disjoint index arrays into the {n} training rows")


@dataclass(frozen=True)
class LocalTraining:
    """What a client does with the global model each round (FedAvg's local SGD)."""

    epochs: int = 5
    batch_size: int = 32
    lr: float = 0.1
    mu: float = 0.0  # FedProx proximal strength
    engine: str = "batched"  # "batched" (all clients in one NumPy kernel) or "loop"

    def __post_init__(self):
        check_int("epochs", self.epochs, 1, 10_000)
        check_int("batch_size", self.batch_size, 1)
        check_float("lr", self.lr, 0.0, low_open=True)
        check_float("mu", self.mu, 0.0)
        check_choice("engine", self.engine, ("batched", "loop"))
