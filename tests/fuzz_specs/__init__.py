"""Valid calls of every public engine function, for ``tests/test_fuzz.py``.

One file per room (``core.py``, ``privacy.py``, ``systems.py``, ``transfer.py``,
``article.py``, ``runner.py``), each with ``SPECS: list[Spec]``. A spec names the function
(or class) and a factory returning *fresh* keyword arguments of one small valid call (fresh,
so the fuzz test can check that nothing mutated them). The fuzz test then replaces each
parameter in turn by each of :data:`BAD_VALUES`.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np


@dataclass
class Spec:
    """One public function and a small valid call of it.

    Attributes:
        fn: the function or class.
        valid: ``() -> dict`` fresh keyword arguments of a valid call.
        nan_ok: attribute/key names of the result that may hold NaN by design (e.g.
            ``wall_clock`` = "not measured"); everything else must be finite.
        consume: how many items to draw when the result is an iterator.
    """

    fn: Callable
    valid: Callable[[], dict]
    nan_ok: tuple[str, ...] = ()
    consume: int = 2
    name: str = field(default="")

    def __post_init__(self):
        if not self.name:
            self.name = f"{self.fn.__module__.removeprefix('fedlearn_edu.')}.{self.fn.__name__}"


# The 24 bad values of the audit: empty, wrong rank, NaN, inf, negative, huge, wrong type,
# None, bool. Each replaces one argument at a time.
BAD_VALUES: list[tuple[str, object]] = [
    ("None", None),
    ("True", True),
    ("False", False),
    ("string", "x"),
    ("dict", {}),
    ("object", object()),
    ("complex", 1 + 1j),
    ("empty list", []),
    ("empty array", np.array([])),
    ("ragged list", [[1.0, 2.0], [3.0]]),
    ("rank-3 array", np.zeros((2, 2, 2))),
    ("bool array", np.array([True, False])),
    ("nan", math.nan),
    ("inf", math.inf),
    ("-inf", -math.inf),
    ("nan array", np.array([math.nan, 1.0])),
    ("inf matrix", np.array([[math.inf, 1.0], [1.0, 1.0]])),
    ("-1", -1),
    ("-0.5", -0.5),
    ("0", 0),
    ("0.0", 0.0),
    ("huge int", 10**12),
    ("huge float", 1e308),
    ("huge array", np.array([1e308, -1e308])),
]
