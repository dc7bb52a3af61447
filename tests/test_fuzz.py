"""Every public engine function, called with valid arguments and then with each argument
replaced by each bad value: it must succeed with a finite result or refuse with a
``ValueError``/``TypeError`` naming the parameter; never hang, never mutate its inputs.

"Public" = the names each engine room exports (``__all__`` of ``core``, ``article``,
``privacy``, ``systems``, ``transfer``, ``apps``) plus ``runner``'s functions. The valid calls
live in ``tests/fuzz_specs/<room>.py``; a public name without a spec fails the coverage test.
Hypothesis then draws further numeric values (any float, huge integers, arrays with NaN/inf
of any small shape) for the same parameters.
"""

from __future__ import annotations

import copy
import dataclasses
import importlib
import inspect
import math
import os
import re
import signal
import time
import types
from collections.abc import Iterator

import numpy as np
import pytest
from fuzz_specs import BAD_VALUES, Spec
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

ROOMS = ("core", "article", "privacy", "systems", "transfer", "apps")
RUNNER = ("make_server", "records", "simulate", "SystemsRun", "run_systems")
# Public names that are not called with arguments from outside, with the reason.
NOT_CALLED = {
    "core.DivergenceError": "an exception type",
    "privacy.SecAggError": "an exception type",
    "core.Settings": "abstract base of the concept configs (has no fields)",
    "core.RoundHooks": "a base class with no constructor arguments; run_rounds checks hooks",
    "core.History": "a result record the engine fills (simulate returns it), not an input",
    "core.RoundRecord": "a result record the engine fills (one per round), not an input",
    "article.original": "the article's broken code, kept as printed on purpose",
}
TIME_LIMIT = 10.0  # seconds a single call may take before it counts as a hang


def public_names() -> dict[str, object]:
    out = {}
    for room in ROOMS:
        mod = importlib.import_module(f"fedlearn_edu.{room}")
        out.update({f"{room}.{n}": getattr(mod, n) for n in mod.__all__})
    runner = importlib.import_module("fedlearn_edu.runner")
    out.update({f"runner.{n}": getattr(runner, n) for n in RUNNER})
    # constants (PRESETS, ...) are data, not functions
    return {k: v for k, v in out.items()
            if k not in NOT_CALLED and (inspect.isfunction(v) or inspect.isclass(v))}


def load_specs() -> dict[object, Spec]:
    specs = {}
    for room in (*ROOMS, "runner"):
        try:
            mod = importlib.import_module(f"fuzz_specs.{room}")
        except ModuleNotFoundError:
            continue
        for spec in mod.SPECS:
            specs[spec.fn] = spec
    return specs


PUBLIC = public_names()
SPECS = load_specs()
COVERED = [SPECS[fn] for fn in dict.fromkeys(PUBLIC.values()) if fn in SPECS]
# FUZZ_ROOMS="privacy,systems" fuzzes only those rooms (while working on one); CI fuzzes all
if os.environ.get("FUZZ_ROOMS"):
    _rooms = tuple(r.strip() + "." for r in os.environ["FUZZ_ROOMS"].split(","))
    COVERED = [s for s in COVERED if s.name.startswith(_rooms)]


class Hang(Exception):
    pass


def _alarm(signum, frame):
    raise Hang()


def nonfinite_paths(obj, nan_ok=(), path="result", depth=0, seen=None) -> list[str]:
    """Where ``obj`` (arrays, numbers, containers, dataclasses) holds NaN or inf."""
    seen = set() if seen is None else seen
    if depth > 4 or id(obj) in seen:
        return []
    if isinstance(obj, (bool, np.bool_, str, bytes, type(None), types.FunctionType)):
        return []
    if isinstance(obj, int):  # a Python int of any size is finite
        return []
    if isinstance(obj, (float, np.number)):
        return [] if np.isfinite(obj) else [path]
    if isinstance(obj, np.ndarray):
        if obj.dtype.kind in "fc" and not np.isfinite(obj).all():
            return [path]
        return []
    seen.add(id(obj))
    if isinstance(obj, dict):
        items = obj.items()
    elif isinstance(obj, (list, tuple)):
        items = enumerate(obj)
    elif dataclasses.is_dataclass(obj):
        items = ((f.name, getattr(obj, f.name)) for f in dataclasses.fields(obj))
    else:
        return []
    out = []
    for key, value in items:
        if key in nan_ok:
            continue
        out += nonfinite_paths(value, nan_ok, f"{path}.{key}", depth + 1, seen)
    return out


def snapshot(kwargs: dict) -> dict:
    return {k: copy.deepcopy(v) for k, v in kwargs.items()
            if isinstance(v, (np.ndarray, list, tuple, dict))}


def same(a, b) -> bool:
    if isinstance(a, np.ndarray) or isinstance(b, np.ndarray):
        return (isinstance(a, np.ndarray) and isinstance(b, np.ndarray) and a.shape == b.shape
                and a.dtype == b.dtype and np.array_equal(a, b, equal_nan=a.dtype.kind in "fc"))
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, (list, tuple)) and isinstance(b, (list, tuple)):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b))
    try:
        return bool(a == b) or (a is b)
    except Exception:  # objects without a usable ==
        return True


