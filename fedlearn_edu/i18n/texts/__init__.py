"""Chinese texts, keyed by the English original: one module per topic, each defining ``ZH``.

A module added here (e.g. ``noniid.py`` for notebook 02's dashboard) is picked up by name;
two modules may not give one English text two different translations (a test checks).
"""

from __future__ import annotations

import importlib
import pkgutil

ZH: dict[str, str] = {}
SOURCES: dict[str, str] = {}  # English text -> module that translates it


def _load() -> None:
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        table = importlib.import_module(f"{__name__}.{info.name}").ZH
        for en, zh in table.items():
            if en in ZH and ZH[en] != zh:
                raise ValueError(f"{en!r} is translated twice: {ZH[en]!r} ({SOURCES[en]}) and "
                                 f"{zh!r} ({info.name})")
            ZH[en], SOURCES[en] = zh, info.name


_load()
