import numpy as np


def user_vector(V_rated, t, lam):
    D = np.column_stack([V_rated, np.ones(len(V_rated))])  # [V_i, 1]: factors and the bias
    x = np.linalg.solve(D.T @ D + lam * np.eye(D.shape[1]), D.T @ t)
    return x[:-1], x[-1]
