"""The Chinese edition (notebooks/zh/) is the English one in Chinese: same code, one line apart.

Every English notebook has a Chinese twin with the same file name. Their code cells are equal,
except that the first code cell's ``set_language("en")`` line reads ``set_language("zh")``;
so the two editions cannot drift. The Chinese markdown really is Chinese.
"""

from __future__ import annotations

import pathlib
import re

import jupytext
import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
ENGLISH = sorted(NOTEBOOKS.glob("[0-9][0-9]_*.md"))
LANG_LINE = 'set_language("{}")'


def code_cells(path: pathlib.Path) -> list[str]:
    return [c.source for c in jupytext.read(path).cells if c.cell_type == "code"]


def markdown(path: pathlib.Path) -> str:
    return "\n".join(c.source for c in jupytext.read(path).cells if c.cell_type == "markdown")


@pytest.mark.parametrize("en", ENGLISH, ids=lambda p: p.stem)
def test_every_notebook_has_a_chinese_edition(en):
    assert (NOTEBOOKS / "zh" / en.name).is_file(), f"notebooks/zh/{en.name} is missing"


@pytest.mark.parametrize("en", ENGLISH, ids=lambda p: p.stem)
def test_code_is_identical_but_the_language_line(en):
    zh = NOTEBOOKS / "zh" / en.name
    if not zh.is_file():
        pytest.fail(f"notebooks/zh/{en.name} is missing")
    a, b = code_cells(en), code_cells(zh)
    assert len(a) == len(b), f"{en.name}: {len(a)} code cells in English, {len(b)} in Chinese"
    assert any(line.startswith(LANG_LINE.format("en")) for line in a[0].splitlines()), \
        f"{en.name}: the first code cell must contain the line {LANG_LINE.format('en')}"
    assert b[0] == a[0].replace(LANG_LINE.format("en"), LANG_LINE.format("zh"))
    for i, (x, y) in enumerate(zip(a[1:], b[1:]), start=2):
        assert x == y, f"{en.name}: code cell {i} differs between the editions"


@pytest.mark.parametrize("en", ENGLISH, ids=lambda p: p.stem)
def test_chinese_edition_is_written_in_chinese(en):
    zh = NOTEBOOKS / "zh" / en.name
    if not zh.is_file():
        pytest.fail(f"notebooks/zh/{en.name} is missing")
    text = markdown(zh)
    han = len(re.findall(r"[\u4e00-\u9fff]", text))
    latin_words = len(re.findall(r"\b[A-Za-z]{4,}\b", re.sub(r"\$[^$]*\$|`[^`]*`", "", text)))
    assert han > 300, f"{zh.name}: only {han} Chinese characters"
    assert han > 2 * latin_words, f"{zh.name}: {han} Chinese characters vs {latin_words} words"
