"""Patient-level differential privacy in a federation of a few hospitals: DP-SGD inside each.

With four hospitals, client-level DP (notebook 06's DP-FedAvg: hide whether a *hospital* took
part) is meaningless; what must be hidden is each *patient*. So every hospital trains with
DP-SGD (Abadi et al. 2016, "Deep Learning with Differential Privacy"):

1. every patient joins a step's batch independently with probability ``q = B / n_h``
   (Poisson sampling, the accountant's assumption);
2. each patient's gradient is clipped to L2 norm ``S``;
3. the clipped gradients are summed, ``N(0, (sigma S)^2 I)`` noise is added and the sum is
   divided by the expected batch size ``q n_h``; one SGD step follows.

A hospital's ``T`` steps are ``T`` sampled-Gaussian steps, which the RDP accountant
(:mod:`fedlearn_edu.privacy.accountant`) turns into ``(eps, delta)``. ``sigma`` is found per
hospital for a target ``eps`` (:func:`noise_for_epsilon`). The server only averages what the
hospitals send (post-processing), and each patient is in one hospital, so every patient is
protected at that ``eps``.
"""

from __future__ import annotations

import math
from functools import lru_cache

import numpy as np

from .._validation import DivergenceError, Instance, Int, Real, Seed, validated
from ..core.models import Model
from ..privacy.accountant import epsilon as dp_epsilon
from .loaders import AppData
from .silos import check_fits, score_all

SIGMA_MAX = 1e3  # beyond this the noise drowns any model: the target eps is out of reach


# q below 1e-9 (one record in a billion per step) takes the accountant into denormal numbers,
# where each of the bisection's evaluations takes seconds
@validated(target_epsilon=Real(0.01, 1e3), q=Real(1e-9, 1.0),
           steps=Int(1, 10**5), delta=Real(0.0, 0.1, low_open=True))
def noise_for_epsilon(target_epsilon: float, q: float, steps: int, delta: float) -> float:
    """The smallest noise multiplier ``sigma`` (to 1 %) with which ``steps`` sampled-Gaussian
    steps at rate ``q`` cost at most ``target_epsilon`` (bisection on the accountant)."""
    return _noise_for_epsilon(float(target_epsilon), float(q), int(steps), float(delta))


@lru_cache(maxsize=256)
def _noise_for_epsilon(target_epsilon: float, q: float, steps: int, delta: float) -> float:
    if dp_epsilon(q, SIGMA_MAX, steps, delta) > target_epsilon:
        raise ValueError(f"target_epsilon={target_epsilon} is out of reach for q={q:.3g}, "
                         f"steps={steps}, delta={delta}: even sigma={SIGMA_MAX:g} spends more")
    lo, hi = 0.0, 1.0
    while dp_epsilon(q, hi, steps, delta) > target_epsilon:
        lo, hi = hi, 2 * hi
    while hi - lo > 0.01 * hi:
        mid = 0.5 * (lo + hi)
        if mid > 0 and dp_epsilon(q, mid, steps, delta) <= target_epsilon:
            hi = mid
        else:
            lo = mid
    return hi


def dp_sgd_steps(model: Model, w: np.ndarray, X: np.ndarray, y: np.ndarray, *, steps: int,
                 q: float, clip: float, sigma: float, lr: float,
                 rng: np.random.Generator) -> np.ndarray:
    """``steps`` DP-SGD steps of a logistic ``model`` from ``w`` on ``(X, y)`` (see the module
    docstring); the per-example gradient of a logistic loss is ``(p_i - y_i) [x_i, 1]``."""
    n = len(y)
    Xb = np.column_stack([X, np.ones(n)])
    w = np.array(w, dtype=float, copy=True)
    for _ in range(steps):
        batch = rng.random(n) < q
        z = Xb[batch] @ w
        G = (1.0 / (1.0 + np.exp(-z)) - y[batch])[:, None] * Xb[batch]
        norms = np.linalg.norm(G, axis=1, keepdims=True)
        G *= np.minimum(1.0, clip / np.maximum(norms, 1e-12))
        noisy = G.sum(axis=0) + rng.normal(0.0, sigma * clip, size=w.shape)
        w -= lr * (noisy / (q * n) + model.l2 * model._penalty_mask() * w)
    return w


@validated(app=Instance(AppData), model=Instance(Model), target_epsilon=Real(0.01, allow_inf=True),
           rounds=Int(1, 200), local_steps=Int(1, 200), batch_size=Int(1, 1000),
           clip=Real(0.0, 100.0, low_open=True), lr=Real(0.0, 10.0, low_open=True),
           delta=Real(0.0, 0.1, low_open=True), seed=Seed())
def dp_federated(app: AppData, model: Model, target_epsilon: float, *, rounds: int = 20,
                 local_steps: int = 10, batch_size: int = 16, clip: float = 1.0,
                 lr: float = 0.5, delta: float = 1e-5, seed: int = 0) -> dict:
    """FedAvg over ``app``'s clients, each training with DP-SGD at patient-level
    ``target_epsilon`` (``inf``: the same clipped SGD without noise).

    Returns ``{"w", "scores" (per client, own test rows), "sigmas", "epsilons" (spent per
    client, each <= target), "q"}``.
    """
    if model.kind != "logistic":
        raise ValueError(f"dp_federated trains a logistic model, got {model.kind!r}")
    if lr * model.l2 >= 2.0:
        raise ValueError(f"lr * model.l2 must be below 2 (each step multiplies the weights by "
                         f"1 - lr * l2), got lr={lr}, l2={model.l2}")
    d = app.data
    check_fits(model, d.X_train, d.y_train, "app.data.X_train", "app.data.y_train")
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence([seed, 21]).spawn(
        app.num_clients)]
    steps = rounds * local_steps
    qs = [min(1.0, batch_size / len(u)) for u in d.users]
    if math.isinf(target_epsilon):
        sigmas = [0.0] * len(qs)
        spent = [math.inf] * len(qs)
    else:
        sigmas = [noise_for_epsilon(target_epsilon, q, steps, delta) for q in qs]
        spent = [dp_epsilon(q, s, steps, delta) for q, s in zip(qs, sigmas)]
    sizes = np.array([len(u) for u in d.users], dtype=float)
    w = model.init()
    for _ in range(rounds):
        local = [dp_sgd_steps(model, w, d.X_train[u], d.y_train[u], steps=local_steps, q=q,
                              clip=clip, sigma=s, lr=lr, rng=r)
                 for u, q, s, r in zip(d.users, qs, sigmas, rngs)]
        w = (sizes / sizes.sum()) @ np.stack(local)  # sizes are public here (cross-silo)
    if not np.isfinite(w).all():
        raise DivergenceError(f"DP-SGD diverged (NaN/inf weights) with lr={lr}, clip={clip}; "
                              f"use a smaller lr")
    return {"w": w, "scores": score_all(model, [w] * app.num_clients, app), "sigmas": sigmas,
            "epsilons": spent, "q": qs}
