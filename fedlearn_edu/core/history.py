"""Per-round metrics of a simulation, kept as NumPy arrays of length ``rounds``.

Rounds not run (stopped early or diverged) stay ``NaN`` so that every array always has
length ``config.rounds``; ``completed`` tells how many rounds actually ran.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

# Float metrics recorded per round; NaN until the round has run.
METRICS = (
    "test_accuracy",  # accuracy on the test set (R^2 for regression)
    "test_loss",  # model loss on the test set
    "train_loss",  # federated objective sum_i (n_i/n) f_i(w) of the global model
    "wall_clock",  # simulated seconds since the start (cumulative); NaN without a clock
    "bytes_up",  # bytes clients sent to the server this round
    "bytes_down",  # bytes the server sent to clients this round
    "epsilon",  # differential-privacy epsilon spent so far; NaN when DP is off
    "rejected",  # client updates holding NaN/inf this round: a robust rule dropped them
)


@dataclass(frozen=True)
class RoundRecord:
    """What happened in one round; passed to callbacks.

    ``round`` counts from 1. ``participants`` are the indices of clients whose update
    the server used.
    """

    round: int
    test_accuracy: float
    test_loss: float
    train_loss: float
    participants: np.ndarray
    wall_clock: float = float("nan")  # set by the systems clock
    bytes_up: float = 0.0
    bytes_down: float = 0.0
    epsilon: float = float("nan")
    rejected: float = 0.0  # client updates holding NaN/inf (robust rules drop them)


@dataclass
class History:
    """Metrics of a run. Each metric in :data:`METRICS` is an ``(rounds,)`` float array."""

    rounds: int
    test_accuracy: np.ndarray = field(init=False)
    test_loss: np.ndarray = field(init=False)
    train_loss: np.ndarray = field(init=False)
    wall_clock: np.ndarray = field(init=False)
    bytes_up: np.ndarray = field(init=False)
    bytes_down: np.ndarray = field(init=False)
    epsilon: np.ndarray = field(init=False)
    rejected: np.ndarray = field(init=False)
    num_participants: np.ndarray = field(init=False)
    participants: list = field(default_factory=list)
    completed: int = 0
    diverged: bool = False
    message: str = ""
    final_weights: np.ndarray | None = None
    config: object = None
    dtype: str = "float64"  # the precision the run computed in (FedConfig.dtype)

    def __post_init__(self):
        for name in METRICS:
            setattr(self, name, np.full(self.rounds, np.nan))
        self.num_participants = np.zeros(self.rounds, dtype=int)

    def record(self, rec: RoundRecord) -> None:
        """Store ``rec`` at position ``rec.round - 1``."""
        i = rec.round - 1
        for name in METRICS:
            getattr(self, name)[i] = getattr(rec, name)
        self.num_participants[i] = len(rec.participants)
        self.participants.append(np.asarray(rec.participants))
        self.completed = rec.round

    @property
    def ok(self) -> bool:
        """True when every round ran and nothing diverged."""
        return not self.diverged and self.completed == self.rounds

    def final(self) -> dict:
        """Last completed round's metrics as plain floats."""
        i = self.completed - 1
        return {name: float(getattr(self, name)[i]) if i >= 0 else float("nan")
                for name in METRICS}

    def to_dict(self) -> dict:
        """JSON-friendly dict (NaN becomes ``None``)."""

        def clean(a):
            return [None if not np.isfinite(v) else float(v) for v in a]

        out = {name: clean(getattr(self, name)) for name in METRICS}
        out["num_participants"] = self.num_participants.tolist()
        out.update(completed=self.completed, diverged=self.diverged, message=self.message,
                   dtype=self.dtype)
        return out


def time_to_accuracy(hist: History, target: float) -> float:
    """Simulated seconds until test accuracy first reaches ``target`` (``inf`` if never)."""
    n = hist.completed
    hit = np.flatnonzero(hist.test_accuracy[:n] >= target)
    return float(hist.wall_clock[hit[0]]) if len(hit) else float("inf")
