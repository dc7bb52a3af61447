import numpy as np


def my_update_cosine(updates, weights):
    U = np.asarray(updates, dtype=float)
    p = np.asarray(weights, dtype=float)
    unit = U / np.linalg.norm(U, axis=1, keepdims=True)  # every update scaled to length 1
    cos = unit @ unit.T  # cos[i, j] = cos(Δ_i, Δ_j)
    pair = np.outer(p, p)  # weight p_i p_j of pair (i, j) ...
    np.fill_diagonal(pair, 0.0)  # ... and none for a client with itself
    return (pair * cos).sum() / pair.sum()
