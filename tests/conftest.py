"""Shared pytest setup: a headless matplotlib backend and the ``--update-screenshot`` option."""

import os
import sys

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")  # tests never open windows


def pytest_addoption(parser):
    parser.addoption(
        "--update-screenshot",
        action="store_true",
        default=False,
        help="tests/test_browser.py: also write docs/dashboard.png (used by `make figures`)",
    )


@pytest.fixture(autouse=True)
def headless_pyplot():
    """Every test starts and leaves pyplot on the headless backend: importing
    ``ipympl.backend_nbagg`` (a test of ipympl's glue) switches pyplot's backend for the
    whole process, and a later test in the same worker would get widget canvases."""
    yield
    plt = sys.modules.get("matplotlib.pyplot")
    if plt is not None and plt.get_backend().lower() != "agg":
        plt.switch_backend("Agg")


@pytest.fixture
def zh():
    """Chinese selected for one test: English and matplotlib's settings are put back after."""
    import matplotlib

    from fedlearn_edu.i18n import set_language

    saved = dict(matplotlib.rcParams)
    set_language("zh")
    yield
    set_language("en")
    matplotlib.rcParams.update(saved)


# The longest test files first: ``make test`` runs ``-n 2 --dist loadfile`` (each file on one
# worker), and a 3-minute file handed out last keeps one core busy while the other idles.
# Ordered by their measured time (a quiet run, 2026-12-04: seconds per file in the comments).
# xdist hands files out in this order only with ``--no-loadscope-reorder``: its default
# reorders files by their number of tests, which put the book (3 tests, 210 s) last.
LONGEST_FIRST = (
    "tests/test_book.py",  # 210: builds the book (executes every notebook), opens every page
    "tests/test_browser_layout.py",  # 171
    "tests/test_extremes_max.py",  # 129
    "tests/test_extremes.py",  # 81
    "tests/test_flower_parity.py",  # 61
    "tests/test_flower_classroom.py",  # 48
    "notebooks/07_real_federation.ipynb",  # 48
    "tests/test_claims_08.py",  # 43
    "tests/test_claims_03.py",  # 37
    "tests/test_widgets_apps.py",  # 31
    "notebooks/zh/07_real_federation.ipynb",  # 28
    "tests/test_flower_processes.py",  # 25
    "tests/test_browser.py",  # 23
    "notebooks/zh/08_applications.ipynb",  # 20
    "notebooks/08_applications.ipynb",  # 19
)


def pytest_collection_modifyitems(config, items):
    def rank(item):
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: within a file, and among the others, the order stays
