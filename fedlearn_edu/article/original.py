"""The article's example code, kept as written so notebooks can show what goes wrong.

Do not use these for anything but the demonstration. What is wrong:

* ``generate_data`` returns features only: there are no labels, so there is no loss.
* ``local_train`` computes ``w + np.dot(data, w)``: ``(100, 10) @ (10,)`` is ``(100,)``,
  which cannot be added to ``w: (10,)`` -> ``ValueError`` (shape error).
* Even with the shapes patched (:func:`local_train_shape_patched`), ``w = 0`` maps to
  ``0``: starting from zeros, nothing is ever learned (a fixed point).
* ``federated_train`` chains devices one after another instead of averaging.
* ``target_train`` subtracts instead of adding: the sign is flipped.

The article's markdown also lost the underscores of ``federated_train``/``local_train``;
the names below are the intended ones. The global ``np.random`` state is used, as written.
"""

import numpy as np


def generate_data():
    return np.random.rand(100, 10)


def local_train(data, w):
    return w + np.dot(data, w)


def federated_train(w, num_devices):
    for _ in range(num_devices):
        w = local_train(generate_data(), w)
    return w


def generate_source_data():
    return np.random.rand(100, 10)


def generate_target_data():
    return np.random.rand(100, 10)


def source_train(data, w):
    return w + np.dot(data, w)


def target_train(data, w):
    return w - np.dot(data, w)


def local_train_shape_patched(data, w):
    """The smallest shape fix (``data.T @ (data @ w)``): it runs, but ``w = 0`` stays ``0``."""
    return w + data.T @ (data @ w) / len(data)
