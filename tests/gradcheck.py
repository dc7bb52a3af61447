"""Central finite differences: the independent reference for every analytic gradient."""

import numpy as np


def finite_difference(f, w: np.ndarray, eps: float = 1e-6) -> np.ndarray:
    """``(f(w + eps e_j) - f(w - eps e_j)) / (2 eps)`` for every coordinate ``j``.

    The truncation error is O(eps^2), the rounding error O(machine eps / eps): about 1e-10
    for eps = 1e-6 on well-scaled losses.
    """
    g = np.zeros_like(w)
    for j in range(len(w)):
        e = np.zeros_like(w)
        e[j] = eps
        g[j] = (f(w + e) - f(w - e)) / (2 * eps)
    return g