def call(spec: Spec, kwargs: dict, param: str | None = None):
    """Run one call; return ``(outcome, detail)`` with outcome in ok / refused / raw / hang /
    nonfinite / mutated."""
    before = snapshot(kwargs)
    old = signal.signal(signal.SIGALRM, _alarm)
    signal.setitimer(signal.ITIMER_REAL, TIME_LIMIT)
    t0 = time.perf_counter()
    try:
        with np.errstate(all="ignore"):
            result = spec.fn(**kwargs)
            if isinstance(result, Iterator):
                result = [x for _, x in zip(range(spec.consume), result)]
    except Hang:
        return "hang", f"> {TIME_LIMIT} s"
    except (ValueError, TypeError) as err:
        msg = str(err)
        if param is None:
            return "raw", f"valid call raised {type(err).__name__}: {msg}"
        if re.search(rf"(?<![A-Za-z0-9_]){re.escape(param)}(?![A-Za-z0-9_])", msg):
            return "refused", msg
        return "raw", f"{type(err).__name__} does not name {param!r}: {msg}"
    except BaseException as err:  # noqa: BLE001 - any other exception is a finding
        if isinstance(err, KeyboardInterrupt):
            raise
        return "raw", f"{type(err).__name__}: {err}"
    finally:
        signal.setitimer(signal.ITIMER_REAL, 0)
        signal.signal(signal.SIGALRM, old)
    elapsed = time.perf_counter() - t0
    for k, v in before.items():
        if not same(v, kwargs[k]):
            return "mutated", f"argument {k!r} was modified"
    bad = nonfinite_paths(result, spec.nan_ok)
    if bad:
        return "nonfinite", f"non-finite values at {bad[:3]}"
    return "ok", f"{elapsed:.2f} s"


def parameters(spec: Spec) -> list[str]:
    sig = inspect.signature(spec.fn)
    return [n for n, p in sig.parameters.items()
            if p.kind not in (p.VAR_POSITIONAL, p.VAR_KEYWORD) and n != "self"]


@pytest.mark.skipif(bool(os.environ.get("FUZZ_ROOMS")), reason="FUZZ_ROOMS restricts the run")
def test_every_public_function_has_a_spec():
    missing = sorted(name for name, fn in PUBLIC.items() if fn not in SPECS)
    assert not missing, f"public engine names without a fuzz spec in tests/fuzz_specs: {missing}"


@pytest.mark.parametrize("spec", COVERED, ids=lambda s: s.name)
def test_valid_call_succeeds(spec):
    outcome, detail = call(spec, spec.valid())
    assert outcome == "ok", f"{spec.name}: {outcome}: {detail}"


def test_fuzz_every_argument_with_every_bad_value(capsys):
    counts = dict.fromkeys(("ok", "refused", "raw", "hang", "nonfinite", "mutated"), 0)
    findings = []
    for spec in COVERED:
        for param in parameters(spec):
            for label, bad in BAD_VALUES:
                kwargs = spec.valid()
                kwargs[param] = copy.deepcopy(bad)
                outcome, detail = call(spec, kwargs, param)
                counts[outcome] += 1
                if outcome not in ("ok", "refused"):
                    findings.append(f"{spec.name}({param}={label}): {outcome}: {detail}")
    calls = sum(counts.values())
    with capsys.disabled():
        print(f"\nfuzz: {len(COVERED)} public functions, {calls} calls: "
              + ", ".join(f"{k} {v}" for k, v in counts.items()))
    assert not findings, f"{len(findings)} findings:\n" + "\n".join(findings[:60])


# Hypothesis: further numbers and arrays for the same parameters.
NUMBERS = st.one_of(
    st.floats(allow_nan=True, allow_infinity=True),
    st.integers(min_value=-(2**70), max_value=2**70),
    hnp.arrays(np.float64, hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=4),
               elements=st.floats(allow_nan=True, allow_infinity=True)),
    hnp.arrays(np.int64, hnp.array_shapes(min_dims=1, max_dims=2, min_side=0, max_side=4)),
)
TARGETS = [(spec, p) for spec in COVERED for p in parameters(spec)]


@settings(max_examples=400, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(data=st.data())
def test_hypothesis_numbers(data):
    spec, param = data.draw(st.sampled_from(TARGETS), label="target")
    value = data.draw(NUMBERS, label="value")
    kwargs = spec.valid()
    kwargs[param] = value
    outcome, detail = call(spec, kwargs, param)
    assert outcome in ("ok", "refused"), f"{spec.name}({param}={value!r}): {outcome}: {detail}"


def test_hang_detection_works():
    spec = Spec(fn=lambda: time.sleep(TIME_LIMIT * 2), valid=dict, name="sleeper")
    old, globals()["TIME_LIMIT"] = TIME_LIMIT, 0.2
    try:
        assert call(spec, {})[0] == "hang"
    finally:
        globals()["TIME_LIMIT"] = old


def test_findings_are_classified():
    """The harness itself: a raw exception, a non-finite result and a mutation are caught."""
    def raw(x):
        return np.zeros(3)[x]

    def nan(x):
        return math.nan

    def mutate(x):
        x[0] = 5.0
        return 1.0

    def names(x, y=0):
        raise ValueError(f"x must be positive, got {x}")

    assert call(Spec(raw, dict, name="raw"), {"x": 7}, "x")[0] == "raw"
    assert call(Spec(nan, dict, name="nan"), {"x": 1}, "x")[0] == "nonfinite"
    assert call(Spec(mutate, dict, name="m"), {"x": np.zeros(2)}, "x")[0] == "mutated"
    assert call(Spec(names, dict, name="n"), {"x": -1}, "x")[0] == "refused"
    assert call(Spec(names, dict, name="n"), {"x": 1, "y": -1}, "y")[0] == "raw"
