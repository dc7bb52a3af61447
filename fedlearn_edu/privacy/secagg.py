"""Secure aggregation (安全聚合 secure aggregation): a teaching version of Bonawitz et al. 2017.

"Practical Secure Aggregation for Privacy-Preserving Machine Learning" (CCS 2017). The server
learns ``sum_u x_u`` over the clients that finished, and nothing about any single ``x_u``:

Round 0  AdvertiseKeys   client u picks a secret key ``sk_u`` and sends ``pk_u = g^sk_u mod P``.
Round 1  ShareKeys       u picks a self-mask seed ``b_u`` and Shamir-shares ``b_u`` and ``sk_u``
                         (threshold t of n) to the other clients (through the server; in the
                         paper the shares are encrypted, here they are just routed).
Round 2  MaskedInput     u sends ``y_u = x_u + PRG(b_u) + sum_{v>u} PRG(s_uv) - sum_{v<u} ...``
                         in the ring Z_R, where ``s_uv = pk_v^sk_u = pk_u^sk_v`` (Diffie-Hellman)
                         is the seed u and v agree on. Pairwise masks cancel in the sum.
Round 3  Unmasking       for every client that uploaded, >= t survivors reveal their shares of
                         ``b_u`` (self-mask removed); for every client that dropped after
                         sharing, they reveal shares of ``sk_u``, so the server recomputes the
                         dropped client's pairwise masks and removes them. Fewer than t
                         responders: :class:`SecAggError`, the round fails loudly.

Numbers: inputs are fixed-point encoded ``round(x * 2^frac_bits) mod 2^ring_bits`` and summed in
the ring ``Z_{2^ring_bits}``; the decoded sum equals the sum of the encoded inputs exactly, and
the float sum to within ``n * 2^-(frac_bits+1)``. The sum must stay inside
``+-2^(ring_bits - frac_bits - 1)``: :func:`secure_sum` refuses inputs unless
``n * max|x|`` fits (:mod:`.fixedpoint`), instead of letting the sum wrap around silently.

Teaching simplifications (said plainly): key agreement is a real Diffie-Hellman exchange but in
the toy group Z_P* with the Mersenne prime ``P = 2^61 - 1`` (far too small to be secure); the
PRG is NumPy's PCG64 (not a cryptographic PRG); shares are not encrypted or signed; no
malicious-server consistency checks. The mechanics (what cancels, what is revealed when, what
the threshold buys) are the paper's.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from .._validation import Array, Int, Seed, check_int, validated
from .fixedpoint import (
    FRAC_BITS,
    MAX_CLIENTS,
    RING_BITS,
    check_bits,
    check_ring_sum,
    decode,
    encode,
    fixed_point_sum,
    from_ring,
    prg,
    quantise,
    ring_prg,
    to_ring,
)
from .shamir import PRIME, SecAggError, reconstruct, shamir_reconstruct, shamir_share, share

__all__ = [
    "PRIME", "GENERATOR", "KEY_BYTES", "MAX_CLIENTS", "MAX_MASK_WORDS", "SecAggError",
    "SecAggResult", "secure_sum", "shamir_share", "shamir_reconstruct", "encode", "decode",
    "prg", "fixed_point_sum",
]

GENERATOR = 37  # any base works for agreement: (g^a)^b = (g^b)^a
KEY_BYTES = 8  # one field element
MAX_MASK_WORDS = 10**8  # n^2 * p pseudo-random ring words a round may expand (about 1 s)
CLIENT_IDS = Array(ndim=1, kind="int", min_len=0)


# ------------------------------------------------------------------ the protocol
@dataclass
class SecAggResult:
    """What one secure-aggregation round produced.

    Attributes:
        total: ``(p,)`` decoded sum over ``included`` clients.
        included: clients whose input is in the sum (uploaded a masked vector).
        dropped: clients that shared keys but never uploaded (their masks were recovered).
        masked: what the server saw: ``{client: (p,) uint64 masked vector}``.
        messages_up/down, bytes_up/down: protocol traffic (all rounds).
        plain_bytes_up: all ``n`` clients sending float64 vectors in the clear (FedAvg's
            upload without any encoding; not like for like, see ``clear_bytes_up``).
        clear_bytes_up (property): the ``included`` clients sending the *same* fixed-point
            vectors in the clear: the like-for-like baseline. The masked vectors cost exactly
            this; SecAgg's extra is ``key_and_share_bytes``.
    """

    total: np.ndarray
    included: list[int]
    dropped: list[int]
    masked: dict = field(repr=False)
    messages_up: int = 0
    messages_down: int = 0
    bytes_up: int = 0
    bytes_down: int = 0
    plain_bytes_up: int = 0

    @property
    def key_and_share_bytes(self) -> int:
        """Bytes spent on keys, shares and id lists: everything but the masked vectors."""
        p = len(self.total)
        return self.bytes_up + self.bytes_down - len(self.included) * p * self._ring_bytes

    _ring_bytes: int = field(default=4, repr=False)

    @property
    def clear_bytes_up(self) -> int:
        """The same clients (``included``) uploading the same fixed-point vectors unmasked."""
        return len(self.included) * len(self.total) * self._ring_bytes

    @property
    def overhead(self) -> float:
        """All protocol bytes (up + down) relative to ``clear_bytes_up`` (like for like)."""
        return (self.bytes_up + self.bytes_down) / self.clear_bytes_up


@validated(X=Array(ndim=2, min_len=2), threshold=Int(2), drop_before_upload=CLIENT_IDS,
           drop_before_unmask=CLIENT_IDS, seed=Seed(), frac_bits=FRAC_BITS, ring_bits=RING_BITS)
def secure_sum(X, threshold: int, *, drop_before_upload=(), drop_before_unmask=(),
               seed: int = 0, frac_bits: int = 16, ring_bits: int = 32) -> SecAggResult:
    """Run the four rounds for clients ``0..n-1`` holding the rows of ``X: (n, p)``.

    Args:
        X: ``(n, p)`` finite inputs, ``2 <= n <= MAX_CLIENTS = 100`` clients (the teaching
            protocol costs ``O(n^2 t)`` Python steps), ``n^2 p <= 10^8`` mask words; refused
            unless ``n * max|round(x 2^frac_bits)| <= 2^(ring_bits-1) - 1``, the bound every
            client can check alone that keeps the ring sum from wrapping around.
        threshold: ``t``, shares needed to reconstruct a secret; 2 <= t <= n.
        drop_before_upload: clients that vanish after sharing keys (round 1) but before
            sending their masked input: excluded from the sum, their masks are recovered.
        drop_before_unmask: clients that upload but vanish before round 3: included in the
            sum, they just cannot help reconstruct.
        seed: seeds every client's secrets (one child generator per client).
        frac_bits, ring_bits: the fixed-point format (:mod:`.fixedpoint`).

    Raises:
        SecAggError: fewer than ``t`` masked inputs arrive, or fewer than ``t`` clients answer
            the unmasking round.
    """
    n, p = X.shape
    if p < 1 or n > MAX_CLIENTS:
        raise ValueError(f"X must be (n, p) with 2 <= n <= {MAX_CLIENTS} clients and p >= 1, "
                         f"got shape {X.shape}")
    if n * n * p > MAX_MASK_WORDS:
        raise ValueError(f"X of shape {X.shape} needs n^2 * p = {n * n * p} mask words, more "
                         f"than {MAX_MASK_WORDS}; use fewer clients or a shorter vector")
    t = check_int("threshold", threshold, 2, n)
    check_bits(frac_bits, ring_bits)
    q = quantise(X, frac_bits)
    check_ring_sum("X", q, n, frac_bits, ring_bits)
    gone1 = sorted(set(int(u) for u in drop_before_upload))
    gone2 = sorted(set(int(u) for u in drop_before_unmask))
    for name, ids in (("drop_before_upload", gone1), ("drop_before_unmask", gone2)):
        if any(not 0 <= u < n for u in ids):
            raise ValueError(f"{name} must hold client ids in [0, {n}), got {ids}")
    if set(gone1) & set(gone2):
        raise ValueError("a client cannot appear in both drop_before_upload and drop_before_unmask")
    mask_bits = np.uint64(2**ring_bits - 1)
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(seed).spawn(n)]
    stats = dict(up=0, down=0, bup=0, bdown=0)

    def send(up: bool, count: int, nbytes: int):
        stats["up" if up else "down"] += count
        stats["bup" if up else "bdown"] += nbytes

    # Round 0: key advertisement (Diffie-Hellman key pairs)
    sk = [int(r.integers(2, PRIME - 1)) for r in rngs]
    pk = [pow(GENERATOR, s, PRIME) for s in sk]
    send(True, n, n * KEY_BYTES)
    send(False, n, n * n * KEY_BYTES)  # server broadcasts all public keys to everyone

    # Round 1: every client shares its self-mask seed b_u and its secret key sk_u
    b = [int(r.integers(0, PRIME)) for r in rngs]
    shares_b = [share(b[u], n, t, rngs[u]) for u in range(n)]
    shares_sk = [share(sk[u], n, t, rngs[u]) for u in range(n)]
    send(True, n, n * (n - 1) * 2 * KEY_BYTES)  # (share of b_u, share of sk_u) for each v != u
    send(False, n, n * (n - 1) * 2 * KEY_BYTES)  # server forwards them

    # Round 2: masked inputs from the clients still there
    uploaded = [u for u in range(n) if u not in gone1]
    if len(uploaded) < t:
        raise SecAggError(f"masked inputs arrived from only {len(uploaded)} of the n={n} "
                          f"clients (rows of X; {len(gone1)} of them in drop_before_upload), "
                          f"fewer than the threshold t={t}: the server aborts the round")
    masked = {}
    for u in uploaded:
        y = (to_ring(q[u], ring_bits) + ring_prg(b[u], p, ring_bits)) & mask_bits
        for v in range(n):  # pairwise masks with every client of round 1
            if v == u:
                continue
            s_uv = pow(pk[v], sk[u], PRIME)  # = pow(pk[u], sk[v], PRIME): agreed seed
            m = ring_prg(s_uv, p, ring_bits)
            y = (y + m) & mask_bits if u < v else (y - m) & mask_bits
        masked[u] = y
    send(True, len(uploaded), len(uploaded) * p * ring_bits // 8)

    # Round 3: unmasking; survivors reveal b-shares of uploaders and sk-shares of dropouts
    responders = [v for v in uploaded if v not in gone2]
    send(False, len(uploaded), len(uploaded) * len(uploaded) * 4)  # list of uploaders (ids)
    if len(responders) < t:
        raise SecAggError(f"only {len(responders)} of the n={n} clients (rows of X) answered "
                          f"the unmasking round (drop_before_upload: {len(gone1)}, "
                          f"drop_before_unmask: {len(gone2)}), fewer than the threshold t={t}: "
                          f"the masks cannot be removed")
    send(True, len(responders), len(responders) * (n - 1) * KEY_BYTES)
    total = np.zeros(p, dtype=np.uint64)
    for u in uploaded:
        total = (total + masked[u]) & mask_bits
    for u in uploaded:  # remove self-masks: b_u reconstructed from t responders' shares
        b_u = reconstruct(dict(shares_b[u][v] for v in responders), t)
        total = (total - ring_prg(b_u, p, ring_bits)) & mask_bits
    for u in gone1:  # remove the dropped client's pairwise masks from its partners' inputs
        sk_u = reconstruct(dict(shares_sk[u][v] for v in responders), t)
        for v in uploaded:
            m = ring_prg(pow(pk[v], sk_u, PRIME), p, ring_bits)
            # v added +m if v < u, -m if v > u: undo it
            total = (total - m) & mask_bits if v < u else (total + m) & mask_bits
    return SecAggResult(
        total=from_ring(total, frac_bits, ring_bits), included=uploaded, dropped=gone1,
        masked=masked, messages_up=stats["up"], messages_down=stats["down"],
        bytes_up=stats["bup"], bytes_down=stats["bdown"], plain_bytes_up=n * p * 8,
        _ring_bytes=ring_bits // 8,
    )

