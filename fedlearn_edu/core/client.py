"""Local training on a client: mini-batch SGD, optionally with a proximal term.

Two implementations that produce the same numbers (tested):

* :func:`local_sgd` trains one client with plain Python loops: read this one (it checks its
  arguments and raises :class:`DivergenceError` when training blows up; the round loop calls
  the unchecked :func:`sgd_steps`, whose NaN the loop detects and reports).
* :meth:`ClientStack.local_sgd` (in :mod:`.stack`) trains ``m`` clients at once on
  padded stacks (``(m, n_max, d)``): one vectorised step for all clients per mini-batch
  position, two batched matrix products per step (logits, then gradient) with the bias
  folded in as a column of ones. This is the engine's hot loop; see
  ``benchmarks/engine.py``.

Shuffling: at the start of a round a client draws all its epochs' orders at once from
*its own* generator with :func:`epoch_orders`, so both implementations consume random
numbers identically.
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    MAX_ITERATIONS,
    RNG,
    Array,
    Bool,
    Duck,
    Int,
    Maybe,
    Real,
    validated,
)
from .batches import epoch_orders, steps_per_epoch  # noqa: F401 - handed on
from .errors import DivergenceError


@validated(model=Duck(("grad",), "model"), w=Array(ndim=1), X=Array(ndim=2),
           y=Array(ndim=1, kind="real"), epochs=Int(0, 10_000), batch_size=Int(1), lr=Real(
               0.0, low_open=True), rng=RNG(), mu=Real(0.0, allow_inf=True),
           anchor=Maybe(Array(ndim=1)), exact_prox=Bool(), max_steps=Maybe(Int(0)))
def local_sgd(
    model,
    w: np.ndarray,
    X: np.ndarray,
    y: np.ndarray,
    *,
    epochs: int,
    batch_size: int,
    lr: float,
    rng: np.random.Generator,
    mu: float = 0.0,
    anchor: np.ndarray | None = None,
    exact_prox: bool = False,
    max_steps: int | None = None,
) -> np.ndarray:
    """Reference local training of one client (any model with ``grad``).

    Minimises ``f_i(v) + (mu / 2) * ||v - anchor||^2`` by SGD starting at ``v = w``; the
    anchor is ``w`` unless given. This one proximal term serves two ideas:

    * FedProx (Li et al. 2020, ``mu``): the pull toward the global model is one more
      gradient term, ``v <- v - lr * (grad f_i(v) + mu (v - anchor))``;
    * Ditto (Li et al. 2021, ``lambda``): ``exact_prox=True`` applies the pull exactly after
      the gradient step ``u``, ``v <- (u + lr mu anchor) / (1 + lr mu)``, which is stable for
      any ``mu`` including ``inf`` (then ``v = anchor``).

    Args:
        model: the model.
        w: ``(p,)`` starting parameters; not modified.
        X: ``(n, d)`` and y: ``(n,)`` the client's data.
        epochs, batch_size, lr: SGD settings.
        rng: the client's own generator.
        mu: proximal strength >= 0.
        anchor: ``(p,)`` the point the proximal term pulls toward (default ``w``).
        exact_prox: take the proximal step exactly (Ditto) instead of as a gradient term.
        max_steps: stop after this many mini-batch steps (partial work), ``None`` = all.

    Returns:
        ``(p,)`` the client's new parameters.

    Raises:
        DivergenceError: the parameters became NaN/inf (lower ``lr`` or ``mu``).
    """
    if len(y) != len(X):
        raise ValueError(f"y must have one entry per row of X ({len(X)}), got {len(y)}")
    p = getattr(model, "num_params", len(w))
    for name, v in (("w", w), ("anchor", anchor)):
        if v is not None and len(v) != p:
            raise ValueError(f"{name} must have the model's {p} parameters, got {len(v)}")
    if np.isinf(mu) and not exact_prox:
        raise ValueError("mu=inf needs exact_prox=True (the gradient form would be inf)")
    if epochs * steps_per_epoch(len(y), batch_size) > MAX_ITERATIONS:
        raise ValueError(f"epochs={epochs} over {len(y)} examples in batches of {batch_size} "
                         f"is more than {MAX_ITERATIONS} steps; use fewer epochs")
    with np.errstate(over="ignore", invalid="ignore"):
        v = sgd_steps(model, w, X, y, epochs=epochs, batch_size=batch_size, lr=lr, rng=rng,
                      mu=mu, anchor=anchor, exact_prox=exact_prox, max_steps=max_steps)
    if not np.isfinite(v).all():
        raise DivergenceError(f"local SGD diverged (parameters became NaN/inf): lower lr "
                              f"(lr={lr}) or mu (mu={mu})")
    return v


def sgd_steps(model, w, X, y, *, epochs, batch_size, lr, rng, mu=0.0, anchor=None,
              exact_prox=False, max_steps=None) -> np.ndarray:
    """:func:`local_sgd` without the checks: the round loop's per-client kernel."""
    n = len(y)
    orders = epoch_orders(rng, n, epochs)
    anchor = w if anchor is None else anchor
    if exact_prox and np.isinf(mu):
        return np.array(anchor, dtype=np.result_type(anchor, np.float32), copy=True)
    v = np.array(w, dtype=np.result_type(w, np.float32), copy=True)  # float32 stays float32
    steps = 0
    for order in orders:
        for start in range(0, n, batch_size):
            if max_steps is not None and steps >= max_steps:
                return v
            idx = order[start : start + batch_size]
            g = model.grad(v, X[idx], y[idx])
            if mu and not exact_prox:
                g = g + mu * (v - anchor)
            v = v - lr * g
            if mu and exact_prox:
                v = (v + lr * mu * anchor) / (1.0 + lr * mu)
            steps += 1
    return v


from .stack import ClientStack, pad_clients  # noqa: E402, F401 - handed on: their old home
