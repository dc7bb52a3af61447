"""Shamir secret sharing over GF(PRIME), for :mod:`.secagg` (Shamir 1979).

``secret`` is the constant term of a random polynomial ``f`` of degree ``t - 1``; share ``x`` is
``(x, f(x))``. Any ``t`` shares give ``f(0)`` back by Lagrange interpolation; ``t - 1`` shares
are consistent with every secret, so they reveal nothing.

Sizes are those of a teaching protocol, and bounded so a typo cannot hang a notebook: at most
``MAX_SHARES = 10_000`` shares, and at most ``MAX_ITERATIONS = 10^6`` field operations per call
(``n * t`` for sharing, ``t^2`` for reconstruction, e.g. ``n = t = 1000``).
"""

from __future__ import annotations

import numpy as np

from .._validation import MAX_ITERATIONS, RNG, Int, Sequence, check_int, validated

PRIME = 2**61 - 1  # field for Shamir shares and the toy Diffie-Hellman group
MAX_SHARES = 10_000


class SecAggError(RuntimeError, ValueError):
    """The protocol cannot finish: too few clients (or shares) left to reach the threshold.

    Also a ``ValueError``: it follows from the arguments (the dropouts against the
    threshold, the shares against ``t``), and its message names them.
    """


class _Share:
    """A rule: one share ``(x, y)`` with ``x`` in ``[1, PRIME)`` and ``y`` in ``[0, PRIME)``."""

    def check(self, name, value):
        if isinstance(value, (str, bytes, dict)) or not hasattr(value, "__len__") \
                or np.ndim(value) != 1 or len(value) != 2:
            raise TypeError(f"{name} must be a share (x, y) of two integers, got "
                            f"{repr(value)[:60]}")
        return (check_int(f"{name}[0]", value[0], 1, PRIME - 1),
                check_int(f"{name}[1]", value[1], 0, PRIME - 1))


def _check_work(what: str, count: int, names: str) -> None:
    if count > MAX_ITERATIONS:
        raise ValueError(f"{what} = {count} field operations, more than the {MAX_ITERATIONS} a "
                         f"call may run; use a smaller {names}")


def share(secret: int, n: int, t: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """The unchecked kernel (the protocol calls it ``2n`` times with checked sizes)."""
    coeffs = [int(secret) % PRIME] + [int(c) for c in rng.integers(0, PRIME, size=t - 1)]
    shares = []
    for x in range(1, n + 1):
        y = 0
        for c in reversed(coeffs):  # Horner
            y = (y * x + c) % PRIME
        shares.append((x, y))
    return shares


@validated(secret=Int(0, PRIME - 1), n=Int(1, MAX_SHARES), t=Int(1, MAX_SHARES), rng=RNG())
def shamir_share(secret: int, n: int, t: int, rng: np.random.Generator) -> list[tuple[int, int]]:
    """Split ``secret`` (in [0, PRIME)) into ``n`` shares ``(x, f(x))``, x = 1..n, such that any
    ``t`` reconstruct it and ``t - 1`` reveal nothing: ``f`` is a random degree-(t-1)
    polynomial over GF(PRIME) with ``f(0) = secret``.

    Args:
        n: number of shares, in [1, 10_000]; t: threshold, in [1, n]; ``n * t <= 10^6``.
    """
    if t > n:
        raise ValueError(f"t must be an integer in [1, n={n}], got {t}")
    _check_work(f"n * t = {n} * {t}", n * t, "n or t")
    return share(secret, n, t, rng)


def reconstruct(pts: dict[int, int], t: int) -> int:
    """Lagrange interpolation at 0 from the first ``t`` points of ``pts`` (unchecked)."""
    xs = list(pts)[:t]
    secret = 0
    for i in xs:
        num, den = 1, 1
        for j in xs:
            if j != i:
                num = num * (-j) % PRIME
                den = den * (i - j) % PRIME
        secret = (secret + pts[i] * num * pow(den, -1, PRIME)) % PRIME
    return secret


@validated(shares=Sequence(_Share(), 1), t=Int(1, MAX_SHARES))
def shamir_reconstruct(shares: list[tuple[int, int]], t: int) -> int:
    """Lagrange interpolation at 0 from at least ``t`` distinct shares (the first ``t`` used).

    Args:
        shares: ``(x, y)`` pairs, ``x`` in [1, PRIME) and ``y`` in [0, PRIME); repeating a
            share is harmless, two different ``y`` for one ``x`` are refused.
        t: the threshold the secret was shared with, ``t^2 <= 10^6``.

    Raises:
        SecAggError: fewer than ``t`` distinct shares.
    """
    _check_work(f"t^2 = {t}^2", t * t, "t")
    pts: dict[int, int] = {}
    for x, y in shares:
        if pts.setdefault(x, y) != y:
            raise ValueError(f"shares holds two different values for x={x}: {pts[x]} and {y}")
    if len(pts) < t:
        raise SecAggError(f"need at least t={t} distinct shares to reconstruct, got "
                          f"{len(pts)} of them")
    return reconstruct(pts, t)
