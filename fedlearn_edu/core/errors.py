"""The engine's own exception types (defined in ``_validation``, so every room raises one)."""

from .._validation.errors import DivergenceError

__all__ = ["DivergenceError"]
