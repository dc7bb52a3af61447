"""The ``flower`` extra: without ``flwr``, importing fedlearn_edu.flower says how to get it."""

from __future__ import annotations

import os

EXTRA_HINT = 'pip install "fedlearn_edu[flower]"'

# Nothing we start talks to the internet: no telemetry, no update check (set before flwr loads).
QUIET_ENV = {"FLWR_TELEMETRY_ENABLED": "0", "FLWR_DISABLE_UPDATE_CHECK": "1"}
for _key, _value in QUIET_ENV.items():
    os.environ.setdefault(_key, _value)

try:
    import flwr
except ImportError as err:  # the core package never needs it
    raise ImportError(f"fedlearn_edu.flower needs Flower (flwr), which is not installed: "
                      f"{EXTRA_HINT}", name="flwr") from err

FLWR_VERSION = flwr.__version__
