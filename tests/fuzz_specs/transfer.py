"""Valid calls of ``fedlearn_edu.transfer``'s public names (see ``fuzz_specs/__init__.py``).

Shapes are kept at most 4 along an axis where possible, so that Hypothesis's arrays (up to
4 per side) can also replace an argument by one of the right shape with extreme entries."""

import numpy as np

from fedlearn_edu import transfer
from fedlearn_edu.core.models import Model

from . import Spec


def xy(n=4, d=3, k=2, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), np.arange(n) % k


def clients():
    return transfer.split_clients(*xy(12, 2, 2, 1), [np.arange(6), np.arange(6, 12)], seed=0)


LOGISTIC = Model("logistic", 3, 2)  # p = 4
LINEAR = Model("linear", 2)  # p = 3
MLP = transfer.MLP(3, 2, 2)  # p = 14


def fit_kw():
    X, y = xy()
    return dict(model=LOGISTIC, X=X, y=y, w0=np.zeros(4), steps=3, lr=0.1,
                trainable=np.ones(4, bool), l2sp=0.1, w_src=np.zeros(4), shared=np.ones(4, bool))


def reg(n, seed):
    X = np.random.default_rng(seed).normal(size=(n, 2))
    return X, X @ np.array([1.0, -1.0]) + 0.5


def rank_kw():
    X, y = xy(8, 2, 2, 3)
    return dict(model=Model("softmax", 2, 2), sources={"same": (X, y), "flipped": (X, 1 - y)},
                train=xy(4, 2, 2, 4), val=xy(4, 2, 2, 5), test=xy(4, 2, 2, 6), source_steps=3,
                source_lr=0.5, probe_steps=2, steps=3, lr=0.1)


SPECS = [
    Spec(transfer.fit, fit_kw),
    Spec(transfer.finetune, lambda: dict(model=LOGISTIC, w_src=np.zeros(4), X=xy()[0],
                                         y=xy()[1], steps=3, lr=0.1, params="all", l2sp=0.1)),
    Spec(transfer.feature_extraction, lambda: dict(
        model=MLP, w_src=MLP.init(), X=xy()[0], y=np.arange(4) % 3, n_classes=3, steps=3,
        lr=0.5, l2=0.01)),
    Spec(transfer.joint_closed_form, lambda: dict(source=reg(4, 1), target=reg(3, 2),
                                                  alpha=1.0, beta=0.5, l2=0.1)),
    Spec(transfer.joint_loss, lambda: dict(model=LINEAR, w=np.zeros(3), source=reg(4, 1),
                                           target=reg(3, 2), alpha=1.0, beta=0.5)),
    Spec(transfer.joint_train, lambda: dict(model=LINEAR, source=reg(4, 1), target=reg(3, 2),
                                            alpha=1.0, beta=0.5, w0=np.zeros(3), lr=0.1,
                                            steps=3)),
    Spec(transfer.MLP, lambda: dict(n_features=3, n_hidden=2, n_classes=2, activation="tanh",
                                    l2=0.0)),
    Spec(transfer.ClientData, lambda: dict(X_train=xy()[0], y_train=xy()[1],
                                           X_test=xy(2)[0], y_test=xy(2)[1])),
    Spec(transfer.personalize, lambda: dict(
        method="finetune", model=transfer.MLP(2, 2, 2), clients=clients(), rounds=2,
        local_epochs=1, batch_size=4, lr=0.1, finetune_steps=2, finetune_lr=0.1, lam=1.0,
        w0=None, seed=0)),
    Spec(transfer.split_clients, lambda: dict(X=xy(6, 2)[0], y=xy(6, 2)[1],
                                              parts=[np.arange(3), np.arange(3, 6)],
                                              test_fraction=0.3, seed=0)),
    Spec(transfer.logme, lambda: dict(F=xy(6, 3)[0], y=np.arange(6) % 3, n_classes=3)),
    Spec(transfer.logme_evidence, lambda: dict(F=xy(4, 3)[0], t=np.array([1.0, 0, 0, 1]),
                                               alpha=1.0, beta=2.0)),
    Spec(transfer.logme_fit, lambda: dict(F=xy(4, 3)[0], t=np.array([1.0, 0, 0, 1]),
                                          max_iter=20, tol=1e-6)),
    Spec(transfer.rank_sources, rank_kw),
    Spec(transfer.spearman, lambda: dict(a=np.array([1.0, 3.0, 2.0, 4.0]),
                                         b=np.array([0.5, 0.1, 0.7, 0.9]))),
]
