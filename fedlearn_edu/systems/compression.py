"""Compressing client updates before upload, with honest byte counts.

Pure functions on a flat update vector ``x: (p,)`` (a model delta or a gradient); none of
them modifies its input.

* **top-k sparsification** keeps the ``k`` entries of largest magnitude. The client sends
  their values (float64, 8 bytes each) *and* their positions (int32, 4 bytes each), so
  ``bytes = 12 k`` instead of ``8 p``: keeping 10% of the entries cuts bytes 6.7x, not 10x.
* **8-bit quantisation** (:mod:`.quantize`) maps every entry to one of 256 evenly spaced
  levels between the vector's min and max, rounding to the nearest level (biased by up to
  half a level) or stochastically (unbiased, QSGD). The client sends ``p`` bytes plus ``lo``
  and ``scale`` (2 x 8 bytes).
* **error feedback** (Seide et al. 2014; Karimireddy et al. 2019): the part of the update
  that compression threw away, ``e = (x + e_old) - C(x + e_old)``, is kept on the client
  and added to its next update, so nothing is lost forever, only delayed.
"""

from __future__ import annotations

import numpy as np

from .._validation import RNG, Array, Choice, Int, Maybe, Real, check_budget, validated
from .quantize import (
    ROUNDING_NAMES,
    check_rng_for,
    dequantize_int8,
    int8_levels,
    int8_range,
    int8_values,
    quantize_int8,
)

COMPRESSION_NAMES = ("none", "topk", "int8")
VALUE_BYTES = 8  # float64 value
INDEX_BYTES = 4  # int32 position
MAX_PARAMS = 2**53  # largest update length whose byte count is exact in float64

__all__ = ["COMPRESSION_NAMES", "ClientMemory", "compress", "compress_rows", "compress_updates",
           "compress_with_feedback", "compressed_bytes", "dequantize_int8", "quantize_int8",
           "topk_compress", "topk_count", "topk_decompress"]

_FRACTION = Real(0.0, 1.0, low_open=True)
_ROUNDING = dict(rounding=Choice(ROUNDING_NAMES), rng=Maybe(RNG()))


@validated(p=Int(1, MAX_PARAMS), fraction=_FRACTION)
def topk_count(p: int, fraction: float) -> int:
    """How many entries top-k keeps out of ``p >= 1``: ``ceil(fraction * p)``, at least 1,
    for ``fraction`` in ``(0, 1]``."""
    return max(1, int(np.ceil(fraction * p)))


def _topk_positions(x: np.ndarray, k: int) -> np.ndarray:
    # stable sort on -|x|: among equal magnitudes the lower index wins
    return np.sort(np.argsort(-np.abs(x), kind="stable")[:k]).astype(np.int32)


@validated(x=Array(ndim=1), k=Int(1, MAX_PARAMS))
def topk_compress(x, k: int) -> tuple[np.ndarray, np.ndarray]:
    """The ``k`` largest-magnitude entries of ``x: (p,)``, ``1 <= k <= p``.

    Returns:
        ``(idx, values)``: int32 positions ``(k,)`` in increasing order and float64
        values ``(k,)``. Ties are broken by position (lower index first), so the
        result is deterministic.
    """
    if k > len(x):
        raise ValueError(f"k must be in [1, {len(x)}] (the length of x), got {k}")
    idx = _topk_positions(x, k)
    return idx, x[idx].copy()


@validated(idx=Array(ndim=1, kind="int", low=0, min_len=0), values=Array(ndim=1, min_len=0),
           p=Int(1, MAX_PARAMS))
