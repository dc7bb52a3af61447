import numpy as np


def clip_rows(G, S):
    G = np.asarray(G, dtype=float)
    norms = np.linalg.norm(G, axis=1, keepdims=True)
    return G * np.minimum(1.0, S / np.maximum(norms, 1e-12))  # rows longer than S shrink to S
