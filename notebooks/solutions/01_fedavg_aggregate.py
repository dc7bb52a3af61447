import numpy as np


def fedavg_aggregate(local_models, n):
    local_models, n = np.asarray(local_models, dtype=float), np.asarray(n, dtype=float)
    return (n[:, None] * local_models).sum(axis=0) / n.sum()  # rows weighted by n_i
