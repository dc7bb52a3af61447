"""A tiny two-layer network (one hidden layer) on a flat parameter vector, with manual backprop.

It exists so that "freeze the body, retrain the head" means something: the **body**
(``X -> H = act(X W1 + b1)``) is a learned representation, the **head** is a softmax
regression on ``H``.

Layout of ``w`` (``d`` inputs, ``h`` hidden units, ``k`` classes)::

    w = [ W1 (d, h) row-major | b1 (h,) | W2^T (k, h) row-major | b2 (k,) ]
          \\______________ body ______/   \\____________ head _____________/

The head uses exactly the layout of ``Model("softmax", h, k)``, so ``w[mlp.head_slice]`` *is*
a softmax-regression parameter vector on the hidden features (:meth:`MLP.head_model`).

Loss: mean cross-entropy (log-sum-exp) plus ``(l2 / 2) * (||W1||^2 + ||W2||^2)`` (biases are
not penalised), the same convention as :class:`~fedlearn_edu.core.models.Model`.
The interface (``num_params, init, loss, grad, predict, predict_proba, score``) matches
``Model``, so :func:`fedlearn_edu.core.client.local_sgd` and the transfer code train it unchanged.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from .._validation import MEMORY_BUDGET_BYTES, Choice, Int, Real
from ..core.models import MAX_CLASSES, MAX_FEATURES, Model, _log_softmax

ACTIVATIONS = ("tanh", "relu")
MAX_HIDDEN = 10**5


@dataclass(frozen=True)
class MLP:
    """Two-layer classifier ``softmax(act(X W1 + b1) W2 + b2)``.

    Attributes:
        n_features: ``d`` inputs.
        n_hidden: ``h`` hidden units.
        n_classes: ``k >= 2`` classes (binary tasks use ``k = 2``).
        activation: ``"tanh"`` or ``"relu"``.
        l2: L2 penalty on ``W1`` and ``W2``, >= 0 (finite).

    The sizes are bounded (``CONSTRAINTS``), and the flat vector of ``num_params`` float64
    must fit the 1 GiB memory budget, so a size of ``10**12`` is refused up front.
    """

    n_features: int
    n_hidden: int = 16
    n_classes: int = 2
    activation: str = "tanh"
    l2: float = 0.0

    kind = "mlp"
    task = "classification"
    CONSTRAINTS: ClassVar[dict] = {
        "n_features": Int(1, MAX_FEATURES),
        "n_hidden": Int(1, MAX_HIDDEN),
        "n_classes": Int(2, MAX_CLASSES),
        "activation": Choice(ACTIVATIONS),
        "l2": Real(0.0),
    }

    def __post_init__(self):
        for name, rule in self.CONSTRAINTS.items():  # keep the canonical value (l2 a float)
            object.__setattr__(self, name, rule.check(name, getattr(self, name)))
        if self.num_params * 8 > MEMORY_BUDGET_BYTES:
            raise ValueError(
                f"MLP(n_features={self.n_features}, n_hidden={self.n_hidden}, n_classes="
                f"{self.n_classes}) has {self.num_params} parameters, more than the "
                f"{MEMORY_BUDGET_BYTES // 2**30} GiB memory budget holds; use a smaller "
                "n_features, n_hidden or n_classes")

    # ------------------------------------------------------------------ layout
    @property
    def body_size(self) -> int:
        """Number of body parameters ``d h + h``."""
        return (self.n_features + 1) * self.n_hidden

    @property
    def num_params(self) -> int:
        """Length ``p`` of the flat vector: body ``(d+1) h`` + head ``(h+1) k``."""
        return self.body_size + (self.n_hidden + 1) * self.n_classes

    @property
    def body_slice(self) -> slice:
        return slice(0, self.body_size)

    @property
    def head_slice(self) -> slice:
        return slice(self.body_size, self.num_params)

    def head_model(self) -> Model:
        """The head as a softmax :class:`Model` on ``h`` hidden features (same layout)."""
        return Model("softmax", self.n_hidden, self.n_classes, self.l2)

    def with_classes(self, n_classes: int) -> MLP:
        """Same body shape, a new head for ``n_classes`` classes."""
        return MLP(self.n_features, self.n_hidden, n_classes, self.activation, self.l2)

    def unpack(self, w: np.ndarray):
        """Views ``(W1 (d, h), b1 (h,), W2 (h, k), b2 (k,))`` into ``w: (p,)``."""
        d, h, k = self.n_features, self.n_hidden, self.n_classes
        if w.shape != (self.num_params,):
            raise ValueError(f"w must have shape ({self.num_params},), got {w.shape}")
        W1 = w[: d * h].reshape(d, h)
        b1 = w[d * h : self.body_size]
        W2 = w[self.body_size : self.body_size + k * h].reshape(k, h).T
        b2 = w[self.body_size + k * h :]
        return W1, b1, W2, b2

    def _penalty_mask(self) -> np.ndarray:
        """1 on W1 and W2 entries, 0 on biases."""
        d, h, k = self.n_features, self.n_hidden, self.n_classes
        mask = np.zeros(self.num_params)
        mask[: d * h] = 1.0
        mask[self.body_size : self.body_size + k * h] = 1.0
        return mask

    def init(self, seed: int | None = 0, rng: np.random.Generator | None = None) -> np.ndarray:
        """Random start ``(p,)`` (Glorot-style scale; biases 0). A hidden layer needs a random
        start: with all-zero weights every hidden unit would stay identical."""
        rng = rng if rng is not None else np.random.default_rng(seed)
        d, h, k = self.n_features, self.n_hidden, self.n_classes
        w = np.zeros(self.num_params)
        w[: d * h] = rng.normal(0.0, np.sqrt(1.0 / d), d * h)
        w[self.body_size : self.body_size + k * h] = rng.normal(0.0, np.sqrt(1.0 / h), k * h)
        return w

    # ----------------------------------------------------------------- forward
    def _act(self, a: np.ndarray) -> np.ndarray:
        return np.tanh(a) if self.activation == "tanh" else np.maximum(a, 0.0)

    def _act_grad(self, a: np.ndarray, H: np.ndarray) -> np.ndarray:
        """Derivative of the activation at pre-activation ``a`` (``H = act(a)``)."""
        return 1.0 - H**2 if self.activation == "tanh" else (a > 0).astype(float)

    def features(self, w: np.ndarray, X: np.ndarray) -> np.ndarray:
        """The body's representation ``H = act(X W1 + b1)``, shape ``(n, h)``."""
        W1, b1, _, _ = self.unpack(w)
        return self._act(X @ W1 + b1)

    def decision(self, w: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Logits ``(n, k)``."""
        _, _, W2, b2 = self.unpack(w)
        return self.features(w, X) @ W2 + b2

    def loss(self, w: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
        """Mean cross-entropy over the ``n`` rows of ``X: (n, d)`` plus the L2 penalty."""
        logp = _log_softmax(self.decision(w, X))
        data = -np.mean(logp[np.arange(len(y)), np.asarray(y, dtype=int)])
        return float(data + 0.5 * self.l2 * np.sum(self._penalty_mask() * w**2))

    def grad(self, w: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Gradient of :meth:`loss` by backpropagation, shape ``(p,)``."""
        return self.loss_grad(w, X, y)[1]

    def loss_grad(self, w: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[float, np.ndarray]:
        """``(loss, grad)`` from one forward and one backward pass (what training loops use)."""
        n = X.shape[0]
        y = np.asarray(y, dtype=int)
        W1, b1, W2, b2 = self.unpack(w)
        A = X @ W1 + b1  # (n, h) pre-activations
        H = self._act(A)
        logp = _log_softmax(H @ W2 + b2)  # (n, k)
        pen = self._penalty_mask()
        loss = float(-np.mean(logp[np.arange(n), y]) + 0.5 * self.l2 * np.sum(pen * w**2))
        R = np.exp(logp)  # probabilities
        R[np.arange(n), y] -= 1.0
        R /= n  # dLoss/dlogits
        g = np.empty(self.num_params)
        gW1, gb1, gW2, gb2 = self.unpack(g)  # views into g
        gW2[...] = H.T @ R
        gb2[...] = R.sum(axis=0)
        D = (R @ W2.T) * self._act_grad(A, H)  # (n, h) dLoss/dA
        gW1[...] = X.T @ D
        gb1[...] = D.sum(axis=0)
        return loss, g + self.l2 * pen * w

    def predict_proba(self, w: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Class probabilities ``(n, k)``."""
        return np.exp(_log_softmax(self.decision(w, X)))

    def predict(self, w: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Predicted class labels ``(n,)``."""
        return np.argmax(self.decision(w, X), axis=1)

    def score(self, w: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy in [0, 1]."""
        return float(np.mean(self.predict(w, X) == y))
