"""Systems realism: compute speed, latency, bandwidth, availability and dropout on a virtual clock.

Every client gets a *system profile*. One client's work in a synchronous round takes
(simulated seconds, nothing ever sleeps)::

    t_down = latency + 8 * bytes_down / (down_mbps * 1e6)      # receive the global model
    t_comp = epochs * n_i / speed                              # local SGD, speed in examples/s
    t_up   = latency + 8 * bytes_up / (up_mbps * 1e6)          # send the update back
    T_i    = t_down + t_comp + t_up

A message of the model is ``num_params * 8`` bytes (float64), an update can be smaller when
compressed (:mod:`.compression`). The server's round ends when it stops waiting:

* ``sync``: for every online client (``max T_i``; a crashed client is noticed when it crashes);
* ``deadline``: until ``deadline_s``; late clients are dropped and their data is lost;
* ``fedprox``: until ``deadline_s``; a slow client sends the partial work it managed
  (``max_steps`` local steps), with the proximal term ``mu/2 ||v - w||^2`` (Li et al. 2020);
* ``async`` / ``fedbuff``: no rounds at all, see :mod:`.asynchronous`.

This module holds the profiles and the clock's arithmetic; :mod:`.timeline` logs every job,
:mod:`.rounds` plugs the clock into the core round loop and :mod:`.asynchronous` runs the
event-driven modes.

``History.wall_clock`` is the cumulative simulated time; ``bytes_up``/``bytes_down`` the bytes
moved in each round.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from .._validation import (
    MAX_ITERATIONS,
    Array,
    Choice,
    Instance,
    Int,
    Maybe,
    Real,
    Seed,
    check_array,
    check_budget,
    check_float,
    validated,
)

INF = float("inf")

# Median device of each preset; speed/bandwidth vary log-normally by ``spread`` across clients.
PRESETS = {
    "ideal": dict(speed=INF, latency_ms=0.0, up_mbps=INF, down_mbps=INF, spread=0.0,
                  availability=1.0, dropout=0.0),
    "datacenter": dict(speed=100_000.0, latency_ms=0.5, up_mbps=10_000.0, down_mbps=10_000.0,
                       spread=0.0, availability=1.0, dropout=0.0),
    "mobile": dict(speed=1_000.0, latency_ms=80.0, up_mbps=2.0, down_mbps=10.0, spread=0.5,
                   availability=0.9, dropout=0.02),
    "iot": dict(speed=100.0, latency_ms=300.0, up_mbps=0.1, down_mbps=0.25, spread=0.5,
                availability=0.7, dropout=0.05),
}
PRESET_NAMES = tuple(PRESETS)
PROFILE_FIELDS = ("speed", "latency_ms", "up_mbps", "down_mbps", "availability", "dropout")


@dataclass(frozen=True)
class Profiles:
    """System profile of every client: each field is a ``(K,)`` array, client ``i`` at ``[i]``.

    Attributes:
        speed: local-training throughput, examples per second (``inf`` = instant).
        latency_ms: one-way latency of every message, milliseconds.
        up_mbps, down_mbps: bandwidth, Mbit/s (``inf`` = instant).
        availability: probability the client is online when asked, in (0, 1].
        dropout: probability the client crashes during its work, in [0, 1).
        straggler: True for clients slowed down by ``straggler_slowdown``.
    """

    speed: np.ndarray
    latency_ms: np.ndarray
    up_mbps: np.ndarray
    down_mbps: np.ndarray
    availability: np.ndarray
    dropout: np.ndarray
    straggler: np.ndarray

    def __post_init__(self):
        for name in (*PROFILE_FIELDS, "straggler"):
            kind = "bool" if name == "straggler" else "float"
            # speed and bandwidth may be inf (= instant); NaN is refused by validate()
            a = check_array(name, getattr(self, name), ndim=1, kind=kind, finite=False)
            if len(a) != len(self.speed):
                raise ValueError(f"every profile field needs one entry per client: speed has "
                                 f"{len(self.speed)}, {name} has {len(a)}")
            object.__setattr__(self, name, a)
        self.validate()

    @property
    def num_clients(self) -> int:
        return len(self.speed)

    def with_overrides(self, overrides: dict[int, dict]) -> Profiles:
        """A copy with some clients changed, e.g. ``{3: {"speed": 10.0, "latency_ms": 900}}``."""
        if not isinstance(overrides, dict):
            raise TypeError(f"overrides must be a dict client -> {{field: value}}, got "
                            f"{type(overrides).__name__}")
        cols = {f: getattr(self, f).copy() for f in (*PROFILE_FIELDS, "straggler")}
        for i, changes in overrides.items():
            if isinstance(i, bool) or not isinstance(i, (int, np.integer)) \
                    or not 0 <= int(i) < self.num_clients:
                raise ValueError(f"override client must be in [0, {self.num_clients - 1}], "
                                 f"got {i!r} in overrides")
            if not isinstance(changes, dict):
                raise TypeError(f"overrides[{i}] must be a dict field -> value, got "
                                f"{type(changes).__name__}")
            for name, value in changes.items():
                if name not in cols:
                    raise ValueError(f"override field must be one of {PROFILE_FIELDS}, got "
                                     f"{name!r} in overrides[{i}]")
                where = f"overrides[{i}][{name!r}]"
                if name == "straggler":
                    if not isinstance(value, (bool, np.bool_)):
                        raise TypeError(f"{where} must be True or False, got {value!r}")
                else:
                    value = check_float(where, value, allow_inf=True)
                cols[name][int(i)] = value
        return Profiles(**cols)

    def validate(self) -> None:
        """Check every field's range (``__post_init__`` does; raises naming the field)."""
        checks = {
            "speed": lambda a: a > 0, "latency_ms": lambda a: (a >= 0) & np.isfinite(a),
            "up_mbps": lambda a: a > 0, "down_mbps": lambda a: a > 0,
            "availability": lambda a: (a > 0) & (a <= 1), "dropout": lambda a: (a >= 0) & (a < 1),
        }
        allowed = {"speed": "> 0", "latency_ms": ">= 0 and finite", "up_mbps": "> 0",
                   "down_mbps": "> 0", "availability": "in (0, 1]", "dropout": "in [0, 1)"}
        for name, ok in checks.items():
            a = getattr(self, name)
            bad = ~ok(a) | np.isnan(a)
            if bad.any():
                i = int(np.argmax(bad))
                raise ValueError(f"{name} must be {allowed[name]}, got {a[i]} for client {i}")


