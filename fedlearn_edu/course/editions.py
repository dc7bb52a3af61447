"""Student and instructor editions of a notebook.

The committed notebooks are the **student edition**: every exercise cell is a skeleton whose
first line is ``# %load solutions/NAME.py``. The **instructor edition** replaces each such
cell by what running that line would give (the magic line, commented, then the file), so it
runs top to bottom with every solution in place.
"""

from __future__ import annotations

import copy
import re
from pathlib import Path

LOAD_LINE = re.compile(r"^#\s*%load\s+(solutions/[\w.-]+\.py)\s*$")


def cell_text(cell) -> str:
    src = cell.get("source", "")
    return "".join(src) if isinstance(src, list) else src


def exercise_solution(cell) -> str | None:
    """The ``solutions/NAME.py`` path an exercise cell loads, or ``None`` for other cells."""
    if cell.get("cell_type") != "code":
        return None
    first = cell_text(cell).split("\n", 1)[0]
    m = LOAD_LINE.match(first)
    return m.group(1) if m else None


def exercises(nb) -> list[str]:
    """The solution paths of a notebook's exercise cells, in order."""
    return [p for c in nb["cells"] if (p := exercise_solution(c))]


def instructor_edition(nb, solutions_root: Path):
    """A copy of notebook ``nb`` (an nbformat dict) with every exercise cell's solution
    loaded from ``solutions_root / 'solutions/NAME.py'``. Raises ``FileNotFoundError`` naming
    the missing file."""
    out = copy.deepcopy(nb)
    root = Path(solutions_root)
    for cell in out["cells"]:
        rel = exercise_solution(cell)
        if rel is None:
            continue
        path = root / rel
        if not path.is_file():
            raise FileNotFoundError(f"exercise cell loads {rel}, but {path} does not exist")
        cell["source"] = f"# %load {rel}\n" + path.read_text(encoding="utf-8").rstrip("\n")
    return out
