import numpy as np


def my_local_train(data, w, lr=0.2, steps=5):
    X, y = data
    w = np.array(w, dtype=float)  # a copy: never modify the caller's array
    for _ in range(steps):
        w = w - lr * (2 / len(y)) * X.T @ (X @ w - y)  # one step down the gradient
    return w
