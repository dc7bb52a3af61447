"""The house rule, checked over folders (not file names):

    _validation <- core (and article) <- {systems, privacy, transfer} <- runner
                <- plots <- widgets, cli
    i18n (texts, fonts) and course (exercises, editions, lab) sit beside _validation;
    flower (real federation) and apps (applications on real data) sit beside runner.

``systems``, ``privacy`` and ``transfer`` never import each other; ``runner`` is the only
module that combines them. The engine never imports matplotlib/ipywidgets; plots never import
ipywidgets; a plain FedAvg run loads nothing of systems/privacy/transfer; no import circles.
"""

from __future__ import annotations

import ast
import importlib
import pathlib
import subprocess
import sys

import pytest

PKG = pathlib.Path(__file__).resolve().parents[1] / "fedlearn_edu"

# floor of every room; a module may import only rooms listed in ALLOWED[its room]
ALLOWED = {
    "_validation": {"_validation"},
    "i18n": {"i18n"},
    "course": {"_validation", "i18n", "course"},
    "core": {"_validation", "core"},
    "article": {"_validation", "article"},
    "systems": {"_validation", "core", "systems"},
    "privacy": {"_validation", "core", "privacy"},
    "transfer": {"_validation", "core", "article", "transfer"},
    "runner": {"_validation", "core", "runner", "systems", "privacy"},
    "flower": {"_validation", "core", "privacy", "runner", "flower"},
    "apps": {"_validation", "core", "privacy", "transfer", "apps"},
    "plots": {"_validation", "i18n", "core", "article", "systems", "privacy", "transfer",
              "runner", "apps", "plots"},
    "widgets": {"_validation", "i18n", "core", "article", "systems", "privacy", "transfer",
                "runner", "apps", "flower", "plots", "widgets"},
    "cli": {"_validation", "i18n", "core", "systems", "privacy", "runner", "course", "flower",
            "cli"},
    "__init__": {"core", "runner", "systems", "privacy"},
    "__main__": {"cli"},
}


def room(path: pathlib.Path) -> str:
    rel = path.relative_to(PKG)
    return rel.parts[0] if len(rel.parts) > 1 else rel.stem


def module_name(path: pathlib.Path) -> str:
    rel = path.relative_to(PKG).with_suffix("")
    parts = ["fedlearn_edu", *rel.parts]
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports_of(path: pathlib.Path) -> set[str]:
    """Absolute names of the fedlearn_edu modules ``path`` imports (also inside functions)."""
    name = module_name(path)
    package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
    out = set()
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if mod.startswith("fedlearn_edu"):
                out.add(mod)
                out.update(f"{mod}.{a.name}" for a in node.names)  # `from . import article`
        elif isinstance(node, ast.Import):
            out.update(a.name for a in node.names if a.name.startswith("fedlearn_edu"))
    return out


SOURCES = sorted(PKG.rglob("*.py"))
MODULES = {module_name(p): p for p in SOURCES}


def rooms_named(names: set[str]) -> set[str]:
    out = set()
    for n in names:
        parts = n.split(".")
        if len(parts) > 1 and (".".join(parts[:2]) in MODULES or parts[1] in ALLOWED):
            out.add(parts[1])
    return out


@pytest.mark.parametrize("path", SOURCES, ids=lambda p: str(p.relative_to(PKG)))
def test_every_import_points_down(path):
    here = room(path)
    assert here in ALLOWED, f"{path} is in no known room; add it to ALLOWED"
    bad = rooms_named(imports_of(path)) - ALLOWED[here]
    assert not bad, f"{path.relative_to(PKG)} ({here}) imports {sorted(bad)}"


def test_no_import_circles():
    graph = {m: {i for i in imports_of(p) if i in MODULES and i != m} for m, p in MODULES.items()}
    # a package's __init__ is imported before its modules: an edge into a package is an edge
    # into its __init__, which only hands names on (checked below), so leave it out
    graph = {m: {i for i in e if MODULES[i].name != "__init__.py"} for m, e in graph.items()}
    state: dict[str, int] = {}

    def visit(m, stack):
        state[m] = 1
        for n in graph[m]:
            if state.get(n) == 1:
                raise AssertionError("import circle: " + " -> ".join([*stack, m, n]))
            if n not in state:
                visit(n, [*stack, m])
        state[m] = 2

    for m in graph:
        if m not in state:
            visit(m, [])


