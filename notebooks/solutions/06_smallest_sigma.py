import math

from fedlearn_edu.privacy.accountant import epsilon


def smallest_sigma(target_eps, q, rounds, delta, lo=0.3, hi=20.0):
    """The smallest sigma, rounded up to 0.01, with epsilon(q, sigma, rounds, delta) <= target."""
    while hi - lo > 1e-3:  # invariant: epsilon(hi) <= target < epsilon(lo)
        mid = (lo + hi) / 2
        if epsilon(q, mid, rounds, delta) <= target_eps:
            hi = mid
        else:
            lo = mid
    return math.ceil(hi * 100) / 100
