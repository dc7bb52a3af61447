import numpy as np


def my_dirichlet_partition(y, num_clients, alpha, rng):
    buckets = [[] for _ in range(num_clients)]  # buckets[i]: index arrays of client i
    for c in np.unique(y):
        idx = rng.permutation(np.flatnonzero(y == c))  # this class's examples, shuffled
        props = rng.dirichlet(alpha * np.ones(num_clients))  # each client's share of class c
        cuts = (np.cumsum(props)[:-1] * len(idx)).astype(int)
        for i, chunk in enumerate(np.split(idx, cuts)):
            buckets[i].append(chunk)
    return [np.sort(np.concatenate(b)) for b in buckets]
