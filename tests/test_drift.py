"""Client drift as the cosine between client updates (fedlearn_edu.core.drift)."""

import itertools
import math

import numpy as np
import pytest

from fedlearn_edu.core.drift import cosine_kernel, cosine_matrix, update_cosine
from fedlearn_edu.core.noniid import NONIID_DEFAULTS, drift_stats, run_noniid


def reference_cosine(updates, weights=None):
    """An independent reference: a plain double loop over ordered pairs, math module only."""
    rows = [list(map(float, r)) for r in updates]
    w = [1.0] * len(rows) if weights is None else list(map(float, weights))
    num = den = 0.0
    for (i, a), (j, b) in itertools.permutations(enumerate(rows), 2):
        na, nb = math.sqrt(sum(x * x for x in a)), math.sqrt(sum(x * x for x in b))
        if na == 0 or nb == 0 or w[i] == 0 or w[j] == 0:
            continue
        num += w[i] * w[j] * sum(x * y for x, y in zip(a, b)) / (na * nb)
        den += w[i] * w[j]
    return num / den if den else math.nan


def test_hand_computed_case():
    # cos(a, b) = 0, cos(a, c) = 1/sqrt(2), cos(b, c) = 1/sqrt(2); weights 1, 1, 2:
    # pairs (a,b) weight 1, (a,c) and (b,c) weight 2 each -> (0 + 2 r + 2 r) / 5, r = 1/sqrt(2)
    U = np.array([[1.0, 0.0], [0.0, 3.0], [2.0, 2.0]])
    assert update_cosine(U, [1, 1, 2]) == pytest.approx(4 / (5 * np.sqrt(2)), rel=1e-14)
    assert update_cosine(U) == pytest.approx(2 / (3 * np.sqrt(2)), rel=1e-14)  # unweighted
    C = cosine_matrix(U)
    np.testing.assert_allclose(C, [[1, 0, 2**-0.5], [0, 1, 2**-0.5], [2**-0.5, 2**-0.5, 1]],
                               rtol=1e-14, atol=1e-15)


def test_identical_updates_give_one_orthogonal_zero_opposite_minus_one():
    rng = np.random.default_rng(0)
    v = rng.normal(size=50)
    assert update_cosine(np.stack([v, v, v])) == pytest.approx(1.0, abs=1e-14)
    assert update_cosine(np.stack([v, 3 * v, 0.01 * v]), [5, 1, 2]) == pytest.approx(1.0)
    assert update_cosine(np.eye(4) * [1, 2, 3, 4]) == pytest.approx(0.0, abs=1e-15)
    assert update_cosine(np.stack([v, -2 * v])) == pytest.approx(-1.0, abs=1e-14)


@pytest.mark.parametrize("seed", range(5))
def test_random_cases_match_the_reference_and_invariances(seed):
    rng = np.random.default_rng(seed)
    m, p = rng.integers(2, 9), rng.integers(1, 30)
    U, w = rng.normal(size=(m, p)), rng.integers(1, 200, size=m)
    got = update_cosine(U, w)
    assert got == pytest.approx(reference_cosine(U, w), rel=1e-12, abs=1e-14)
    assert -1.0 <= got <= 1.0
    perm = rng.permutation(m)
    assert update_cosine(U[perm], w[perm]) == pytest.approx(got, rel=1e-12, abs=1e-14)
    scales = rng.uniform(0.1, 10.0, size=m)[:, None]  # each client's step length
    assert update_cosine(U * scales, w) == pytest.approx(got, rel=1e-12, abs=1e-14)
    assert update_cosine(U, 7.0 * w) == pytest.approx(got, rel=1e-12, abs=1e-14)


def test_zero_updates_and_single_clients_have_no_direction():
    U = np.array([[1.0, 1.0], [0.0, 0.0], [1.0, -1.0]])
    assert update_cosine(U) == pytest.approx(reference_cosine(U)) == pytest.approx(0.0)
    assert math.isnan(update_cosine(np.ones((1, 3))))
    assert math.isnan(update_cosine(np.zeros((3, 3))))
    assert math.isnan(update_cosine(np.eye(3), [1, 0, 0]))  # one client with weight
    assert math.isnan(update_cosine(np.empty((0, 4))))
    assert math.isnan(cosine_kernel(np.array([[1.0, np.nan], [1.0, 0.0]])))  # diverged client


def test_bad_input_names_the_parameter():
    with pytest.raises(ValueError, match="weights must have one entry per row of updates"):
        update_cosine(np.eye(3), [1, 2])
    with pytest.raises(ValueError, match="weights"):
        update_cosine(np.eye(2), [1, -1])
    with pytest.raises(ValueError, match="updates"):
        update_cosine(np.ones(3))
    with pytest.raises(ValueError, match="updates"):
        update_cosine(np.array([[1.0, np.inf], [0.0, 1.0]]))
    with pytest.raises(TypeError, match="updates"):
        update_cosine("abc")


def test_inputs_are_not_mutated_and_float32_is_accepted():
    U = np.array([[1.0, 2.0], [3.0, -1.0]], dtype=np.float32)
    before = U.copy()
    got = update_cosine(U, np.array([2, 3]))
    np.testing.assert_array_equal(U, before)
    assert got == pytest.approx(reference_cosine(before.astype(float)), rel=1e-6)


def test_drift_stats_hand_computed():
    from fedlearn_edu.core.models import make_model

    model = make_model("softmax", 2, 2)  # params: W^T (2, 2) then bias (2,)
    w = np.zeros(model.num_params)
    w0 = np.array([1.0, 0.0, -1.0, 0.0, 0.0, 0.0])  # class 1 iff x0 < 0: predicts sign
    w1 = -w0  # the opposite rule: always wrong
    X = np.array([[1.0, 0.0], [-1.0, 0.0], [2.0, 1.0], [-3.0, 0.0]])
    y = np.array([0, 1, 0, 1])
    W_clients = np.stack([w0, 2 * w1])
    cosine, local = drift_stats(model, w, W_clients, [1, 3], X, y)
    assert cosine == pytest.approx(-1.0)  # opposite updates
    assert local == pytest.approx(0.25 * 1.0 + 0.75 * 0.0)
    assert np.array_equal(W_clients[0], w0)  # not mutated
    same, _ = drift_stats(model, w, np.stack([w0, 3 * w0]), [1, 3], X, y)
    assert same == pytest.approx(1.0)


def test_skewed_clients_agree_less_than_iid_clients():
    """The notebook's claim: on every seed, label skew lowers the update cosine a lot."""
    for seed in (0, 1, 2):
        cfg = NONIID_DEFAULTS.replace(rounds=3, seed=seed)
        iid = run_noniid(cfg.replace(partition="iid")).update_cosine
        skew = run_noniid(cfg.replace(dirichlet_alpha=0.01)).update_cosine
        assert np.all(np.isfinite(iid)) and np.all(np.isfinite(skew))
        assert skew.mean() < iid.mean() - 0.2, (seed, skew, iid)
