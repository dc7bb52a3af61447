"""Copy the English edition's code cells into the Chinese edition (notebooks/zh/).

Run after changing a notebook's code: ``python tools/sync_zh_code.py [NN ...]`` (default: every
notebook that has a Chinese twin). The Chinese markdown cells are kept; each code cell of the
Chinese edition is replaced, in order, by the English one (the first cell with
``set_language("zh")``). The two editions must have the same number of code cells; if a cell
was added or removed, add or remove it in the Chinese ``.md`` by hand first. Then re-pair with
``jupytext --sync notebooks/zh/NN_*.md``. ``tests/test_zh_edition.py`` checks the result.
"""

from __future__ import annotations

import pathlib
import re
import sys

NOTEBOOKS = pathlib.Path(__file__).resolve().parents[1] / "notebooks"
CELL = re.compile(r"^```\{code-cell\}[^\n]*\n.*?^```$", re.M | re.S)


def sync(en: pathlib.Path) -> bool:
    """Replace the code cells of ``notebooks/zh/<en.name>``; True if the file changed."""
    zh = NOTEBOOKS / "zh" / en.name
    en_cells = CELL.findall(en.read_text(encoding="utf-8"))
    text = zh.read_text(encoding="utf-8")
    zh_cells = CELL.findall(text)
    if len(en_cells) != len(zh_cells):
        raise SystemExit(f"{zh.name}: {len(en_cells)} code cells in English, {len(zh_cells)} "
                         "in Chinese: add or remove cells in the Chinese .md by hand first")
    wanted = [en_cells[0].replace('set_language("en")', 'set_language("zh")'), *en_cells[1:]]
    it = iter(wanted)
    new = CELL.sub(lambda _m: next(it), text)
    if new != text:
        zh.write_text(new, encoding="utf-8")
    return new != text


def main(argv: list[str]) -> int:
    pairs = sorted(p for p in NOTEBOOKS.glob("[0-9][0-9]_*.md")
                   if (NOTEBOOKS / "zh" / p.name).is_file())
    if argv:
        pairs = [p for p in pairs if p.name[:2] in argv]
    for en in pairs:
        print(f"{en.name}: {'updated' if sync(en) else 'already in sync'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
