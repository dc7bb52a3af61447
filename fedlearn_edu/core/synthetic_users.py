"""Synthetic(alpha, beta): the heterogeneous benchmark of the FedProx paper, in NumPy.

Li, Sahu, Zaheer, Sanjabi, Talwalkar, Smith, "Federated Optimization in Heterogeneous
Networks", MLSys 2020 (arXiv:1812.06127, 2018), Section 5.1. Written from the paper's
description and its public generator; this is an independent NumPy version.

Device ``k`` (of 30) gets its own softmax-regression truth and its own input distribution:

* ``u_k ~ N(0, alpha)`` (model heterogeneity), ``W_k ~ N(u_k, 1)^(60 x 10)``,
  ``b_k ~ N(u_k, 1)^10``;
* ``B_k ~ N(0, beta)`` (data heterogeneity), ``v_k ~ N(B_k, 1)^60``,
  ``x ~ N(v_k, Sigma)`` with diagonal ``Sigma_jj = j^(-1.2)``;
* ``y = argmax(x W_k + b_k)``;
* sizes follow a power law: ``n_k = int(LogNormal(4, 2)) + 50``; each device keeps 90% of
  its (shuffled) examples for training and 10% for the shared test set.

(Like the reference code, ``alpha``/``beta`` are standard deviations, i.e. ``N(0, alpha)``
is ``normal(0, alpha)``.) Note, as in the reference code: ``alpha`` shifts every class score
of a device by the same ``u_k * sum(x)``, so it never changes a label; the model
heterogeneity comes from each device's own ``W_k`` draw, whatever ``alpha`` is
(``tests/test_references.py`` checks the draws against the paper's generator).
"""

from __future__ import annotations

import numpy as np

from .._validation import MEMORY_BUDGET_BYTES, Int, Maybe, Real, Seed, validated
from .dataset import Dataset


@validated(alpha=Real(0.0, 100.0), beta=Real(0.0, 100.0), num_devices=Int(1, 10_000),
           n_features=Int(1, 100_000), n_classes=Int(2, 10_000),
           max_samples=Maybe(Int(2, 10**9)), train_fraction=Real(0.0, 1.0, True, True),
           seed=Seed())
def synthetic_fedprox(
    alpha: float = 1.0,
    beta: float = 1.0,
    *,
    num_devices: int = 30,
    n_features: int = 60,
    n_classes: int = 10,
    max_samples: int | None = None,
    train_fraction: float = 0.9,
    seed: int = 0,
) -> tuple[Dataset, list[np.ndarray]]:
    """Generate Synthetic(alpha, beta).

    Args:
        alpha, beta: "model" and data heterogeneity in ``[0, 100]`` (see the note above on
            ``alpha``; the paper uses 0, 0.5 and 1).
        num_devices: devices in ``[1, 10000]`` (30 in the paper).
        n_features: input dimension in ``[1, 100000]``; n_classes: in ``[2, 10000]``.
        max_samples: optional cap ``>= 2`` on any device's size (the log-normal tail reaches
            tens of thousands; a cap keeps notebooks fast; ``None`` = as in the paper).
        train_fraction: share of each device's examples kept for training, in ``(0, 1)``;
            every device must keep at least one.
        seed: everything random derives from it, an integer in ``[0, 2**63)``.

    Returns:
        ``(dataset, parts)``: a :class:`Dataset` whose training rows are grouped by device
        and ``parts``, one index array per device into ``dataset.X_train``.

    Raises:
        ValueError: a parameter out of range; a dataset that would need more than the
            memory budget (1 GiB); a device left without training examples.
    """
    rng = np.random.default_rng(seed)
    sizes = rng.lognormal(4, 2, num_devices).astype(int) + 50
    if max_samples is not None:
        sizes = np.minimum(sizes, int(max_samples))
    n_train = (train_fraction * sizes).astype(int)
    # outputs are allocated once and filled device by device; one device's draws on top
    need = 8 * (int(sizes.sum()) * (n_features + 1) + int(sizes.max()) * (2 * n_features
                                                                        + n_classes))
    if need > MEMORY_BUDGET_BYTES:
        raise ValueError(f"synthetic_fedprox(num_devices={num_devices}, n_features="
                         f"{n_features}, n_classes={n_classes}, max_samples={max_samples}) "
                         f"would need {need / 2**30:.1f} GiB, more than the "
                         f"{MEMORY_BUDGET_BYTES / 2**30:.0f} GiB a call may allocate; lower "
                         f"num_devices, n_features, n_classes or max_samples")
    if n_train.min() < 1:
        raise ValueError(f"train_fraction={train_fraction} of the smallest device "
                         f"({sizes.min()} examples, max_samples={max_samples}) keeps no "
                         f"training example; raise train_fraction or max_samples")
    mean_w = rng.normal(0, alpha, num_devices)
    mean_x = rng.normal(rng.normal(0, beta, num_devices)[:, None], 1, (num_devices, n_features))
    sd_x = np.arange(1, n_features + 1) ** -0.6  # sqrt of the diagonal covariance j^-1.2
    ends_tr, ends_te = np.cumsum(n_train), np.cumsum(sizes - n_train)
    X_tr, X_te = np.empty((ends_tr[-1], n_features)), np.empty((ends_te[-1], n_features))
    y_tr, y_te = np.empty(ends_tr[-1], dtype=int), np.empty(ends_te[-1], dtype=int)
    parts = []
    for k in range(num_devices):
        W = rng.normal(mean_w[k], 1, (n_features, n_classes))
        b = rng.normal(mean_w[k], 1, n_classes)
        X = mean_x[k] + sd_x * rng.standard_normal((sizes[k], n_features))
        y = np.argmax(X @ W + b, axis=1)
        order = rng.permutation(sizes[k])
        a, t = ends_tr[k] - n_train[k], ends_te[k] - (sizes[k] - n_train[k])
        X_tr[a: ends_tr[k]], y_tr[a: ends_tr[k]] = X[order[: n_train[k]]], y[order[: n_train[k]]]
        X_te[t: ends_te[k]], y_te[t: ends_te[k]] = X[order[n_train[k]:]], y[order[n_train[k]:]]
        parts.append(np.arange(a, ends_tr[k]))

    def ro(a):
        a.setflags(write=False)
        return a

    data = Dataset(f"synthetic_fedprox({alpha:g},{beta:g})", ro(X_tr), ro(y_tr), ro(X_te),
                   ro(y_te), n_classes)
    return data, parts
