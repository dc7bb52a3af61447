"""LogME (You et al. 2021): how well frozen features ``F`` explain the target labels, no training.

For one target column ``t: (n,)`` the model is Bayesian linear regression without bias,
``t = F m + noise``, prior ``m ~ N(0, alpha^-1 I)``, noise ``N(0, beta^-1)``; the evidence is
``log p(t | F, alpha, beta) = log N(t | 0, F F^T / alpha + I / beta)``. LogME maximises it over
``(alpha, beta)`` by MacKay's fixed-point updates and reports the maximum per example,
averaged over the one-hot columns of the labels.

Numerics (what keeps the score finite on any finite input):

* **unit-free**: ``F`` is divided by ``c = max|F|`` and ``t`` by its root mean square
  ``tau``. The maximised evidence does not depend on ``c`` (``alpha`` absorbs it) and moves by
  exactly ``-n log tau`` under ``t / tau``, so nothing below depends on the data's units and
  features of any magnitude (1e-300 or 1e300) neither underflow nor overflow.
* **numerical rank**: singular values below ``s_max * max(n, D) * eps`` (NumPy's
  ``matrix_rank`` rule) are treated as 0; the part of ``t`` along them is residual.
* **stable updates**: ``gamma_i = beta s_i^2 / (alpha + beta s_i^2)`` and ``n - gamma =
  (n - r) + sum alpha / (alpha + beta s_i^2)`` are formed directly (never ``n`` minus a sum
  that rounds to ``n``), the residual outside the span, ``||t - U U^T t||^2``, is a sum of
  squares (never a negative difference), and the evidence is written as
  ``n/2 log beta - n/2 log 2 pi - beta/2 (sum z_i^2 alpha / (alpha + beta s_i^2) + x2)
  - 1/2 sum log1p(beta s_i^2 / alpha)`` (no ``log alpha`` that could meet ``inf``).
* **caps** where the evidence would run away (the reference floors ``||m||^2`` and the
  residual at ``1e-5`` instead): the noise precision is capped at ``beta' <= 1 /
  NOISE_FLOOR``, i.e. the residual variance is floored at ``NOISE_FLOOR`` times the
  column's mean square (``beta -> inf``: features that fit ``t`` exactly), and the prior
  precision at ``alpha' <= ALPHA_CAP`` (``alpha -> inf``: ``t`` orthogonal to the features,
  whose weights are then switched off; beyond the cap the evidence no longer changes). A
  zero ``||m||^2`` or residual goes straight to its cap (no division by zero), and the loop
  stops after ``max_iter`` updates (100 in :func:`logme`, as before). Where a finite
  maximiser exists the caps do not bind, and the result is the plain fixed point from
  ``alpha = beta = 1``, unchanged.
"""

from __future__ import annotations

import math

import numpy as np

from .._validation import Array, Int, Maybe, Real, validated
from ..core.models import MAX_CLASSES

NOISE_FLOOR = 1e-10  # smallest noise variance, as a fraction of the column's mean square
ALPHA_CAP = 1e30  # largest unit-free prior precision (max|F| = 1, mean t^2 = 1)
MAX_FIT_ITER = 10_000  # upper bound of logme_fit's max_iter
LOG_2PI = math.log(2 * math.pi)


def logme_bound(n: int) -> float:
    """Upper bound of :func:`logme` for ``n`` examples: ``1/2 log(n / (2 pi NOISE_FLOOR))``.

    In unit-free form a column's evidence per example is at most ``1/2 log(beta' / 2 pi)``
    (every other term is <= 0) with ``beta' <= 1 / NOISE_FLOOR``; undoing ``t / tau`` adds
    ``-log tau``, and a one-hot column of a present class has ``tau^2 >= 1 / n``."""
    return 0.5 * math.log(n / (2 * math.pi * NOISE_FLOOR))


class _Spectrum:
    """``F / c = U diag(s) V^T`` truncated to the numerical rank ``r``: ``U (n, r)``, ``s (r,)``,
    ``c = max|F|`` (``1`` for ``F = 0``); computed once, shared by every label column."""

    def __init__(self, F: np.ndarray):
        self.n, self.D = F.shape
        top = float(np.max(np.abs(F)))
        self.c = top if top > 0 else 1.0
        if top > 0:
            U, s, _ = np.linalg.svd(F / top, full_matrices=False)
            keep = s > s[0] * max(F.shape) * np.finfo(float).eps
            self.U, self.s2 = U[:, keep], s[keep] ** 2
        else:  # no features: every column of t is residual
            self.U, self.s2 = np.zeros((self.n, 0)), np.zeros(0)

    def project(self, t: np.ndarray):
        """``(z, x2, tau)``: coordinates ``U^T t'`` and residual ``||t' - U z||^2`` of
        ``t' = t / tau``, ``tau`` the root mean square of ``t`` (``1`` for ``t = 0``)."""
        top = float(np.max(np.abs(t)))
        tau = top * float(np.sqrt(np.mean((t / top) ** 2))) if top > 0 else 1.0
        tn = t / tau
        z = self.U.T @ tn
        r = tn - self.U @ z
        return z, float(r @ r), tau


