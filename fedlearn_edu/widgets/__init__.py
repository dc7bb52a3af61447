"""Live dashboards for the notebooks: the :class:`Dashboard` base and one file per topic."""

from .apps_recommend import RecommendDashboard
from .apps_silos import SilosDashboard
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
