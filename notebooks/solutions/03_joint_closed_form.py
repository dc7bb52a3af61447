import numpy as np


def my_joint_closed_form(source, target, alpha, beta):
    """The minimiser of alpha f + beta g for the linear model with bias: (11,) = [coef, bias]."""
    (Xs, ys), (Xt, yt) = source, target
    As = np.column_stack([Xs, np.ones(len(Xs))])  # A = [X, 1]
    At = np.column_stack([Xt, np.ones(len(Xt))])
    H = 2 * alpha / len(ys) * As.T @ As + 2 * beta / len(yt) * At.T @ At
    b = 2 * alpha / len(ys) * As.T @ ys + 2 * beta / len(yt) * At.T @ yt
    return np.linalg.solve(H, b)
