"""Shared pytest setup: a headless matplotlib backend and the ``--update-screenshot`` option."""

import os

import pytest

os.environ.setdefault("MPLBACKEND", "Agg")  # tests never open windows


def pytest_addoption(parser):
    parser.addoption(
        "--update-screenshot",
        action="store_true",
        default=False,
        help="tests/test_browser.py: also write docs/dashboard.png (used by `make figures`)",
    )


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
LONGEST_FIRST = ("tests/test_book.py", "tests/test_browser_layout.py",
                 "tests/test_extremes_max.py", "tests/test_extremes.py",
                 "tests/test_flower_classroom.py", "tests/test_flower_parity.py",
                 "notebooks/07_real_federation.ipynb", "notebooks/zh/07_real_federation.ipynb",
                 "tests/test_flower_processes.py", "tests/test_browser.py")


def pytest_collection_modifyitems(config, items):
    def rank(item):
        path = item.nodeid.split("::", 1)[0]
        return LONGEST_FIRST.index(path) if path in LONGEST_FIRST else len(LONGEST_FIRST)

    items.sort(key=rank)  # stable: within a file, and among the others, the order stays
