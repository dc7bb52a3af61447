"""``runtime="simulation"``: Flower's Simulation Runtime, with the ClientApps in this process.

Flower's Simulation Runtime (``flwr.simulation``) runs the ServerApp in a thread and the
virtual SuperNodes' ClientApps through a *backend*. Flower ships one backend, Ray (the
``flwr[simulation]`` extra: a cluster of worker processes). For a classroom laptop and CI we
plug in :class:`InProcessBackend` instead: the same runtime (in-memory SuperLink state,
``InMemoryGrid``, one ``Context`` per node kept between rounds, partition ids in the node
config), with every ClientApp call run in a worker thread of this process. Flower builds its
backend by importing ``RayBackend`` from its ``raybackend`` module; :func:`_in_process_backend`
puts a module that hands out ours under that name for the length of a run.
"""

from __future__ import annotations

import contextlib
import logging
import sys
import threading
import types

from flwr.clientapp.client_app import ClientApp, ClientAppException
from flwr.server.superlink.fleet.vce.backend import Backend
from flwr.simulation.run_simulation import _run_simulation
from flwr.supercore.telemetry import EventType

from .apps import make_server_app
from .node import client_app

RAY_MODULE = "flwr.server.superlink.fleet.vce.backend.raybackend"
_SWAP = threading.Lock()


class InProcessBackend(Backend):
    """A Simulation Runtime backend that runs ClientApps in this process, one at a time
    (our engine is vectorised already; one worker keeps every run deterministic)."""

    def __init__(self, backend_config):
        super().__init__(backend_config)
        self.app: ClientApp | None = None

    def build(self, app_fn) -> None:
        self.app = app_fn()

    @property
    def num_workers(self) -> int:
        return 1

    def is_worker_idle(self) -> bool:
        return True

    def terminate(self) -> None:
        self.app = None

    def process_message(self, message, context):
        try:
            return self.app(message=message, context=context), context
        except Exception as ex:  # reported to the server as an error reply, as Ray does
            raise ClientAppException(str(ex)) from ex


@contextlib.contextmanager
def _in_process_backend():
    shim = types.ModuleType(RAY_MODULE)
    shim.RayBackend = InProcessBackend
    with _SWAP:
        before = sys.modules.get(RAY_MODULE)
        sys.modules[RAY_MODULE] = shim
        try:
            yield
        finally:
            if before is None:
                sys.modules.pop(RAY_MODULE, None)
            else:
                sys.modules[RAY_MODULE] = before


def run_simulation_runtime(job, channel, num_supernodes: int) -> None:
    """Run ``job`` on Flower's Simulation Runtime with ``num_supernodes`` virtual nodes (blocks
    until the ServerApp returns; records stream into ``channel``)."""
    logging.getLogger("flwr").setLevel(logging.WARNING)
    with _in_process_backend():
        _run_simulation(num_supernodes=num_supernodes, client_app=client_app,
                        server_app=make_server_app(job, channel), backend_name="in-process",
                        exit_event=EventType.PYTHON_API_RUN_SIMULATION_LEAVE)
