"""The extremes test at every control's maximum (tests/test_extremes.py has the minimums).

A file of its own so that ``make test`` (pytest-xdist, ``--dist loadfile``) runs the two halves
on the two cores."""

from __future__ import annotations

import pytest
from test_extremes import SOURCES, run_with_pushes


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: p.stem)
def test_notebook_survives_maximums_with_solutions(path, tmp_path, monkeypatch):
    run_with_pushes(path, "max", tmp_path, monkeypatch)
