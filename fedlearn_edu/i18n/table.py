"""All Chinese texts in one table: the ``ZH`` dicts of every module in :mod:`.texts`, merged.

Two modules may not give one English text two different translations (``_load`` refuses).
"""

from __future__ import annotations

import importlib
import pkgutil

from . import texts

ZH: dict[str, str] = {}
SOURCES: dict[str, str] = {}  # English text -> module that translates it


def _load() -> None:
    for info in sorted(pkgutil.iter_modules(texts.__path__), key=lambda m: m.name):
        table = importlib.import_module(f"{texts.__name__}.{info.name}").ZH
        for en, zh in table.items():
            if en in ZH and ZH[en] != zh:
                raise ValueError(f"{en!r} is translated twice: {ZH[en]!r} ({SOURCES[en]}) and "
                                 f"{zh!r} ({info.name})")
            ZH[en], SOURCES[en] = zh, info.name


_load()
