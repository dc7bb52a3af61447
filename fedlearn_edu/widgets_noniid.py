"""Notebook 02: non-IID data ("model non-adaptation", 模型不适应性) and client drift.

* :func:`iterate_with_drift` / :func:`run_noniid`: plain FedAvg rounds (the same numbers as
  :func:`fedlearn_edu.simulation.iterate`) that also measure how far each client's local
  model moves from the global one. No UI code; the notebook and the tests call them directly.
* :class:`NonIIDDashboard`: Dirichlet-alpha (log slider) / shards controls, the per-client
  label histogram, accuracy of the skewed run vs an IID reference and the clients' own
  models' accuracy (client drift), all growing round by round.

Client drift (客户端漂移), per round, over the participating clients ``i`` with weights
``p_i = n_i / sum_j n_j``, local models ``w_i`` and the global model ``w`` they started from::

    drift          = sum_i p_i ||w_i - w||            (how far clients walk away, parameter space)
    local_accuracy = sum_i p_i acc(w_i; test set)     (how good each client's own model is on
                                                        everyone's data, function space)

On IID data every local model is a decent global model (``local_accuracy`` close to the
global accuracy); on skewed data each client's model specialises in its few labels, so
``local_accuracy`` collapses and averaging such models is what costs FedAvg accuracy.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from dataclasses import dataclass

import ipywidgets as W
import numpy as np

from .config import FedConfig
from .data import label_histogram
from .history import History, RoundRecord
from .plots_noniid import NonIIDPlot
from .simulation import Federation, iterate, run_history
from .widgets import Dashboard

__all__ = ["iterate_with_drift", "run_noniid", "NonIIDResult", "NonIIDDashboard",
           "drift_stats", "NONIID_DEFAULTS"]

# Where the non-IID effect on digits is large and stable across seeds (measured, see
# notebook 02): 20 clients, 4 sampled per round, 10 local epochs.
NONIID_DEFAULTS = FedConfig(num_clients=20, client_fraction=0.2, local_epochs=10, rounds=10,
                            partition="dirichlet", dirichlet_alpha=0.05)


def drift_stats(model, w: np.ndarray, W_clients: np.ndarray, num_examples,
                X_test: np.ndarray, y_test: np.ndarray) -> tuple[float, float]:
    """``(drift, local_accuracy)`` of client models ``W_clients: (m, p)`` around ``w: (p,)``.

    ``num_examples: (m,)`` weights the clients as FedAvg does; ``X_test: (n, d)``,
    ``y_test: (n,)`` is the common test set the local models are scored on.
    """
    W_clients = np.asarray(W_clients, dtype=float)
    p = np.asarray(num_examples, dtype=float)
    p = p / p.sum()
    drift = float(p @ np.linalg.norm(W_clients - np.asarray(w, dtype=float)[None, :], axis=1))
    local = np.array([model.score(wi, X_test, y_test) for wi in W_clients])
    return drift, float(p @ local)


def iterate_with_drift(
    config: FedConfig, fed: Federation | None = None
) -> Iterator[tuple[RoundRecord, np.ndarray, tuple[float, float]]]:
    """Yield ``(record, global_weights, (drift, local_accuracy))`` after every FedAvg round.

    Same loop and random streams as :func:`fedlearn_edu.simulation.iterate` (so the
    accuracies are identical); only FedAvg (clients return models) has a drift.
    """
    if config.strategy != "fedavg":
        raise ValueError(f"strategy must be 'fedavg' to measure client drift, "
                         f"got {config.strategy!r}")
    fed = Federation(config) if fed is None else fed
    stats: list[tuple[float, float]] = []

    def measure(w, selected, W_clients):  # step 3 done: local models before aggregation
        stats.append(drift_stats(fed.model, w, W_clients, fed.counts[selected],
                                 fed.data.X_test, fed.data.y_test))

    for rec, w in iterate(config, fed=fed, observe=measure):
        yield rec, w, stats[-1]


@dataclass
class NonIIDResult:
    """One run of :func:`run_noniid`.

    Attributes:
        history: the :class:`History` (accuracy, loss per round).
        drift, local_accuracy: ``(rounds,)`` client-drift statistics (see the module
            docstring; NaN for rounds not run).
        counts: ``(num_clients, n_classes)`` label histogram of the partition.
    """

    history: History
    drift: np.ndarray
    local_accuracy: np.ndarray
    counts: np.ndarray


def run_noniid(
    config: FedConfig,
    callback: Callable[[RoundRecord, NonIIDResult], bool | None] | None = None,
    *,
    fed: Federation | None = None,
) -> NonIIDResult:
    """Run FedAvg with ``config`` and record client drift.

    Args:
        callback: called as ``callback(record, result)`` after every round, where
            ``result`` is the :class:`NonIIDResult` being filled (its ``history`` and
            ``local_accuracy`` hold the rounds run so far); returning ``False`` stops the run.
        fed: an already built :class:`Federation` for ``config`` (else one is built).
    """
    if not isinstance(config, FedConfig):
        raise TypeError(f"config must be a FedConfig, got {type(config).__name__}")
    fed = Federation(config) if fed is None else fed
    result = NonIIDResult(History(config.rounds, config=config),
                          np.full(config.rounds, np.nan), np.full(config.rounds, np.nan),
                          label_histogram(fed.data.y_train, fed.parts, fed.data.n_classes))

    def records():
        for rec, w, (d, a) in iterate_with_drift(config, fed):
            result.drift[rec.round - 1], result.local_accuracy[rec.round - 1] = d, a
            yield rec, w

    def on_round(rec, hist):
        result.history = hist
        return None if callback is None else callback(rec, result)

    result.history = run_history(config, records(), on_round)
    return result


class NonIIDDashboard(Dashboard):
    """Skewed vs IID FedAvg on digits; the IID reference is cached per setting.

    Controls: ``partition`` (dirichlet / shards / iid), ``alpha`` (log slider 0.01..100),
    ``shards_per_client``, ``num_clients``, ``client_fraction``, ``local_epochs``,
    ``rounds``, ``seed``. ``self.result`` is ``{"skewed": NonIIDResult, "iid": NonIIDResult}``.
    """

    def __init__(self, base: FedConfig | None = None, **kwargs):
        self.base = NONIID_DEFAULTS if base is None else base
        self._iid_cache: dict[FedConfig, NonIIDResult] = {}
        super().__init__(**kwargs)

    def make_controls(self) -> dict:
        b, style, lay = self.base, {"description_width": "160px"}, W.Layout(width="430px")
        part = b.partition if b.partition in ("dirichlet", "shards", "iid") else "dirichlet"
        return {
            "partition": W.Dropdown(options=("dirichlet", "shards", "iid"), value=part,
                                    description="partition (划分)", style=style, layout=lay),
            "alpha": W.FloatLogSlider(b.dirichlet_alpha, base=10, min=-2, max=2, step=0.1,
                                      description="Dirichlet α", readout_format=".3g",
                                      style=style, layout=lay),
            "shards_per_client": W.IntSlider(b.shards_per_client, min=1, max=10,
                                             description="shards per client", style=style,
                                             layout=lay),
            "num_clients": W.IntSlider(b.num_clients, min=2, max=200,
                                       description="clients (客户端)", style=style, layout=lay),
            "client_fraction": W.FloatSlider(b.client_fraction, min=0.05, max=1.0, step=0.05,
                                             description="client fraction C", style=style,
                                             layout=lay),
            "local_epochs": W.IntSlider(b.local_epochs, min=1, max=20,
                                        description="local epochs", style=style, layout=lay),
            "rounds": W.IntSlider(b.rounds, min=1, max=50, description="rounds (轮数)",
                                  style=style, layout=lay),
            "seed": W.IntSlider(b.seed, min=0, max=9, description="seed", style=style,
                                layout=lay),
        }

    def make_figure(self):
        self.plot = NonIIDPlot(self.base.rounds, self.base.num_clients)
        return self.plot.fig

    def prepare(self, values: dict) -> tuple[FedConfig, FedConfig]:
        """``(skewed, iid)`` configs; FedConfig's validation names the bad field."""
        v = dict(values)
        alpha = float(v.pop("alpha"))
        if not 0.01 - 1e-12 <= alpha <= 100 + 1e-9:
            raise ValueError(f"Dirichlet α must be in [0.01, 100], got {alpha:g}")
        skewed = self.base.replace(dirichlet_alpha=alpha, **v)
        return skewed, skewed.replace(partition="iid")

    def compute(self, job, report):
        skewed, iid = job
        total = skewed.rounds * len({c for c in job if c not in self._iid_cache})
        done = 0
        self.plot.set_rounds(skewed.rounds)
        report(0, total, "partitioning…")
        results: dict[str, NonIIDResult] = {}
        for key, cfg in (("iid", iid), ("skewed", skewed)):
            if cfg in self._iid_cache:  # the IID reference (or an IID "skewed" run) is cached
                results[key] = self._iid_cache[cfg]
            else:
                fed = Federation(cfg)
                if key == "skewed":  # the histogram first: it is what alpha changes
                    self.plot.set_histogram(label_histogram(fed.data.y_train, fed.parts,
                                                            fed.data.n_classes))
                    self.redraw(force=True)

                def on_round(rec, res, key=key):
                    nonlocal done
                    done += 1
                    self.plot.update(key, res.history.test_accuracy, res.local_accuracy)
                    report(done, total, f"{key}: round {rec.round}/{skewed.rounds}")
                    self.redraw()

                results[key] = run_noniid(cfg, on_round, fed=fed)
                if key == "iid" and not results[key].history.diverged:
                    if len(self._iid_cache) >= 32:  # keep memory bounded
                        self._iid_cache.clear()
                    self._iid_cache[cfg] = results[key]
            r = results[key]
            self.plot.update(key, r.history.test_accuracy, r.local_accuracy)
            self.redraw(force=True)
        self.plot.set_histogram(results["skewed"].counts)
        s, i = results["skewed"].history, results["iid"].history
        for h in (s, i):
            if h.diverged:
                return results, (f"Diverged: {h.message}", "warning")
        s_acc, i_acc = np.nanmean(s.test_accuracy), np.nanmean(i.test_accuracy)
        label = {"dirichlet": f"α={skewed.dirichlet_alpha:.3g}",
                 "shards": f"{skewed.shards_per_client} shard(s)/client",
                 "iid": "IID"}[skewed.partition]
        loc_s = np.nanmean(results["skewed"].local_accuracy)
        loc_i = np.nanmean(results["iid"].local_accuracy)
        return results, (f"{s.completed} rounds, mean test accuracy: skewed ({label}) "
                         f"{s_acc:.3f} vs IID {i_acc:.3f} (gap {100 * (i_acc - s_acc):+.1f} "
                         f"points); clients' own models score {loc_s:.2f} vs {loc_i:.2f}", "info")
