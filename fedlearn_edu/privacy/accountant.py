"""Rényi-DP accountant for the subsampled Gaussian mechanism (NumPy/SciPy only).

One step of DP-SGD / DP-FedAvg is the *sampled Gaussian mechanism* (SGM): every record
(example or client) joins the batch independently with probability ``q``, the batch's
clipped contributions (L2 norm <= S) are summed and Gaussian noise ``N(0, (sigma*S)^2 I)`` is
added. Its Rényi divergence of order ``alpha`` (Mironov, Talwar & Zhang 2019, "Rényi
Differential Privacy of the Sampled Gaussian Mechanism", arXiv:1908.10530) is

    eps_RDP(alpha) = log(A_alpha) / (alpha - 1),
    A_alpha = E_{z ~ N(0, sigma^2)} [ ((1 - q) + q * exp((2z - 1) / (2 sigma^2)))^alpha ].

* integer alpha (their Sec. 3.3, binomial expansion):
  ``A_alpha = sum_i C(alpha, i) q^i (1-q)^(alpha-i) exp((i^2 - i) / (2 sigma^2))``;
* fractional alpha: the integral is split at ``z0 = sigma^2 log(1/q - 1) + 1/2`` and each half
  expanded as a (convergent, alternating-tail) binomial series with erfc factors.
* ``q = 1`` (no subsampling): the Gaussian mechanism's closed form ``alpha / (2 sigma^2)``.

RDP composes additively over steps, so ``T`` steps cost ``T * eps_RDP(alpha)``.

RDP -> (eps, delta): two conversions are offered, minimised over the orders:

* ``"classic"`` (Mironov 2017, Prop. 3): ``eps = rdp - log(delta) / (alpha - 1)``; this is what
  TF-Privacy's ``compute_dp_sgd_privacy`` used until Dec 2020 (published numbers such as the
  MNIST tutorial's eps = 3.01 come from it);
* ``"improved"`` (default; Canonne, Kamath & Steinke 2020, Prop. 12 = Balle et al. 2020,
  Thm 21): ``eps = rdp + log1p(-1/alpha) - log(delta * alpha) / (alpha - 1)``. It is never
  worse than the classic bound for alpha > 1 and is what current TF-Privacy / dp_accounting
  and Opacus report, so it is our default.

This module is written from the paper's formulas; its numbers are tested against the values
published in TF-Privacy's tests and tutorial and against direct numerical integration.

Arguments are checked: ``q`` in [0, 1], ``noise_multiplier >= 0``, ``steps >= 0``, ``delta``
in (0, 1), all finite; orders are numbers > 1, at most ``MAX_ORDER = 10_000`` each and
``MAX_NUM_ORDERS = 100_000`` of them (the series of order ``alpha`` has about ``alpha``
terms, so huge orders would hang). ``+inf`` is an order only for the low-level
:func:`compute_rdp`/:func:`rdp_to_epsilon` (as in TF-Privacy: it gives ``inf``);
:func:`epsilon` and :class:`RDPAccountant` refuse it.
"""

from __future__ import annotations

import math

import numpy as np
from scipy import special

from .._validation import Array, Choice, Int, Real, check_array, check_float, validated

# The orders TF-Privacy's compute_dp_sgd_privacy used (2019-2020); good for eps in ~[0.1, 50].
DEFAULT_ORDERS = tuple([1.25, 1.5, 1.75, 2.0, 2.25, 2.5, 3.0, 3.5, 4.0, 4.5]
                       + [float(a) for a in range(5, 64)] + [128.0, 256.0, 512.0])
CONVERSIONS = ("improved", "classic")
MAX_ORDER = 10_000.0
MAX_NUM_ORDERS = 100_000
# Work of one compute_rdp with 0 < q < 1: about ORDER_COST + alpha series terms per order
# (~1 microsecond each), so the budget is a few seconds.
ORDER_COST = 250
SERIES_BUDGET = 4 * 10**6


