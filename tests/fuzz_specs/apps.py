"""Valid calls of ``fedlearn_edu.apps``'s public names (see ``fuzz_specs/__init__.py``).

Functions that take an :class:`AppData` get a tiny synthetic one (two clients of four
training and two test rows; a ratings table of four users and four movies), so the fuzz run
stays short; the loaders run with their smallest settings on the shipped data (the ``apps``
extra). Array arguments have at most 4 entries along an axis where possible, so that
Hypothesis's arrays (up to 4 per side) can also replace one by an array of the right shape
with extreme entries."""

import numpy as np

from fedlearn_edu import apps
from fedlearn_edu.core.dataset import Dataset
from fedlearn_edu.core.models import Model

from . import Spec

LOGISTIC = Model("logistic", 3, 2)  # p = 4
# NaN by design: AUC of one class, recall without positives, precision without a positive
# prediction (tiny test sets); inf: the epsilon spent without noise (target_epsilon=inf)
UNDEFINED = ("auc", "recall", "precision")


def xy(n=4, d=3, seed=0):
    rng = np.random.default_rng(seed)
    return rng.normal(size=(n, d)), np.arange(n) % 2


def binary_app() -> apps.AppData:
    """Two clients, each with 4 training rows and 2 test rows of both classes, 3 features."""
    X, y = xy(8, 3, 1)
    Xt, yt = xy(4, 3, 2)
    data = Dataset("tiny", X, y, Xt, yt, 2, users=(np.arange(4), np.arange(4, 8)))
    return apps.AppData(data, (np.arange(2), np.arange(2, 4)), ("client 0", "client 1"),
                        ("f0", "f1", "f2"), "synthetic")


def ratings_app() -> apps.AppData:
    """Four users rating four movies: 3 training and 1 test rating each."""
    rng = np.random.default_rng(0)
    tr, te = [], []
    for u in range(4):
        rows = [(u, m, float(rng.integers(1, 11)) / 2) for m in rng.permutation(4)]
        tr += rows[:3]
        te += rows[3:]
    tr, te = np.array(tr), np.array(te)
    data = Dataset("tiny ratings", tr[:, :2], tr[:, 2], te[:, :2], te[:, 2], 1,
                   users=tuple(np.arange(3 * u, 3 * u + 3) for u in range(4)))
    return apps.AppData(data, tuple(np.array([u]) for u in range(4)),
                        tuple(f"user {u}" for u in range(4)), ("user", "movie"), "synthetic")


def mf_model() -> dict:
    return apps.federated_mf(ratings_app(), k=2, lam=1.0, rounds=2, seed=0)["model"]


def app_kw() -> dict:
    app = binary_app()
    return dict(data=app.data, test_users=(np.arange(2), np.arange(2, 4)),
                names=("client 0", "client 1"), feature_names=("f0", "f1", "f2"),
                source="synthetic")


def three_ways_result() -> dict:
    return apps.three_ways(binary_app(), LOGISTIC, rounds=2, local_epochs=1, batch_size=4)


def mf_kw(**extra) -> dict:
    return dict(app=ratings_app(), k=2, lam=1.0, rounds=2, lr=1.0, seed=0,
                exclude=np.array([3]), callback=None, **extra)


SPECS = [
    # loaders: the shipped data at the smallest settings
    Spec(apps.load_hospitals, lambda: dict(num_hospitals=2, alpha=1.0, seed=0)),
    Spec(apps.load_default, lambda: dict(shares=[0.5, 0.5], test_fraction=0.3, seed=0)),
    Spec(apps.load_faces, lambda: dict(num_phones=2, test_fraction=0.3, seed=0)),
    Spec(apps.load_movielens, lambda: dict(min_ratings=200, test_fraction=0.2, seed=0)),
    Spec(apps.load_reviews, lambda: dict(n_features=2, ngram=1, test_fraction=0.3, seed=0)),
    Spec(apps.AppData, app_kw),
    # metrics
    Spec(apps.roc_auc, lambda: dict(y_true=np.array([0, 1, 0, 1]),
                                    scores=np.array([0.1, 0.4, 0.35, 0.8]))),
    # recall / precision are NaN by design without positives (predicted positives); five
    # labels, so that Hypothesis's all-zero arrays (up to 4 long) are refused for their length
    # instead of giving that documented NaN as a bare float (which nan_ok cannot name)
    Spec(apps.recall, lambda: dict(y_true=np.array([0, 1, 0, 1, 1]),
                                   y_pred=np.array([0, 1, 1, 0, 1]))),
    Spec(apps.precision, lambda: dict(y_true=np.array([0, 1, 0, 1, 1]),
                                      y_pred=np.array([0, 1, 1, 0, 1]))),
    Spec(apps.rmse, lambda: dict(y_true=np.array([1.0, 2.0]), y_pred=np.array([1.5, 1.0]))),
    # alone / pooled / federated
    Spec(apps.client_scores, lambda: dict(model=LOGISTIC, w=np.array([0.5, -0.2, 0.1, 0.0]),
                                          X=xy()[0], y=xy()[1]), nan_ok=UNDEFINED),
    Spec(apps.fedavg, lambda: dict(model=LOGISTIC, clients=[xy(4, 3, 1), xy(4, 3, 2)],
                                   rounds=2, local_epochs=1, batch_size=4, lr=0.1, seed=0,
                                   callback=None)),
    Spec(apps.three_ways, lambda: dict(app=binary_app(), model=LOGISTIC, rounds=2,
                                       local_epochs=1, batch_size=4, lr=0.1, seed=0,
                                       parts=None, on="own", callback=None),
         nan_ok=UNDEFINED),
    Spec(apps.summary, lambda: dict(result=three_ways_result(), metric="accuracy"),
         nan_ok=UNDEFINED),
    # patient-level DP-SGD
    Spec(apps.noise_for_epsilon, lambda: dict(target_epsilon=2.0, q=0.25, steps=4,
                                              delta=1e-5)),
    Spec(apps.dp_federated, lambda: dict(app=binary_app(), model=LOGISTIC, target_epsilon=5.0,
                                         rounds=2, local_steps=2, batch_size=2, clip=1.0,
                                         lr=0.5, delta=1e-5, seed=0),
         nan_ok=(*UNDEFINED, "epsilons")),
    # vertical FL
    Spec(apps.vertical_logistic, lambda: dict(X_a=xy(4, 2)[0], X_b=xy(4, 1, 3)[0], y=xy()[1],
                                              steps=3, lr=1.0, l2=0.0)),
    Spec(apps.labels_from_residuals, lambda: dict(residuals=np.array([-0.2, 0.4, 0.1, -0.7]))),
    Spec(apps.joint_scores, lambda: dict(X_a=xy(3, 2)[0], X_b=xy(3, 1, 3)[0],
                                         w_a=np.array([0.5, -1.0]), w_b=np.array([2.0]),
                                         bias=0.5)),
    # recommendation
    Spec(apps.federated_mf, mf_kw),
    Spec(apps.centralised_mf, lambda: mf_kw(method="gd")),
    Spec(apps.predict, lambda: dict(model=mf_model(), X=np.array([[0.0, 1.0], [3.0, 2.0]]))),
    Spec(apps.cold_start_user, lambda: dict(model=mf_model(), movies=np.array([0, 2]),
                                            ratings=np.array([4.0, 3.5]), lam=5.0)),
    # text
    Spec(apps.hash_features, lambda: dict(texts=["Good coffee, good tea", "bad dog food"],
                                          n_features=8, ngram=2)),
]
