"""``fedlearn-edu doctor``: one plain line per need of a lab machine, exit 0 only if all met."""

from __future__ import annotations

import re
import sys
from importlib import metadata
from pathlib import Path

import pytest
import tomllib
from packaging.requirements import Requirement

from fedlearn_edu.cli import main
from fedlearn_edu.course import doctor

PYPROJECT = tomllib.loads((Path(__file__).resolve().parents[1] / "pyproject.toml").read_text())


def needed_packages() -> dict[str, str]:
    return {Requirement(r).name: str(Requirement(r).specifier)
            for r in PYPROJECT["project"]["dependencies"]}


def by_what(checks):
    return {c.what: c for c in checks}


def test_this_machine_has_everything(capsys):
    checks = by_what(doctor.run_checks())
    for dist, spec in needed_packages().items():  # what pyproject.toml itself says
        assert checks[dist].ok, checks[dist]
        assert metadata.version(dist) in checks[dist].detail and spec in checks[dist].detail
    python = ".".join(map(str, sys.version_info[:3]))
    assert checks["Python"].ok and python in checks["Python"].detail
    import numpy

    assert checks["numpy"].detail.startswith(numpy.__version__)
    for lib in ("ipywidgets", "ipympl"):
        assert checks[f"JupyterLab extension of {lib}"].ok
    assert checks["notebooks"].ok
    assert main(["doctor"]) == 0
    out = capsys.readouterr().out
    assert "Everything the notebooks need is here" in out and "MISSING" not in out
    assert len(re.findall(r"^  \[", out, flags=re.M)) == len(checks)


def test_a_missing_package_is_named_with_its_fix(monkeypatch, capsys):
    real = doctor.installed_version
    monkeypatch.setattr(doctor, "installed_version",
                        lambda dist: None if dist == "ipympl" else real(dist))
    assert main(["doctor"]) == 1
    out = capsys.readouterr().out
    spec = needed_packages()["ipympl"]
    assert f"[MISSING ] ipympl: not installed (needs {spec})" in out
    assert f'-m pip install --upgrade "ipympl{spec}"' in out
    assert "1 needed thing(s) missing or broken (ipympl)" in out


def test_too_old_and_broken_packages(monkeypatch):
    real = doctor.installed_version
    monkeypatch.setattr(doctor, "installed_version",
                        lambda dist: "1.0" if dist == "numpy" else real(dist))
    monkeypatch.setattr(doctor, "import_error",
                        lambda module: "ImportError: libgfortran.so.5" if module == "scipy"
                        else None)
    checks = by_what(doctor.run_checks())
    assert not checks["numpy"].ok and "1.0 is too old or too new" in checks["numpy"].detail
    assert not checks["scipy"].ok and "does not import" in checks["scipy"].detail
    assert "--force-reinstall" in checks["scipy"].fix


def test_missing_lab_extension(monkeypatch):
    monkeypatch.setattr(doctor, "labextension_version",
                        lambda name: None if name == "jupyter-matplotlib" else "1.0")
    checks = by_what(doctor.run_checks())
    ext = checks["JupyterLab extension of ipympl"]
    assert not ext.ok and ext.needed and "jupyter-matplotlib not found" in ext.detail
    assert checks["JupyterLab extension of ipywidgets"].ok


def test_labextension_found_where_jupyter_looks():
    from jupyter_core.paths import jupyter_path

    for name in ("@jupyter-widgets/jupyterlab-manager", "jupyter-matplotlib"):
        dirs = [Path(p, *name.split("/")) for p in jupyter_path("labextensions")]
        assert any((d / "package.json").is_file() for d in dirs)
        assert doctor.labextension_version(name) is not None
    assert doctor.labextension_version("no-such-extension") is None


def test_chinese_font_is_needed_only_for_the_chinese_edition(monkeypatch, capsys):
    from fedlearn_edu.i18n import fonts

    monkeypatch.setattr(fonts, "find_cjk_family", lambda: None)
    font = by_what(doctor.run_checks("en"))["font for the Chinese edition"]
    assert not font.ok and not font.needed and "fedlearn_edu[zh]" in font.fix
    assert main(["doctor"]) == 0 and "[optional]" in capsys.readouterr().out
    assert main(["doctor", "--lang", "zh"]) == 1
    assert "font for the Chinese edition" in capsys.readouterr().out


def test_refuses_unknown_language():
    with pytest.raises(ValueError, match="lang must be one of"):
        doctor.run_checks("fr")
