"""``run_flower(config, runtime=...)``: one :class:`FedConfig` run on Flower, as a ``History``.

The returned :class:`~fedlearn_edu.core.history.History` is the type ``simulate`` returns,
built by the same ``run_history`` from the records the ServerApp streams round by round,
so ``callback(record, history)`` sees each round live, as with ``simulate``.
"""

from __future__ import annotations

import threading
from collections.abc import Callable

from .._validation import Choice, Func, Instance, Int, Maybe, Real, validated
from ..core.config import FedConfig
from ..core.history import History, RoundRecord
from ..core.loop import run_history
from .channel import QueueChannel
from .codec import check_supported, config_to_json
from .deployment import Deployment
from .server import FlowerRunError, Job

RUNTIMES = ("simulation", "deployment")


def _records(items, on_event, dtype="float64"):
    """``(record, weights)`` pairs for ``run_history``; events go to ``on_event``."""
    for item in items:
        if item[0] == "round":
            yield item[1], item[2].astype(dtype, copy=False)  # JSON carried float64
        elif on_event is not None:
            on_event(item[1])


@validated(config=Instance(FedConfig), runtime=Choice(RUNTIMES), callback=Maybe(Func()),
           deployment=Maybe(Instance(Deployment)), on_event=Maybe(Func()),
           round_timeout=Real(0.0, low_open=True), min_answers=Int(0))
def run_flower(
    config: FedConfig,
    runtime: str = "simulation",
    callback: Callable[[RoundRecord, History], bool | None] | None = None,
    *,
    deployment: Deployment | None = None,
    on_event: Callable[[dict], None] | None = None,
    round_timeout: float = 120.0,
    min_answers: int = 0,
) -> History:
    """Run ``config`` as a real Flower federation; same numbers as ``simulate(config)``.

    Args:
        config: the run (no ``systems``/``attack``: those stay simulated).
        runtime: ``"simulation"`` (Flower's Simulation Runtime in this process) or
            ``"deployment"`` (a SuperLink and one SuperNode per client, OS processes on
            127.0.0.1 that we start and stop).
        callback: ``callback(record, history)`` after every round; ``False`` stops the run.
        deployment: a started :class:`Deployment` with ``config.num_clients`` nodes to reuse
            (``runtime="deployment"`` only; it is left running).
        on_event: called with each server event (``{"kind": "joined", "student": 3}``, ...).
        round_timeout: seconds a round waits for its clients.
        min_answers: ``0`` (default): every sampled client must answer in time, else the run
            fails (:class:`FlowerRunError`): parity. ``m > 0``: a round goes on with whoever
            answered and changes the model only with at least ``m`` answers (dropouts).
    """
    check_supported(config)
    if deployment is not None and runtime != "deployment":
        raise ValueError(f"deployment is only used with runtime='deployment', got "
                         f"runtime={runtime!r}")
    if deployment is not None and deployment.num_nodes != config.num_clients:
        raise ValueError(f"deployment must have num_clients={config.num_clients} nodes, got "
                         f"{deployment.num_nodes}")
    job = Job(config_to_json(config), min_nodes=config.num_clients, min_answers=min_answers,
              round_timeout=round_timeout, join_timeout=max(round_timeout, 300.0))
    if runtime == "simulation":
        return _simulation(config, job, callback, on_event)
    own = deployment is None
    dep = Deployment(config.num_clients).start() if own else deployment
    try:
        channel = dep.submit(job)
        try:
            return run_history(config, _records(channel.items(dep.check), on_event,
                                                config.dtype), callback)
        finally:
            channel.stop()
    finally:
        if own:
            dep.stop()


def _simulation(config, job, callback, on_event) -> History:
    from .simulation import run_simulation_runtime

    channel, crashed = QueueChannel(), []

    def target():
        try:
            run_simulation_runtime(job, channel, config.num_clients)
        except BaseException as err:  # noqa: BLE001 - re-raised in the caller's thread
            crashed.append(err)
        finally:
            channel.finish()

    thread = threading.Thread(target=target, name="flower-simulation", daemon=True)
    thread.start()

    def check():
        if crashed:
            raise FlowerRunError(f"Flower's Simulation Runtime failed: {crashed[0]}")

    try:
        hist = run_history(config, _records(channel.items(check), on_event, config.dtype),
                           callback)
    finally:
        channel.stop()
        thread.join(timeout=60)
    check()
    return hist
