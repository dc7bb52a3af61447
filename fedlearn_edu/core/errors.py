"""The engine's own exception types."""


class DivergenceError(FloatingPointError, ValueError):
    """Training produced NaN/inf (raised by ``local_sgd``, or by a run with
    ``raise_on_divergence=True``).

    Also a ``ValueError``: a run diverges because a setting is too aggressive (the message
    names it, e.g. ``lr``), so code that handles bad settings handles this too."""
