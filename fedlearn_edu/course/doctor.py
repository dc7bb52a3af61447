"""``fedlearn-edu doctor``: what a lab machine has and misses for the notebooks, in plain words.

It checks the Python version and every package fedlearn_edu needs against the versions it
declares (its installed metadata, else the checkout's ``pyproject.toml``), that each package
imports, that JupyterLab has the front-end extensions of ipywidgets (sliders) and ipympl
(live figures), the font for the Chinese edition, and that the notebooks are there.
:func:`main` prints one line per check and returns 0 only if everything needed is there.
"""

from __future__ import annotations

import importlib
import json
import sys
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from .lab import EDITIONS, NOTEBOOKS, notebooks_root

DIST = "fedlearn_edu"
# distribution -> module to import, where they differ; None: not imported (JupyterLab runs as
# its own process, and importing its server takes seconds)
IMPORT_NAMES = {"scikit-learn": "sklearn", "jupyterlab": None}
# the JupyterLab extension each widget library's figures and sliders need in the browser
LAB_EXTENSIONS = {
    "ipywidgets": ("@jupyter-widgets/jupyterlab-manager", "jupyterlab_widgets"),
    "ipympl": ("jupyter-matplotlib", "ipympl"),
}


@dataclass(frozen=True)
class Check:
    """One line of the report: what was checked, whether it is fine, how to fix it."""

    what: str
    ok: bool
    detail: str
    fix: str = ""
    needed: bool = True

    def line(self) -> str:
        mark = "ok" if self.ok else ("MISSING" if self.needed else "optional")
        text = f"  [{mark:^8}] {self.what}: {self.detail}"
        return text + (f"\n             fix: {self.fix}" if self.fix and not self.ok else "")


def installed_version(dist: str) -> str | None:
    """The installed version of distribution ``dist``, or ``None``."""
    try:
        return metadata.version(dist)
    except metadata.PackageNotFoundError:
        return None


def import_error(module: str) -> str | None:
    """Why ``import module`` fails, or ``None`` when it works."""
    try:
        importlib.import_module(module)
    except Exception as exc:  # a broken install can raise anything
        return f"{type(exc).__name__}: {exc}"
    return None


def requirements() -> tuple[str, dict[str, str]]:
    """``(requires_python, {distribution: version specifier})`` fedlearn_edu declares for a
    plain install (no extras)."""
    try:
        meta = metadata.metadata(DIST)
        python, reqs = meta.get("Requires-Python", ""), metadata.requires(DIST) or []
    except metadata.PackageNotFoundError:  # a checkout that was never installed
        try:
            import tomllib  # Python >= 3.11
        except ImportError:
            return "", {}
        project = tomllib.loads((Path(__file__).resolve().parents[2] / "pyproject.toml")
                                .read_text(encoding="utf-8"))["project"]
        python, reqs = project.get("requires-python", ""), project["dependencies"]
    from packaging.requirements import Requirement

    out = {}
    for text in reqs:
        req = Requirement(text)
        if req.marker is None or req.marker.evaluate({"extra": ""}):
            out[req.name] = str(req.specifier)
    return python, out


def _satisfies(version: str, spec: str) -> bool:
    from packaging.specifiers import SpecifierSet

    return SpecifierSet(spec).contains(version, prereleases=True)


def _pip(requirement: str) -> str:
    exe = f'"{sys.executable}"' if " " in sys.executable else sys.executable
    return f'{exe} -m pip install --upgrade "{requirement}"'


def check_python(spec: str) -> Check:
    version = ".".join(map(str, sys.version_info[:3]))
    ok = not spec or _satisfies(version, spec)
    return Check("Python", ok, f"{version} (fedlearn_edu needs {spec or 'any'})",
                 f"install a Python {spec} from python.org and reinstall fedlearn_edu there")


