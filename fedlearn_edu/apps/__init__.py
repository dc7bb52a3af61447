"""The article's applications on real data that ships inside packages (the ``apps`` extra):
medical diagnosis, financial risk (horizontal and vertical FL), faces, recommendation, text."""

from .dpsgd import dp_federated, noise_for_epsilon
from .loaders import AppData, load_default, load_faces, load_hospitals
from .metrics import precision, recall, rmse, roc_auc
from .recommend import (
    centralised_mf,
    cold_start_user,
    federated_mf,
    load_movielens,
    predict,
)
from .silos import client_scores, fedavg, summary, three_ways
from .text import hash_features, load_reviews
from .vertical import joint_scores, labels_from_residuals, vertical_logistic

__all__ = [
    "dp_federated", "noise_for_epsilon", "AppData", "load_default", "load_faces",
    "load_hospitals", "precision", "recall", "rmse", "roc_auc", "centralised_mf",
    "cold_start_user", "federated_mf", "load_movielens", "predict", "client_scores", "fedavg",
    "summary", "three_ways", "hash_features", "load_reviews", "joint_scores",
    "labels_from_residuals", "vertical_logistic",
]
