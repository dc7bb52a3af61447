"""Automatic source-task (源任务) selection for a target task (目标任务); alpha/beta by validation.

The article names "choosing a suitable source task automatically" as transfer learning's open
problem. Given candidate source models and a *small* labelled target set we compute two cheap
scores and check them against the true transfer gain:

* **fine-tune probe** (:func:`probe_score`): fine-tune the source model for a few GD steps on
  the target train set, score = minus the target *validation* loss. It predicts what
  fine-tuning will give, head included, so it notices a source whose outputs are wrong.
* **LogME** (:func:`~fedlearn_edu.transfer.logme.logme`, You et al. 2021): the log marginal
  likelihood (evidence) of a Bayesian linear model from the source's frozen features to the
  one-hot target labels, with the prior precision ``alpha`` and noise precision ``beta`` set
  by maximising it (MacKay's fixed-point updates). No training at all; it judges the
  *representation* only, so it predicts feature extraction (new head), and is blind to a
  wrong head.
* **true gain** (:func:`transfer_gain`): target *test* accuracy after fine-tuning from the
  source minus accuracy of the same training from scratch. Negative = negative transfer.
* :func:`spearman`: rank correlation between a score and the true gain.
* :func:`choose_alpha_beta`: pick the weights of ``alpha f + beta g`` by target validation loss.
"""

from __future__ import annotations

import numpy as np

from .._validation import Array, Duck, Mapping, Pair, check_choice, validated
from ..core.loop import DivergenceError
from ..core.models import Model
from ._checks import LR, STEPS, check_pair, check_work
from .finetune import fit
from .joint import joint_closed_form, joint_train
from .logme import logme, logme_evidence, logme_fit  # noqa: F401 - handed on: their old home

CLASSIFIER = Duck(("init", "grad", "loss", "num_params", "n_features", "n_classes", "score"),
                  "classifier")


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


@validated(a=Array(ndim=1, min_len=2), b=Array(ndim=1, min_len=2))
def spearman(a, b) -> float:
    """Spearman rank correlation (Pearson correlation of the average ranks), in [-1, 1].

    ``a``, ``b``: 1-D, finite, of equal length >= 2 (ties share their average rank, as in
    ``scipy.stats.spearmanr``).

    Raises:
        ValueError: ``a`` or ``b`` is constant: every value ties, the correlation is 0/0
            (undefined; ``scipy`` returns NaN).
    """
    if len(a) != len(b):
        raise ValueError(f"a and b must be 1-D of equal length >= 2, got {a.shape}, {b.shape}")
    ra, rb = _ranks(a) - (len(a) + 1) / 2, _ranks(b) - (len(b) + 1) / 2
    for name, r in (("a", ra), ("b", rb)):
        if not np.any(r):
            raise ValueError(f"{name} is constant (all {len(r)} values tie): the rank "
                             "correlation is undefined")
    return float(np.clip(ra @ rb / np.sqrt((ra @ ra) * (rb @ rb)), -1.0, 1.0))


def features_of(model, w: np.ndarray, X: np.ndarray) -> np.ndarray:
    """The representation a source model offers: hidden features for an MLP, logits otherwise."""
    return model.features(w, X) if hasattr(model, "features") else model.decision(w, X)


def probe_score(model, w_src, train, val, *, steps: int = 5, lr: float = 0.1) -> float:
    """Minus the target validation loss after ``steps`` GD fine-tuning steps from ``w_src``.

    Raises ``DivergenceError`` when the fine-tuned model's validation loss is not finite."""
    w, _ = fit(model, *train, w0=w_src, steps=steps, lr=lr)
    with np.errstate(over="ignore", invalid="ignore"):
        loss = model.loss(w, *val)
    if not np.isfinite(loss):
        raise DivergenceError(f"the probe's validation loss is {loss} after {steps} steps: "
                              f"lower lr={lr:g}")
    return -loss


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


