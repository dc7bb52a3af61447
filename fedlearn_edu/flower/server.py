"""The ServerApp's work: find the clients, then run our own round loop over Flower messages.

The round is :func:`fedlearn_edu.core.loop.run_rounds` itself (the one round loop), with

* :class:`RemoteRound` as its hooks: ``participants`` sends this round's ``train`` messages
  to the sampled clients' nodes and waits for their replies; whoever answered in time takes
  part (a dropout or a crashed ClientApp does not stop the round);
* :class:`RemoteFederation` as its federation: ``train`` hands over the replies, while
  sampling (our rng), aggregation (our strategies, robust rules, DP-FedAvg and its
  accountant via ``runner.make_server``) and the central evaluation run as in ``simulate``.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
from flwr.app import Array, ArrayRecord, ConfigRecord, Message, RecordDict

from ..core.federation import Federation
from ..core.loop import RoundHooks, run_rounds
from ..runner import make_server
from .codec import config_from_json

POLL_S = 0.02  # how often the server looks for replies (Flower's own send_and_receive: 3 s)
ONLINE_CHECK_S = 0.5  # how often it asks which nodes are still online
MIN_TTL_S = 5.0  # the SuperLink refuses messages that expire almost at once
FAREWELL_S = 10.0  # how long the end of a run waits for the nodes to say goodbye
HELLO_GRACE_S = 3.0  # a round waits at most this long for a node that just joined to answer


@dataclass(frozen=True)
class Job:
    """What one ServerApp run does (JSON-able, so it can travel in a file).

    Attributes:
        config: the :class:`FedConfig` as JSON (``codec.config_to_json``).
        min_nodes: clients that must have joined before round 1.
        min_answers: answers a round needs to change the model (``0``: every sampled client
            must answer, else the run fails: the parity runs). A round with fewer answers
            keeps the global model and records no participant.
        round_timeout: seconds to wait for a round's answers.
        join_timeout: seconds to wait for ``min_nodes`` clients.
        report: clients also report their local model's and the global model's accuracy.
        pace_s: a round lasts at least this many seconds (classroom: the class can watch
            the curve grow, and a student who joins late has time to be counted in).
    """

    config: str
    min_nodes: int
    min_answers: int = 0
    round_timeout: float = 120.0
    join_timeout: float = 120.0
    report: bool = False
    pace_s: float = 0.0


class FlowerRunError(RuntimeError):
    """A real federation could not complete (a client failed, nobody joined, ...)."""


class Registry:
    """Which node holds which partition. A node seen for the first time is asked once
    (``query``) which partition it holds. A round waits at most ``grace`` seconds for such
    an answer (a student who joined during the last round takes part in this one, as soon as
    their laptop has answered), never longer: a node that is slow to answer joins a later
    round, and no node holds up more than one round that way."""

    def __init__(self, grid, num_clients: int, channel):
        self.grid, self.num_clients, self.channel = grid, num_clients, channel
        self.node_of: dict[int, int] = {}  # partition -> node id
        self.asked: dict[str, int] = {}  # pending hello message id -> node id
        self.asked_at: dict[str, float] = {}  # pending hello message id -> when asked
        self.refused: set[int] = set()

    def refresh(self, grace: float = 0.0) -> None:
        """Forget nodes that left; ask nodes seen for the first time; register answers,
        waiting for those asked less than ``grace`` seconds ago."""
        joined_at = {n.node_id: n.registered_at for n in self.grid.get_nodes()}
        for k, node in list(self.node_of.items()):
            if node not in joined_at:
                del self.node_of[k]
                self.channel.event("left", student=k)
        known = set(self.node_of.values()) | self.refused | set(self.asked.values())
        new = sorted(set(joined_at) - known)
        if new:
            ask = [Message(RecordDict({"hello": ConfigRecord({"ask": True})}), dst_node_id=n,
                           message_type="query") for n in new]
            for mid, node in zip(self.grid.push_messages(ask), new):
                self.asked[mid] = node
                self.asked_at[mid] = time.monotonic()
        self._register(joined_at)
        while any(time.monotonic() - self.asked_at[m] < grace for m in self.asked):
            time.sleep(POLL_S * 5)
            self._register(joined_at)

    def _register(self, joined_at: dict) -> None:
        """Take in the answers that arrived (node id -> partition)."""
        if not self.asked:
            return
        replies = list(self.grid.pull_messages(list(self.asked)))
        # first come, first served: two nodes claiming one id are decided by join time
        for reply in sorted(replies, key=lambda m: joined_at.get(m.metadata.src_node_id, "")):
            self.asked_at.pop(reply.metadata.reply_to_message_id, None)
            node = self.asked.pop(reply.metadata.reply_to_message_id, None)
            if node is None or reply.has_error():
                continue
            k = int(reply.content["hello"]["partition-id"])
            if not 0 <= k < self.num_clients:
                self._refuse(node, f"student id must be in [0, {self.num_clients}), got {k}")
            elif k in self.node_of:
                self._refuse(node, f"student id {k} is already taken by another node; "
                                   f"pick a free id")
            else:
                self.node_of[k] = node
                self.channel.event("joined", student=k)

    def _refuse(self, node: int, reason: str) -> None:
        self.refused.add(node)
        self.channel.event("refused", reason=reason)
        msg = Message(RecordDict({"reject": ConfigRecord({"reason": reason})}),
                      dst_node_id=node, message_type="query.reject")
        self.grid.push_messages([msg])  # its reply does not matter

    def farewell(self, accuracy: float, rounds: int) -> None:
        """Tell every node still connected that the run is over (classroom: the students'
        screens), also one that joined too late to be registered."""
        conf = ConfigRecord({"accuracy": float(accuracy), "rounds": int(rounds)})
        nodes = sorted(set(self.grid.get_node_ids()) - self.refused)
        exchange(self.grid, [Message(RecordDict({"bye": conf}), dst_node_id=n,
                                     message_type="query.bye") for n in nodes], FAREWELL_S)

    def wait(self, n: int, timeout: float) -> None:
        """Block until ``n`` partitions have a node (or raise after ``timeout`` seconds)."""
        deadline = time.monotonic() + timeout
        self.refresh()
        while len(self.node_of) < n:
            if time.monotonic() > deadline:
                raise FlowerRunError(f"only {len(self.node_of)} of the {n} clients needed "
                                     f"joined within {timeout:g} s")
            time.sleep(0.1)
            self.refresh()


def exchange(grid, messages: list, timeout: float) -> list:
    """Push ``messages`` and pull replies until every node still online answered, or
    ``timeout`` seconds passed (a node that left the SuperLink is not waited for)."""
    if not messages:
        return []
    ids = list(grid.push_messages(messages))
    dst = {i: m.metadata.dst_node_id for i, m in zip(ids, messages) if i}
    pending, replies = set(dst), []
    deadline = time.monotonic() + timeout
    next_check = time.monotonic() + ONLINE_CHECK_S
    while pending and time.monotonic() < deadline:
        got = list(grid.pull_messages(list(pending)))
        for reply in got:
            pending.discard(reply.metadata.reply_to_message_id)
            replies.append(reply)
        if pending and time.monotonic() > next_check:
            online = set(grid.get_node_ids())
            pending = {i for i in pending if dst[i] in online}
            next_check = time.monotonic() + ONLINE_CHECK_S
        if pending and not got:
            time.sleep(POLL_S)
    return replies


class RemoteFederation(Federation):
    """The server's federation: the same data, model and sampling stream as ``simulate``'s,
    but ``train`` returns what the clients sent over the network this round."""

    def __init__(self, config):
        super().__init__(config)
        self.inbox: dict[int, np.ndarray] = {}

    def train(self, w, selected, *, max_steps=None, starts=None):
        if starts is not None:
            raise FlowerRunError("per-client starting points are not sent over Flower")
        if len(selected) == 0:
            return np.empty((0, self.num_params), dtype=self.dtype)
        return np.stack([self.inbox[int(k)] for k in selected])


class RemoteRound(RoundHooks):
    """The round's network part: ``train`` messages out, replies in; who answered takes part.

    ``w`` is the global model the next round broadcasts (set by :func:`serve`)."""

    def __init__(self, job: Job, grid, registry: Registry, fed: RemoteFederation, channel):
        self.job, self.grid, self.registry, self.fed = job, grid, registry, fed
        self.channel = channel
        self.w: np.ndarray | None = None

    def participants(self, r: int, selected: np.ndarray):
        self.registry.refresh(grace=HELLO_GRACE_S)
        targets = {self.registry.node_of[int(k)]: int(k) for k in selected
                   if int(k) in self.registry.node_of}
        conf = ConfigRecord({"fedconfig": self.job.config, "round": r,
                             "report": self.job.report})
        w = ArrayRecord({"w": Array(np.ascontiguousarray(self.w))})
        # a message not picked up within the round expires in the SuperLink, so a slow node
        # never works on a round that is over while the next one waits behind it
        msgs = [Message(RecordDict({"global": w, "config": conf}), dst_node_id=node,
                        message_type="train", group_id=str(r),
                        ttl=max(self.job.round_timeout, MIN_TTL_S))
                for node in targets]
        self.fed.inbox = {}
        errors = []
        for reply in exchange(self.grid, msgs, self.job.round_timeout):
            k = targets.get(reply.metadata.src_node_id)
            if k is None:
                continue
            if reply.has_error():
                errors.append(f"client {k}: {reply.error.reason}")
                continue
            self.fed.inbox[k] = reply.content["result"]["v"].numpy()
            metrics = reply.content["metrics"]
            self.channel.event("answer", round=r, student=k,
                               **{m: float(v) for m, v in metrics.items()
                                  if m.endswith("accuracy")})
        answered = np.array(sorted(self.fed.inbox), dtype=int)
        missing = sorted(set(int(k) for k in selected) - set(answered.tolist()))
        if self.job.min_answers == 0 and missing:
            why = "; ".join(errors) or f"no answer within {self.job.round_timeout:g} s"
            raise FlowerRunError(f"round {r}: clients {missing} did not answer ({why})")
        silent = sorted(set(targets.values()) - set(answered.tolist()))
        if silent:  # asked, but no answer: dropped out, or their ClientApp failed
            self.channel.event("missing", round=r, students=silent)
        if 0 < len(answered) < min(self.job.min_answers, len(selected)):
            self.channel.event("too_few", round=r, answered=len(answered))
            answered = answered[:0]
        return answered, None


def serve(grid, job: Job, channel) -> None:
    """The whole ServerApp: wait for ``job.min_nodes`` clients, run the rounds, stream each
    ``(record, weights)`` into ``channel`` (``channel.stopped()`` ends the run early)."""
    config = config_from_json(job.config)
    fed = RemoteFederation(config)
    registry = Registry(grid, config.num_clients, channel)
    registry.wait(job.min_nodes, job.join_timeout)
    hooks = RemoteRound(job, grid, registry, fed, channel)
    w0 = fed.model.init().astype(fed.dtype)
    hooks.w = w0
    record, started = None, time.monotonic()
    for record, w in run_rounds(fed, config.rounds, w0, server=make_server(config, fed),
                                hooks=hooks):
        hooks.w = w
        channel.send(record, w)
        if channel.stopped():
            break
        time.sleep(max(0.0, job.pace_s - (time.monotonic() - started)))
        started = time.monotonic()
    if job.report and record is not None:
        registry.farewell(record.test_accuracy, record.round)