def _evidence(sp: _Spectrum, z, x2, log_beta: float, log_ratio: float) -> float:
    """Evidence of ``t' = t / tau`` (see the module doc) at ``log beta'`` and
    ``log_ratio = log(beta / alpha)`` in units where ``max|F| = 1`` (``q_i = beta s_i^2 /
    alpha``), in log form so that no intermediate overflows."""
    with np.errstate(divide="ignore", over="ignore"):
        log1pq = np.logaddexp(0.0, log_ratio + np.log(sp.s2))  # log(1 + q_i)
        fit = float(np.sum(z**2 * np.exp(-log1pq))) + x2  # sum z^2 alpha/(alpha+beta s^2) + x2
        data = float(np.exp(log_beta + np.log(fit))) if fit > 0 else 0.0  # beta * fit
    return float(sp.n / 2 * (log_beta - LOG_2PI) - data / 2 - 0.5 * float(np.sum(log1pq)))


def _fit(sp: _Spectrum, z, x2, alpha: float, beta: float, max_iter: int, tol: float):
    """MacKay's fixed point from the unit-free start ``(alpha, beta)``; returns the pair.

    ``beta <= 1 / NOISE_FLOOR`` (the residual variance never below ``NOISE_FLOOR`` times the
    mean square of ``t'``, which is 1) and ``alpha <= ALPHA_CAP`` (beyond it ``beta s^2 /
    alpha < 1e-14``: the weights are switched off, the evidence is its ``alpha = inf``
    limit); both caps are where the evidence would otherwise run away."""
    n, r, s2 = sp.n, len(sp.s2), sp.s2
    for _ in range(max_iter):
        den = alpha + beta * s2
        g, w = beta * s2 / den, alpha / den  # gamma_i and 1 - gamma_i, each formed directly
        gamma = float(np.sum(g))
        m2 = float(np.sum(z**2 * g * beta / den))  # ||m||^2 = sum (beta s z / den)^2
        res2 = float(np.sum((z * w) ** 2)) + x2  # ||F m - t'||^2, a sum of squares
        new_a = min(gamma / m2, ALPHA_CAP) if m2 > 0 else (ALPHA_CAP if r else alpha)
        n_gamma = (n - r) + float(np.sum(w))  # n - gamma, > 0
        new_b = min(n_gamma / res2, 1.0 / NOISE_FLOOR) if res2 > 0 else 1.0 / NOISE_FLOOR
        done = abs(new_a - alpha) <= tol * alpha and abs(new_b - beta) <= tol * beta
        alpha, beta = new_a, new_b
        if done:
            break
    return alpha, beta


def _start(sp: _Spectrum, tau: float) -> tuple[float, float]:
    """The unit-free image of the start ``alpha = beta = 1`` (clipped into a safe range)."""
    a = math.exp(min(max(2 * math.log(tau) - 2 * math.log(sp.c), -300.0), 300.0))
    b = math.exp(min(max(2 * math.log(tau), -300.0), 300.0))
    return a, b


def _column(sp: _Spectrum, t: np.ndarray, max_iter: int = 100, tol: float = 1e-6):
    """``(evidence, log alpha, log beta)`` of one column, in the units of ``F`` and ``t``."""
    z, x2, tau = sp.project(t)
    a, b = _fit(sp, z, x2, *_start(sp, tau), max_iter, tol)
    ev = _evidence(sp, z, x2, math.log(b), math.log(b) - math.log(a)) - sp.n * math.log(tau)
    log_tau2 = 2 * math.log(tau)
    return ev, math.log(a) + 2 * math.log(sp.c) - log_tau2, math.log(b) - log_tau2


def _check_column(F, t):
    if len(t) != len(F):
        raise ValueError(f"t must have one entry per row of F ({len(F)}), got {len(t)}")
    if not np.any(t):
        raise ValueError("t must not be all zeros: the evidence of t = 0 has no finite "
                         "maximum (it grows without bound as alpha, beta -> inf)")


@validated(F=Array(ndim=2), t=Array(ndim=1), alpha=Real(0.0, low_open=True),
           beta=Real(0.0, low_open=True))
def logme_evidence(F: np.ndarray, t: np.ndarray, alpha: float, beta: float) -> float:
    """Log evidence ``log p(t | F, alpha, beta)`` of ``t = F m + noise`` (no bias term),
    ``m ~ N(0, alpha^-1 I)``, noise ``N(0, beta^-1)``, for ``F: (n, D)``, ``t: (n,)``.

    Equals ``log N(t | 0, F F^T / alpha + I / beta)`` (tested against that direct form),
    computed with the SVD of ``F``. ``alpha``, ``beta``: finite precisions > 0.

    Raises:
        ValueError: the value is below the float range (e.g. ``beta = 1e308``).
    """
    if len(t) != len(F):
        raise ValueError(f"t must have one entry per row of F ({len(F)}), got {len(t)}")
    sp = _Spectrum(F)
    z, x2, tau = sp.project(t)  # unit-free: beta' = beta tau^2, q = beta s^2 / alpha
    ev = _evidence(sp, z, x2, math.log(beta) + 2 * math.log(tau),
                   math.log(beta) - math.log(alpha) + 2 * math.log(sp.c)) - len(t) * math.log(tau)
    if not math.isfinite(ev):
        raise ValueError(f"the log evidence of t under F at alpha={alpha:g}, beta={beta:g} is "
                         f"{ev} (outside the float range); use moderate alpha and beta")
    return ev


