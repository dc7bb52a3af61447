"""Valid calls of ``fedlearn_edu.runner``'s public functions."""

from fedlearn_edu import runner
from fedlearn_edu.core import Federation

from . import Spec
from .core import tiny

NOT_MEASURED = ("wall_clock", "epsilon")

SPECS = [
    Spec(runner.make_server, lambda: dict(config=tiny(), fed=Federation(tiny()))),
    Spec(runner.records, lambda: dict(config=tiny(), fed=None, observe=None),
         nan_ok=NOT_MEASURED),
    Spec(runner.simulate, lambda: dict(config=tiny(), callback=None, raise_on_divergence=False),
         nan_ok=NOT_MEASURED),
    Spec(runner.SystemsRun, lambda: dict(config=tiny(), profiles=None, data=None, parts=None)),
    Spec(runner.run_systems, lambda: dict(config=tiny(), callback=None), nan_ok=NOT_MEASURED),
]
