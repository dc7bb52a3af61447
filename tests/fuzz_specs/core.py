"""Valid calls of ``fedlearn_edu.core``'s public names (see ``fuzz_specs/__init__.py``)."""

import numpy as np

from fedlearn_edu import core

from . import Spec

NOT_MEASURED = ("wall_clock", "epsilon")  # NaN by design: no clock / no DP in these runs


def updates(m=7, p=4, seed=0):
    return np.random.default_rng(seed).normal(size=(m, p))


def toy(n=30, d=4, k=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), np.arange(n) % k


def tiny(**kw):
    return core.FedConfig(**{**dict(dataset="iris", num_clients=3, rounds=2, local_epochs=1,
                                    batch_size=16), **kw})


def parts():
    return [np.arange(0, 10), np.arange(10, 18), np.arange(18, 30)]


def stack():
    X, y = toy()
    return dict(zip(("X", "y", "counts"), core.pad_clients(X, y, parts()), strict=True))


SPECS = [
    Spec(core.weighted_average, lambda: dict(updates=updates(), weights=np.arange(1.0, 8.0))),
    Spec(core.coordinate_median, lambda: dict(updates=updates())),
    Spec(core.trimmed_mean, lambda: dict(updates=updates(), f=2)),
    Spec(core.krum, lambda: dict(updates=updates(), f=2)),
    Spec(core.krum_scores, lambda: dict(updates=updates(), f=2)),
    Spec(core.multi_krum, lambda: dict(updates=updates(), f=2, num_selected=3)),
    Spec(core.clip_to_norm, lambda: dict(updates=updates(), max_norm=1.0)),
    Spec(core.norm_clipped_mean, lambda: dict(updates=updates(), max_norm=1.0,
                                              weights=np.ones(7))),
    Spec(core.norm_clip_median, lambda: dict(updates=updates(), weights=np.ones(7))),
    Spec(core.finite_rows, lambda: dict(updates=updates())),
    Spec(core.combine, lambda: dict(updates=updates(), aggregator="median", f=1,
                                    weights=np.ones(7))),
    Spec(core.centralised_baseline, lambda: dict(dataset="iris", test_size=0.25)),
    Spec(core.local_sgd, lambda: dict(
        model=core.Model("softmax", 4, 3), w=np.zeros(15), X=toy()[0], y=toy()[1], epochs=1,
        batch_size=8, lr=0.1, rng=np.random.default_rng(0), mu=0.1, anchor=np.zeros(15),
        exact_prox=False, max_steps=None)),
    Spec(core.pad_clients, lambda: dict(X=toy()[0], y=toy()[1], parts=parts())),
    Spec(core.ClientStack, stack),
    Spec(core.FedConfig, lambda: dict(dataset="iris", num_clients=3, rounds=2, local_epochs=1,
                                      batch_size=16, lr=0.1, client_fraction=1.0, seed=0)),
    Spec(core.Dataset, lambda: dict(name="toy", X_train=toy()[0], y_train=toy()[1],
                                    X_test=toy(9)[0], y_test=toy(9)[1], n_classes=3)),
    Spec(core.label_histogram, lambda: dict(y=toy()[1], parts=parts(), n_classes=3)),
    Spec(core.load_dataset, lambda: dict(name="iris", test_size=0.25, seed=0)),
    Spec(core.partition, lambda: dict(y=toy()[1], num_clients=3, method="dirichlet", alpha=0.5,
                                      shards_per_client=2, rng=None, seed=0)),
    Spec(core.Federation, lambda: dict(config=tiny(), data=None, parts=None)),
    Spec(core.LocalTraining, lambda: dict(epochs=1, batch_size=8, lr=0.1, mu=0.0,
                                          engine="batched")),
    Spec(core.iterate, lambda: dict(config=tiny(), w0=None, fed=None, observe=None),
         nan_ok=NOT_MEASURED),
    Spec(core.run_rounds, lambda: dict(fed=core.Federation(tiny()), rounds=2, w0=np.zeros(15),
                                       server=None, hooks=core.RoundHooks(), observe=None),
         nan_ok=NOT_MEASURED),
    Spec(core.run_history, lambda: dict(config=tiny(), records=core.iterate(tiny()),
                                        callback=None, raise_on_divergence=False),
         nan_ok=NOT_MEASURED),
    Spec(core.Model, lambda: dict(kind="softmax", n_features=4, n_classes=3, l2=0.0)),
    Spec(core.make_model, lambda: dict(kind="softmax", n_features=4, n_classes=3, l2=0.0)),
    Spec(core.FedAvg, lambda: dict(clients_per_round=3, aggregator="mean", aggregator_f=0)),
    Spec(core.FedSGD, lambda: dict(clients_per_round=3, aggregator="median", aggregator_f=1,
                                   lr=0.1)),
    Spec(core.make_strategy, lambda: dict(name="fedavg", clients_per_round=3, lr=0.1,
                                          aggregator="mean", aggregator_f=0)),
]