# 5 standard normals per client, 7 profile columns, temporaries: bytes per client, roughly
_BYTES_PER_CLIENT = 8 * 16


@validated(num_clients=Int(1), preset=Choice(PRESET_NAMES),
           latency_ms=Maybe(Real(0.0, 3_600_000.0)), latency_spread=Real(0.0, 5.0),
           straggler_fraction=Real(0.0, 1.0), straggler_slowdown=Real(1.0, 1e9), seed=Seed(),
           overrides=Maybe(Instance(dict)))
def make_profiles(
    num_clients: int,
    preset: str = "mobile",
    *,
    latency_ms: float | None = None,
    latency_spread: float = 0.0,
    straggler_fraction: float = 0.0,
    straggler_slowdown: float = 10.0,
    seed: int = 0,
    overrides: dict[int, dict] | None = None,
) -> Profiles:
    """Draw ``num_clients`` profiles around a named preset.

    Speed and bandwidth are the preset's median times ``exp(spread * z)``; latency has mean
    ``latency_ms`` (the preset's if ``None``) and log-normal spread ``latency_spread``
    (``0`` = every client equal). A random ``straggler_fraction`` of the clients compute
    ``straggler_slowdown`` times slower. Client ``i``'s draws are row ``i`` of one seeded
    stream, so adding clients never changes the others' profiles.

    Args:
        num_clients: ``>= 1`` (refused beyond the memory budget).
        preset: ``ideal``, ``datacenter``, ``mobile`` or ``iot`` (:data:`PRESETS`).
        latency_ms: mean one-way latency in ``[0, 3.6e6]`` ms, or ``None``.
        latency_spread: in ``[0, 5]``; straggler_fraction: in ``[0, 1]``;
        straggler_slowdown: in ``[1, 1e9]``; seed: integer in ``[0, 2**63)``;
        overrides: optional ``{client: {field: value}}`` (:meth:`Profiles.with_overrides`).
    """
    check_budget("num_clients", num_clients, _BYTES_PER_CLIENT)
    p = PRESETS[preset]
    lat = p["latency_ms"] if latency_ms is None else float(latency_ms)
    # row i belongs to client i; rows are drawn in order, so more clients only append rows
    z = np.random.default_rng(np.random.SeedSequence([seed, 0x5157])).standard_normal(
        (num_clients, 5))
    s = p["spread"]
    speed = p["speed"] * np.exp(s * z[:, 0])
    n_slow = int(round(straggler_fraction * num_clients))
    straggler = np.zeros(num_clients, dtype=bool)
    straggler[np.argsort(z[:, 4], kind="stable")[:n_slow]] = True
    speed = np.where(straggler, speed / straggler_slowdown, speed)
    sig = float(latency_spread)
    out = Profiles(
        speed=speed,
        latency_ms=lat * np.exp(sig * z[:, 1] - sig**2 / 2),  # mean stays `lat`
        up_mbps=p["up_mbps"] * np.exp(s * z[:, 2]),
        down_mbps=p["down_mbps"] * np.exp(s * z[:, 3]),
        availability=np.full(num_clients, p["availability"]),
        dropout=np.full(num_clients, p["dropout"]),
        straggler=straggler,
    )
    return out.with_overrides(overrides) if overrides else out


