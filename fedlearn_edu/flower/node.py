"""The ClientApp: one client of a :class:`FedConfig` run, inside a Flower SuperNode.

It trains with our own engine, so the numbers are the ones ``simulate`` computes:

* its partition ``k`` comes from Flower's node config (``partition-id``); the data are split
  by our own partitioners inside :class:`~fedlearn_edu.core.federation.Federation`, so client
  ``k`` holds exactly the rows it holds in ``simulate``;
* local training is ``Federation.train`` for client ``k`` alone (same epochs, batch size, lr,
  FedProx term); its random stream is client ``k``'s stream of the run, kept between rounds in
  the node's ``context.state`` (Flower keeps it per run and node), so round ``r`` draws the
  same mini-batches as round ``r`` of ``simulate``.

Messages: ``query`` (which partition do you hold?), ``query.reject`` (the server refuses this
node: wrong or duplicate id), ``train`` (global weights in, new weights or a gradient out)
and ``query.bye`` (the run is over).
With ``status-file`` in the node config (classroom mode) the client also writes one JSON line
per event there, which ``fedlearn-edu classroom join`` shows to the student.
"""

from __future__ import annotations

import json
import os
import threading
from functools import lru_cache
from pathlib import Path

import numpy as np
from flwr.app import Array, ArrayRecord, ConfigRecord, Context, Message, MetricRecord, RecordDict
from flwr.clientapp import ClientApp

from ..core.data import Dataset, load_dataset
from ..core.federation import Federation
from .codec import config_from_json

STATE_KEY = "fedlearn-edu"  # this client's random stream, in context.state
_LOCK = threading.Lock()  # the Simulation Runtime runs ClientApps in threads of one process


CACHE_ENV = "FEDLEARN_EDU_FLOWER_CACHE"  # a folder where a node keeps its loaded dataset


def _dataset(config) -> Dataset:
    """The run's dataset; with ``$FEDLEARN_EDU_FLOWER_CACHE`` set, kept there as ``.npz``
    (a deployed ClientApp is a new process per message: this spares it loading scikit-learn
    and splitting the data again every round)."""
    folder = os.environ.get(CACHE_ENV)
    if not folder:
        return load_dataset(config.dataset, config.test_size)
    path = Path(folder) / f"{config.dataset}-{config.test_size!r}.npz"
    if path.exists():
        with np.load(path) as z:
            return Dataset(config.dataset, z["X_train"], z["y_train"], z["X_test"],
                           z["y_test"], int(z["n_classes"]))
    data = load_dataset(config.dataset, config.test_size)
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_suffix(f".{os.getpid()}.npz")
    np.savez(tmp, X_train=data.X_train, y_train=data.y_train, X_test=data.X_test,
             y_test=data.y_test, n_classes=data.n_classes)
    os.replace(tmp, path)
    return data


@lru_cache(maxsize=4)
def _federation(config_json: str) -> tuple[Federation, tuple]:
    """The run's federation (data, partition, model) and each client's initial RNG state."""
    config = config_from_json(config_json)
    fed = Federation(config, data=_dataset(config))
    return fed, tuple(r.bit_generator.state for r in fed.client_rngs)


def partition_of(context: Context) -> int:
    """This node's partition id (``partition-id`` in its node config)."""
    value = context.node_config.get("partition-id")
    try:
        return int(value)
    except (TypeError, ValueError):
        raise ValueError(f"node config needs an integer partition-id, got {value!r}") from None


def write_status(context: Context, **event) -> None:
    """Append ``event`` as a JSON line to the node's ``status-file`` (if it has one)."""
    path = context.node_config.get("status-file")
    if path:
        with open(str(path), "a", encoding="utf-8") as f:
            f.write(json.dumps(event) + "\n")


client_app = ClientApp()


@client_app.query()
def hello(msg: Message, context: Context) -> Message:
    """Tell the server which partition this node holds."""
    k = partition_of(context)
    write_status(context, kind="connected", student=k)
    return Message(RecordDict({"hello": ConfigRecord({"partition-id": k})}), reply_to=msg)


@client_app.query("reject")
def reject(msg: Message, context: Context) -> Message:
    """The server refuses this node (id outside the class, or taken): say why."""
    reason = str(msg.content["reject"]["reason"])
    write_status(context, kind="rejected", reason=reason)
    return Message(RecordDict({"ok": ConfigRecord({"ok": True})}), reply_to=msg)


@client_app.query("bye")
def bye(msg: Message, context: Context) -> Message:
    """The run is over: tell the student the final accuracy."""
    write_status(context, kind="finished",
                 accuracy=float(msg.content["bye"]["accuracy"]),
                 rounds=int(msg.content["bye"]["rounds"]))
    return Message(RecordDict({"ok": ConfigRecord({"ok": True})}), reply_to=msg)


@client_app.train()
def train(msg: Message, context: Context) -> Message:
    """Local training of this node's client from the global weights in ``msg``."""
    conf = msg.content["config"]
    k, rnd = partition_of(context), int(conf["round"])
    fed, initial = _federation(str(conf["fedconfig"]))
    if not 0 <= k < fed.num_clients:
        raise ValueError(f"partition-id must be in [0, {fed.num_clients}), got {k}")
    w = msg.content["global"]["w"].numpy()
    rng = np.random.default_rng()
    saved = context.state.config_records.get(STATE_KEY)
    rng.bit_generator.state = json.loads(str(saved["rng"])) if saved else initial[k]
    with _LOCK:
        fed.client_rngs[k] = rng
        result = fed.train(w, np.array([k]))[0]
    context.state[STATE_KEY] = ConfigRecord({"rng": json.dumps(rng.bit_generator.state)})
    metrics = {"partition-id": k, "num-examples": int(fed.counts[k])}
    if bool(conf["report"]):
        local = result if fed.strategy.client_returns == "weights" else None
        metrics["global-accuracy"] = float(fed.evaluate(w)[0])
        if local is not None:
            metrics["local-accuracy"] = float(fed.evaluate(local)[0])
        write_status(context, kind="round", round=rnd, **{m.replace("-", "_"): v
                                                         for m, v in metrics.items()})
    content = RecordDict({"result": ArrayRecord({"v": Array(np.ascontiguousarray(result))}),
                          "metrics": MetricRecord(metrics)})
    return Message(content, reply_to=msg)
