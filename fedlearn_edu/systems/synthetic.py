"""Synthetic(alpha, beta), the FedProx paper's heterogeneous benchmark: the generator lives
in :mod:`fedlearn_edu.core.synthetic_users` (it is also the ``"fedprox_synthetic"`` dataset,
whose ``"natural"`` partition gives every generated user its own client); handed on here."""

from ..core.synthetic_users import synthetic_fedprox

__all__ = ["synthetic_fedprox"]
