"""The one exception type for training that left the float range (shared by every room)."""


class DivergenceError(FloatingPointError, ValueError):
    """Training produced NaN/inf (raised by ``local_sgd``, the article's and the transfer
    trainers, or by a run with ``raise_on_divergence=True``).

    Also a ``ValueError``: a run diverges because a setting is too aggressive (the message
    names it, e.g. ``lr``), so code that handles bad settings handles this too."""
