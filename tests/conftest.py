"""Shared pytest setup: a headless matplotlib backend and the ``--update-screenshot`` option."""

import os

os.environ.setdefault("MPLBACKEND", "Agg")  # tests never open windows


def pytest_addoption(parser):
    parser.addoption(
        "--update-screenshot",
        action="store_true",
        default=False,
        help="tests/test_browser.py: also write docs/dashboard.png (used by `make figures`)",
    )
