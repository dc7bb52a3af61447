"""Live dashboards for the notebooks: the :class:`Dashboard` base and one file per topic.

Notebook 08's two dashboards are imported on first use (they pull in the ``apps`` package
and SciPy's statistics: a second of every other notebook's start-up otherwise).
"""

from .base import Dashboard
from .fedtransfer import FedTransferDashboard
from .intro import ArticleFLDashboard, FedAvgDashboard
from .noniid import NonIIDDashboard
from .privacy import AttackDashboard, DPDashboard, SecAggDashboard
from .scale import ScaleDashboard
from .systems import SystemsDashboard
from .transfer import TransferDashboard

__all__ = [
    "Dashboard", "FedTransferDashboard", "ArticleFLDashboard", "FedAvgDashboard",
    "NonIIDDashboard", "AttackDashboard", "DPDashboard", "SecAggDashboard", "SystemsDashboard",
    "TransferDashboard", "ScaleDashboard", "SilosDashboard", "RecommendDashboard",
]

_LAZY = {"RecommendDashboard": ".apps_recommend", "SilosDashboard": ".apps_silos"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(_LAZY[name], __name__), name)
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