@pytest.mark.parametrize("path", sorted(PKG.rglob("__init__.py")), ids=lambda p: p.parent.name)
def test_subpackage_inits_only_hand_names_on(path):
    if path.parent == PKG:
        return  # the package's face also has the lazy __getattr__ for concept configs
    for node in ast.parse(path.read_text()).body:
        # handing a name on lazily (a ``_LAZY`` table and a module ``__getattr__`` that
        # imports from it: widgets, whose notebook-08 dashboards pull in SciPy) counts too
        ok = isinstance(node, (ast.ImportFrom, ast.Import)) or (
            isinstance(node, ast.Expr) and isinstance(node.value, ast.Constant)) or (
            isinstance(node, ast.Assign) and node.targets[0].id in ("__all__", "_LAZY")) or (
            isinstance(node, ast.FunctionDef) and node.name == "__getattr__")
        assert ok, f"{path} does more than hand names on: {ast.dump(node)[:80]}"


def test_every_name_a_subpackage_lists_is_there():
    for path in sorted(PKG.rglob("__init__.py")):
        name = ".".join(path.parent.relative_to(PKG.parent).parts)
        try:
            module = importlib.import_module(name)
        except ImportError:  # an optional extra (flower, apps) is not installed
            continue
        for attr in getattr(module, "__all__", []):
            assert getattr(module, attr) is not None, (name, attr)


def test_modules_stay_small():
    big = {str(p.relative_to(PKG)): n for p in SOURCES
           if (n := len(p.read_text().splitlines())) > 300}
    assert not big, f"modules over 300 lines: {big}"


def loaded_after(code: str) -> set[str]:
    code = "import sys\n" + code + "\nprint(' '.join(sorted(sys.modules)))"
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120, check=True)
    return set(out.stdout.split())


def test_plain_fedavg_loads_only_core():
    loaded = loaded_after("from fedlearn_edu import FedConfig, simulate\n"
                          "simulate(FedConfig(rounds=2, num_clients=3))")
    ours = {m for m in loaded if m.startswith("fedlearn_edu.")}
    rooms = {m.split(".")[1] for m in ours}
    assert rooms <= {"_validation", "core", "runner"}, sorted(ours)
    assert "matplotlib" not in loaded and "ipywidgets" not in loaded


@pytest.mark.parametrize("pkg", ["core", "article", "systems", "privacy", "transfer", "apps"])
def test_engine_rooms_load_no_ui_libraries(pkg):
    loaded = loaded_after(f"import fedlearn_edu.{pkg}")
    assert "matplotlib" not in loaded and "ipywidgets" not in loaded
    rooms = {m.split(".")[1] for m in loaded if m.startswith("fedlearn_edu.")}
    assert rooms <= ALLOWED[pkg] | {"_validation", "core", "runner"}, sorted(rooms)  # the face


def test_plots_load_no_widgets():
    loaded = loaded_after("import fedlearn_edu.plots.base, fedlearn_edu.plots.systems, "
                          "fedlearn_edu.plots.privacy, fedlearn_edu.plots.transfer, "
                          "fedlearn_edu.plots.noniid, fedlearn_edu.plots.fedtransfer, "
                          "fedlearn_edu.plots.apps")
    assert "matplotlib" in loaded and "ipywidgets" not in loaded


def test_allowed_names_equal_the_implementations_registries():
    from fedlearn_edu.core import aggregate, data, models, strategies
    from fedlearn_edu.core.config import FedConfig
    from fedlearn_edu.privacy import attacks
    from fedlearn_edu.privacy.config import AttackConfig
    from fedlearn_edu.systems import asynchronous, compression, profiles, rounds
    from fedlearn_edu.systems.config import SystemsConfig

    c = FedConfig.CONSTRAINTS
    assert c["aggregator"].options == tuple(aggregate.RULES)
    assert c["strategy"].options == tuple(strategies.STRATEGIES)
    assert c["dataset"].options == data.DATASET_NAMES
    assert c["model"].options == (*models.MODEL_NAMES, "auto")
    s = SystemsConfig.CONSTRAINTS
    assert s["preset"].options == tuple(profiles.PRESETS)
    assert s["mode"].options == (*rounds.WAIT_RULES, *asynchronous.ASYNC_MODES)
    assert s["staleness"].options == tuple(asynchronous.STALENESS)
    assert s["compression"].options == compression.COMPRESSION_NAMES
    assert AttackConfig.CONSTRAINTS["kind"].options == (*attacks.MODEL_ATTACKS,
                                                        *attacks.DATA_ATTACKS)
