def ditto_step(v, w, grad, lr, lam):
    """One proximal Ditto step: a gradient step on f_i, then the exact pull toward w."""
    u = v - lr * grad
    return (u + lr * lam * w) / (1 + lr * lam)
