"""Issue 12, rooms ``transfer`` and ``article``: property tests that would have caught the
defects (LogME on features that can fit the labels, LogME with absent classes, raw
tracebacks / hangs / misleading messages), plus the rules every public function declares."""

from __future__ import annotations

import inspect
import math
import re
import time

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fedlearn_edu import article, transfer
from fedlearn_edu.core.loop import DivergenceError
from fedlearn_edu.core.models import Model
from fedlearn_edu.transfer.logme import NOISE_FLOOR, logme_bound

SETTINGS = settings(max_examples=60, deadline=None, derandomize=True,
                    suppress_health_check=[HealthCheck.too_slow])


def _logme_before(F, y, n_classes=None):
    """LogME as it was before issue 12 (selection.py, commit 01b0a38)."""
    n = F.shape[0]

    def fit(t):
        U, s, _ = np.linalg.svd(F, full_matrices=False)
        z, s2 = U.T @ t, s**2
        x2 = float(t @ t - z @ z)
        alpha, beta = 1.0, 1.0
        for _ in range(100):
            gamma = float(np.sum(beta * s2 / (alpha + beta * s2)))
            m2 = float(np.sum((beta * s * z / (alpha + beta * s2)) ** 2))
            res2 = float(np.sum((alpha * z / (alpha + beta * s2)) ** 2) + x2)
            new_a, new_b = gamma / max(m2, 1e-300), (n - gamma) / max(res2, 1e-300)
            done = abs(new_a - alpha) / alpha < 1e-6 and abs(new_b - beta) / beta < 1e-6
            alpha, beta = new_a, new_b
            if done:
                break
        res2 = float(np.sum((alpha * z / (alpha + beta * s2)) ** 2) + x2)
        m2 = float(np.sum((beta * s * z / (alpha + beta * s2)) ** 2))
        logdet = float(np.sum(np.log(alpha + beta * s2)) + (F.shape[1] - len(s)) * np.log(alpha))
        return (n / 2 * np.log(beta) + F.shape[1] / 2 * np.log(alpha) - n / 2 * np.log(2 * np.pi)
                - beta / 2 * res2 - alpha / 2 * m2 - logdet / 2)

    k = int(y.max()) + 1 if n_classes is None else n_classes
    return float(np.mean([fit((y == c).astype(float)) / n for c in range(k)]))


# ------------------------------------------------------------ defect 1: LogME regimes
def _features(rng, n, D, regime, y):
    if regime == "random":
        return rng.normal(size=(n, D))
    if regime == "rank one":  # rank-deficient: every column a multiple of one
        return rng.normal(size=(n, 1)) @ rng.normal(size=(1, D))
    if regime == "labels linear":  # the one-hot labels are columns of F
        return np.column_stack([np.eye(int(y.max()) + 1)[y], rng.normal(size=(n, D))])
    if regime == "duplicated":
        return np.repeat(rng.normal(size=(n, 2)), D, axis=1)
    return np.zeros((n, D))  # "zero": no information at all


@SETTINGS
@given(n=st.integers(2, 14), D=st.integers(1, 40), k=st.integers(2, 4), seed=st.integers(0, 99),
       regime=st.sampled_from(["random", "rank one", "labels linear", "duplicated", "zero"]),
       log_scale=st.floats(-250, 250))
