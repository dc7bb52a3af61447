"""Issue 12, core: the audit's defects in aggregation and local training, as properties."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fedlearn_edu import FedConfig, simulate
from fedlearn_edu.core import (
    DivergenceError,
    Federation,
    Model,
    clip_to_norm,
    combine,
    coordinate_median,
    krum,
    krum_scores,
    local_sgd,
    multi_krum,
    norm_clip_median,
    norm_clipped_mean,
    run_rounds,
    trimmed_mean,
)

FINITE = st.floats(-10, 10, allow_nan=False)
BAD = st.sampled_from([np.nan, np.inf, -np.inf])


def stacks(min_m=7, max_m=12, p=(1, 6)):
    return st.integers(min_m, max_m).flatmap(lambda m: st.integers(*p).flatmap(
        lambda d: hnp.arrays(np.float64, (m, d), elements=FINITE)))


# -- 3. Krum is translation invariant in floating point ---------------------------------
@settings(max_examples=60, deadline=None)
@given(U=stacks(), offset=st.floats(1e3, 1e9), f=st.integers(0, 2))
def test_krum_pick_does_not_change_when_every_client_shares_an_offset(U, offset, f):
    # full models instead of deltas: every client vector shifted by the same large vector
    c = offset * np.linspace(1.0, 2.0, U.shape[1])
    s0, s1 = krum_scores(U, f), krum_scores(U + c, f)
    # centring leaves an absolute error ~ eps * offset per coordinate in the differences
    tol = 1e-12 * (1 + np.abs(s0).max()) + 1e-9 * offset**2 * 2**-52 * U.size
    np.testing.assert_allclose(s1, s0, rtol=1e-6, atol=tol)
    gap = np.sort(s0)[1] - np.sort(s0)[0] if len(s0) > 1 else np.inf
    if gap > 1e-6 * (1 + s0.min()):  # a clear winner must stay the winner
        np.testing.assert_allclose(krum(U + c, f), krum(U, f) + c, rtol=1e-9)


def test_the_old_gram_formula_fails_where_the_new_one_holds():
    rng = np.random.default_rng(3)
    U = rng.normal(size=(9, 5))
    c = np.full(5, 1e8)
    sq = np.sum((U + c) ** 2, axis=1)
    old = sq[:, None] + sq[None, :] - 2.0 * (U + c) @ (U + c).T  # what Krum used to compute
    true = ((U[:, None] - U[None, :]) ** 2).sum(-1)
    assert np.abs(old - true).max() > 1.0  # catastrophic cancellation
    assert np.argmin(krum_scores(U + c, 2)) == np.argmin(krum_scores(U, 2))


# -- 5. a non-finite client is the worst client ----------------------------------------
@settings(max_examples=80, deadline=None)
@given(U=stacks(min_m=9, max_m=14), data=st.data())
def test_robust_rules_survive_one_to_f_nonfinite_clients(U, data):
    f = 2
    k = data.draw(st.integers(1, f), label="non-finite clients")
    rows = data.draw(st.lists(st.integers(0, len(U) - 1), min_size=k, max_size=k, unique=True))
    bad = U.copy()
    for r in rows:
        cols = data.draw(st.lists(st.integers(0, U.shape[1] - 1), min_size=1, unique=True))
        bad[r, cols] = data.draw(BAD)
    honest = np.delete(U, rows, axis=0)
    w = np.ones(len(U))
    for out in (coordinate_median(bad), trimmed_mean(bad, f), krum(bad, f),
                multi_krum(bad, f, len(U) - f), norm_clip_median(bad, w),
                norm_clipped_mean(bad, 1.0, w)):
        assert np.all(np.isfinite(out))
    # dropped, and counted among the f attackers: the rules see only the honest clients
    np.testing.assert_allclose(coordinate_median(bad), np.median(honest, axis=0))
    np.testing.assert_allclose(trimmed_mean(bad, f), trimmed_mean(honest, f - k))
    np.testing.assert_allclose(krum(bad, f), krum(honest, f - k))
    # zero contribution: the same as the client sending a zero update
    zeroed = U.copy()
    zeroed[rows] = 0.0
    np.testing.assert_allclose(norm_clipped_mean(bad, 1.0, w), norm_clipped_mean(zeroed, 1.0, w))
    np.testing.assert_allclose(clip_to_norm(bad, 1.0)[rows], 0.0)


def test_huge_finite_updates_clip_without_overflow():
    U = np.array([[1e308, -1e308], [1.0, 0.0]])
    C = clip_to_norm(U, 1.0)
    assert np.all(np.isfinite(C))
    np.testing.assert_allclose(np.linalg.norm(C, axis=1), [1.0, 1.0])


def test_all_nonfinite_clients_is_refused_and_the_plain_mean_refuses_nan():
    with pytest.raises(ValueError, match="all 3 client vectors hold NaN/inf"):
        coordinate_median(np.full((3, 2), np.nan))
    with pytest.raises(ValueError, match="updates must be finite"):
        combine(np.array([[np.nan, 1.0], [1.0, 1.0]]), "mean", 0, [1.0, 1.0])


class NonFiniteClients:
    """A server that lets ``k`` clients send NaN/inf every round, then aggregates as usual."""

    def __init__(self, strategy, k):
        self.strategy, self.k, self.last_nonfinite = strategy, k, None
        self.accepts_empty, self.epsilon = False, float("nan")
        self.sample_clients, self.starts = strategy.sample_clients, strategy.starts

    def aggregate_round(self, fed, w, clients, results):
        results = results.copy()
        results[: self.k: 2] = np.nan
        results[1: self.k: 2] = np.inf
        self.last_nonfinite = self.k
        return self.strategy.aggregate_round(fed, w, clients, results)


@pytest.mark.parametrize("aggregator", ["median", "trimmed_mean", "krum", "multi_krum",
                                        "norm_clip"])
def test_a_run_with_nonfinite_attackers_keeps_the_honest_accuracy(aggregator):
    f = 2
    cfg = FedConfig(num_clients=10, rounds=15, aggregator=aggregator, aggregator_f=f, seed=1)
    clean = simulate(cfg).final()["test_accuracy"]
    for k in range(1, f + 1):
        fed = Federation(cfg)
        server = NonFiniteClients(fed.strategy, k)
        recs = list(run_rounds(fed, cfg.rounds, server=server))
        rec, w = recs[-1]
        assert np.all(np.isfinite(w)), (aggregator, k)
        assert rec.test_accuracy > clean - 0.05, (aggregator, k, rec.test_accuracy, clean)
        assert all(r.rejected == k for r, _ in recs)  # the history says what was dropped


def test_the_plain_mean_is_poisoned_and_the_run_says_so():
    cfg = FedConfig(num_clients=10, rounds=3)
    fed = Federation(cfg)
    rec, w = next(iter(run_rounds(fed, 3, server=NonFiniteClients(fed.strategy, 1))))
    assert not np.all(np.isfinite(w)) and rec.rejected == 1


def test_history_counts_nonfinite_client_results():
    h = simulate(FedConfig(rounds=2))
    np.testing.assert_array_equal(h.rejected, [0.0, 0.0])


# -- 6. local_sgd refuses NaN/inf lr and mu; divergence is reported -------------------
@pytest.mark.parametrize("name,value", [("lr", np.nan), ("lr", np.inf), ("lr", -1.0),
                                        ("mu", np.nan), ("mu", -0.5)])
def test_local_sgd_refuses_bad_lr_and_mu(name, value):
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)), rng.integers(0, 2, 20)
    kw = dict(epochs=1, batch_size=5, lr=0.1, rng=rng, mu=0.0)
    kw[name] = value
    with pytest.raises(ValueError, match=rf"\b{name}\b"):
        local_sgd(Model("logistic", 3, 2), np.zeros(4), X, y, **kw)


def test_local_sgd_divergence_is_a_value_error_naming_lr():
    rng = np.random.default_rng(0)
    X, y = rng.normal(size=(20, 3)) * 1e3, rng.normal(size=20)
    with pytest.raises(DivergenceError, match="lower lr") as err:
        local_sgd(Model("linear", 3), np.zeros(4), X, y, epochs=50, batch_size=5, lr=1e6,
                  rng=rng)
    assert isinstance(err.value, ValueError) and isinstance(err.value, FloatingPointError)
