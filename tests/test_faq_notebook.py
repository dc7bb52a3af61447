"""Notebook 09 (trends and FAQ) answers the article's questions and points to real sections.

The notebook itself runs under nbval (its asserts check the numbers). These tests keep its
prose honest while notebooks 00-08 change: it quotes each of the article's four FAQ questions,
every "NN §K" pointer names a notebook and a section that exist, and the exercise's solution
sorts overlaps as an independent reference (NumPy set arithmetic) does.
"""

from __future__ import annotations

import pathlib
import re

import numpy as np
import pytest

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
SOURCE = NOTEBOOKS / "09_trends_and_faq.md"
SOLUTION = NOTEBOOKS / "solutions" / "09_fl_kind.py"

# the article's section 6 (附录常见问题与解答), its four questions word for word
ARTICLE_QUESTIONS = (
    "联邦学习与迁移学习的区别是什么?",
    "联邦学习有哪些应用场景?",
    "迁移学习有哪些应用场景?",
    "联邦学习和迁移学习的挑战是什么?",
)


def text() -> str:
    return SOURCE.read_text(encoding="utf-8")


@pytest.mark.parametrize("question", ARTICLE_QUESTIONS)
def test_every_article_question_is_answered(question):
    assert question in text(), f"notebook 09 does not quote the article's question {question!r}"


def pointers() -> list[tuple[str, str, str]]:
    """Every "NN §K" / "NN §Kx" in notebook 09: (notebook number, section, sub-letter)."""
    found = []
    for m in re.finditer(r"\b(0[0-8]) §(\d+)([a-z]?)", text()):
        found.append(m.groups())
    for m in re.finditer(r"\b(0[0-8]) §\d+[a-z]?((?:, §\d+[a-z]?)+)", text()):
        found += [(m.group(1), *x) for x in re.findall(r"§(\d+)([a-z]?)", m.group(2))]
    return sorted(set(found))


def test_there_are_pointers():
    assert len(pointers()) >= 15, pointers()


@pytest.mark.parametrize("number, section, letter", pointers(),
                         ids=lambda x: x if isinstance(x, str) else None)
def test_pointer_names_a_real_section(number, section, letter):
    (md,) = sorted(NOTEBOOKS.glob(f"{number}_*.md")) or [None]
    if md is None:
        pytest.skip(f"notebook {number} is not in this checkout")
    body = md.read_text(encoding="utf-8")
    heading = re.search(rf"^## {section}\. .*$", body, re.M)
    assert heading, f"09 points to {number} §{section}, but {md.name} has no '## {section}.'"
    if letter:
        nxt = re.search(r"^## ", body[heading.end():], re.M)
        part = body[heading.end(): heading.end() + (nxt.start() if nxt else len(body))]
        assert f"({letter})" in part, f"{md.name} §{section} has no part ({letter})"


def fl_kind_reference(a, b, fa, fb) -> str:
    def jaccard(s, t):
        s, t = np.unique(np.asarray(list(s))), np.unique(np.asarray(list(t)))
        union = np.union1d(s, t).size
        return np.intersect1d(s, t).size / union if union else 0.0

    samples, features = jaccard(a, b) >= 0.5, jaccard(fa, fb) >= 0.5
    return {(False, True): "horizontal", (True, False): "vertical",
            (False, False): "transfer", (True, True): "same data"}[samples, features]


def test_solution_matches_the_reference_on_random_overlaps():
    namespace: dict = {}
    exec(compile(SOLUTION.read_text(encoding="utf-8"), str(SOLUTION), "exec"), namespace)
    fl_kind = namespace["fl_kind"]
    rng = np.random.default_rng(0)
    seen = set()
    for _ in range(400):
        n, d = int(rng.integers(1, 40)), int(rng.integers(1, 12))
        sets = [rng.choice(n, int(rng.integers(1, n + 1)), replace=False) for _ in range(2)]
        cols = [rng.choice(d, int(rng.integers(1, d + 1)), replace=False) for _ in range(2)]
        want = fl_kind_reference(*sets, *cols)
        assert fl_kind(*sets, *cols) == want, (sets, cols)
        seen.add(want)
    assert seen == {"horizontal", "vertical", "transfer", "same data"}  # every case was met
