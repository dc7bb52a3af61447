"""Automatic source-task (源任务) selection for a target task (目标任务); alpha/beta by validation.

The article names "choosing a suitable source task automatically" as transfer learning's open
problem. Given candidate source models and a *small* labelled target set we compute two cheap
scores and check them against the true transfer gain:

* **fine-tune probe** (:func:`probe_score`): fine-tune the source model for a few GD steps on
  the target train set, score = minus the target *validation* loss. It predicts what
  fine-tuning will give, head included, so it notices a source whose outputs are wrong.
* **LogME** (:func:`logme`, You et al. 2021): the log marginal likelihood (evidence) of a
  Bayesian linear model from the source's frozen features to the one-hot target labels,
  with the prior precision ``alpha`` and noise precision ``beta`` set by maximising it
  (MacKay's fixed-point updates). No training at all; it judges the *representation* only,
  so it predicts feature extraction (new head), and is blind to a wrong head.
* **true gain** (:func:`transfer_gain`): target *test* accuracy after fine-tuning from the
  source minus accuracy of the same training from scratch. Negative = negative transfer.
* :func:`spearman`: rank correlation between a score and the true gain.
* :func:`choose_alpha_beta`: pick the weights of ``alpha f + beta g`` by target validation loss.
"""

from __future__ import annotations

import numpy as np

from .._validation import check_choice, check_int
from ..core.models import Model
from .finetune import fit
from .joint import joint_closed_form, joint_train


# --------------------------------------------------------------------------- LogME
def logme_evidence(F: np.ndarray, t: np.ndarray, alpha: float, beta: float) -> float:
    """Log evidence ``log p(t | F, alpha, beta)`` of ``t = F m + noise`` (no bias term),
    ``m ~ N(0, alpha^-1 I)``, noise ``N(0, beta^-1)``, computed with the SVD of ``F: (n, D)``.

    Equals ``log N(t | 0, F F^T / alpha + I / beta)`` (tested against that direct form).
    """
    n, D = F.shape
    U, s, _ = np.linalg.svd(F, full_matrices=False)
    z = U.T @ t
    s2 = s**2
    x2 = float(t @ t - z @ z)  # part of t outside the span of F
    res2 = float(np.sum((alpha * z / (alpha + beta * s2)) ** 2) + x2)  # ||F m - t||^2
    m2 = float(np.sum((beta * s * z / (alpha + beta * s2)) ** 2))  # ||m||^2
    logdet_A = float(np.sum(np.log(alpha + beta * s2)) + (D - len(s)) * np.log(alpha))
    return (n / 2 * np.log(beta) + D / 2 * np.log(alpha) - n / 2 * np.log(2 * np.pi)
            - beta / 2 * res2 - alpha / 2 * m2 - logdet_A / 2)


def logme_fit(F: np.ndarray, t: np.ndarray, max_iter: int = 100, tol: float = 1e-6):
    """Maximise the evidence over ``(alpha, beta)`` by the fixed-point updates
    ``gamma = sum beta s^2 / (alpha + beta s^2)``, ``alpha = gamma / ||m||^2``,
    ``beta = (n - gamma) / ||F m - t||^2``. Returns ``(evidence, alpha, beta)``."""
    n = F.shape[0]
    U, s, _ = np.linalg.svd(F, full_matrices=False)
    z, s2 = U.T @ t, s**2
    x2 = float(t @ t - z @ z)
    alpha, beta = 1.0, 1.0
    for _ in range(max_iter):
        gamma = float(np.sum(beta * s2 / (alpha + beta * s2)))
        m2 = float(np.sum((beta * s * z / (alpha + beta * s2)) ** 2))
        res2 = float(np.sum((alpha * z / (alpha + beta * s2)) ** 2) + x2)
        new_a = gamma / max(m2, 1e-300)
        new_b = (n - gamma) / max(res2, 1e-300)
        done = abs(new_a - alpha) / alpha < tol and abs(new_b - beta) / beta < tol
        alpha, beta = new_a, new_b
        if done:
            break
    return logme_evidence(F, t, alpha, beta), alpha, beta


def logme(F: np.ndarray, y: np.ndarray, n_classes: int | None = None) -> float:
    """LogME score of features ``F: (n, D)`` for labels ``y: (n,)``: the maximised evidence
    per example, averaged over the one-hot columns. Higher = features more useful."""
    F = np.asarray(F, dtype=float)
    y = np.asarray(y, dtype=int)
    if F.ndim != 2 or y.shape != (F.shape[0],) or F.shape[0] < 2:
        raise ValueError(f"F must be (n, D) and y (n,) with n >= 2, got F {F.shape}, y {y.shape}")
    k = int(y.max()) + 1 if n_classes is None else check_int("n_classes", n_classes, 2)
    n = F.shape[0]
    return float(np.mean([logme_fit(F, (y == c).astype(float))[0] / n for c in range(k)]))


# ------------------------------------------------------------------ ranks and scores
def _ranks(a: np.ndarray) -> np.ndarray:
    """Ranks 1..n with ties sharing their average rank."""
    a = np.asarray(a, dtype=float)
    order = np.argsort(a, kind="stable")
    ranks = np.empty(len(a))
    ranks[order] = np.arange(1, len(a) + 1)
    for v in np.unique(a):
        tie = a == v
        ranks[tie] = ranks[tie].mean()
    return ranks


def rank_desc(values) -> np.ndarray:
    """Ranks with 1 = largest value (ties share their average rank)."""
    return len(values) + 1 - _ranks(values)


