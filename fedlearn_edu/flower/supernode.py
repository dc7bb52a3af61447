"""Flower's ``flower-supernode`` with a shorter idle poll.

``python -m fedlearn_edu.flower.supernode --poll SECONDS [flower-supernode flags]`` runs
Flower's own SuperNode entry point unchanged but for its waits: a SuperNode with no message
to work on asks its SuperLink again after 3 s (hard-coded in
``flwr.supernode.start_client_internal``), and waits for its ClientApp's reply in 0.5 s
steps. Every round pays that wait once, so a two-round run on one laptop spends more time
sleeping than training. Here every such sleep is at most ``--poll`` seconds: rounds start as
soon as the server sends them, and a few more small requests reach the SuperLink
(``1 / poll`` per second per node while idle). It also pulls an instruction's arrays
without Flower's 1 s retry wait (:mod:`.pulls`); nothing else changes.
"""

from __future__ import annotations

import sys
import time
import types

from .pulls import patch_object_pulls


def patch_idle_poll(poll_s: float) -> None:
    """Cap every ``time.sleep`` of Flower's SuperNode loop at ``poll_s`` seconds."""
    from flwr.supernode import start_client_internal as loop

    sleep = time.sleep
    shim = types.SimpleNamespace(**{k: getattr(time, k) for k in dir(time)
                                    if not k.startswith("__")})
    shim.sleep = lambda seconds: sleep(min(seconds, poll_s))
    loop.time = shim


def main(argv: list[str]) -> int:
    if len(argv) < 2 or argv[0] != "--poll":
        print("usage: python -m fedlearn_edu.flower.supernode --poll SECONDS [FLAGS]",
              file=sys.stderr)
        return 2
    poll_s = float(argv[1])
    if not 0.01 <= poll_s <= 3.0:
        print(f"error: --poll must be in [0.01, 3] seconds, got {poll_s:g}", file=sys.stderr)
        return 2
    patch_idle_poll(poll_s)
    patch_object_pulls()
    from flwr.supernode.cli import flower_supernode

    sys.argv = ["flower-supernode", *argv[2:]]
    return flower_supernode()


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
