"""A font that has Chinese characters, for matplotlib, chosen once when Chinese is selected.

matplotlib's default DejaVu Sans has no CJK glyphs: Chinese labels render as empty boxes with
a "Glyph ... missing from font(s)" warning. We keep DejaVu Sans first (Latin letters, digits
and math look as in the English edition) and add a CJK font as fallback (matplotlib >= 3.6
falls back glyph by glyph): a system one if installed, else the Noto Sans CJK SC file that the
``mplfonts`` package ships (extra ``zh``).
"""

from __future__ import annotations

import importlib.util
import warnings
from pathlib import Path

SYSTEM_FAMILIES = ("Noto Sans CJK SC", "Noto Sans SC", "Source Han Sans SC", "WenQuanYi Zen Hei",
                   "WenQuanYi Micro Hei", "Microsoft YaHei", "SimHei", "PingFang SC",
                   "Heiti SC", "Noto Sans CJK JP")
PACKAGED = ("mplfonts", "fonts/NotoSansCJKsc-Regular.otf")


def packaged_font_file() -> Path | None:
    """The CJK font file shipped by an installed package, or ``None``."""
    spec = importlib.util.find_spec(PACKAGED[0])
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(list(spec.submodule_search_locations)[0]) / PACKAGED[1]
    return path if path.is_file() else None


def find_cjk_family() -> str | None:
    """The name of a usable CJK font family (registering the packaged file), or ``None``."""
    from matplotlib import font_manager

    installed = {f.name for f in font_manager.fontManager.ttflist}
    for family in SYSTEM_FAMILIES:
        if family in installed:
            return family
    path = packaged_font_file()
    if path is None:
        return None
    font_manager.fontManager.addfont(str(path))
    return font_manager.FontProperties(fname=str(path)).get_name()


def use_cjk_font() -> str | None:
    """Put a CJK family after DejaVu Sans in matplotlib's sans-serif list; return its name.
    Warns (and returns ``None``) when no CJK font is available."""
    import matplotlib as mpl

    family = find_cjk_family()
    if family is None:
        warnings.warn("No font with Chinese characters found: Chinese labels will show as "
                      'boxes. Install one with: pip install "fedlearn_edu[zh]"', stacklevel=3)
        return None
    # a list of families (not the generic "sans-serif") makes matplotlib fall back per glyph
    mpl.rcParams["font.family"] = ["DejaVu Sans", family]
    return family