@validated(F=Array(ndim=2), t=Array(ndim=1), max_iter=Int(1, MAX_FIT_ITER), tol=Real(0.0))
def logme_fit(F: np.ndarray, t: np.ndarray, max_iter: int = 100, tol: float = 1e-6):
    """Maximise the evidence over ``(alpha, beta)`` by the fixed-point updates
    ``gamma = sum beta s^2 / (alpha + beta s^2)``, ``alpha = gamma / ||m||^2``,
    ``beta = (n - gamma) / ||F m - t||^2``, from ``alpha = beta = 1``, at most ``max_iter``
    updates, until both change by less than ``tol`` (relative).

    Args:
        F: ``(n, D)`` features (any ``D``, also ``D > n`` or rank-deficient).
        t: ``(n,)`` one target column, not all zero.

    Returns:
        ``(evidence, alpha, beta)``. Where the maximum lies at ``beta = inf`` (``t`` is fitted
        exactly: ``t`` in the span of ``F``, or ``rank F = n``) the residual variance is
        floored at ``NOISE_FLOOR * mean(t**2)`` (see the module doc and :func:`logme`), so
        ``beta <= 1 / (NOISE_FLOOR * mean(t**2))`` is large but finite.

    Raises:
        ValueError: ``t`` is all zeros (no finite maximum), or ``alpha``/``beta`` in the units
            of ``F``/``t`` fall outside the float range (``F`` or ``t`` of extreme magnitude;
            rescale them: the maximised evidence does not depend on ``F``'s scale).
    """
    _check_column(F, t)
    ev, log_a, log_b = _column(_Spectrum(F), t, max_iter, tol)
    if max(abs(log_a), abs(log_b)) > 700:  # exp would leave the float range
        raise ValueError(f"alpha = exp({log_a:.4g}) or beta = exp({log_b:.4g}) is outside the "
                         f"float range for F (max |F| = {np.max(np.abs(F)):.3g}) and t (max |t| "
                         f"= {np.max(np.abs(t)):.3g}); rescale F or t")
    return ev, math.exp(log_a), math.exp(log_b)


@validated(F=Array(ndim=2), y=Array(ndim=1, kind="int", low=0),
           n_classes=Maybe(Int(2, MAX_CLASSES)))
def logme(F: np.ndarray, y: np.ndarray, n_classes: int | None = None) -> float:
    """LogME score of features ``F: (n, D)`` for labels ``y: (n,)``: the maximised evidence
    per example, averaged over the one-hot columns of the classes present in ``y``.
    Higher = features more useful (for a new linear head on them).

    ``n_classes`` (default ``max(y) + 1``) only checks the labels: a class with no example is
    **skipped**. Its column ``t = 0`` is explained perfectly by any features (its evidence grows
    without bound as ``alpha, beta -> inf``; floors would turn it into a large constant, e.g.
    +115 on a score of -0.48), so it says nothing about ``F`` and would swamp the mean. Hence
    ``logme(F, y, k)`` is the same for every ``k > max(y)``; a small target set that misses a
    class is scored on the classes it has.

    **When the features can fit a label column exactly.** If a column ``t`` lies in the span
    of the features and that span is not all of ``R^n`` (labels linear in the features,
    one-hot columns among them, ``n > D``), the evidence grows without bound as the noise
    precision ``beta -> inf``: there is no maximiser. With ``D >= n`` (rank ``n``) every
    column is fitted exactly; the evidence then stays bounded and its maximum may lie at
    ``beta = inf``. In both cases the fit stops at the noise floor (a residual variance of
    ``NOISE_FLOOR`` times the column's mean square), so the score is the evidence of a model
    that interpolates the labels up to that floor: finite and at most :func:`logme_bound`
    ``(n) = 1/2 log(n / (2 pi NOISE_FLOOR))`` (about 13 for ``n = 100``; unbounded cases land
    near it). Read a score near the bound as "these features can interpolate the target
    labels" (sources tie at the top), not as "they generalise"; with ``D >= n`` generic
    features interpolate too, so compare sources on more examples than feature dimensions.
    """
    if len(y) != len(F) or len(F) < 2:
        raise ValueError(f"F must be (n, D) and y (n,) with n >= 2, got F {F.shape}, "
                         f"y {y.shape}")
    if n_classes is not None and int(y.max()) >= n_classes:
        raise ValueError(f"y must hold labels in [0, n_classes - 1] = [0, {n_classes - 1}], "
                         f"got max {int(y.max())}")
    sp = _Spectrum(F)
    n = len(y)
    return float(np.mean([_column(sp, (y == c).astype(float))[0] / n for c in np.unique(y)]))
