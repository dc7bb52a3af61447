"""The engine never imports matplotlib or ipywidgets; plots never import ipywidgets."""

import pkgutil
import subprocess
import sys

import fedlearn_edu

MODULES = sorted(m.name for m in pkgutil.iter_modules(fedlearn_edu.__path__))
ENGINE = [m for m in MODULES if not m.startswith(("plots", "widgets")) and m != "__main__"]
PLOTS = [m for m in MODULES if m.startswith("plots")]


def loaded_after_import(modules):
    code = (
        "import sys\n"
        + "".join(f"import fedlearn_edu.{m}\n" for m in modules)
        + "print(sorted({n.split('.')[0] for n in sys.modules}))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    return out.stdout


def test_engine_modules_exist_and_import_without_ui_libraries():
    assert {"models", "data", "client", "simulation", "seed", "privacy", "systems"} <= set(ENGINE)
    loaded = loaded_after_import(ENGINE)
    assert "'numpy'" in loaded
    assert "matplotlib" not in loaded and "ipywidgets" not in loaded


def test_plot_modules_do_not_import_widgets():
    loaded = loaded_after_import(PLOTS)
    assert "'matplotlib'" in loaded and "ipywidgets" not in loaded
