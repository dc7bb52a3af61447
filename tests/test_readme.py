"""The README's Python examples run as written (so the front page never lies)."""

import contextlib
import io
import re
from pathlib import Path

README = Path(__file__).resolve().parents[1] / "README.md"


def test_readme_python_blocks_run():
    blocks = re.findall(r"```python\n(.*?)```", README.read_text(encoding="utf-8"), re.S)
    assert len(blocks) >= 2
    out = io.StringIO()
    with contextlib.redirect_stdout(out):
        for block in blocks:
            exec(compile(block, str(README), "exec"), {})
    lines = out.getvalue().splitlines()
    # the first example's callback prints "round accuracy" after each of the 30 rounds
    assert [int(line.split()[0]) for line in lines[:30]] == list(range(1, 31))
    assert all(0.8 < float(line.split()[1]) <= 1.0 for line in lines[:30])


def test_readme_starts_with_the_two_commands():
    text = README.read_text(encoding="utf-8")
    first_code = text.index("```bash")
    block = text[first_code: text.index("```", first_code + 7)]
    assert "make lab" in block and "make test" in block
