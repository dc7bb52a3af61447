"""Linear, logistic and softmax regression on flat float64 parameter vectors.

Every model stores its parameters as one flat vector ``w`` of length ``num_params``
so that clients, servers, privacy and compression code can treat a model as "a vector".

Layouts (``d`` features, ``k`` classes):

* ``linear``   ``w = [coef (d,), bias]``              loss: mean squared error
* ``logistic`` ``w = [coef (d,), bias]``              loss: mean binary cross-entropy, y in {0, 1}
* ``softmax``  ``w = [W^T (k, d) row-major, b (k,)]`` loss: mean cross-entropy (log-sum-exp)

(softmax weights are stored class-major, one row of ``d`` weights per class, because
that makes the batched kernels reduce over contiguous memory; :meth:`Model.unpack`
still hands out the familiar ``(d, k)`` view.)

Optional L2 penalty ``(l2 / 2) * ||coef||^2`` on the weights (never the bias).

Two code paths:

* ``loss / grad / predict`` take one parameter vector ``w: (p,)`` and ``X: (n, d)``.
  They are the readable reference.
* ``grad_batched`` takes a stack ``W: (m, p)`` for ``m`` clients, ``X: (m, b, d)``,
  ``y: (m, b)`` and a boolean ``mask: (m, b)`` for padded rows, and returns each
  client's mean gradient ``(m, p)`` (FedSGD's full-batch client gradients). Local SGD
  has its own fused kernel in :mod:`fedlearn_edu.core.client`.
* ``predict_and_losses`` gives predictions and per-example losses from one product;
  ``loss``, ``evaluate`` and the engine's per-round evaluation use it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import Choice, Int, Real, check_choice, check_float, check_int, validated

MODEL_NAMES = ("linear", "logistic", "softmax")
MAX_FEATURES, MAX_CLASSES = 10**6, 10**5


def _log_softmax(z: np.ndarray) -> np.ndarray:
    """Numerically stable log-softmax along the last axis."""
    z = z - z.max(axis=-1, keepdims=True)
    return z - np.log(np.exp(z).sum(axis=-1, keepdims=True))


def _sigmoid(z: np.ndarray) -> np.ndarray:
    """Stable logistic function (no overflow for large |z|)."""
    out = np.empty_like(z)
    pos = z >= 0
    out[pos] = 1.0 / (1.0 + np.exp(-z[pos]))
    ez = np.exp(z[~pos])
    out[~pos] = ez / (1.0 + ez)
    return out


@dataclass(frozen=True)
class Model:
    """A generalised linear model acting on flat parameter vectors.

    Attributes:
        kind: ``"linear"``, ``"logistic"`` or ``"softmax"``.
        n_features: ``d``, the input dimension.
        n_classes: ``k``; 1 for ``linear``, 2 for ``logistic``.
        l2: L2 penalty strength on the weights (not the bias), >= 0.
    """

    kind: str
    n_features: int
    n_classes: int = 1
    l2: float = 0.0

    def __post_init__(self):
        check_choice("kind", self.kind, MODEL_NAMES)
        check_int("n_features", self.n_features, 1, MAX_FEATURES)
        check_int("n_classes", self.n_classes, 1, MAX_CLASSES)
        if self.kind == "softmax" and self.n_classes < 2:
            raise ValueError(f"softmax needs n_classes >= 2, got {self.n_classes}")
        check_float("l2", self.l2, 0.0)

    # ------------------------------------------------------------------ layout
    @property
    def num_params(self) -> int:
        """Length ``p`` of the flat parameter vector."""
        if self.kind == "softmax":
            return (self.n_features + 1) * self.n_classes
        return self.n_features + 1

    @property
    def task(self) -> str:
        """``"regression"`` or ``"classification"``."""
        return "regression" if self.kind == "linear" else "classification"

    def init(self) -> np.ndarray:
        """Zero parameters ``(p,)``: a convex model needs no random start."""
        return np.zeros(self.num_params)

    def unpack(self, w: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Split ``w`` (or a stack ``W: (m, p)``) into weights and bias views.

        Returns ``(coef, bias)`` with shapes ``(..., d)`` and ``(...,)`` for linear/logistic,
        ``(..., d, k)`` and ``(..., k)`` for softmax.
        """
        d, k = self.n_features, self.n_classes
        lead = w.shape[:-1]
        if self.kind == "softmax":
            return w[..., : d * k].reshape(*lead, k, d).swapaxes(-1, -2), w[..., d * k :]
        return w[..., :d], w[..., d]

    def _penalty_mask(self) -> np.ndarray:
        """1 on weights, 0 on bias entries: which coordinates L2 applies to."""
        mask = np.ones(self.num_params)
        if self.kind == "softmax":
            mask[self.n_features * self.n_classes :] = 0.0
        else:
            mask[-1] = 0.0
        return mask

    # ------------------------------------------------------------- reference
    def decision(self, w: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Raw scores: ``(n,)`` for linear/logistic, logits ``(n, k)`` for softmax."""
        coef, bias = self.unpack(w)
        return X @ coef + bias

    def loss(self, w: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
        """Mean loss over the ``n`` rows of ``X: (n, d)`` plus the L2 penalty."""
        return float(self.predict_and_losses(w, X, y)[1].mean() + self.penalty(w))

    def penalty(self, w: np.ndarray) -> float:
        """The L2 term ``(l2 / 2) * ||coef||^2`` of the loss (0 when ``l2 == 0``)."""
        if self.l2 == 0.0:
            return 0.0
        coef, _ = self.unpack(w)
        return float(0.5 * self.l2 * np.sum(coef**2))

    def predict_and_losses(
        self, w: np.ndarray, X: np.ndarray, y: np.ndarray, *, n_predict: int | None = None
    ) -> tuple[np.ndarray, np.ndarray]:
        """Predictions and per-example data losses ``(n,)`` (no L2) from one pass over ``X``.

        Squared error for ``linear``, binary cross-entropy for ``logistic``,
        ``logsumexp(z) - z_y`` for ``softmax``. Predictions cover the first ``n_predict``
        rows (default: all), e.g. the test rows of a stacked ``[X_test; X_train]``.
        """
        rows = slice(None) if n_predict is None else slice(0, n_predict)
        if self.kind != "softmax":
            z = self.decision(w, X)
            if self.kind == "linear":
                return z[rows], (z - y) ** 2
            # log(1 + e^z) - y z, written stably
            return (z[rows] > 0).astype(int), np.logaddexp(0.0, z) - y * z
        # class-major logits (k, n): the reductions over classes then run along rows
        d, k, n = self.n_features, self.n_classes, X.shape[0]
        zT = w[: d * k].reshape(k, d) @ X.T
        zT += w[d * k :, None]
        zT -= zT.max(axis=0)  # shifted logits: same argmax, same logsumexp(z) - z_y
        pred = zT[:, rows].argmax(axis=0)
        true = zT.reshape(-1).take(np.asarray(y, dtype=np.intp) * n + np.arange(n))
        np.exp(zT, out=zT)
        lse = np.log(np.ones((1, k), dtype=zT.dtype) @ zT)[0]  # class sum as a product
        return pred, lse - true

    def grad(self, w: np.ndarray, X: np.ndarray, y: np.ndarray) -> np.ndarray:
        """Gradient of :meth:`loss` with respect to ``w``, shape ``(p,)``."""
        n = X.shape[0]
        z = self.decision(w, X)
        if self.kind == "linear":
            r = 2.0 * (z - y) / n
        elif self.kind == "logistic":
            r = (_sigmoid(z) - y) / n
        else:
            r = np.exp(_log_softmax(z))
            r[np.arange(n), y.astype(int)] -= 1.0
            r /= n
        g = np.empty_like(w, dtype=w.dtype if w.dtype.kind == "f" else float)  # keeps float32
        g_coef, g_bias = self.unpack(g)  # views into g
        g_coef[...] = X.T @ r
        g_bias[...] = r.sum(axis=0)
        return g + (self.l2 * self._penalty_mask()).astype(g.dtype) * w if self.l2 else g

    def predict(self, w: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Predicted values (regression) or class labels (classification), ``(n,)``."""
        return self._predict_from_scores(self.decision(w, X))

    def _predict_from_scores(self, z: np.ndarray) -> np.ndarray:
        if self.kind == "linear":
            return z
        if self.kind == "logistic":
            return (z > 0).astype(int)
        return np.argmax(z, axis=1)

    def predict_proba(self, w: np.ndarray, X: np.ndarray) -> np.ndarray:
        """Class probabilities ``(n, k)`` (classification models only)."""
        z = self.decision(w, X)
        if self.kind == "logistic":
            p1 = _sigmoid(z)
            return np.stack([1.0 - p1, p1], axis=1)
        if self.kind == "softmax":
            return np.exp(_log_softmax(z))
        raise ValueError("predict_proba needs a classification model, got 'linear'")

    def score(self, w: np.ndarray, X: np.ndarray, y: np.ndarray) -> float:
        """Accuracy for classifiers; R^2 (coefficient of determination) for ``linear``."""
        return self.score_predictions(self.predict(w, X), y)

    def score_predictions(self, pred: np.ndarray, y: np.ndarray) -> float:
        """Accuracy of labels ``pred``, or R^2 of values ``pred`` for ``linear``."""
        if self.kind == "linear":
            ss_res = np.sum((y - pred) ** 2)
            ss_tot = np.sum((y - np.mean(y)) ** 2)
            return float(1.0 - ss_res / ss_tot) if ss_tot > 0 else 0.0
        return float(np.mean(pred == y))

    def evaluate(self, w: np.ndarray, X: np.ndarray, y: np.ndarray) -> tuple[float, float]:
        """``(score(w, X, y), loss(w, X, y))`` from one pass over ``X``."""
        pred, losses = self.predict_and_losses(w, X, y)
        return self.score_predictions(pred, y), float(losses.mean() + self.penalty(w))

    # --------------------------------------------------------------- batched
    def grad_batched(
        self,
        W: np.ndarray,
        X: np.ndarray,
        y: np.ndarray,
        mask: np.ndarray,
    ) -> np.ndarray:
        """Per-client mean gradients for a stack of clients.

        Args:
            W: ``(m, p)`` one parameter vector per client.
            X: ``(m, b, d)`` padded mini-batches.
            y: ``(m, b)`` labels (padding rows are ignored).
            mask: ``(m, b)`` True for real rows.

        Returns:
            ``(m, p)``; a client whose batch is empty gets a zero data gradient
            (and only its L2 term).
        """
        m = W.shape[0]
        # per-row weight 1/count_i on real rows, 0 on padding: gives each client's mean
        scale = mask / np.maximum(mask.sum(axis=1, keepdims=True), 1)  # (m, b)
        coef, bias = self.unpack(W)
        G = np.empty_like(W)
        if self.kind == "softmax":
            k, d = self.n_classes, self.n_features
            coef_kd = W[:, : d * k].reshape(m, k, d)
            XT = X.transpose(0, 2, 1)
            z = np.matmul(coef_kd, XT)  # (m, k, b) logits, class-major
            z += bias[:, :, None]
            # Softmax is shift-invariant. Shifting every example by its max logit costs two
            # passes, so it is done only when exp could overflow (a logit > 700) or when
            # some example's exp-sum underflowed to 0 (all its logits < -745).
            shifted = z.max() > 700.0
            if shifted:
                z -= z.max(axis=1, keepdims=True)
            np.exp(z, out=z)
            total = z.sum(axis=1, keepdims=True)
            if not total.all():  # rare: recompute the logits and shift them
                z = np.matmul(coef_kd, XT) + bias[:, :, None]
                z -= z.max(axis=1, keepdims=True)
                np.exp(z, out=z)
                total = z.sum(axis=1, keepdims=True)
            z *= scale[:, None, :] / total  # softmax, weighted by 1/batch size
            rows, cols = np.arange(m)[:, None], np.arange(y.shape[1])[None, :]
            z[rows, y.astype(np.intp, copy=False), cols] -= scale  # minus weighted one-hot
            G[:, : d * k] = np.matmul(z, X).reshape(m, -1)
            G[:, d * k :] = z.sum(axis=2)
        else:
            z = np.matmul(X, coef[..., None])[..., 0] + bias[:, None]  # (m, b)
            r = 2.0 * (z - y) if self.kind == "linear" else _sigmoid(z) - y
            r *= scale
            G[:, :-1] = np.matmul(r[:, None, :], X)[:, 0, :]
            G[:, -1] = r.sum(axis=1)
        if self.l2 == 0.0:
            return G
        return G + self.l2 * self._penalty_mask() * W


@validated(kind=Choice(MODEL_NAMES), n_features=Int(1, MAX_FEATURES),
           n_classes=Int(1, MAX_CLASSES), l2=Real(0.0))
def make_model(kind: str, n_features: int, n_classes: int, l2: float = 0.0) -> Model:
    """Build a :class:`Model`, checking that ``kind`` fits the number of classes.

    ``logistic`` needs exactly 2 classes; ``linear`` is for regression targets
    (``n_classes == 1``); ``softmax`` needs ``n_classes >= 2``.
    """
    if kind == "logistic" and n_classes != 2:
        raise ValueError(
            f"model='logistic' needs a binary task (2 classes), got {n_classes} classes; "
            "use model='softmax' for multi-class data"
        )
    if kind == "linear" and n_classes != 1:
        raise ValueError(
            f"model='linear' needs a regression dataset, got a {n_classes}-class task; "
            "use 'softmax' or 'logistic'"
        )
    if kind != "linear" and n_classes == 1:
        raise ValueError(f"model={kind!r} needs a classification dataset; use model='linear'")
    return Model(kind, n_features, max(n_classes, 1), l2)
