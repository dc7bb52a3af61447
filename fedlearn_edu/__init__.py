"""fedlearn_edu: federated and transfer learning you can run, read and watch.

Quick start::

    from fedlearn_edu import FedConfig, simulate
    hist = simulate(FedConfig(dataset="digits", num_clients=10, rounds=30))
    print(hist.test_accuracy[-1])
"""

from .config import FedConfig
from .history import History, RoundRecord
from .simulation import DivergenceError, Federation, simulate

__all__ = ["FedConfig", "History", "RoundRecord", "simulate", "Federation", "DivergenceError"]
__version__ = "0.1.0"
