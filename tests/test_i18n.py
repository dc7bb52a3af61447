"""The Chinese edition's machinery: language switch, text tables, and a font with CJK glyphs."""

from __future__ import annotations

import ast
import logging
import pathlib
import warnings

import matplotlib
import pytest

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402

from fedlearn_edu import i18n  # noqa: E402
from fedlearn_edu.i18n import fonts, set_language, tr  # noqa: E402
from fedlearn_edu.i18n.table import ZH  # noqa: E402

PKG = pathlib.Path(__file__).resolve().parents[1] / "fedlearn_edu"


@pytest.fixture
def zh():
    saved = dict(matplotlib.rcParams)
    set_language("zh")
    yield
    set_language("en")
    matplotlib.rcParams.update(saved)


class _Records(logging.Handler):
    """Collects matplotlib's log: a math-text glyph it cannot find is logged, not warned."""

    def __init__(self):
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def missing_glyphs(draw) -> list[str]:
    log, records = logging.getLogger("matplotlib"), _Records()
    log.addHandler(records)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            draw()
    finally:
        log.removeHandler(records)
    found = [str(w.message) for w in caught] + records.messages
    return [m for m in found if "missing from font" in m or "does not have a glyph" in m]


def test_set_language_refuses_unknown_codes():
    with pytest.raises(ValueError, match="lang must be one of"):
        set_language("fr")
    with pytest.raises(ValueError, match="lang must be one of"):
        set_language(None)


def test_tr_is_identity_in_english_and_translates_in_chinese(zh):
    assert tr("{n} clients per round", n=3) == "每轮 3 个客户端"
    assert tr("a text nobody translated") == "a text nobody translated"
    set_language("en")
    assert tr("{n} clients per round", n=3) == "3 clients per round"
    assert i18n.get_language() == "en"


def tr_literals() -> dict[str, str]:
    """Every literal first argument of a ``tr(...)`` call in the package, with its file."""
    found = {}
    for path in PKG.rglob("*.py"):
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if (isinstance(node, ast.Call) and getattr(node.func, "id", None) == "tr"
                    and node.args and isinstance(node.args[0], ast.Constant)
                    and isinstance(node.args[0].value, str)):
                found[node.args[0].value] = str(path.relative_to(PKG))
    return found


def test_every_translated_text_has_a_chinese_entry():
    missing = {t: f for t, f in tr_literals().items() if t not in ZH}
    assert not missing, f"tr() texts without a Chinese entry: {missing}"


def test_chinese_entries_keep_their_placeholders():
    import string

    for en, zh in ZH.items():
        names = lambda s: sorted(f for _, f, _, _ in string.Formatter().parse(s) if f)  # noqa: E731
        assert names(en) == names(zh), (en, zh)


def test_a_cjk_font_is_available_without_system_fonts(zh):
    assert fonts.find_cjk_family() is not None
    assert fonts.packaged_font_file() is not None, "the zh extra (mplfonts) must be installed"


def test_every_chinese_text_renders_without_missing_glyphs(zh):
    fig, ax = plt.subplots(figsize=(6, 2))
    texts = sorted(set(ZH.values()))
    for i, text in enumerate(texts):
        ax.text(0, i, text.replace("{", "").replace("}", ""))
    ax.set_ylim(0, len(texts))
    assert missing_glyphs(lambda: fig.canvas.draw()) == []
    plt.close(fig)


def test_missing_glyph_check_does_catch_a_font_without_cjk():
    # the check above is not vacuous: DejaVu alone warns on Chinese text
    with matplotlib.rc_context({"font.family": ["DejaVu Sans"]}):
        fig, ax = plt.subplots()
        ax.set_title("联邦平均")
        assert missing_glyphs(lambda: fig.canvas.draw())
        plt.close(fig)
