"""The one place that picks the loop for a config and combines core with systems and privacy.

* ``config.systems is None``: the core round loop, nothing else is imported (a plain FedAvg
  run loads only :mod:`fedlearn_edu.core`);
* ``config.systems`` set: the same core loop with the systems hooks (virtual clock, waiting
  rule, compression), or the event-driven loop for ``mode="async"``/``"fedbuff"``;
* ``config.dp`` / ``config.attack`` set: the strategy is wrapped by
  :class:`~fedlearn_edu.privacy.server.PrivateServer`.

:func:`simulate` returns the :class:`History`; :class:`SystemsRun` also keeps the
:class:`~fedlearn_edu.systems.timeline.Timeline` of every client job (for Gantt charts).
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import numpy as np

from ._validation import Array, Bool, Duck, Func, Instance, Maybe, Sequence, validated
from .core.config import FedConfig
from .core.data import Dataset
from .core.federation import Federation
from .core.history import History, RoundRecord
from .core.loop import run_history, run_rounds

CONFIG, FED = Instance(FedConfig), Instance(Federation)
CALLBACK = Maybe(Func())
PARTS = Maybe(Sequence(Array(ndim=1, kind="int"), 1))


@validated(config=CONFIG, fed=FED)
def make_server(config: FedConfig, fed: Federation):
    """``fed.strategy``, wrapped by ``PrivateServer`` when DP or an attack is on."""
    if config.dp is None and config.attack is None:
        return fed.strategy
    from .privacy.server import PrivateServer

    return PrivateServer(config, fed)


@validated(config=CONFIG, fed=Maybe(FED), observe=CALLBACK)
def records(config: FedConfig, fed: Federation | None = None, *, observe=None
            ) -> Iterator[tuple[RoundRecord, np.ndarray]]:
    """``(record, global_weights)`` per round of a run without a clock, with its privacy
    wrapper (DP, attackers) when the config has one. ``fed``: an already built federation."""
    if config.systems is not None:
        raise ValueError("records() runs configs without systems; use SystemsRun(config)")
    fed = Federation(config) if fed is None else fed
    return run_rounds(fed, config.rounds, server=make_server(config, fed), observe=observe)


@validated(config=CONFIG, callback=CALLBACK, raise_on_divergence=Bool())
def simulate(
    config: FedConfig,
    callback: Callable[[RoundRecord, History], bool | None] | None = None,
    *,
    raise_on_divergence: bool = False,
) -> History:
    """Run a federated simulation described by ``config``.

    Args:
        config: a :class:`FedConfig`.
        callback: called as ``callback(record, history)`` after every round (e.g. to
            redraw a plot); returning ``False`` stops the run.
        raise_on_divergence: raise :class:`DivergenceError` instead of flagging.

    Returns:
        :class:`History` with arrays of length ``config.rounds``.
    """
    if config.systems is not None:
        return SystemsRun(config).run(callback, raise_on_divergence=raise_on_divergence)
    return run_history(config, records(config), callback,
                       raise_on_divergence=raise_on_divergence)


class SystemsRun:
    """One run with systems realism: ``run()`` fills ``history``; ``timeline`` logs every job.

    Args:
        config: the :class:`FedConfig`; ``config.systems`` chooses mode, devices and
            compression (``None``: the default ``SystemsConfig()``, datacenter devices).
        profiles: explicit ``Profiles`` (default: the ones ``config.systems`` describes).
        data, parts: optional own dataset and client index arrays (e.g. the FedProx
            synthetic data); then ``config.dataset`` only labels the run.
    """

    @validated(config=CONFIG, data=Maybe(Instance(Dataset)), parts=PARTS,
               profiles=Maybe(Duck(("availability", "dropout", "num_clients"), "Profiles")))
    def __init__(self, config: FedConfig, *, profiles=None, data=None,
                 parts: list[np.ndarray] | None = None):
        from .systems.config import SystemsConfig
        from .systems.profiles import profiles_from_config
        from .systems.timeline import Timeline

        if config.systems is None:
            config = config.replace(systems=SystemsConfig())
        self.config = config
        self.profiles = profiles_from_config(config) if profiles is None else profiles
        if self.profiles.num_clients != config.num_clients:
            raise ValueError(f"profiles must describe as many clients as "
                             f"num_clients={config.num_clients}, got {self.profiles.num_clients}")
        if parts is not None and len(parts) != config.num_clients:
            raise ValueError(f"parts must have num_clients={config.num_clients} entries, "
                             f"got {len(parts)}")
        always_on = bool(np.all(self.profiles.availability == 1)
                         and np.all(self.profiles.dropout == 0))
        guarded = config.dp is not None or config.attack is not None or config.aggregator != "mean"
        if guarded and not always_on:
            raise ValueError("privacy/attack/robust-aggregation settings need profiles where "
                             "every client is always online and never crashes")
        self.data, self.parts = data, parts
        self.timeline = Timeline()
        self.history: History | None = None

    def federation(self) -> Federation:
        """A fresh :class:`Federation` (fresh random streams) for this run."""
        return Federation(self.config, data=self.data, parts=self.parts)

    def records(self) -> Iterator[tuple[RoundRecord, np.ndarray]]:
        """The stream of ``(record, weights)``, one per round (or per ``m`` async arrivals)."""
        from .systems.asynchronous import async_records
        from .systems.rounds import SystemsRounds
        from .systems.timeline import Timeline

        cfg, self.timeline = self.config, Timeline()
        fed = self.federation()
        if cfg.systems.is_async:
            return async_records(cfg, fed, self.profiles, self.timeline)
        hooks = SystemsRounds(cfg, fed, self.profiles, self.timeline)
        return run_rounds(fed, cfg.rounds, server=make_server(cfg, fed), hooks=hooks)

    def run(self, callback=None, *, raise_on_divergence: bool = False) -> History:
        """Run to the end (or until ``callback`` returns False); returns the History."""
        self.history = run_history(self.config, self.records(), callback,
                                   raise_on_divergence=raise_on_divergence)
        return self.history


@validated(config=CONFIG, callback=CALLBACK)
def run_systems(config: FedConfig, callback=None, **kwargs) -> SystemsRun:
    """Build a :class:`SystemsRun`, run it, return it (``.history``, ``.timeline``)."""
    run = SystemsRun(config, **kwargs)
    run.run(callback)
    return run