def profiles_from_config(config) -> Profiles:
    """The profiles a ``FedConfig`` with ``systems`` describes (its ``latency_ms`` replaces
    the preset's)."""
    s = config.systems
    return make_profiles(
        config.num_clients, s.preset, latency_ms=s.latency_ms,
        latency_spread=s.latency_spread, straggler_fraction=s.straggler_fraction,
        straggler_slowdown=s.straggler_slowdown, seed=config.seed,
    )


def transfer_seconds(nbytes, latency_ms, mbps) -> np.ndarray:
    """One message: ``latency + 8 * nbytes / (mbps * 1e6)`` seconds (``mbps=inf`` -> latency)."""
    return np.asarray(latency_ms) / 1000.0 + 8.0 * np.asarray(nbytes, dtype=float) / (
        np.asarray(mbps) * 1e6)


def times_of(profiles: Profiles, clients, num_examples, epochs: int, bytes_down, bytes_up):
    """Kernel of :func:`client_times` (no checks; the round loops call it every round)."""
    c = np.asarray(clients, dtype=int)
    t_down = transfer_seconds(bytes_down, profiles.latency_ms[c], profiles.down_mbps[c])
    t_comp = epochs * np.asarray(num_examples, dtype=float) / profiles.speed[c]
    t_up = transfer_seconds(bytes_up, profiles.latency_ms[c], profiles.up_mbps[c])
    return t_down, t_comp, t_up


MAX_BYTES = 1e18  # an exabyte: larger messages are refused, not timed


@validated(profiles=Instance(Profiles), clients=Array(ndim=1, kind="int", low=0, min_len=0),
           num_examples=Array(ndim=(0, 1), low=0.0, high=2.0**53, min_len=0),
           epochs=Int(0, MAX_ITERATIONS), bytes_down=Real(0.0, MAX_BYTES),
           bytes_up=Real(0.0, MAX_BYTES))
def client_times(profiles: Profiles, clients, num_examples, epochs: int, bytes_down, bytes_up):
    """``(t_down, t_comp, t_up)``, each ``(m,)`` seconds, for full work of ``clients``.

    Args:
        profiles: the :class:`Profiles`; clients: ``(m,)`` indices in ``[0, K)``;
        num_examples: each client's examples ``(m,)`` (or one number for all), ``>= 0``;
        epochs: passes over the data, in ``[0, 1e6]``;
        bytes_down, bytes_up: message sizes in bytes, in ``[0, 1e18]``.

    Raises:
        ValueError: out-of-range clients, lengths that differ, or times beyond the float64
            range (a speed or bandwidth too small for the work).
    """
    if clients.size and clients.max() >= profiles.num_clients:
        raise ValueError(f"clients must lie in [0, {profiles.num_clients - 1}] (the clients of "
                         f"profiles), got {clients.max()}")
    if num_examples.ndim == 1 and len(num_examples) != len(clients):
        raise ValueError(f"num_examples must have one entry per client in clients "
                         f"({len(clients)}), got shape {num_examples.shape}")
    with np.errstate(over="ignore"):
        times = times_of(profiles, clients, num_examples, epochs, bytes_down, bytes_up)
    if not all(np.isfinite(t).all() for t in times):
        raise ValueError("client_times overflow float64: a speed or bandwidth of profiles is "
                         "too small for num_examples/bytes_down/bytes_up")
    return times
