"""Flower's two apps for a :class:`FedConfig` run.

* :data:`client_app` (:mod:`.node`): one client, our partition and our local SGD;
* :func:`make_server_app` (Simulation Runtime: the ServerApp runs in this process and streams
  into a queue) and :data:`server_app` (deployment: ``flwr run`` starts it in a process of
  its own; the run config's ``job`` names a JSON file with the :class:`~.server.Job` and the
  path of the records file).

The Flower App that ``flwr run`` submits is a folder with a ``pyproject.toml`` naming these
two objects (:func:`write_flower_app`).
"""

from __future__ import annotations

import json
import logging
from pathlib import Path

from flwr.app import Context
from flwr.serverapp import Grid, ServerApp

from .channel import FileChannel
from .node import client_app
from .pulls import patch_object_pulls
from .server import Job, serve

__all__ = ["client_app", "make_server_app", "server_app", "write_flower_app"]

APP_MODULE = "fedlearn_edu_flower_app"

PYPROJECT = """\
[build-system]
requires = ["setuptools>=77"]
build-backend = "setuptools.build_meta"

[project]
name = "fedlearn-edu-app"
version = "1.0.0"
description = "fedlearn_edu on Flower: our ClientApp and ServerApp"
license = "MIT"
dependencies = []

[tool.flwr.app]
publisher = "fedlearn-edu"

[tool.flwr.app.components]
serverapp = "{module}:server_app"
clientapp = "{module}:client_app"

[tool.flwr.app.config]
job = ""
"""


def run_job(grid: Grid, job: Job, channel) -> None:
    """Serve ``job`` and tell ``channel`` how it ended (errors travel as one line)."""
    logging.getLogger("flwr").setLevel(logging.WARNING)
    try:
        serve(grid, job, channel)
    except Exception as err:  # noqa: BLE001 - reported to run_flower, which raises it
        channel.fail(f"{type(err).__name__}: {err}")
    else:
        channel.finish()


def make_server_app(job: Job, channel) -> ServerApp:
    """A ServerApp that serves ``job`` into ``channel`` (the Simulation Runtime's)."""
    app = ServerApp()

    @app.main()
    def main(grid: Grid, context: Context) -> None:
        run_job(grid, job, channel)

    return app


server_app = ServerApp()


@server_app.main()
def _deployed_main(grid: Grid, context: Context) -> None:
    patch_object_pulls()  # replies are pulled as soon as they are there (see .pulls)
    spec = json.loads(Path(str(context.run_config["job"])).read_text(encoding="utf-8"))
    channel = FileChannel(spec.pop("channel"))
    run_job(grid, Job(**spec), channel)


def write_flower_app(folder: Path) -> Path:
    """Write the Flower App (``pyproject.toml`` + a module handing on our two apps) that
    ``flwr run`` packs into a FAB; returns ``folder``."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "pyproject.toml").write_text(PYPROJECT.format(module=APP_MODULE))
    (folder / f"{APP_MODULE}.py").write_text(
        '"""fedlearn_edu\'s Flower apps (written by fedlearn_edu.flower.apps)."""\n'
        "from fedlearn_edu.flower import apps\n\n"
        "client_app = apps.client_app\nserver_app = apps.server_app\n")
    return folder
