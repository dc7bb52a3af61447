"""Every "Things to try" bullet in a notebook is a claim, and a test proves it.

Decorate the test with ``@claim("03", "source task = opposite")``: the phrase must occur in
exactly one bullet of that notebook's "Things to try" lists (whitespace and ``**`` ignored).
``tests/test_claims_coverage.py`` fails for a bullet that no test claims, and for a claim whose
phrase no longer matches a bullet (the prose changed: change the test with it).
"""

from __future__ import annotations

import pathlib
import re

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
REGISTRY: list[tuple[str, str, str]] = []  # (notebook number, phrase, test name)


def normalise(text: str) -> str:
    return re.sub(r"\s+", " ", text.replace("**", "").replace("`", "")).strip().lower()


def claim(notebook: str, phrase: str):
    """Register the decorated test as the proof of the bullet containing ``phrase``."""
    def mark(fn):
        REGISTRY.append((notebook, normalise(phrase), f"{fn.__module__}.{fn.__name__}"))
        return fn
    return mark


def things_to_try(md: pathlib.Path) -> list[str]:
    """The bullets of every "Things to try" list in notebook source ``md`` (normalised).
    A list starts at a line beginning with "Things to try" and ends at the first line that is
    neither a bullet (``- ``) nor an indented continuation of one."""
    bullets, inside, current = [], False, 0
    for line in md.read_text(encoding="utf-8").splitlines():
        if re.match(r"^\**things to try", line.strip(), re.I):
            inside, current = True, 0
        elif inside and line.startswith("- "):
            bullets.append(line[2:])
            current += 1
        elif inside and bullets and line.startswith("  ") and line.strip():
            bullets[-1] += " " + line.strip()
        elif inside and line.strip() == "" and current == 0:
            continue  # a blank line between the heading and its first bullet
        else:
            inside = False
    return [normalise(b) for b in bullets]
