"""The federated round loop: the article's 8 steps, one record per round.

One round of :func:`simulate` is::

    1. the server samples clients                (strategy.sample_clients)
    2.-3. each sampled client loads its data and trains locally from the global model
                                                 (Federation.train)
    4. clients send their parameters (or gradients) to the server
    5. the server aggregates them                (strategy.aggregate -> aggregate.py)
    6.-7. the new global model is broadcast (it is the start of the next round)
    8. repeat for ``rounds`` rounds; after each, metrics go to History and ``callback``.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import lru_cache

import numpy as np
from threadpoolctl import ThreadpoolController

from .client import ClientStack, local_sgd, pad_clients
from .config import FedConfig
from .data import Dataset, load_dataset, partition
from .history import History, RoundRecord
from .models import Model, make_model
from .privacy import make_secure_server
from .strategies import make_strategy

BYTES_PER_PARAM = 8  # float64


class DivergenceError(RuntimeError):
    """Raised by ``simulate(..., raise_on_divergence=True)`` when the loss becomes NaN/inf."""


class Federation:
    """Everything a run needs, built once from a config: data, model, clients, RNGs.

    Attributes:
        config: the :class:`FedConfig`.
        data: the :class:`Dataset` (fixed split, seed 0, so changing ``config.seed`` only
            changes the training randomness, never the test set).
        model: the :class:`Model`.
        parts: ``num_clients`` index arrays into ``data.X_train``.
        X, y, counts: padded client data ``(K, n_max, d)``, ``(K, n_max)``, ``(K,)``.
        client_rngs: one generator per client, spawned from the run's seed.
        sample_rng: generator of the server's client sampling.
        strategy: the server strategy.
    """

    def __init__(self, config: FedConfig, data: Dataset | None = None):
        if not isinstance(config, FedConfig):
            raise TypeError(f"config must be a FedConfig, got {type(config).__name__}")
        self.config = config
        self.data = data if data is not None else load_dataset(config.dataset, config.test_size)
        self.model: Model = make_model(
            config.resolved_model, self.data.n_features, self.data.n_classes, config.l2
        )
        part_ss, sample_ss, client_ss = np.random.SeedSequence(config.seed).spawn(3)
        self.parts = partition(
            self.data.y_train,
            config.num_clients,
            config.partition,
            alpha=config.dirichlet_alpha,
            shards_per_client=config.shards_per_client,
            rng=np.random.default_rng(part_ss),
        )
        self.X, self.y, self.counts = pad_clients(self.data.X_train, self.data.y_train, self.parts)
        self.client_rngs = [np.random.default_rng(s) for s in client_ss.spawn(config.num_clients)]
        self.sample_rng = np.random.default_rng(sample_ss)
        self.strategy = make_strategy(config.strategy, config.clients_per_round, config.lr)
        self._stack: ClientStack | None = None
        self._eval_rows: tuple[np.ndarray, np.ndarray] | None = None

    @property
    def stack(self) -> ClientStack:
        """The batched engine's layout of ``X, y, counts``, rebuilt when they are replaced."""
        st = self._stack
        if st is None or st.X is not self.X or st.y is not self.y or st.counts is not self.counts:
            st = self._stack = ClientStack(self.X, self.y, self.counts)
        return st

    @property
    def num_params(self) -> int:
        return self.model.num_params

    def client_data(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Client ``i``'s own ``(X_i, y_i)``."""
        return self.data.X_train[self.parts[i]], self.data.y_train[self.parts[i]]

    def train(
        self,
        w: np.ndarray,
        selected: np.ndarray,
        *,
        mu: float = 0.0,
        max_steps: np.ndarray | None = None,
        starts: np.ndarray | None = None,
    ) -> np.ndarray:
        """Run the selected clients' local work from the global model ``w: (p,)``.

        Args:
            selected: ``(m,)`` client indices.
            mu: FedProx proximal strength.
            max_steps: ``(m,)`` optional cap on local SGD steps (partial work).
            starts: ``(m, p)`` optional per-client starting points (default: ``w`` for all).

        Returns:
            ``(m, p)``: new client models for FedAvg, full-batch gradients for FedSGD.
        """
        cfg, model = self.config, self.model
        selected = np.asarray(selected, dtype=int)
        W = np.tile(w, (len(selected), 1)) if starts is None else np.asarray(starts, dtype=float)
        if self.strategy.client_returns == "gradient":
            if cfg.engine == "loop":
                return np.stack([model.grad(W[j], *self.client_data(i))
                                 for j, i in enumerate(selected)])
            mask = np.arange(self.X.shape[1])[None, :] < self.counts[selected, None]
            return model.grad_batched(W, self.X[selected], self.y[selected], mask)
        opts = dict(epochs=cfg.local_epochs, batch_size=cfg.batch_size, lr=cfg.lr, mu=mu)
        if cfg.engine == "loop":
            return np.stack([
                local_sgd(model, W[j], *self.client_data(i), rng=self.client_rngs[i],
                          max_steps=None if max_steps is None else int(max_steps[j]), **opts)
                for j, i in enumerate(selected)
            ])
        return self.stack.local_sgd(
            model, W, selected, rngs=[self.client_rngs[i] for i in selected],
            max_steps=max_steps, **opts,
        )

    def evaluate(self, w: np.ndarray) -> tuple[float, float, float]:
        """``(test_accuracy, test_loss, train_loss)`` of global parameters ``w``.

        ``train_loss`` is the federated objective ``sum_i (n_i / n) f_i(w)``, which equals
        the mean loss over the union of all clients' training data.
        """
        d, m = self.data, self.model
        if not np.all(np.isfinite(w)):
            return float("nan"), float("nan"), float("nan")
        if self._eval_rows is None:  # test and train rows stacked: one product per round
            self._eval_rows = (np.concatenate([d.X_test, d.X_train]),
                               np.concatenate([d.y_test, d.y_train]))
        n_test, penalty = len(d.y_test), m.penalty(w)
        pred, losses = m.predict_and_losses(w, *self._eval_rows, n_predict=n_test)
        return (m.score_predictions(pred, d.y_test),
                float(losses[:n_test].mean() + penalty), float(losses[n_test:].mean() + penalty))


def iterate(
    config: FedConfig,
    w0: np.ndarray | None = None,
    *,
    fed: Federation | None = None,
    observe: Callable[[np.ndarray, np.ndarray, np.ndarray], None] | None = None,
) -> Iterator[tuple[RoundRecord, np.ndarray]]:
    """Yield ``(record, global_weights)`` after every round of plain synchronous FL.

    Args:
        w0: starting global parameters (default: the model's zeros).
        fed: an already built :class:`Federation` for ``config`` (else one is built).
        observe: called as ``observe(w_global, selected, results)`` every round after local
            training and before aggregation, e.g. to measure client drift.
    """
    fed = Federation(config) if fed is None else fed
    guard = make_secure_server(config, fed)  # issue 7: None unless DP/attack/robust agg. is on
    w = fed.model.init() if w0 is None else np.array(w0, dtype=float, copy=True)
    msg_bytes = fed.num_params * BYTES_PER_PARAM
    for r in range(1, config.rounds + 1):
        if guard is None:
            selected = fed.strategy.sample_clients(config.num_clients, fed.sample_rng)
        else:  # issue 7: Poisson sampling under DP
            selected = guard.sample_clients(fed)
        with np.errstate(over="ignore", invalid="ignore"):
            if guard is None:
                results = fed.train(w, selected)
            else:  # issue 7: Poisson sampling may pick nobody
                results = fed.train(w, selected) if len(selected) else np.empty((0, len(w)))
            if observe is not None:
                observe(w, selected, results)
            if guard is None:
                w = fed.strategy.aggregate(w, results, fed.counts[selected])
            else:  # issue 7: attacks, robust aggregation or DP-FedAvg
                w = guard.aggregate(fed, w, selected, results)
            acc, test_loss, train_loss = fed.evaluate(w)
        yield RoundRecord(
            round=r, test_accuracy=acc, test_loss=test_loss, train_loss=train_loss,
            participants=selected, bytes_up=msg_bytes * len(selected),
            bytes_down=msg_bytes * len(selected),
            epsilon=float("nan") if guard is None else guard.epsilon,
        ), w


@lru_cache(maxsize=1)
def _blas_controller() -> ThreadpoolController:
    """Finding the BLAS libraries takes milliseconds, so it is done once per process."""
    return ThreadpoolController()


def run_history(
    config: FedConfig,
    records: Iterator[tuple[RoundRecord, np.ndarray]],
    callback: Callable[[RoundRecord, History], bool | None] | None = None,
    *,
    raise_on_divergence: bool = False,
) -> History:
    """Collect a stream of round records into a :class:`History`.

    Stops early when ``callback`` returns ``False`` or the loss becomes NaN/inf
    (then ``history.diverged`` is True and ``history.message`` says what to change).
    """
    hist = History(config.rounds, config=config)
    # The engine's matrices are small: multi-threaded BLAS only adds overhead (and thrashes
    # when a 2-core machine is shared), so the run uses one BLAS thread.
    with _blas_controller().limit(limits=1, user_api="blas"):
        _collect(config, records, hist, callback, raise_on_divergence)
    return hist


def _collect(config, records, hist, callback, raise_on_divergence) -> None:
    for rec, w in records:
        if not (np.isfinite(rec.train_loss) and np.all(np.isfinite(w))):
            hist.diverged = True
            hist.message = (
                f"training diverged in round {rec.round}: the loss became "
                f"{rec.train_loss} (NaN/inf); lower the learning rate (lr={config.lr})"
            )
            if raise_on_divergence:
                raise DivergenceError(hist.message)
            return
        hist.record(rec)
        hist.final_weights = w
        if callback is not None and callback(rec, hist) is False:
            hist.message = f"stopped by callback after round {rec.round}"
            return


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
    if not isinstance(config, FedConfig):
        raise TypeError(f"config must be a FedConfig, got {type(config).__name__}")
    from .systems_run import system_records  # issue 5: virtual clock, systems modes

    return run_history(config, system_records(config), callback,
                       raise_on_divergence=raise_on_divergence)
