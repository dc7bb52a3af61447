"""Robust aggregators on hand-computed cases."""

import numpy as np
import pytest

from fedlearn_edu.core import aggregate as agg


def test_coordinate_median_hand_case():
    U = np.array([[1.0, 10.0], [2.0, -5.0], [100.0, 0.0]])
    np.testing.assert_array_equal(agg.coordinate_median(U), [2.0, 0.0])
    np.testing.assert_array_equal(agg.coordinate_median(U[:2]), [1.5, 2.5])  # even m


def test_trimmed_mean_hand_case():
    U = np.array([[1.0], [2.0], [3.0], [4.0], [1000.0]])
    assert agg.trimmed_mean(U, 1)[0] == pytest.approx(3.0)  # drop 1 and 1000: mean(2,3,4)
    assert agg.trimmed_mean(U, 0)[0] == pytest.approx(U.mean())
    assert agg.trimmed_mean(U, 2)[0] == 3.0  # the median


def test_krum_hand_case():
    # four honest vectors near 0 and one far away; f = 1, m = 5 > 2f + 2 = 4
    U = np.array([[0.0, 0.0], [1.0, 0.0], [0.0, 1.0], [1.0, 1.0], [10.0, 10.0]])
    # neighbours counted: m - f - 2 = 2 nearest squared distances
    # [0,0]: 1 + 1 = 2 ; [1,0], [0,1], [1,1]: also 2 ; [10,10]: to [1,1] 81+81, to [1,0] 81+100
    np.testing.assert_allclose(agg.krum_scores(U, 1), [2, 2, 2, 2, 162 + 181])
    np.testing.assert_array_equal(agg.krum(U, 1), [0.0, 0.0])  # ties -> first client
    np.testing.assert_allclose(agg.multi_krum(U, 1, 4), [0.5, 0.5])  # the 4 honest ones


def test_krum_ignores_a_boosted_attacker_that_breaks_the_mean():
    rng = np.random.default_rng(0)
    honest = rng.normal(1.0, 0.1, size=(7, 20))
    bad = -50 * np.ones((3, 20))
    U = np.vstack([honest, bad])
    assert np.all(agg.mean(U) < 0)
    for out in (agg.krum(U, 3), agg.multi_krum(U, 3, 7), agg.coordinate_median(U),
                agg.trimmed_mean(U, 3)):
        assert np.all(np.abs(out - 1.0) < 0.5)


def test_krum_refuses_too_few_clients():
    U = np.zeros((4, 3))
    with pytest.raises(ValueError, match=r"m > 2f \+ 2"):
        agg.krum(U, 1)  # 4 <= 2*1 + 2
    agg.krum(np.zeros((5, 3)), 1)  # 5 > 4 is fine
    with pytest.raises(ValueError, match="num_selected"):
        agg.multi_krum(np.zeros((5, 3)), 1, 6)
    with pytest.raises(ValueError, match="f must be"):
        agg.krum(U, -1)


def test_trimmed_mean_refuses_trimming_everything():
    with pytest.raises(ValueError, match="2\\*f < m"):
        agg.trimmed_mean(np.zeros((4, 2)), 2)


def test_norm_clipping():
    U = np.array([[3.0, 4.0], [0.3, 0.4]])
    C = agg.clip_to_norm(U, 1.0)
    np.testing.assert_allclose(C, [[0.6, 0.8], [0.3, 0.4]])
    np.testing.assert_array_equal(agg.clip_to_norm(U, np.inf), U)
    np.testing.assert_allclose(agg.norm_clipped_mean(U, 1.0), [0.45, 0.6])
    np.testing.assert_allclose(agg.norm_clipped_mean(U, 1.0, [1, 3]), [0.375, 0.5])
    assert U[0, 0] == 3.0  # not mutated
    with pytest.raises(ValueError, match="max_norm"):
        agg.clip_to_norm(U, 0.0)


def test_rules_do_not_mutate_and_are_translation_invariant():
    rng = np.random.default_rng(1)
    U = rng.normal(size=(9, 5))
    U0 = U.copy()
    shift = rng.normal(size=5)
    for fn in (agg.coordinate_median, lambda X: agg.trimmed_mean(X, 2),
               lambda X: agg.krum(X, 2), lambda X: agg.multi_krum(X, 2, 7)):
        np.testing.assert_allclose(fn(U + shift), fn(U) + shift, atol=1e-12)
    np.testing.assert_array_equal(U, U0)