def check_orders(name: str, value, allow_inf: bool = False) -> np.ndarray:
    """``value`` (a number or a 1-D list) as a 1-D float array of Rényi orders > 1."""
    a = np.atleast_1d(check_array(name, value, ndim=(0, 1), finite=False)).astype(float)
    if len(a) > MAX_NUM_ORDERS:
        raise ValueError(f"{name} must hold at most {MAX_NUM_ORDERS} orders, got {len(a)}")
    finite = a[np.isfinite(a)]
    if np.isnan(a).any() or np.any(a <= 1) or (not allow_inf and len(finite) < len(a)) \
            or np.any(finite > MAX_ORDER):
        also = " or inf" if allow_inf else ""
        raise ValueError(f"{name} must be a 1-D list of numbers > 1 and <= {MAX_ORDER:g}{also}, "
                         f"got {value!r}"[:200])
    return a


class Orders:
    """A rule for ``@validated``: Rényi orders (see :func:`check_orders`)."""

    def __init__(self, allow_inf: bool = False):
        self.allow_inf = allow_inf

    def check(self, name, value):
        return check_orders(name, value, self.allow_inf)


def _log_binom(alpha: float, i: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """``log|C(alpha, i)|`` and its sign, for real ``alpha > 0`` and integer ``i >= 0``."""
    coef = special.binom(alpha, i)
    with np.errstate(divide="ignore"):
        return np.log(np.abs(coef)), np.sign(coef)


def _log_a_int(q: float, sigma: float, alpha: int) -> float:
    """``log A_alpha`` for integer ``alpha >= 2`` and ``0 < q < 1`` (exact finite sum)."""
    i = np.arange(alpha + 1, dtype=float)
    log_binom = special.gammaln(alpha + 1) - special.gammaln(i + 1) - special.gammaln(alpha - i + 1)
    terms = (log_binom + i * math.log(q) + (alpha - i) * math.log1p(-q)
             + (i * i - i) / (2 * sigma**2))
    return float(special.logsumexp(terms))


def _log_erfc(x: np.ndarray) -> np.ndarray:
    """``log(erfc(x))`` accurate in the far tail: erfc(x) = 2 Phi(-x sqrt 2)."""
    return math.log(2.0) + special.log_ndtr(-np.asarray(x) * math.sqrt(2.0))


def _log_a_frac(q: float, sigma: float, alpha: float, tol: float = -30.0) -> float:
    """``log A_alpha`` for fractional ``alpha > 1`` (Mironov et al. 2019, Sec. 3.3).

    Sums terms in chunks until every new term is below ``exp(tol)`` relative to 1.
    """
    z0 = sigma**2 * math.log(1.0 / q - 1.0) + 0.5
    logs, signs = [], []
    start, chunk = 0, 64
    while True:
        i = np.arange(start, start + chunk, dtype=float)
        j = alpha - i
        log_c, sgn = _log_binom(alpha, i)
        log_s0 = (log_c + i * math.log(q) + j * math.log1p(-q) + (i * i - i) / (2 * sigma**2)
                  + math.log(0.5) + _log_erfc((i - z0) / (math.sqrt(2) * sigma)))
        log_s1 = (log_c + j * math.log(q) + i * math.log1p(-q) + (j * j - j) / (2 * sigma**2)
                  + math.log(0.5) + _log_erfc((z0 - j) / (math.sqrt(2) * sigma)))
        if np.isposinf(log_s0).any() or np.isposinf(log_s1).any():
            return math.inf  # sigma so small that A_alpha overflows: no privacy to speak of
        logs += [log_s0, log_s1]
        signs += [sgn, sgn]
        # terms with i > alpha decay geometrically; stop once a whole chunk is negligible
        if start > alpha and max(log_s0.max(), log_s1.max()) < tol:
            break
        start += chunk
        if start > 100_000:  # the terms stay large: A_alpha is beyond float range
            return math.inf
    a = np.concatenate(logs)
    b = np.concatenate(signs)
    keep = np.isfinite(a) & (b != 0)
    val, sign = special.logsumexp(a[keep], b=b[keep], return_sign=True)
    if sign <= 0:  # pragma: no cover - would mean catastrophic cancellation
        raise RuntimeError(f"A_alpha underflowed for q={q}, sigma={sigma}, alpha={alpha}")
    return float(val)


def rdp_sampled_gaussian(q: float, noise_multiplier: float, alpha: float) -> float:
    """RDP ``eps(alpha)`` of ONE step of the sampled Gaussian mechanism.

    Args:
        q: sampling probability in [0, 1].
        noise_multiplier: ``sigma`` = noise std / L2 sensitivity, > 0 (0 gives ``inf``).
        alpha: Rényi order > 1 (``inf`` allowed: gives ``inf``).
    """
    q = check_float("q", q, 0.0, 1.0)
    sigma = check_float("noise_multiplier", noise_multiplier, 0.0)
    alpha = check_float("alpha", alpha, 1.0, low_open=True, allow_inf=True)
    if math.isfinite(alpha) and alpha > MAX_ORDER:
        raise ValueError(f"alpha must be <= {MAX_ORDER:g} (or inf), got {alpha}")
    if q == 0.0:
        return 0.0
    if sigma == 0.0 or math.isinf(alpha):
        return math.inf
    if not math.isfinite(2 * sigma * sigma):  # noise beyond the float range: no leakage left
        return 0.0
    if not math.isfinite(alpha / 2 / sigma / sigma):
        # the Gaussian bound alpha / (2 sigma^2), which the SGM's RDP approaches as sigma -> 0,
        # overflows: so does the RDP (the series' terms would too)
        return math.inf
    if q == 1.0:
        return alpha / (2 * sigma**2)
    if float(alpha).is_integer():
        log_a = _log_a_int(q, sigma, int(alpha))
    else:
        log_a = _log_a_frac(q, sigma, alpha)
    return log_a / (alpha - 1)


@validated(q=Real(0.0, 1.0), noise_multiplier=Real(0.0), steps=Int(0),
           orders=Orders(allow_inf=True))
def compute_rdp(q: float, noise_multiplier: float, steps: int, orders=DEFAULT_ORDERS) -> np.ndarray:
    """RDP after ``steps`` compositions, one value per order: ``(len(orders),)``.

    ``inf`` where the bound is infinite (``noise_multiplier = 0``, order ``inf``).
    """
    orders = np.atleast_1d(np.asarray(orders, dtype=float))  # the default is not checked
    work = ORDER_COST * len(orders) + float(orders[np.isfinite(orders)].sum())
    if 0 < q < 1 and work > SERIES_BUDGET:
        raise ValueError(f"orders: {len(orders)} orders need about {work:.3g} series terms, "
                         f"more than the {SERIES_BUDGET} a call may expand; use fewer or "
                         f"smaller orders")
    return np.array([steps * rdp_sampled_gaussian(q, noise_multiplier, a) if steps else 0.0
                     for a in orders])


@validated(orders=Orders(allow_inf=True), rdp=Array(ndim=(0, 1), finite=False),
           delta=Real(0.0, 1.0, low_open=True, high_open=True), conversion=Choice(CONVERSIONS))
def rdp_to_epsilon(orders, rdp, delta: float, conversion: str = "improved"):
    """Smallest ``eps`` over the orders such that the run is (eps, delta)-DP.

    Args:
        orders: ``(n,)`` Rényi orders > 1.
        rdp: ``(n,)`` accumulated RDP at those orders (>= 0, ``inf`` allowed).
        delta: target delta in (0, 1).
        conversion: ``"improved"`` (Canonne et al. 2020 Prop. 12) or ``"classic"``.

    Returns:
        ``(eps, best_order)``; ``eps`` is ``inf`` when no order gives a finite bound.
    """
    a = orders
    r = np.atleast_1d(rdp).astype(float)
    if a.shape != r.shape:
        raise ValueError(f"orders and rdp must have the same shape, got {a.shape} and {r.shape}")
    if np.any(np.isnan(r)) or np.any(r < 0):
        raise ValueError(f"rdp values must be >= 0 (inf allowed, not NaN), got {rdp!r}"[:200])
    return _to_epsilon(a, r, delta, conversion)


def _to_epsilon(a: np.ndarray, r: np.ndarray, delta: float, conversion: str):
    with np.errstate(invalid="ignore", over="ignore", divide="ignore"):
        if conversion == "classic":
            eps = r - math.log(delta) / (a - 1)
        else:
            eps = r + np.log1p(-1 / a) - (math.log(delta) + np.log(a)) / (a - 1)
            # KL bound: if delta^2 >= 1 - exp(-rdp) then eps = 0 works (as TF-Privacy does)
            eps = np.where(delta**2 + np.expm1(-r) >= 0, 0.0, eps)
    eps = np.where(np.isnan(eps), np.inf, eps)
    k = int(np.argmin(eps))
    return max(0.0, float(eps[k])), float(a[k])


DELTA = Real(0.0, 1.0, low_open=True, high_open=True)


@validated(q=Real(0.0, 1.0), noise_multiplier=Real(0.0), steps=Int(0), delta=DELTA,
           orders=Orders(), conversion=Choice(CONVERSIONS))
def epsilon(q: float, noise_multiplier: float, steps: int, delta: float,
            orders=DEFAULT_ORDERS, conversion: str = "improved") -> float:
    """(eps, delta)-DP guarantee of ``steps`` sampled Gaussian steps (just the number).

    Args:
        q: sampling rate in [0, 1]; noise_multiplier: ``sigma >= 0``; steps: ``T >= 0``;
        delta: in (0, 1); orders: finite Rényi orders > 1; conversion: see the module.

    Raises:
        ValueError: when no order gives a finite epsilon (``noise_multiplier = 0`` with
            ``q, steps > 0``: clipping without noise is no privacy at all, or a noise so
            small that the bound overflows). :meth:`RDPAccountant.epsilon` reports that
            case as ``inf`` instead, so a run's history can show it.
    """
    orders = np.atleast_1d(np.asarray(orders, dtype=float))  # the default is not checked
    eps = _to_epsilon(orders, compute_rdp(q, noise_multiplier, steps, orders), delta,
                      conversion)[0]
    if not math.isfinite(eps):
        raise ValueError(f"epsilon is infinite for q={q}, noise_multiplier={noise_multiplier}, "
                         f"steps={steps}: the noise is too small for a finite (eps, delta) "
                         f"guarantee at any of the orders (noise_multiplier=0 is no privacy); "
                         f"use a larger noise_multiplier")
    return eps


class RDPAccountant:
    """Accumulates RDP round by round (steps may have different ``q`` and ``sigma``).

    Example::

        acc = RDPAccountant()
        for r in range(100):
            acc.step(q=0.1, noise_multiplier=1.0)
            print(acc.epsilon(1e-5))
    """

    @validated(orders=Orders(), conversion=Choice(CONVERSIONS))
    def __init__(self, orders=DEFAULT_ORDERS, conversion: str = "improved"):
        """``orders``: finite Rényi orders > 1 (see the module); ``conversion``: RDP -> eps."""
        self.orders = np.atleast_1d(np.asarray(orders, dtype=float))  # default unchecked
        self.conversion = conversion
        self.rdp = np.zeros_like(self.orders)
        self.steps = 0
        self._cache: dict[tuple[float, float], np.ndarray] = {}

    @validated(q=Real(0.0, 1.0), noise_multiplier=Real(0.0), n=Int(0))
    def step(self, q: float, noise_multiplier: float, n: int = 1) -> None:
        """Record ``n`` steps of the SGM with sampling rate ``q`` and noise ``sigma``."""
        if n == 0:
            return
        key = (float(q), float(noise_multiplier))
        if key not in self._cache:
            self._cache[key] = compute_rdp(q, noise_multiplier, 1, self.orders)
        self.rdp = self.rdp + n * self._cache[key]
        self.steps += n

    @validated(delta=DELTA)
    def epsilon(self, delta: float) -> float:
        """eps spent so far at ``delta`` (0 before any step, ``inf`` without noise)."""
        if self.steps == 0:
            return 0.0
        return _to_epsilon(self.orders, self.rdp, delta, self.conversion)[0]
