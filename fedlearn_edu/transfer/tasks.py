"""Transfer-learning experiments on the article's synthetic tasks, without any UI.

The article's objective ``min_w alpha f(w) + beta g(w)`` (source loss ``f``, target loss
``g``) on its synthetic linear tasks from :mod:`fedlearn_edu.article` (``y = X w_true + noise``,
``X ~ U[0,1)^(n x d)``). Notebook 03, its dashboard (:mod:`.widgets_transfer`) and the tests
call these:

* :func:`article_tasks`: a source task (源任务) and a target task (目标任务); the source is
  ``"related"`` (the article's: truths differ by a small shift), ``"unrelated"`` (an
  independent truth) or ``"opposite"`` (the target's truth negated).
* :func:`gd_curve`: gradient descent on ``alpha f + beta g`` (via
  :func:`fedlearn_edu.transfer.joint_train`) recording the target test error per step.
* :func:`compare_methods`: "target from scratch" (``alpha = 0`` from ``w = 0``), "fine-tune
  from source" (``alpha = 0`` from the source optimum) and "joint" (``alpha f + beta g``).
* :func:`slice_landscape`: ``alpha f + beta g`` on a 2-D slice through a point.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .. import article
from .._validation import check_choice, check_float, check_int
from ..core.models import Model
from ._checks import MAX_STEPS, check_pair
from .joint import check_weights, descend, joint_closed_form, joint_train

__all__ = ["TransferTasks", "article_tasks", "lipschitz_lr", "gd_curve", "compare_methods",
           "slice_landscape", "RELATIONS", "METHODS"]

RELATIONS = ("related", "unrelated", "opposite")
METHODS = ("scratch", "finetune", "joint")  # the keys of compare_methods' results
UNRELATED_SEED = 11  # the independent truth of the "unrelated" source


@dataclass(frozen=True)
class TransferTasks:
    """Source data, a pool of target data (use the first ``n``), a target test set.

    Attributes:
        source: ``(X (n_source, d), y)``; target: the first ``n_target`` pool rows;
        pool: ``(X (n_pool, d), y)``; test: ``(X (n_test, d), y)`` from the target truth;
        w_source, w_target: the hidden truths ``(d,)`` (no bias).
    """

    source: tuple
    target: tuple
    pool: tuple
    test: tuple
    w_source: np.ndarray
    w_target: np.ndarray
    relation: str

    @property
    def model(self) -> Model:
        return Model("linear", self.source[0].shape[1], 1)

    def with_n_target(self, n: int) -> TransferTasks:
        n = check_int("n_target", n, 1, len(self.pool[1]))
        return TransferTasks(self.source, (self.pool[0][:n], self.pool[1][:n]), self.pool,
                             self.test, self.w_source, self.w_target, self.relation)


def article_tasks(n_target: int = 10, relation: str = "related", seed: int = 0, *, d: int = 10,
                  n_source: int = 100, n_pool: int = 200, n_test: int = 1000) -> TransferTasks:
    """The article's source/target pair (``seed.generate_source_data`` / ``target_weights``).

    ``relation``: ``"related"`` (source truth :func:`seed.true_weights`, the target's is
    shifted by 0.3 in a fixed direction), ``"unrelated"`` (an independent normal truth) or
    ``"opposite"`` (minus the target truth). ``seed`` changes the samples, not the truths.
    """
    check_choice("relation", relation, RELATIONS)
    seed = check_int("seed", seed, 0)
    n_pool = check_int("n_pool", n_pool, 1)
    w_target = article.target_weights(d)
    w_source = {"related": article.true_weights(d),
                "unrelated": np.random.default_rng(UNRELATED_SEED).normal(size=d),
                "opposite": -w_target}[relation]
    ss = np.random.SeedSequence(seed).spawn(3)
    source = article.generate_data(n_source, d, w_true=w_source, rng=np.random.default_rng(ss[0]))
    pool = article.generate_data(n_pool, d, w_true=w_target, rng=np.random.default_rng(ss[1]))
    test = article.generate_data(n_test, d, w_true=w_target, rng=np.random.default_rng(ss[2]))
    return TransferTasks(source, pool, pool, test, w_source, w_target,
                         relation).with_n_target(n_target)


def lipschitz_lr(source, target, alpha: float, beta: float) -> float:
    """``1 / L`` with ``L`` the largest curvature of ``alpha f + beta g`` (linear model, MSE):
    the largest eigenvalue of ``2 alpha/n_s A_s^T A_s + 2 beta/n_t A_t^T A_t``, ``A = [X, 1]``.
    Gradient descent with this step size never diverges on a quadratic."""
    alpha, beta = check_weights(alpha, beta)
    H = 0.0
    for weight, (X, _) in ((alpha, source), (beta, target)):
        A = np.column_stack([X, np.ones(len(X))])
        H = H + 2 * weight / len(X) * A.T @ A
    return float(1.0 / np.linalg.eigvalsh(H)[-1])


def gd_curve(model: Model, source, target, alpha, beta, *, test, w0=None, lr=None,
             steps: int = 200) -> tuple[np.ndarray, np.ndarray]:
    """Gradient descent on ``alpha f + beta g`` (the loop of :func:`joint_train`), recording
    every iterate.

    Returns:
        ``(errors, path)``: target test MSE at each iterate ``(steps + 1,)`` (index 0 = start)
        and the iterates ``(steps + 1, p)``. The last iterate equals
        ``joint_train(..., steps=steps)`` exactly (same arithmetic).
    """
    steps = check_int("steps", steps, 0, MAX_STEPS)
    alpha, beta = check_weights(alpha, beta)
    source, target = check_pair(model, "source", source), check_pair(model, "target", target)
    lr = lipschitz_lr(source, target, alpha, beta) if lr is None else check_float(
        "lr", lr, 0.0, low_open=True)
    w = model.init() if w0 is None else np.array(w0, dtype=float, copy=True)
    path = np.empty((steps + 1, model.num_params))
    path[0] = w
    descend(model, source, target, alpha, beta, w, lr, steps, path)
    errors = np.array([model.loss(p, *test) for p in path])
    return errors, path


def compare_methods(tasks: TransferTasks, alpha: float = 1.0, beta: float = 1.0,
                    steps: int = 200, *, curves: bool = False) -> dict:
    """Train the three ways on ``tasks`` with the same step budget.

    Returns a dict with ``errors[method]`` (final target test MSE), ``w[method]``,
    ``w_source`` (source optimum), ``closed_form`` (exact joint minimiser) and its
    ``closed_form_error``; with ``curves=True`` also ``curves[method]`` and ``paths[method]``
    (per-step errors and iterates, see :func:`gd_curve`).
    """
    m, src, tgt, test = tasks.model, tasks.source, tasks.target, tasks.test
    w_src = joint_closed_form(src, tgt, 1.0, 0.0)  # the source task trained to the optimum
    runs = {"scratch": (0.0, 1.0, None), "finetune": (0.0, 1.0, w_src),
            "joint": (alpha, beta, None)}
    out = {"errors": {}, "w": {}, "curves": {}, "paths": {}, "w_source": w_src}
    for name, (a, b, w0) in runs.items():
        if curves:
            errs, path = gd_curve(m, src, tgt, a, b, test=test, w0=w0, steps=steps)
            out["curves"][name], out["paths"][name] = errs, path
            out["w"][name] = path[-1]
        else:
            out["w"][name] = joint_train(m, src, tgt, a, b, w0=w0, steps=steps,
                                         lr=lipschitz_lr(src, tgt, a, b))[0]
        out["errors"][name] = m.loss(out["w"][name], *test)
    out["closed_form"] = joint_closed_form(src, tgt, alpha, beta)
    out["closed_form_error"] = m.loss(out["closed_form"], *test)
    return out


def slice_landscape(source, target, alpha, beta, center: np.ndarray, x: np.ndarray,
                    y: np.ndarray, i: int = 0, j: int = 1) -> np.ndarray:
    """``alpha f + beta g`` (linear model, MSE) at ``center`` with parameters ``i, j`` set to
    every grid value: returns ``J: (len(y), len(x))`` with ``J[b, a]`` at ``(x[a], y[b])``.

    Through the joint minimiser, the slice's minimum is that minimiser (a convex quadratic
    restricted to a plane through its minimum is smallest there).
    """
    alpha, beta = check_weights(alpha, beta)
    center = np.asarray(center, dtype=float)
    dx = np.asarray(x, dtype=float)[None, :, None] - center[i]
    dy = np.asarray(y, dtype=float)[:, None, None] - center[j]
    J = 0.0
    for weight, (X, t) in ((alpha, source), (beta, target)):
        if weight == 0:
            continue
        r0 = X @ center[:-1] + center[-1] - t  # residual at the centre, (n,)
        R = r0[None, None, :] + dx * X[:, i] + dy * X[:, j]  # (len(y), len(x), n)
        J = J + weight * np.mean(R**2, axis=-1)
    return J