def test_logme_is_finite_and_bounded_on_any_features(n, D, k, seed, regime, log_scale):
    """D > n, rank-deficient, interpolating features and any scale: finite and <= the bound
    (before: ZeroDivisionError, or scores like 4.7e284)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    F = _features(rng, n, D, regime, y) * 10.0**log_scale
    score = transfer.logme(F, y)
    assert math.isfinite(score) and score <= logme_bound(n) + 1e-9
    for c in np.unique(y):
        ev, alpha, beta = transfer.logme_fit(F / np.max(np.abs(F)) if F.any() else F,
                                             (y == c).astype(float))
        assert math.isfinite(ev) and 0 < alpha < math.inf and 0 < beta < math.inf
        assert beta <= 1 / (NOISE_FLOOR * np.mean(y == c)) * (1 + 1e-9)  # the noise floor


@pytest.mark.parametrize("seed, shape", [(21, (5, 12)), (224, (10, 20))])
def test_logme_issue_examples_with_more_dimensions_than_examples(seed, shape):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(3, 12))
    D = int(rng.integers(n, 3 * n))
    assert (n, D) == shape
    F, y = rng.normal(size=(n, D)), np.arange(n) % 2
    with np.errstate(all="ignore"):
        try:
            before = _logme_before(F, y)
        except ZeroDivisionError:
            before = math.inf
    assert not abs(before) < 1e10  # the old fixed point crashed or exploded here
    assert -5 < transfer.logme(F, y) < 0  # a finite interior maximum exists


def test_logme_labels_linear_in_the_features_saturate_below_the_bound():
    rng = np.random.default_rng(0)
    y = np.arange(20) % 2
    F = np.column_stack([y, 1 - y, rng.normal(size=(20, 2))]).astype(float)
    with np.errstate(all="ignore"):
        assert _logme_before(F, y) > 1e200  # before: 1.4e285
    score = transfer.logme(F, y)
    assert 5 < score <= logme_bound(20)  # "these features interpolate the labels"
    assert score > transfer.logme(F[:, 2:], y) + 5  # and they beat uninformative features


@SETTINGS
@given(n=st.integers(40, 300), D=st.integers(1, 6), k=st.integers(2, 4), seed=st.integers(0, 999),
       informative=st.booleans(), log_scale=st.floats(-3, 3))
def test_logme_unchanged_on_well_conditioned_data(n, D, k, seed, informative, log_scale):
    rng = np.random.default_rng(seed)
    F = rng.normal(size=(n, D)) * 10.0**log_scale
    y = np.argmax(F[:, :k] + rng.normal(size=(n, min(k, D))), axis=1) if informative \
        else rng.integers(0, k, n)
    if len(np.unique(y)) != int(y.max()) + 1:
        y = np.unique(y, return_inverse=True)[1]  # the old code needed every class present
    assert transfer.logme(F, y) == pytest.approx(_logme_before(F, y), abs=1e-10)


@SETTINGS
@given(seed=st.integers(0, 99), e=st.integers(-450, 450))
def test_the_maximised_evidence_does_not_depend_on_the_scale_of_the_features(seed, e):
    """Features of any magnitude (1e-135 .. 1e135; alpha ~ max|F|^2 must stay a float): no
    overflow, the same maximum (the fixed point starts at alpha = 1 in F's units, so far
    from 1 it needs more than the default 100 updates)."""
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, 30)
    F, t = np.eye(3)[y] + rng.normal(size=(30, 3)), (y == 0).astype(float)
    kw = dict(max_iter=5000, tol=1e-12)
    scaled, alpha, _ = transfer.logme_fit(F * 2.0**e, t, **kw)
    reference, alpha_1, _ = transfer.logme_fit(F, t, **kw)
    assert scaled == pytest.approx(reference, abs=1e-9)
    assert alpha == pytest.approx(alpha_1 * 4.0**e, rel=1e-5)  # alpha absorbs the scale
    assert math.isfinite(transfer.logme(F * 2.0**e, y))
    with pytest.raises(ValueError, match="rescale F"):  # alpha ~ 1e616 is not a float
        transfer.logme_fit(F * 1e300, t)


def test_logme_evidence_is_finite_in_log_form_and_refuses_what_is_not():
    rng = np.random.default_rng(1)
    F, t = rng.normal(size=(6, 9)), rng.normal(size=6)
    C = F @ F.T / 1e-200 + np.eye(6) / 3.0  # alpha = 1e-200: F F^T / alpha overflows alone
    direct = -0.5 * (6 * np.log(2 * np.pi) + np.linalg.slogdet(C / 1e200)[1] + 6 * np.log(1e200)
                     + t @ np.linalg.solve(C, t))
    assert transfer.logme_evidence(F, t, 1e-200, 3.0) == pytest.approx(direct, rel=1e-9)
    with pytest.raises(ValueError, match="beta"):
        transfer.logme_evidence(F, t * 1e150, 1.0, 1e308)  # -1e608: outside the float range
    with pytest.raises(ValueError, match="t must not be all zeros"):
        transfer.logme_fit(F, np.zeros(6))


# --------------------------------------------------------- defect 2: absent classes
@SETTINGS
@given(n=st.integers(6, 60), D=st.integers(1, 8), k=st.integers(2, 4), extra=st.integers(1, 50),
       seed=st.integers(0, 99))
def test_absent_classes_do_not_change_the_score(n, D, k, extra, seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, k, n)
    F = rng.normal(size=(n, D))
    base = transfer.logme(F, y)
    assert transfer.logme(F, y, int(y.max()) + 1 + extra) == base  # absent classes above
    gaps = np.array([0, 3, 7, 11])[np.unique(y, return_inverse=True)[1]]  # ... and between
    compact = transfer.logme(F, np.unique(y, return_inverse=True)[1])
    assert transfer.logme(F, gaps, 12 + extra) == pytest.approx(compact, abs=1e-12)


def test_absent_class_issue_example():
    rng = np.random.default_rng(1)
    y = rng.integers(0, 3, 90)
    F = np.eye(3)[y] + 0.1 * rng.normal(size=(90, 3))
    with np.errstate(all="ignore"):
        assert _logme_before(F, y, 5) > _logme_before(F, y) + 50  # before: an absent class
    assert transfer.logme(F, y, n_classes=5) == transfer.logme(F, y)  # column added ~+115
    with pytest.raises(ValueError, match="n_classes"):
        transfer.logme(F, y, n_classes=2)  # labels 0..2 do not fit 2 classes


# ------------------------------------------- defect 7: hangs, raw errors, messages
@pytest.mark.parametrize("call, name", [
    (lambda: transfer.logme(np.ones((4, 2)), np.arange(4) % 2, n_classes=10**12), "n_classes"),
    (lambda: transfer.MLP(3, 10**12), "n_hidden"),
    (lambda: transfer.MLP(10**6, 10**5), "n_hidden"),  # each size allowed, together too big
    (lambda: transfer.fit(Model("linear", 2), np.ones((3, 2)), np.ones(3), steps=10**12),
     "steps"),
    (lambda: transfer.logme_fit(np.ones((4, 2)), np.ones(4), max_iter=10**12), "max_iter"),
    (lambda: article.true_weights(10**12), "d"),
    (lambda: article.generate_data(10**6, 10**6), "n"),
    (lambda: article.federated_train(np.zeros(3), 10**12), "num_devices"),
    (lambda: article.federated_train(np.zeros(3), 5, samples_per_device=10**12),
     "samples_per_device"),
    (lambda: article.federated_train(np.zeros(3), 100, rounds=10**4, local_steps=10**4),
     "rounds"),
])
def test_huge_sizes_are_refused_at_once(call, name):
    t0 = time.perf_counter()
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        call()
    assert time.perf_counter() - t0 < 1.0


def test_non_finite_sources_are_named_not_blamed_on_lr():
    m = Model("linear", 2)
    X, y = np.ones((3, 2)), np.ones(3)
    for kw, name in [(dict(w_src=np.array([np.nan, 0, 0]), l2sp=1.0), "w_src"),
                     (dict(w0=np.array([0, np.inf, 0])), "w0")]:
        with pytest.raises(ValueError, match=rf"{name} must be finite") as err:
            transfer.fit(m, X, y, **kw)
        assert "lower lr" not in str(err.value)
    with pytest.raises(ValueError, match="w_src must be finite"):
        transfer.finetune(m, np.array([np.nan, 0, 0]), X, y)


def _diverging_calls(lr):
    X = np.random.default_rng(0).normal(size=(6, 2))
    reg, lab = (X, X @ [1.0, -1.0] + 3), (X, np.arange(6) % 2)
    mlp = transfer.MLP(2, 3, 2, "relu")
    data = article.generate_data(6, 2, seed=0)
    clients = transfer.split_clients(*lab, [np.arange(3), np.arange(3, 6)])
    return {
        "fit": lambda: transfer.fit(Model("linear", 2), *reg, lr=lr, steps=50),
        "finetune": lambda: transfer.finetune(mlp, mlp.init(), *lab, lr=lr, steps=50),
        "feature_extraction": lambda: transfer.feature_extraction(mlp, mlp.init(), *lab,
                                                                  lr=lr, steps=50),
        "joint_train": lambda: transfer.joint_train(Model("linear", 2), reg, reg, lr=lr,
                                                    steps=50),
        "personalize": lambda: transfer.personalize("finetune", mlp, clients, rounds=2, lr=lr,
                                                    finetune_lr=lr),
        "local_train": lambda: article.local_train(data, np.zeros(2), lr=lr, steps=50),
        "federated_train": lambda: article.federated_train(np.zeros(2), 2, rounds=3, lr=lr),
    }


@pytest.mark.parametrize("name", list(_diverging_calls(1.0)))
@settings(max_examples=15, deadline=None, derandomize=True)
@given(log_lr=st.floats(0.0, 308.0))
def test_large_lr_diverges_with_a_value_error_naming_lr(name, log_lr):
    """Any finite lr: a finite result or a ValueError (DivergenceError) that names lr; never
    a silent NaN, never a bare FloatingPointError."""
    lr = 10.0**log_lr
    try:
        with np.errstate(all="ignore"):
            out = _diverging_calls(lr)[name]()
    except ValueError as err:  # DivergenceError is a ValueError (and a FloatingPointError)
        assert re.search(r"\blr\b", str(err)), str(err)
        return
    parts = out if isinstance(out, tuple) else (out,)
    for part in parts:
        values = part.values() if isinstance(part, dict) else [part]
        assert all(np.isfinite(np.asarray(v, dtype=float)).all() for v in values
                   if isinstance(v, (np.ndarray, float)))


def test_rank_sources_names_the_lr_of_the_stage_that_diverged():
    rng = np.random.default_rng(3)
    X, y = rng.normal(size=(8, 2)), np.arange(8) % 2
    kw = dict(model=Model("softmax", 2, 2), sources={"a": (X, y)}, train=(X, y), val=(X, y),
              test=(X, y), source_steps=5, steps=5)
    with pytest.raises(DivergenceError, match="source_lr"):
        transfer.rank_sources(**kw, source_lr=1e300)
    with pytest.raises(ValueError, match="steps"):
        transfer.rank_sources(**{**kw, "steps": 40_000})  # 4 x 40000 steps is too much work


def test_spearman_is_in_range_and_refuses_constant_input():
    assert transfer.spearman([1, 2, 3], [3, 2, 1]) == -1.0
    with pytest.raises(ValueError, match=r"\bb\b.*constant"):
        transfer.spearman([1, 2, 3], [5, 5, 5])


def test_split_clients_and_client_data_name_what_is_wrong():
    X, y = np.zeros((6, 2)), np.arange(6) % 2
    with pytest.raises(ValueError, match=r"parts\[1\] must hold row indices"):
        transfer.split_clients(X, y, [np.arange(3), np.array([3, 9])])
    with pytest.raises(ValueError, match=r"parts\[0\] must not repeat"):
        transfer.split_clients(X, y, [np.array([0, 0, 1])])
    with pytest.raises(ValueError, match="y_test must have one entry per row of X_test"):
        transfer.ClientData(X, y, X[:2], y)


# ------------------------------------------------------ every parameter has a rule
def _public(room):
    return [getattr(room, n) for n in room.__all__ if inspect.isfunction(getattr(room, n))]


@pytest.mark.parametrize("fn", _public(transfer) + _public(article), ids=lambda f: f.__name__)
def test_every_parameter_of_every_public_function_has_a_rule(fn):
    params = set(inspect.signature(fn).parameters)
    assert params == set(getattr(fn, "__constraints__", {})), fn.__name__


def test_exports_for_the_notebooks():
    assert {"logme_evidence", "logme_fit", "spearman"} <= set(transfer.__all__)
