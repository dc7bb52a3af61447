"""One text source per notebook: ``notebooks/NN_*.md`` (MyST Markdown, paired by jupytext) is
what people edit and review; the committed ``.ipynb`` must hold exactly the same cells, with no
outputs. After editing a ``.md``: ``jupytext --sync notebooks/NN_*.md``."""

from __future__ import annotations

import json
import pathlib

import jupytext
import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
SOURCES = sorted(NOTEBOOKS.rglob("[0-9][0-9]_*.md"))


def cells(nb) -> list[tuple[str, str]]:
    return [(c["cell_type"], "".join(c["source"]) if isinstance(c["source"], list) else c["source"])
            for c in nb["cells"]]


def test_every_notebook_has_a_text_source():
    ipynbs = sorted(p.with_suffix(".md") for p in NOTEBOOKS.rglob("[0-9][0-9]_*.ipynb")
                    if ".ipynb_checkpoints" not in p.parts)
    assert ipynbs and ipynbs == SOURCES


@pytest.mark.parametrize("md", SOURCES, ids=lambda p: p.stem)
def test_pair_is_in_sync_and_output_free(md):
    text = jupytext.read(md)
    nb = json.loads(md.with_suffix(".ipynb").read_text(encoding="utf-8"))
    assert cells(nb) == cells(text), (f"{md.name} and its .ipynb differ: run "
                                      f"`jupytext --sync {md.relative_to(NOTEBOOKS.parent)}`")
    assert "md:myst" in nb["metadata"]["jupytext"]["formats"]
    for c in nb["cells"]:
        if c["cell_type"] == "code":
            assert not c.get("outputs") and c.get("execution_count") is None, md.name
