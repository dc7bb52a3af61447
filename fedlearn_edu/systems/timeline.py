"""The job log of a run on the virtual clock (what the Gantt charts draw)."""

from __future__ import annotations

import numpy as np

from .._validation import check_int

# Job outcomes in a Timeline (index = code).
STATUS = ("ok", "partial", "late", "dropped", "offline")
OK, PARTIAL, LATE, DROPPED, OFFLINE = range(5)


class Timeline:
    """Log of every client job (for Gantt charts): one row per job, columns as arrays."""

    COLUMNS = ("record", "client", "start", "t_down", "t_comp", "t_up", "end", "status")

    def __init__(self):
        self._chunks: list[tuple] = []
        self.record_end: list[float] = []  # clock when each record (round) ended

    def add(self, record, client, start, t_down, t_comp, t_up, end, status) -> None:
        """Log a chunk of jobs: each column is an array of one entry per job, or one number
        for all of them (times in simulated seconds, ``status`` a code of :data:`STATUS`).

        Raises:
            ValueError: columns of different lengths, or non-numeric columns.
        """
        cols = (record, client, start, t_down, t_comp, t_up, end, status)
        n = max((np.size(c) for c in cols if np.ndim(c) > 0), default=1)  # jobs in this chunk
        for name, c in zip(self.COLUMNS, cols, strict=True):
            a = np.asarray(c)
            if a.dtype.kind not in "iufb" or a.ndim > 1 or (a.ndim == 1 and a.size != n):
                raise ValueError(f"{name} must be a number or a 1-D array of {n} numbers (one "
                                 f"per job), got {a.dtype} array of shape {a.shape}")
        # a scalar applies to every job; arrays are copied so later edits cannot reach the log
        self._chunks.append(tuple(np.array(c, ndmin=1) if np.size(c) == n else np.full(n, c)
                                  for c in cols))

    def arrays(self) -> dict[str, np.ndarray]:
        """Every job so far; ``status`` codes index :data:`STATUS`."""
        if not self._chunks:
            return {c: np.zeros(0) for c in self.COLUMNS}
        cols = zip(*self._chunks, strict=True)
        return {name: np.concatenate(parts) for name, parts in zip(self.COLUMNS, cols, strict=True)}

    def record(self, r: int) -> dict[str, np.ndarray]:
        """Jobs that ended in record (round) ``r`` (counting from 1)."""
        check_int("r", r, 1)
        a = self.arrays()
        keep = a["record"] == r
        return {k: v[keep] for k, v in a.items()}
