"""How the ServerApp streams its rounds back to ``run_flower``, live, round by round.

* :class:`QueueChannel`: the Simulation Runtime runs the ServerApp in a thread of this
  process, so records go through a queue;
* :class:`FileChannel`: a deployed ServerApp is a process of its own (started by Flower's
  SuperExec), so records go through a JSON-lines file and a stop file.

The server side calls ``send(record, w)``, ``event(kind, **data)``, ``stopped()`` and at the
end ``finish()`` or ``fail(message)``; ``items()`` on the other side yields
``("round", record, w)`` and ``("event", data)`` until the run ends.
"""

from __future__ import annotations

import json
import queue
import threading
import time
from pathlib import Path

from .codec import round_from_json, round_to_json
from .server import FlowerRunError


class QueueChannel:
    """Records of a ServerApp thread in this process."""

    def __init__(self):
        self.q: queue.Queue = queue.Queue()
        self._stop = threading.Event()

    def send(self, record, w) -> None:
        self.q.put(("round", record, w.copy()))

    def event(self, kind: str, **data) -> None:
        self.q.put(("event", {"kind": kind, **data}))

    def stopped(self) -> bool:
        return self._stop.is_set()

    def stop(self) -> None:
        self._stop.set()

    def finish(self) -> None:
        self.q.put(("done",))

    def fail(self, message: str) -> None:
        self.q.put(("error", message))

    def items(self, check=None, poll: float = 0.1):
        """Yield what the server sent until it finished; ``check()`` raises if the runtime
        died."""
        while True:
            try:
                item = self.q.get(timeout=poll)
            except queue.Empty:
                if check is not None:
                    check()
                continue
            if item[0] == "done":
                return
            if item[0] == "error":
                raise FlowerRunError(item[1])
            yield item


class FileChannel:
    """Records of a ServerApp process: one JSON line each in ``path``; ``path.stop`` asks the
    server to stop after the current round."""

    def __init__(self, path):
        self.path = Path(path)
        self.stop_path = self.path.with_suffix(".stop")

    def _write(self, obj: dict | str) -> None:
        line = obj if isinstance(obj, str) else json.dumps(obj)
        with open(self.path, "a", encoding="utf-8") as f:
            f.write(line + "\n")

    def send(self, record, w) -> None:
        self._write(json.dumps({"kind": "round", "round": json.loads(round_to_json(record, w))}))

    def event(self, kind: str, **data) -> None:
        self._write({"kind": "event", "event": {"kind": kind, **data}})

    def stopped(self) -> bool:
        return self.stop_path.exists()

    def stop(self) -> None:
        self.stop_path.touch()

    def finish(self) -> None:
        self._write({"kind": "done"})

    def fail(self, message: str) -> None:
        self._write({"kind": "error", "message": message})

    def items(self, check=None, poll: float = 0.05):
        """Yield the lines the server appends (complete lines only) until ``done``."""
        offset, buf = 0, ""
        while True:
            chunk = ""
            if self.path.exists():
                with open(self.path, encoding="utf-8") as f:
                    f.seek(offset)
                    chunk = f.read()
                    offset = f.tell()
            buf += chunk
            *lines, buf = buf.split("\n")
            for line in lines:
                if not line.strip():
                    continue
                d = json.loads(line)
                if d["kind"] == "done":
                    return
                if d["kind"] == "error":
                    raise FlowerRunError(d["message"])
                if d["kind"] == "event":
                    yield ("event", d["event"])
                else:
                    rec, w = round_from_json(json.dumps(d["round"]))
                    yield ("round", rec, w)
            if not chunk:
                if check is not None:
                    check()
                time.sleep(poll)
