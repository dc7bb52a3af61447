"""fedlearn_edu: federated and transfer learning you can run, read and watch.

Quick start::

    from fedlearn_edu import FedConfig, simulate
    hist = simulate(FedConfig(dataset="digits", num_clients=10, rounds=30))
    print(hist.test_accuracy[-1])

Each concept's own settings plug into ``FedConfig``::

    from fedlearn_edu import DPConfig, SystemsConfig
    simulate(FedConfig(systems=SystemsConfig(latency_ms=300)))
    simulate(FedConfig(dp=DPConfig(noise_multiplier=1.0, clip_norm=0.5)))

The package's rooms: ``core`` (plain FL), ``article`` (the source article's functions),
``systems``, ``privacy``, ``transfer``, ``plots``, ``widgets``; see docs/ARCHITECTURE.md.
"""

from .core.config import FedConfig
from .core.federation import Federation
from .core.history import History, RoundRecord
from .core.loop import DivergenceError
from .runner import simulate

__all__ = ["FedConfig", "History", "RoundRecord", "simulate", "Federation", "DivergenceError",
           "SystemsConfig", "DPConfig", "AttackConfig"]
__version__ = "0.1.0"

# The concept configs are handed on lazily, so that a plain FedAvg run imports nothing of
# systems/ or privacy/ (PEP 562 module __getattr__).
_LAZY = {"SystemsConfig": "systems.config", "DPConfig": "privacy.config",
         "AttackConfig": "privacy.config"}


def __getattr__(name):
    if name in _LAZY:
        from importlib import import_module

        return getattr(import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
