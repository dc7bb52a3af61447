"""The current language and the lookup of a visible text in it (see the package docstring)."""

from __future__ import annotations

LANGUAGES = ("en", "zh")
_state = {"lang": "en"}


def get_language() -> str:
    """The current language code: ``"en"`` or ``"zh"``."""
    return _state["lang"]


def set_language(lang: str) -> None:
    """Choose the language of every dashboard and plot made from now on.

    Args:
        lang: ``"en"`` or ``"zh"``. With ``"zh"`` a CJK font is configured for matplotlib
            (the system's, or the one the ``mplfonts`` package ships: ``pip install
            "fedlearn_edu[zh]"``); a warning says how to get one if none is found.
    """
    if not isinstance(lang, str) or lang not in LANGUAGES:
        raise ValueError(f"lang must be one of {LANGUAGES}, got {lang!r}")
    _state["lang"] = lang
    if lang == "zh":
        from .fonts import use_cjk_font

        use_cjk_font()


def tr(text: str, /, **fields) -> str:
    """``text`` in the current language, then ``str.format(**fields)`` if fields are given.

    ``text`` is the English original (also the lookup key); a text with no Chinese entry
    stays English (``tests/test_i18n.py`` checks that every ``tr("...")`` literal in the
    package has one)."""
    if _state["lang"] == "zh":
        from .table import ZH

        text = ZH.get(text, text)
    return text.format(**fields) if fields else text

