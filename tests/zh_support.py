"""What the Chinese-edition tests share: is a text Chinese, which glyphs could matplotlib not
draw. (The ``zh`` fixture, Chinese selected for one test, is in ``conftest.py``.)"""

from __future__ import annotations

import logging
import re
import warnings

HAN = re.compile(r"[\u4e00-\u9fff]")


def chinese(text: str) -> bool:
    """True if ``text`` holds at least one Chinese (Han) character."""
    return bool(HAN.search(text))


def figure_texts(fig) -> list[str]:
    """Every axes' title and axis labels (empty ones included) and legend texts of ``fig``."""
    out = []
    for ax in fig.axes:
        out += [ax.get_title(), ax.get_xlabel(), ax.get_ylabel()]
        legend = ax.get_legend()
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()]
    return out


class _Records(logging.Handler):
    def __init__(self):
        super().__init__()
        self.messages: list[str] = []

    def emit(self, record):
        self.messages.append(record.getMessage())


def missing_glyphs(fig) -> list[str]:
    """What matplotlib could not draw when drawing ``fig``: text glyphs ("Glyph ... missing
    from font(s)", a warning) and mathtext glyphs ("Font 'default' does not have a glyph for
    ...", a log record: mathtext draws a text containing ``$`` with its own fonts, which lack
    CJK)."""
    # mathtext parses (and warns) once per text: a figure laid out before (tight_layout)
    # would draw from that cache silently, so it is emptied first
    from matplotlib.mathtext import MathTextParser

    MathTextParser._parse_cached.cache_clear()
    log, records = logging.getLogger("matplotlib"), _Records()
    log.addHandler(records)
    try:
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            fig.canvas.draw()
    finally:
        log.removeHandler(records)
    found = [str(w.message) for w in caught] + records.messages
    return [m for m in found if "missing from font" in m or "does not have a glyph" in m]
