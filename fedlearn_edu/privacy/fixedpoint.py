"""Fixed-point numbers in the ring ``Z_{2^ring_bits}`` and the masks' PRG, for :mod:`.secagg`.

A float ``x`` becomes the integer ``q = round(x * 2^frac_bits)``, stored mod ``2^ring_bits``;
ring elements ``>= 2^(ring_bits - 1)`` read back as negative. Sums are taken in the ring, so
they are exact *as long as the true integer sum stays in*
``[-(2^(ring_bits-1) - 1), 2^(ring_bits-1) - 1]``; outside it wraps silently to a wrong value.
Every encoder here therefore checks the **sum**, not each input: ``n`` inputs with
``n * max|q| <= 2^(ring_bits-1) - 1`` can never wrap (:func:`check_ring_sum`). The bound is the
one each client can check alone, without seeing the others' inputs.
"""

from __future__ import annotations

import numpy as np

from .._validation import Array, Int, Seed, check_budget, validated

RING_BITS = Int(8, 62)  # uint64 storage with headroom for the int64 decode
FRAC_BITS = Int(0, 60)
MAX_CLIENTS = 100  # clients of one teaching SecAgg round (the protocol costs O(n^2 t) in Python)


def check_bits(frac_bits: int, ring_bits: int) -> None:
    """``frac_bits <= ring_bits - 2`` (at least one integer bit and the sign)."""
    if frac_bits > ring_bits - 2:
        raise ValueError(f"frac_bits must be an integer in [0, ring_bits - 2 = {ring_bits - 2}] "
                         f"for ring_bits={ring_bits}, got {frac_bits}")


def quantise(x: np.ndarray, frac_bits: int) -> np.ndarray:
    """``round(x * 2^frac_bits)`` as floats (``inf`` where it overflows)."""
    with np.errstate(over="ignore", invalid="ignore"):
        return np.round(np.asarray(x, dtype=float) * 2.0**frac_bits)


def check_ring_sum(name: str, q: np.ndarray, num_inputs: int, frac_bits: int,
                   ring_bits: int) -> None:
    """Refuse ``q`` (rounded fixed-point values) if ``num_inputs`` of them could sum out of
    the ring: the condition is ``num_inputs * max|q| <= 2^(ring_bits-1) - 1``."""
    qmax = float(np.max(np.abs(q))) if q.size else 0.0
    room = 2.0 ** (ring_bits - 1) - 1
    if num_inputs * qmax <= room:
        return
    limit = room / num_inputs / 2.0**frac_bits
    raise ValueError(
        f"{name}: inputs must lie in (-{limit:.6g}, {limit:.6g}) so that the sum of "
        f"{num_inputs} of them cannot wrap around the ring Z_2^{ring_bits} with {frac_bits} "
        f"fractional bits (|sum| < 2^{ring_bits - frac_bits - 1}); got max |{name}| = "
        f"{qmax / 2.0**frac_bits:.6g}. Use fewer frac_bits (each one doubles the range and "
        f"halves the precision), more ring_bits (at most 62), or scale the inputs down")


def to_ring(q: np.ndarray, ring_bits: int) -> np.ndarray:
    """Checked integers ``q`` (floats holding whole numbers) -> ring elements (uint64)."""
    return q.astype(np.int64).astype(np.uint64) & np.uint64(2**ring_bits - 1)


def from_ring(v: np.ndarray, frac_bits: int, ring_bits: int) -> np.ndarray:
    """Ring elements -> floats, reading values ``>= 2^(ring_bits-1)`` as negative."""
    v = np.asarray(v, dtype=np.uint64).astype(np.int64)
    v = np.where(v >= 2 ** (ring_bits - 1), v - 2**ring_bits, v)
    return v / 2.0**frac_bits


def ring_prg(seed: int, size: int, ring_bits: int) -> np.ndarray:
    """The unchecked PRG kernel the protocol calls ``O(n^2)`` times."""
    return np.random.default_rng(seed).integers(0, 2**ring_bits, size=size, dtype=np.uint64)


@validated(x=Array(ndim=1), frac_bits=FRAC_BITS, ring_bits=RING_BITS,
           num_inputs=Int(1, MAX_CLIENTS))
def encode(x, frac_bits: int = 16, ring_bits: int = 32, *, num_inputs: int = 1) -> np.ndarray:
    """Floats ``x: (p,)`` -> ring elements ``round(x * 2^frac_bits) mod 2^ring_bits`` (uint64).

    Args:
        x: ``(p,)`` finite floats.
        frac_bits: fractional bits, in ``[0, ring_bits - 2]``; resolution ``2^-frac_bits``.
        ring_bits: the ring ``Z_{2^ring_bits}``, in [8, 62].
        num_inputs: how many such vectors will be summed in the ring (the clients of a
            round); ``x`` is refused unless ``num_inputs * max|round(x 2^frac_bits)|``
            fits, so the sum cannot wrap around.

    Raises:
        ValueError: NaN/inf in ``x``, or ``x`` too large for the ring (the message says by
            how much and what to change).
    """
    check_bits(frac_bits, ring_bits)
    q = quantise(x, frac_bits)
    check_ring_sum("x", q, num_inputs, frac_bits, ring_bits)
    return to_ring(q, ring_bits)


@validated(v=Array(ndim=1, kind="int", low=0), frac_bits=FRAC_BITS, ring_bits=RING_BITS)
def decode(v, frac_bits: int = 16, ring_bits: int = 32) -> np.ndarray:
    """Ring elements ``v: (p,)`` (integers in ``[0, 2^ring_bits)``) -> floats ``(p,)``,
    reading values ``>= 2^(ring_bits-1)`` as negative."""
    check_bits(frac_bits, ring_bits)
    if v.size and int(v.max()) >= 2**ring_bits:
        raise ValueError(f"v must hold ring elements in [0, 2^{ring_bits}) for "
                         f"ring_bits={ring_bits}, got max {int(v.max())}")
    return from_ring(v.astype(np.uint64), frac_bits, ring_bits)


@validated(seed=Seed(), size=Int(0), ring_bits=RING_BITS)
def prg(seed: int, size: int, ring_bits: int = 32) -> np.ndarray:
    """Pseudo-random ring vector ``(size,)`` uint64 in ``[0, 2^ring_bits)`` expanded from
    ``seed`` (PCG64; not cryptographic). ``size`` is limited by the memory budget."""
    check_budget("size", size, 8)
    return ring_prg(seed, size, ring_bits)


@validated(X=Array(ndim=2), frac_bits=FRAC_BITS)
def fixed_point_sum(X, frac_bits: int = 16) -> np.ndarray:
    """The plain sum ``(p,)`` of the fixed-point encoded rows of ``X: (n, p)``: what
    :func:`~fedlearn_edu.privacy.secagg.secure_sum` must return (bit for bit).

    Exact in int64: ``X`` is refused if ``n * max|round(x 2^frac_bits)|`` reaches ``2^62``.
    """
    q = quantise(X, frac_bits)
    need = len(X) * (float(np.max(np.abs(q))) if q.size else 0.0)
    if not need < 2.0**62:
        raise ValueError(f"X: the exact fixed-point sum needs n * max|round(x * 2^frac_bits)| "
                         f"< 2^62, got {need:.3g} for n={len(X)}, frac_bits={frac_bits}; use "
                         f"fewer frac_bits or smaller inputs")
    return q.astype(np.int64).sum(axis=0) / 2.0**frac_bits
