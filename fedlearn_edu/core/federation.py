"""``Federation``: the clients of a run (their data, model and random streams) and the server's
strategy, built once and reused every round.

Two ways to build one:

* ``Federation(config)``: from a :class:`~fedlearn_edu.core.config.FedConfig` (a bundled
  dataset split across ``num_clients`` clients), optionally with given ``data``/``parts``;
* :meth:`Federation.from_clients`: from client datasets you already have and any model with
  ``grad`` (e.g. the MLP of the transfer notebooks); then the plain loop engine trains them.
"""

from __future__ import annotations

import numpy as np

from .._validation import (
    RNG,
    Array,
    Duck,
    Instance,
    Maybe,
    Pair,
    Seed,
    Sequence,
    validated,
)
from .client import sgd_steps
from .config import FedConfig
from .data import USER_DATASETS, Dataset, load_dataset, partition
from .evaluation import evaluation_rows
from .models import Model, make_model
from .stack import ClientStack, chunked_stacks, pad_clients
from .strategies import FedAvg, make_strategy
from .training import LocalTraining, check_parts

BYTES_PER_PARAM = 8  # float64 on the wire (also for float32 runs: the message format is fixed)
FLOAT64 = np.dtype(np.float64)
# Pad every client once when the padded layout fits in this; else gather per round.
STACK_BUDGET_BYTES = 256 * 2**20


