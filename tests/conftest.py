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
