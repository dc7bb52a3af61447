"""Flower's object pulls with a short first retry.

Flower 1.42 sends a message in two steps: its metadata, then its objects (the arrays). A
receiver that asks for the objects a moment too early gets "not available yet" and retries
after ``PULL_INITIAL_BACKOFF`` = 1 s, doubling up to 10 s. On one laptop every round hits
that race about half the time, in three places: the ServerApp pulling the replies, each
SuperNode pulling its instruction, each ClientApp pulling it from its SuperNode. Measured on
a 2-core machine (3 SuperNodes, digits): replies reached the server 0.7-1.1 s after their
SuperNode had pushed them, where the push itself takes a few milliseconds.

:func:`patch_object_pulls` makes the first retry come after :data:`FIRST_RETRY_S` and caps the
doubling at :data:`RETRY_CAP_S`; nothing else changes (the same tries, the same time limit,
the same errors). It is applied in our ServerApp, in our SuperNode and in the warm starter
that forks the ClientApps (a ClientApp started without warm starts keeps Flower's 1 s).
"""

from __future__ import annotations

FIRST_RETRY_S = 0.02  # an object pushed a moment after its message is there at once
RETRY_CAP_S = 1.0  # a slow network still gets retried, at most once a second


def patch_object_pulls(first_retry_s: float = FIRST_RETRY_S,
                       cap_s: float = RETRY_CAP_S) -> None:
    """Set the back-off defaults of Flower's ``pull_objects`` (the ServerApp's grid and the
    SuperNode loop call it without them) and ``pull_and_inflate_object_from_tree`` (the
    ClientApp), in this process and the processes it forks."""
    if not 0 < first_retry_s <= cap_s:
        raise ValueError(f"need 0 < first_retry_s <= cap_s seconds, got {first_retry_s} "
                         f"and {cap_s}")
    from flwr.supercore.inflatable import inflatable_utils

    for fn in (inflatable_utils.pull_objects, inflatable_utils.pull_and_inflate_object_from_tree):
        fn.__kwdefaults__ = {**fn.__kwdefaults__, "initial_backoff": first_retry_s,
                             "backoff_cap": cap_s}
