"""Transfer learning: the joint objective alpha*f + beta*g, fine-tuning, an MLP with a body
and a head, source selection (LogME, rank correlation), and federated transfer learning
(personalization)."""

from .finetune import feature_extraction, finetune, fit
from .joint import joint_closed_form, joint_loss, joint_train
from .logme import logme, logme_evidence, logme_fit
from .mlp import MLP
from .personalization import personalize
from .scenarios import ClientData, split_clients
from .selection import rank_sources, spearman

__all__ = [
    "feature_extraction", "finetune", "fit", "joint_closed_form", "joint_loss", "joint_train",
    "MLP", "ClientData", "personalize", "split_clients", "logme", "logme_evidence",
    "logme_fit", "rank_sources", "spearman",
]
