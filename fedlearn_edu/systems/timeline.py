"""The job log of a run on the virtual clock (what the Gantt charts draw)."""

from __future__ import annotations

import numpy as np

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
        cols = (record, client, start, t_down, t_comp, t_up, end, status)
        n = max((np.size(c) for c in cols if np.ndim(c) > 0), default=1)  # jobs in this chunk
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
        a = self.arrays()
        keep = a["record"] == r
        return {k: v[keep] for k, v in a.items()}
