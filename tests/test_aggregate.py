"""Pure aggregation arithmetic on hand-computed cases."""

import numpy as np
import pytest

from fedlearn_edu.core.aggregate import mean, weighted_average


def test_weighted_average_hand_case():
    U = np.array([[1.0, 0.0], [3.0, 4.0], [0.0, 8.0]])
    # weights 1, 1, 2 -> (1 + 3 + 0) / 4, (0 + 4 + 16) / 4
    np.testing.assert_allclose(weighted_average(U, [1, 1, 2]), [1.0, 5.0])


def test_weighted_average_by_example_counts():
    U = np.array([[2.0], [10.0]])
    np.testing.assert_allclose(weighted_average(U, [30, 10]), [4.0])  # (60 + 100) / 40


def test_zero_weight_client_is_ignored_and_equal_weights_give_mean():
    U = np.array([[1.0, 2.0], [100.0, -100.0], [3.0, 4.0]])
    np.testing.assert_allclose(weighted_average(U, [1, 0, 1]), [2.0, 3.0])
    np.testing.assert_allclose(weighted_average(U, [5, 5, 5]), mean(U))


def test_inputs_not_mutated():
    U = np.array([[1.0, 2.0], [3.0, 4.0]])
    w = np.array([1.0, 3.0])
    U0, w0 = U.copy(), w.copy()
    weighted_average(U, w)
    np.testing.assert_array_equal(U, U0)
    np.testing.assert_array_equal(w, w0)


@pytest.mark.parametrize(
    "U,w,match",
    [
        (np.ones((2, 3)), [1.0], "weights must have length 2"),
        (np.ones((2, 3)), [0.0, 0.0], "weights must not all be 0"),
        (np.ones((2, 3)), [-1.0, 2.0], r"weights entries must lie in \[0.0, inf\]"),
        (np.ones((2, 3)), [np.nan, 1.0], "finite"),
        (np.ones(3), [1.0], "updates must be a 2-D array"),
        (np.ones((0, 3)), [], "updates must hold at least 1"),
    ],
)
def test_bad_inputs(U, w, match):
    with pytest.raises(ValueError, match=match):
        weighted_average(U, w)
