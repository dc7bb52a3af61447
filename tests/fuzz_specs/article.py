"""Valid calls of ``fedlearn_edu.article``'s public names (see ``fuzz_specs/__init__.py``)."""

import numpy as np

from fedlearn_edu import article

from . import Spec


def data(n=4, d=3, seed=0):
    X = np.random.default_rng(seed).random((n, d))
    return X, X @ np.array([1.0, -2.0, 0.5]) + 0.1


def train_kw():
    return dict(data=data(), w=np.zeros(3), lr=0.2, steps=3)


SPECS = [
    Spec(article.federated_train, lambda: dict(w=np.zeros(3), num_devices=2, rounds=2,
                                               local_steps=2, lr=0.2, samples_per_device=4,
                                               seed=0)),
    Spec(article.generate_data, lambda: dict(n=4, d=3, w_true=np.ones(3), noise=0.1,
                                             rng=np.random.default_rng(0), seed=None)),
    Spec(article.generate_source_data, lambda: dict(n=4, d=3, rng=None, seed=1)),
    Spec(article.generate_target_data, lambda: dict(n=4, d=3, shift=0.3, rng=None, seed=2)),
    Spec(article.local_train, train_kw),
    Spec(article.mse, lambda: dict(data=data(), w=np.zeros(3))),
    Spec(article.source_train, train_kw),
    Spec(article.target_train, train_kw),
    Spec(article.target_weights, lambda: dict(d=3, shift=0.3)),
    Spec(article.true_weights, lambda: dict(d=3)),
]
