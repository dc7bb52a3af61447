"""fedlearn_edu.apps.metrics against scikit-learn."""

import numpy as np
import pytest
from sklearn.metrics import mean_squared_error, precision_score, recall_score, roc_auc_score

from fedlearn_edu.apps.metrics import precision, recall, rmse, roc_auc


@pytest.mark.parametrize("seed", range(5))
def test_roc_auc_equals_sklearn_also_with_ties(seed):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 2, 200)
    y[:2] = [0, 1]
    scores = np.round(rng.normal(size=200) + y, 1)  # rounded: many ties
    assert roc_auc(y, scores) == pytest.approx(roc_auc_score(y, scores), abs=1e-12)


def test_roc_auc_hand_cases():
    assert roc_auc([0, 0, 1, 1], [0.1, 0.2, 0.3, 0.4]) == 1.0
    assert roc_auc([0, 0, 1, 1], [0.4, 0.3, 0.2, 0.1]) == 0.0
    assert roc_auc([0, 1], [0.5, 0.5]) == 0.5


@pytest.mark.parametrize("seed", range(3))
def test_recall_precision_rmse_equal_sklearn(seed):
    rng = np.random.default_rng(seed)
    y, p = rng.integers(0, 2, 100), rng.integers(0, 2, 100)
    assert recall(y, p) == pytest.approx(recall_score(y, p))
    assert precision(y, p) == pytest.approx(precision_score(y, p))
    a, b = rng.normal(size=50), rng.normal(size=50)
    assert rmse(a, b) == pytest.approx(np.sqrt(mean_squared_error(a, b)))


def test_bad_input_is_refused_with_the_parameter_named():
    with pytest.raises(ValueError, match="both classes"):
        roc_auc([1, 1, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="y_true"):
        roc_auc([0, 2, 1], [0.1, 0.2, 0.3])
    with pytest.raises(ValueError, match="same length"):
        recall([0, 1], [0, 1, 1])
    with pytest.raises(ValueError, match="scores must be finite"):
        roc_auc([0, 1], [0.1, np.nan])
    with pytest.raises(TypeError, match="y_pred"):
        precision([0, 1], "ab")
    assert np.isnan(recall([0, 0], [1, 0])) and np.isnan(precision([0, 1], [0, 0]))
