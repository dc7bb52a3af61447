"""Build hook: the wheel ships the student-edition notebooks inside the package.

Everything else about the package is in ``pyproject.toml``. When a wheel is built (``pip
install .``, ``pip wheel .``, ``python -m build``), ``build_py`` also copies these files of
``notebooks/`` to ``fedlearn_edu/_notebooks/`` in the build folder, so the notebooks live in
git once (``notebooks/``) and ``fedlearn-edu lab`` finds them in any installation. An editable
install (``pip install -e .``) copies nothing: ``fedlearn_edu.course.lab.notebooks_root`` then
uses the checkout's ``notebooks/`` itself. The sdist carries the same files (``MANIFEST.in``);
``tests/test_wheel.py`` checks that a built wheel holds every one of them.
"""

from __future__ import annotations

import shutil
from pathlib import Path

from setuptools import setup
from setuptools.command.build_py import build_py

# keep equal to fedlearn_edu.course.lab.SHIPPED (tests/test_wheel.py compares the wheel)
SHIPPED = ("[0-9][0-9]_*.ipynb", "zh/[0-9][0-9]_*.ipynb", "solutions/*.py", "GLOSSARY.md")
SOURCE = Path(__file__).resolve().parent / "notebooks"
TARGET = Path("fedlearn_edu", "_notebooks")


class BuildWithNotebooks(build_py):
    """``build_py`` that also copies the shipped notebooks into ``fedlearn_edu/_notebooks``."""

    def run(self):
        super().run()
        if getattr(self, "editable_mode", False):
            return  # the checkout's notebooks/ is used in place
        for rel in self._notebook_files():
            dest = Path(self.build_lib, TARGET, rel)
            dest.parent.mkdir(parents=True, exist_ok=True)
            shutil.copyfile(SOURCE / rel, dest)

    def get_outputs(self, include_bytecode=True):
        outputs = super().get_outputs(include_bytecode)
        if getattr(self, "editable_mode", False):
            return outputs
        return [*outputs, *(str(Path(self.build_lib, TARGET, rel))
                            for rel in self._notebook_files())]

    @staticmethod
    def _notebook_files() -> list[str]:
        found = {p.relative_to(SOURCE).as_posix() for pattern in SHIPPED
                 for p in SOURCE.glob(pattern) if p.is_file()}
        return sorted(found)


setup(cmdclass={"build_py": BuildWithNotebooks})
