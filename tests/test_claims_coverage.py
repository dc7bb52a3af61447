"""Each "Things to try" bullet of every English notebook is claimed by a test (see claims.py)."""

from __future__ import annotations

import importlib
import pathlib

import pytest
from claims import NOTEBOOKS, REGISTRY, things_to_try

for _mod in sorted(pathlib.Path(__file__).parent.glob("test_claims_[0-9]*.py")):
    importlib.import_module(_mod.stem)

SOURCES = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.md"))


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_every_bullet_is_claimed(md):
    number = md.name[:2]
    bullets = things_to_try(md)
    phrases = [(p, t) for n, p, t in REGISTRY if n == number]
    unclaimed = [b for b in bullets if not any(p in b for p, _ in phrases)]
    assert not unclaimed, f"{md.name}: no test claims these bullets: {unclaimed}"


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_every_claim_matches_one_bullet(md):
    number = md.name[:2]
    bullets = things_to_try(md)
    for phrase, test in ((p, t) for n, p, t in REGISTRY if n == number):
        hits = [b for b in bullets if phrase in b]
        assert len(hits) == 1, f"{test} claims {phrase!r}: in {len(hits)} bullets of {md.name}"