class Federation:
    """Everything a run needs, built once: data, model, clients, RNGs, strategy.

    Attributes:
        config: the :class:`FedConfig` (``None`` for :meth:`from_clients`).
        data: the :class:`Dataset` (fixed split, seed 0, so changing ``config.seed`` only
            changes the training randomness, never the test set).
        model: the model.
        parts: ``num_clients`` index arrays into ``data.X_train``.
        X, y, counts: padded client data ``(K, n_max, d)``, ``(K, n_max)``, ``(K,)``.
        client_rngs: one generator per client, spawned from the run's seed.
        sample_rng: generator of the server's client sampling.
        strategy: the server strategy; training: the clients' :class:`LocalTraining`.
    """

    @validated(config=Instance(FedConfig), data=Maybe(Instance(Dataset)),
               parts=Maybe(Sequence(Array(ndim=1, kind="int"), 1)))
    def __init__(self, config: FedConfig, data: Dataset | None = None, *,
                 parts: list[np.ndarray] | None = None):
        natural = config.partition == "natural"
        # the users of a dataset we generate here are valid by construction: checking 10,000
        # of them took most of the build time (0.85 of 1.06 s)
        own_users = data is None and natural
        if data is None:
            users = config.num_clients if natural else None
            data = load_dataset(config.dataset, config.test_size, num_users=users) \
                if config.dataset in USER_DATASETS else load_dataset(config.dataset,
                                                                      config.test_size)
        model = make_model(config.resolved_model, data.n_features, data.n_classes, config.l2)
        part_ss, sample_ss, client_ss = np.random.SeedSequence(config.seed).spawn(3)
        if parts is None and natural:
            if data.users is None or len(data.users) != config.num_clients:
                raise ValueError(f"partition='natural' needs data with num_clients="
                                 f"{config.num_clients} users")
            parts = list(data.users)
        if parts is None:
            parts = partition(data.y_train, config.num_clients, config.partition,
                              alpha=config.dirichlet_alpha,
                              shards_per_client=config.shards_per_client,
                              rng=np.random.default_rng(part_ss))
        elif len(parts) != config.num_clients:
            raise ValueError(f"parts must have num_clients={config.num_clients} entries, "
                             f"got {len(parts)}")
        elif not own_users:
            check_parts(parts, len(data.y_train))
        strategy = make_strategy(config.strategy, config.clients_per_round, config.lr,
                                 config.aggregator, config.aggregator_f)
        training = LocalTraining(config.local_epochs, config.batch_size, config.lr, config.mu,
                                 config.engine)
        self._setup(model, data, parts, training, strategy,
                    [np.random.default_rng(s) for s in client_ss.spawn(config.num_clients)],
                    np.random.default_rng(sample_ss), np.dtype(config.dtype))
        self.config = config

    @classmethod
    @validated(model=Duck(("init", "grad", "loss", "num_params"), "model"),
               clients=Sequence(Pair("real"), 1), training=Instance(LocalTraining),
               rngs=Maybe(Sequence(RNG())), seed=Seed(), test=Maybe(Pair("real")))
    def from_clients(cls, model, clients, *, training: LocalTraining, rngs=None, seed: int = 0,
                     test: tuple[np.ndarray, np.ndarray] | None = None) -> Federation:
        """A federation of given clients, each ``(X_i (n_i, d), y_i (n_i,))``, every client in
        every round (FedAvg). ``rngs``: one generator per client (default: spawned from
        ``seed``). ``test``: the ``(X, y)`` that :meth:`evaluate` scores (default: none)."""
        if rngs is not None and len(rngs) != len(clients):
            raise ValueError(f"rngs must hold one generator per client ({len(clients)}), "
                             f"got {len(rngs)}")
        widths = {c[0].shape[1] for c in clients} | ({test[0].shape[1]} if test else set())
        if len(widths) > 1:
            raise ValueError(f"clients (and test) must share one feature width, got {widths}")
        X = np.concatenate([np.asarray(c[0], dtype=float) for c in clients])
        y = np.concatenate([np.asarray(c[1]) for c in clients])
        ends = np.cumsum([len(c[1]) for c in clients])
        parts = [np.arange(a, b) for a, b in zip(np.r_[0, ends[:-1]], ends, strict=True)]
        X_test, y_test = test if test is not None else (X[:0], y[:0])
        data = Dataset("clients", X, y, np.asarray(X_test, dtype=float), np.asarray(y_test),
                       int(getattr(model, "n_classes", 1)))
        if rngs is None:
            kids = np.random.SeedSequence(seed).spawn(len(parts))
            rngs = [np.random.default_rng(s) for s in kids]
        fed = cls.__new__(cls)
        fed._setup(model, data, parts, training, FedAvg(len(parts)), list(rngs),
                   np.random.default_rng(np.random.SeedSequence([seed, 1])))
        fed.config = None
        return fed

    def _setup(self, model, data, parts, training, strategy, client_rngs, sample_rng,
               dtype=FLOAT64) -> None:
        self.data, self.model, self.training, self.strategy = data, model, training, strategy
        self.dtype = dtype  # what clients train and the server evaluates in
        self.parts = [np.asarray(p, dtype=int) for p in parts]
        self._pad()
        self.client_rngs, self.sample_rng = client_rngs, sample_rng
        self._stack: ClientStack | None = None
        self._eval_rows: tuple | None = None
        self._train_rows: tuple | None = None

    @property
    def num_clients(self) -> int:
        return len(self.parts)

    @property
    def num_params(self) -> int:
        return self.model.num_params

    @property
    def message_bytes(self) -> int:
        """Size of one model (or gradient) message, bytes."""
        return self.num_params * BYTES_PER_PARAM

    @property
    def stack(self) -> ClientStack:
        """The batched engine's layout of ``X, y, counts``, rebuilt when they are replaced."""
        if self.lazy:
            raise RuntimeError("this federation is too large to pad every client at once; "
                               "train() gathers the selected clients")
        st = self._stack
        if st is None or st.X is not self.X or st.y is not self.y or st.counts is not self.counts:
            st = self._stack = ClientStack(self.X, self.y, self.counts)
        return st

    def replace_data(self, data: Dataset) -> None:
        """Use ``data`` (same rows, e.g. poisoned labels) from now on."""
        self.data = data
        self._eval_rows = self._train_rows = None
        self._pad()

    def _pad(self) -> None:
        """Lay the clients out for the batched engine: all of them padded once when that fits
        in :data:`STACK_BUDGET_BYTES`, else (thousands of clients, power-law sizes) only the
        clients selected in a round, gathered when they train."""
        self.counts = np.array([len(p) for p in self.parts])
        d = self.data.X_train.shape[1]
        full = len(self.parts) * int(self.counts.max()) * (d + 1) * self.dtype.itemsize
        self.lazy = full > STACK_BUDGET_BYTES
        self.X = self.y = None
        if self.lazy:
            return
        X, y, _ = pad_clients(self.data.X_train, self.data.y_train, self.parts)
        self.X = X.astype(self.dtype, copy=False)
        self.y = self._in_dtype(y)

    def _rows(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """The evaluation rows (made once): ``(X, y, y_test)``, test rows first."""
        if self._eval_rows is None:
            self._eval_rows = evaluation_rows(self.data, self.dtype)
        return self._eval_rows

    def _gathered(self, selected: np.ndarray):
        """``(stacks, positions)`` for a lazy layout: the selected clients in chunks that fit
        the budget, sorted by size (little padding); ``positions`` maps back to ``selected``."""
        if self._train_rows is None:  # every client's rows, in the run's precision
            y = self.data.y_train
            self._train_rows = (self.data.X_train.astype(self.dtype, copy=False),
                                self._in_dtype(y))
        X, y = self._train_rows
        return chunked_stacks(X, y, self.parts, selected, self.counts, STACK_BUDGET_BYTES)

    def _in_dtype(self, y: np.ndarray) -> np.ndarray:
        """Regression targets in the run's precision; class labels stay integers."""
        return y.astype(self.dtype, copy=False) if y.dtype.kind == "f" else y

    def client_data(self, i: int) -> tuple[np.ndarray, np.ndarray]:
        """Client ``i``'s own ``(X_i, y_i)``, in the run's precision."""
        X, y = self.data.X_train[self.parts[i]], self.data.y_train[self.parts[i]]
        return X.astype(self.dtype, copy=False), self._in_dtype(y)

    def train(self, w: np.ndarray, selected: np.ndarray, *, max_steps: np.ndarray | None = None,
              starts: np.ndarray | None = None) -> np.ndarray:
        """Run the selected clients' local work from the global model ``w: (p,)``.

        Args:
            selected: ``(m,)`` client indices.
            max_steps: ``(m,)`` optional cap on local SGD steps (partial work).
            starts: ``(m, p)`` optional per-client starting points (default: ``w`` for all);
                the FedProx pull always points to the client's own start.

        Returns:
            ``(m, p)``: new client models for FedAvg, full-batch gradients for FedSGD.
        """
        t, model = self.training, self.model
        selected = np.asarray(selected, dtype=int)
        W = np.tile(w, (len(selected), 1)) if starts is None else np.asarray(starts)
        W = W.astype(self.dtype, copy=False)
        loop = t.engine == "loop" or not isinstance(model, Model)
        if self.strategy.client_returns == "gradient":
            if loop:
                return np.stack([model.grad(W[j], *self.client_data(i))
                                 for j, i in enumerate(selected)])
            if self.lazy:
                Xs, ys, counts = pad_clients(self.data.X_train, self.data.y_train,
                                             [self.parts[i] for i in selected])
                Xs = Xs.astype(self.dtype, copy=False)
                ys = self._in_dtype(ys)
            else:
                Xs, ys, counts = self.X[selected], self.y[selected], self.counts[selected]
            mask = np.arange(Xs.shape[1])[None, :] < counts[:, None]
            return model.grad_batched(W, Xs, ys, mask)
        opts = dict(epochs=t.epochs, batch_size=t.batch_size, lr=t.lr, mu=t.mu)
        if loop:
            return np.stack([
                sgd_steps(model, W[j], *self.client_data(i), rng=self.client_rngs[i],
                          max_steps=None if max_steps is None else int(max_steps[j]), **opts)
                for j, i in enumerate(selected)
            ])
        if self.lazy:
            out = np.empty_like(W)
            for stack, pos in self._gathered(selected):
                out[pos] = stack.local_sgd(
                    model, W[pos], np.arange(len(pos)), rngs=[self.client_rngs[i] for i in
                                                            selected[pos]],
                    max_steps=None if max_steps is None else np.asarray(max_steps)[pos], **opts)
            return out
        return self.stack.local_sgd(model, W, selected,
                                    rngs=[self.client_rngs[i] for i in selected],
                                    max_steps=max_steps, **opts)

    def evaluate(self, w: np.ndarray) -> tuple[float, float, float]:
        """``(test_accuracy, test_loss, train_loss)`` of global parameters ``w``.

        ``train_loss`` is the federated objective ``sum_i (n_i / n) f_i(w)``, which equals
        the mean loss over the union of all clients' training data. Above
        :data:`~fedlearn_edu.core.evaluation.EVAL_ROWS` rows (thousands of users) all three
        are measured on a fixed uniform sample of the rows (see :mod:`.evaluation`).
        """
        d, m = self.data, self.model
        if not np.all(np.isfinite(w)):
            return float("nan"), float("nan"), float("nan")
        if not isinstance(m, Model) or len(d.y_test) == 0:  # e.g. an MLP: its own score, loss
            acc = m.score(w, d.X_test, d.y_test) if len(d.y_test) else float("nan")
            test = m.loss(w, d.X_test, d.y_test) if len(d.y_test) else float("nan")
            return float(acc), float(test), float(m.loss(w, d.X_train, d.y_train))
        X, y, y_test = self._rows()  # test and train rows stacked: one product per round
        w = np.asarray(w, dtype=self.dtype)
        n_test, penalty = len(y_test), m.penalty(w)
        pred, losses = m.predict_and_losses(w, X, y, n_predict=n_test)
        return (m.score_predictions(pred, y_test),
                float(losses[:n_test].mean() + penalty), float(losses[n_test:].mean() + penalty))