def spearman(a, b) -> float:
    """Spearman rank correlation (Pearson correlation of the average ranks)."""
    a, b = np.asarray(a, float), np.asarray(b, float)
    if a.shape != b.shape or a.ndim != 1 or len(a) < 2:
        raise ValueError(f"a and b must be 1-D of equal length >= 2, got {a.shape}, {b.shape}")
    ra, rb = _ranks(a) - (len(a) + 1) / 2, _ranks(b) - (len(b) + 1) / 2
    den = np.sqrt((ra @ ra) * (rb @ rb))
    return float(ra @ rb / den) if den > 0 else float("nan")


def features_of(model, w: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The representation a source model offers: hidden features for an MLP, logits otherwise."""
    return model.features(w, X) if hasattr(model, "features") else model.decision(w, X)


def probe_score(model, w_src, train, val, *, steps: int = 5, lr: float = 0.1) -> float:
    """Minus the target validation loss after ``steps`` GD fine-tuning steps from ``w_src``."""
    w, _ = fit(model, *train, w0=w_src, steps=steps, lr=lr)
    return -model.loss(w, *val)


def transfer_gain(model, w_src, train, test, *, steps: int = 100, lr: float = 0.1,
                  w_scratch=None) -> float:
    """Test accuracy after ``steps`` fine-tuning steps from ``w_src`` minus after the same
    ``steps`` from scratch (``w_scratch``, default ``model.init()``). < 0: negative transfer."""
    w_t, _ = fit(model, *train, w0=w_src, steps=steps, lr=lr)
    w_0, _ = fit(model, *train, w0=w_scratch, steps=steps, lr=lr)
    return model.score(w_t, *test) - model.score(w_0, *test)


def feature_gain(model, w_src, train, test, *, steps: int = 100, lr: float = 0.5) -> float:
    """Gain of feature extraction: a new head (from zero) on the frozen source features vs the
    same head training on scratch features (``model.init()``). What LogME tries to predict."""
    head = model.head_model() if hasattr(model, "head_model") else model
    accs = []
    for w in (w_src, model.init()):
        F_tr, F_te = features_of(model, w, train[0]), features_of(model, w, test[0])
        if head is model:  # convex model: its "features" are its logits, fit a new softmax
            head = Model("softmax", F_tr.shape[1], model.n_classes)
        wh, _ = fit(head, F_tr, train[1], steps=steps, lr=lr)
        accs.append(head.score(wh, F_te, test[1]))
    return accs[0] - accs[1]


def rank_sources(model, sources: dict, train, val, test, *, source_steps: int = 150,
                 source_lr: float = 0.5, probe_steps: int = 5, steps: int = 100,
                 lr: float = 0.1) -> list[dict]:
    """Train every candidate source centrally, score it cheaply, measure its true gain.

    Args:
        sources: ``name -> (X_s, y_s)`` candidate source tasks (same input space).
        train, val, test: the target task's ``(X, y)`` splits (small train, validation for
            the probe, test only for the true gain).

    Returns:
        one dict per source, sorted best probe score first, with keys ``name, probe, logme,
        gain`` (fine-tuning gain), ``gain_fx`` (feature-extraction gain) and
        ``rank_probe, rank_logme, rank_gain`` (rank 1 = best).
    """
    rows = []
    for name, (Xs, ys) in sources.items():
        w_src, _ = fit(model, Xs, ys, steps=source_steps, lr=source_lr)
        rows.append({
            "name": name,
            "probe": probe_score(model, w_src, train, val, steps=probe_steps, lr=lr),
            "logme": logme(features_of(model, w_src, train[0]), train[1], model.n_classes),
            "gain": transfer_gain(model, w_src, train, test, steps=steps, lr=lr),
            "gain_fx": feature_gain(model, w_src, train, test, steps=steps),
        })
    for key in ("probe", "logme", "gain"):
        for row, rk in zip(rows, rank_desc([row[key] for row in rows]), strict=True):
            row["rank_" + key] = float(rk)
    return sorted(rows, key=lambda row: row["rank_probe"])


def choose_alpha_beta(model, source, train, val, *, grid=(0.0, 0.25, 0.5, 0.75, 0.9),
                      steps: int = 200, lr: float = 0.1, solver: str = "auto") -> dict:
    """Pick the source weight of ``alpha f + beta g`` by target validation loss.

    The scale of the objective does not change its minimiser, so we search
    ``alpha = a``, ``beta = 1 - a`` over ``a`` in ``grid`` (``a = 0`` ignores the source).
    ``solver``: ``"gd"`` (``steps`` of :func:`joint_train`, any model), ``"closed_form"``
    (exact, linear model only) or ``"auto"`` (closed form when the model is linear). Note
    that few GD steps from zero also regularise (early stopping), so the two can disagree.

    Returns:
        ``{"alpha", "beta", "grid" (G,), "val_loss" (G,)}`` for the best ``a``.
    """
    grid = np.asarray(grid, dtype=float)
    if grid.ndim != 1 or len(grid) == 0 or np.any((grid < 0) | (grid >= 1)):
        raise ValueError(f"grid must hold values a in [0, 1) (alpha=a, beta=1-a), got {grid}")
    check_choice("solver", solver, ("auto", "gd", "closed_form"))
    exact = solver == "closed_form" or (solver == "auto" and model.kind == "linear")
    if exact and model.kind != "linear":
        raise ValueError(f"solver='closed_form' needs the linear model, got {model.kind!r}")

    def solve(a):
        if exact:
            return joint_closed_form(source, train, a, 1 - a, l2=model.l2)
        return joint_train(model, source, train, a, 1 - a, lr=lr, steps=steps)[0]

    losses = np.array([model.loss(solve(a), *val) for a in grid])
    best = int(np.argmin(losses))
    return {"alpha": float(grid[best]), "beta": float(1 - grid[best]), "grid": grid,
            "val_loss": losses}
