"""Real federation on Flower: our clients and server as Flower apps (the ``flower`` extra).

``run_flower(config, runtime="simulation" | "deployment")`` runs a :class:`FedConfig` on
Flower and returns the :class:`History` that ``simulate`` returns, with the same numbers;
``fedlearn-edu classroom serve|join`` runs one client per student laptop.
"""

from ._require import EXTRA_HINT, FLWR_VERSION
from .apps import client_app, make_server_app, server_app, write_flower_app
from .codec import config_from_json, config_to_json
from .deployment import Deployment
from .processes import ProcessSet, descendants, free_port
from .runtime import RUNTIMES, run_flower
from .server import FlowerRunError, Job

__all__ = [
    "EXTRA_HINT", "FLWR_VERSION", "RUNTIMES", "Deployment", "FlowerRunError", "Job",
    "ProcessSet", "client_app", "config_from_json", "config_to_json", "descendants",
    "free_port", "make_server_app", "run_flower", "server_app", "write_flower_app",
]