def topk_decompress(idx, values, p: int) -> np.ndarray:
    """Dense ``(p,)`` vector with ``values`` at ``idx`` and zeros elsewhere.

    Args:
        idx: distinct positions in ``[0, p)``, ``(k,)``; values: finite ``(k,)``;
        p: length of the dense vector (refused beyond the memory budget).
    """
    check_budget("p", p, 8)
    if len(idx) != len(values):
        raise ValueError(f"idx and values must have the same length, got {len(idx)} and "
                         f"{len(values)}")
    if idx.size and idx.max() >= p:
        raise ValueError(f"idx entries must lie in [0, {p - 1}] for p={p}, got {idx.max()}")
    if len(np.unique(idx)) != len(idx):
        raise ValueError("idx must hold distinct positions, got repeated entries")
    out = np.zeros(p)
    out[idx] = values
    return out


@validated(method=Choice(COMPRESSION_NAMES), p=Int(1, MAX_PARAMS), fraction=_FRACTION)
def compressed_bytes(method: str, p: int, fraction: float = 0.1) -> int:
    """Bytes on the wire for one update of ``p`` float64 parameters.

    ``none``: ``8 p``; ``topk``: ``12 k`` (values + int32 indices); ``int8``: ``p + 16``
    (whatever the rounding).
    """
    return _bytes(method, p, fraction)


def _bytes(method: str, p: int, fraction: float) -> int:
    if method == "none":
        return VALUE_BYTES * p
    if method == "topk":
        return (VALUE_BYTES + INDEX_BYTES) * max(1, int(np.ceil(fraction * p)))
    return p + 2 * VALUE_BYTES


@validated(x=Array(ndim=1), method=Choice(COMPRESSION_NAMES), fraction=_FRACTION, **_ROUNDING)
def compress(x, method: str, fraction: float = 0.1, rounding: str = "nearest",
             rng=None) -> tuple[np.ndarray, int]:
    """Compress and immediately decompress ``x: (p,)``: what the server reconstructs.

    Args:
        x: finite update ``(p,)``; method: ``none``, ``topk`` or ``int8``;
        fraction: share of entries top-k keeps, in ``(0, 1]``;
        rounding, rng: int8 rounding (``nearest`` or ``stochastic`` with a generator, see
            :func:`quantize_int8`); ignored by the other methods.

    Returns:
        ``(x_hat: (p,), nbytes)``.
    """
    p = len(x)
    if method == "none":
        return x.copy(), _bytes("none", p, fraction)
    if method == "topk":
        idx = _topk_positions(x, max(1, int(np.ceil(fraction * p))))
        out = np.zeros(p)
        out[idx] = x[idx]
        return out, _bytes("topk", p, fraction)
    check_rng_for(rounding, rng)
    lo, scale = int8_range(x)
    uniforms = rng.random(p) if rounding == "stochastic" else None
    return int8_values(int8_levels(x, lo, scale, uniforms), lo, scale), _bytes("int8", p, 0)


@validated(x=Array(ndim=1), residual=Array(ndim=1), method=Choice(COMPRESSION_NAMES),
           fraction=_FRACTION, **_ROUNDING)
def compress_with_feedback(
    x, residual, method: str, fraction: float = 0.1, rounding: str = "nearest", rng=None
) -> tuple[np.ndarray, np.ndarray, int]:
    """Error-feedback compression: compress ``x + residual`` and keep what was lost.

    Args:
        x: ``(p,)`` this round's update.
        residual: ``(p,)`` the client's carried-over error (zeros at the start).
        method, fraction, rounding, rng: as in :func:`compress`.

    Returns:
        ``(x_hat, new_residual, nbytes)`` with ``x_hat + new_residual == x + residual``.

    Raises:
        ValueError: shapes differ, or ``x + residual`` overflows float64.
    """
    if residual.shape != x.shape:
        raise ValueError(f"residual must have the shape of x {x.shape}, got {residual.shape}")
    with np.errstate(over="ignore"):
        target = x + residual
    if not np.isfinite(target).all():
        raise ValueError("x + residual overflows float64 (entries beyond 1.8e308); x and "
                         "residual must be smaller")
    x_hat, nbytes = compress(target, method, fraction, rounding, rng)
    return x_hat, target - x_hat, nbytes