def _features(model, w, X) -> np.ndarray:
    """:func:`features_of`, refusing features that overflowed (huge inputs or weights)."""
    with np.errstate(over="ignore", invalid="ignore"):
        F = features_of(model, w, X)
    if not np.isfinite(F).all():
        raise ValueError(f"the source features of train[0] are not finite: train (max |X| = "
                         f"{np.max(np.abs(X)):.3g}) or the source model (max |w| = "
                         f"{np.max(np.abs(w)):.3g}) is too large; rescale train or lower "
                         "source_lr")
    return F


def _stage(what: str, names: str, call):
    """Run ``call()``; a diverged training is re-raised naming the settings of this stage."""
    try:
        return call()
    except DivergenceError as err:
        raise DivergenceError(f"{what} diverged: lower {names} ({err})") from None


@validated(model=CLASSIFIER, sources=Mapping(Pair("real")), train=Pair("real"),
           val=Pair("real"), test=Pair("real"), source_steps=STEPS, source_lr=LR,
           probe_steps=STEPS, steps=STEPS, lr=LR)
def rank_sources(model, sources: dict, train, val, test, *, source_steps: int = 150,
                 source_lr: float = 0.5, probe_steps: int = 5, steps: int = 100,
                 lr: float = 0.1) -> list[dict]:
    """Train every candidate source centrally, score it cheaply, measure its true gain.

    Args:
        model: a classifier (``Model`` or ``MLP``) with ``n_classes >= 2``.
        sources: ``name -> (X_s, y_s)`` candidate source tasks (same input space).
        train, val, test: the target task's ``(X, y)`` splits (small train, validation for
            the probe, test only for the true gain); labels in ``[0, n_classes - 1]``.
        source_steps, source_lr: GD on each source; probe_steps, steps, lr: on the target
            (each ``lr`` finite > 0; ``len(sources) * (source_steps + probe_steps + 4 steps)
            <= 50000`` gradient steps in all).

    Returns:
        one dict per source, sorted best probe score first, with keys ``name, probe, logme,
        gain`` (fine-tuning gain), ``gain_fx`` (feature-extraction gain) and
        ``rank_probe, rank_logme, rank_gain`` (rank 1 = best).

    Raises:
        DivergenceError: (a ``ValueError``) a training diverged; the message names the
            setting to lower (``source_lr`` or ``lr``).
    """
    if getattr(model, "task", None) != "classification" or model.n_classes < 2 or not (
            hasattr(model, "features") or hasattr(model, "decision")):
        raise ValueError(f"model must be a classifier with n_classes >= 2 and features or "
                         f"decision (LogME scores its representation), got {model!r}")
    sources = {name: check_pair(model, f"sources[{name!r}]", task)
               for name, task in sources.items()}
    train, val, test = (check_pair(model, k, v) for k, v in
                        (("train", train), ("val", val), ("test", test)))
    check_work(len(sources) * (source_steps + probe_steps + 4 * steps),
               f"{len(sources)} sources x (source_steps + probe_steps + 4 steps)",
               "sources, source_steps, probe_steps or steps")
    rows = []
    for name, (Xs, ys) in sources.items():
        w_src, _ = _stage(f"training source {name!r}", f"source_lr={source_lr:g}",
                          lambda Xs=Xs, ys=ys: fit(model, Xs, ys, steps=source_steps,
                                                   lr=source_lr))
        # a target stage diverges for its lr, or for a huge source model (source_lr)
        lower = (f"lr={lr:g} (or source_lr={source_lr:g}: the source model of {name!r} has "
                 f"max |w| = {np.max(np.abs(w_src)):.3g})")
        rows.append({
            "name": name,
            "probe": _stage("the probe", lower, lambda w=w_src: probe_score(
                model, w, train, val, steps=probe_steps, lr=lr)),
            "logme": logme(_features(model, w_src, train[0]), train[1], model.n_classes),
            "gain": _stage("fine-tuning", lower, lambda w=w_src: transfer_gain(
                model, w, train, test, steps=steps, lr=lr)),
            "gain_fx": _stage("the new head on the frozen features", f"source_lr="
                              f"{source_lr:g} or the scale of train and test",
                              lambda w=w_src: feature_gain(model, w, train, test, steps=steps)),
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