def check_package(dist: str, spec: str) -> Check:
    version = installed_version(dist)
    if version is None:
        return Check(dist, False, f"not installed (needs {spec or 'any version'})",
                     _pip(f"{dist}{spec}"))
    if spec and not _satisfies(version, spec):
        return Check(dist, False, f"{version} is too old or too new (needs {spec})",
                     _pip(f"{dist}{spec}"))
    module = IMPORT_NAMES.get(dist, dist.replace("-", "_"))
    broken = module and import_error(module)
    if broken:
        return Check(dist, False, f"{version} is installed but does not import ({broken})",
                     _pip(f"{dist}{spec}").replace("--upgrade", "--force-reinstall"))
    return Check(dist, True, f"{version} (needs {spec or 'any'})")


def labextension_version(name: str) -> str | None:
    """The version of JupyterLab extension ``name`` found in Jupyter's data folders."""
    try:
        from jupyter_core.paths import jupyter_path

        folders = [Path(p) for p in jupyter_path("labextensions")]
    except ImportError:
        folders = [Path(sys.prefix, "share", "jupyter", "labextensions")]
    for folder in folders:
        package = folder.joinpath(*name.split("/"), "package.json")
        if package.is_file():
            try:
                return str(json.loads(package.read_text(encoding="utf-8")).get("version", "?"))
            except ValueError:
                return "?"
    return None


def check_labextension(library: str) -> Check:
    name, dist = LAB_EXTENSIONS[library]
    version = labextension_version(name)
    what = f"JupyterLab extension of {library}"
    if version is None:
        return Check(what, False, f"{name} not found: {library} output shows as plain text",
                     _pip(dist).replace("--upgrade", "--force-reinstall"))
    return Check(what, True, f"{name} {version}")


def check_cjk_font(needed: bool) -> Check:
    what = "font for the Chinese edition"
    try:
        from ..i18n.fonts import find_cjk_family

        family = find_cjk_family()
    except ImportError as exc:
        return Check(what, False, f"cannot look for one ({exc})", _pip("matplotlib"), needed)
    if family is None:
        return Check(what, False, "no font with Chinese characters: labels would be boxes",
                     _pip("fedlearn_edu[zh]"), needed)
    return Check(what, True, family, needed=needed)


def check_notebooks(lang: str) -> Check:
    try:
        root = notebooks_root()
    except FileNotFoundError as exc:
        return Check("notebooks", False, str(exc), _pip("fedlearn_edu"))
    counts = {k: len(list((root / sub).glob(NOTEBOOKS))) for k, sub in EDITIONS.items()}
    ok = counts[lang] > 0
    detail = f"{counts['en']} English, {counts['zh']} Chinese in {root}"
    return Check("notebooks", ok, detail, "reinstall fedlearn_edu (pip install fedlearn_edu)")


def run_checks(lang: str = "en") -> list[Check]:
    """Every check, in the order :func:`main` prints them. ``lang="zh"`` makes the Chinese
    font and the Chinese notebooks needed."""
    if lang not in EDITIONS:
        raise ValueError(f"lang must be one of {tuple(EDITIONS)}, got {lang!r}")
    python, packages = requirements()
    return [check_python(python),
            *(check_package(d, s) for d, s in packages.items()),
            *(check_labextension(lib) for lib in LAB_EXTENSIONS),
            check_cjk_font(needed=lang == "zh"),
            check_notebooks(lang)]


def report(checks: list[Check]) -> str:
    """The printed report: one line per check, then what to do."""
    missing = [c for c in checks if c.needed and not c.ok]
    lines = ["fedlearn-edu doctor: what this machine has for the course notebooks",
             *(c.line() for c in checks)]
    if missing:
        lines.append(f"{len(missing)} needed thing(s) missing or broken ("
                     f"{', '.join(c.what for c in missing)}): run the fix lines above, then "
                     f"fedlearn-edu doctor again.")
    else:
        lines.append("Everything the notebooks need is here. Start them with: fedlearn-edu lab")
    return "\n".join(lines)


def main(lang: str = "en") -> int:
    """Print the report; 0 if everything needed is there, else 1."""
    checks = run_checks(lang)
    print(report(checks))
    return 0 if all(c.ok for c in checks if c.needed) else 1