def _compress_rows(X: np.ndarray, method: str, fraction: float, uniforms=None) -> np.ndarray:
    """Kernel of :func:`compress_rows` (no checks); ``uniforms`` ``(m, p)`` for stochastic int8."""
    m, p = X.shape
    if method == "none":
        return X.copy()
    if method == "topk":
        # keep entries above the k-th largest magnitude, then ties at it by lowest index
        # (what a stable sort on -|x| picks), without sorting whole rows
        k = max(1, int(np.ceil(fraction * p)))
        A = np.abs(X)
        kth = -np.partition(-A, k - 1, axis=1)[:, k - 1 : k]
        above, tie = A > kth, A == kth
        need = k - above.sum(axis=1, keepdims=True)
        keep = above | (tie & (np.cumsum(tie, axis=1) <= need))
        return np.where(keep, X, 0.0)
    lo, scale = int8_range(X, axis=1)
    return int8_values(int8_levels(X, lo, scale, uniforms), lo, scale)


@validated(X=Array(ndim=2), method=Choice(COMPRESSION_NAMES), fraction=_FRACTION, **_ROUNDING)
def compress_rows(X, method: str, fraction: float = 0.1, rounding: str = "nearest",
                  rng=None) -> tuple[np.ndarray, int]:
    """:func:`compress` applied to every row of ``X: (m, p)`` in one vectorised pass.

    Gives exactly the numbers of the row-by-row loop (tested), also for stochastic int8
    rounding: ``rng`` draws ``(m, p)`` uniforms in row order, as ``m`` calls of
    :func:`compress` with the same generator would. Returns ``(X_hat, nbytes)`` with
    ``nbytes`` the size of *one* row's message.
    """
    if X.shape[1] < 1:
        raise ValueError(f"X must have at least one column (parameter), got shape {X.shape}")
    stochastic = method == "int8" and rounding == "stochastic"
    if stochastic:
        check_rng_for(rounding, rng)
    uniforms = rng.random(X.shape) if stochastic else None
    return _compress_rows(X, method, fraction, uniforms), _bytes(method, X.shape[1], fraction)


class ClientMemory:
    """What each client keeps between its compressed uploads.

    Attributes:
        seed: the run's seed; client ``i``'s random stream (stochastic rounding) is
            ``default_rng(SeedSequence([seed, 0x5157, 3, i]))``, so it depends only on the
            seed and the client, never on who else took part.
        residuals: client -> error-feedback memory ``(p,)``.
    """

    def __init__(self, seed: int):
        self.seed = int(seed)
        self.residuals: dict[int, np.ndarray] = {}
        self._streams: dict[int, np.random.Generator] = {}

    def stream(self, client: int) -> np.random.Generator:
        if client not in self._streams:
            seq = np.random.SeedSequence([self.seed, 0x5157, 3, client])
            self._streams[client] = np.random.default_rng(seq)
        return self._streams[client]


def compress_updates(settings, deltas: np.ndarray, clients, memory: ClientMemory):
    """Apply ``settings.compression`` (a ``SystemsConfig``) to each row of ``deltas: (m, p)``.

    ``memory`` holds the clients' error-feedback residuals (updated in place) and their
    random streams (stochastic int8 rounding draws ``p`` uniforms from client ``i``'s own
    stream per upload). Returns ``(deltas_hat (m, p), bytes of one message)``.
    """
    method, fraction = settings.compression, settings.topk_fraction
    clients = [int(i) for i in clients]
    p = deltas.shape[1]
    target = deltas
    if settings.error_feedback:
        zero = np.zeros(p)
        target = deltas + np.stack([memory.residuals.get(i, zero) for i in clients])
    uniforms = None
    if method == "int8" and settings.int8_rounding == "stochastic":
        uniforms = np.stack([memory.stream(i).random(p) for i in clients])
    out = _compress_rows(target, method, fraction, uniforms)
    if settings.error_feedback:
        for i, r in zip(clients, target - out, strict=True):
            memory.residuals[i] = r
    return out, _bytes(method, p, fraction)
