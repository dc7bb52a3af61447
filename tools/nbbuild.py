"""Shared helpers of the notebook builders in tools/: cells in, an .ipynb without outputs out."""

from __future__ import annotations

from pathlib import Path

import nbformat as nbf

ROOT = Path(__file__).resolve().parents[1]


def md(text: str):
    """A Markdown cell (surrounding blank lines stripped)."""
    return nbf.v4.new_markdown_cell(text.strip("\n"))


def code(text: str):
    """A code cell (surrounding blank lines stripped)."""
    return nbf.v4.new_code_cell(text.strip("\n"))


def write(name: str, cells: list) -> None:
    """Validate and write ``notebooks/<name>`` with a Python 3 kernelspec and no outputs."""
    nb = nbf.v4.new_notebook()
    nb.cells = cells
    for i, cell in enumerate(cells):  # stable ids: rebuilding an unchanged notebook is a no-op
        cell["id"] = f"cell-{i:03d}"
    nb.metadata["kernelspec"] = {"name": "python3", "display_name": "Python 3",
                                 "language": "python"}
    nb.metadata["language_info"] = {"name": "python"}
    path = ROOT / "notebooks" / name
    path.parent.mkdir(exist_ok=True)
    nbf.validate(nb)
    nbf.write(nb, path)
    print("wrote", path.relative_to(ROOT))
