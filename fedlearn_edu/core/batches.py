"""Mini-batch bookkeeping shared by both local-SGD implementations."""

from __future__ import annotations

import numpy as np


def steps_per_epoch(n: int | np.ndarray, batch_size: int) -> int | np.ndarray:
    """Number of mini-batches in one pass over ``n`` examples: ``ceil(n / batch_size)``."""
    return -(-n // batch_size)


def epoch_orders(rng: np.random.Generator, n: int, epochs: int) -> np.ndarray:
    """``(epochs, n)``: row ``e`` is the order in which a client visits its ``n`` examples in
    epoch ``e``, an independent uniform permutation per epoch."""
    orders = np.empty((epochs, n), dtype=np.intp)
    orders[:] = np.arange(n)
    return rng.permuted(orders, axis=1, out=orders)
