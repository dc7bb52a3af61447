"""Notebook 06's "Things to try", each proved on the dashboard exactly as a student sets it."""

from __future__ import annotations

import pytest
from claims import claim

from fedlearn_edu.widgets.privacy import AttackDashboard, DPDashboard, SecAggDashboard, _clean_run


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def dp():
    return DPDashboard(background=False)


def run(dash, **values):
    """Reset, apply ``values``, and return (result, final accuracy, final epsilon, noise)."""
    dash.set_values(**{**dash.defaults, **values})
    h = dash.result
    return h, h.test_accuracy[-1], h.epsilon[-1], dash.noise["closed_form"]


def no_dp_accuracy(dash) -> float:
    return float(_clean_run(dash.result.config.replace(dp=None))[0][-1])


# ---- DP dashboard ---------------------------------------------------------------------
@claim("06", "noise multiplier σ 1 → 2")
def test_more_noise_less_epsilon_less_accuracy(dp):
    _, acc1, eps1, _ = run(dp)
    _, acc2, eps2, _ = run(dp, dp_noise_multiplier=2.0)
    assert eps1 > 2.5 * eps2 and 7 < eps1 < 11 and 2 < eps2 < 4  # about 9, about 3
    assert acc2 < acc1 - 0.03


@claim("06", "clip norm S 0.3 → 3:")
def test_large_clip_norm_drowns_the_updates(dp):
    _, acc1, eps1, noise1 = run(dp)
    _, acc2, eps2, noise2 = run(dp, dp_clip_norm=3.0)
    assert eps2 == pytest.approx(eps1, rel=1e-12)  # epsilon does not depend on S
    assert noise2 == pytest.approx(10 * noise1, rel=0.02)  # the slider steps are 10^0.1
    assert acc2 < acc1 - 0.3


@claim("06", "clip norm S 0.3 → 0.03")
def test_small_clip_norm_biases_instead(dp):
    _, acc1, eps1, noise1 = run(dp)
    _, acc2, eps2, noise2 = run(dp, dp_clip_norm=0.03)
    assert eps2 == pytest.approx(eps1, rel=1e-12)
    assert noise2 == pytest.approx(noise1 / 10, rel=0.02)
    assert acc2 < acc1  # ten times less noise, and still worse: clipping shortens updates


@claim("06", "sampling rate q 0.2 → 0.05")
def test_subsampling_amplifies_privacy_but_costs_accuracy(dp):
    _, acc1, eps1, noise1 = run(dp)
    _, acc2, eps2, noise2 = run(dp, client_fraction=0.05)
    assert 7 < eps1 < 11 and 2 < eps2 < 4  # about 9 -> about 3: amplification by subsampling
    assert noise2 == pytest.approx(4 * noise1, rel=1e-9)  # sigma S / (q N)
    assert acc2 < acc1 - 0.1


@claim("06", "clients N 100 → 300")
def test_more_clients_less_noise_on_the_average(dp):
    _, acc1, eps1, noise1 = run(dp)
    gap1 = no_dp_accuracy(dp) - acc1
    _, acc2, eps2, noise2 = run(dp, num_clients=300)
    gap2 = no_dp_accuracy(dp) - acc2
    assert eps2 == pytest.approx(eps1, rel=1e-12)
    assert 2.6 < noise1 / noise2 < 3.1  # 3x the clients (sizes round: 14-15 vs 4-5 images)
    assert dp.noise["measured"] == pytest.approx(noise2, rel=0.05)
    assert gap2 < gap1 - 0.01 and acc2 > acc1


@claim("06", "noise multiplier σ 0:")
def test_no_noise_no_guarantee(dp):
    dp.set_values(**{**dp.defaults, "dp_noise_multiplier": 0.0})
    assert dp.level == "warning" and "no privacy guarantee (ε = ∞)" in dp.message


# ---- attacks and defences -------------------------------------------------------------
@pytest.fixture(scope="module")
def atk():
    return AttackDashboard(background=False)


def attack(dash, **values):
    dash.set_values(**{**dash.defaults, **values})
    assert dash.level == "info", dash.message
    clean = _clean_run(dash.result["config"].replace(attack=None, aggregator="mean",
                                                     aggregator_f=0))[0][-1]
    return dash.result["accuracy"][-1], dash.result["backdoor"][-1], clean


@claim("06", "backdoor with defence mean")
def test_backdoor_is_stealthy(atk):
    acc, rate, clean = attack(atk, attack="backdoor", aggregator="mean")
    assert acc > clean - 0.02 and rate > 0.8


@claim("06", "backdoor with defence median")
def test_median_stops_the_backdoor(atk):
    acc, rate, clean = attack(atk, attack="backdoor", aggregator="median")
    assert rate < 0.05 and acc > clean - 0.02


@claim("06", "sign_flip with defence mean")
def test_sign_flip_breaks_the_mean(atk):
    acc, _, clean = attack(atk, attack="sign_flip", aggregator="mean")
    assert acc < 0.1 < clean


@claim("06", "sign_flip with defence median or krum")
def test_robust_rules_resist_sign_flip(atk):
    med, _, clean = attack(atk, attack="sign_flip", aggregator="median")
    krum, _, _ = attack(atk, attack="sign_flip", aggregator="krum")
    assert med > clean - 0.03 and clean - 0.1 < krum < med


@claim("06", "attacker fraction 0.4 with defence krum")
def test_krum_refuses_too_many_attackers(atk):
    atk.set_values(**{**atk.defaults, "attacker_fraction": 0.4, "aggregator": "krum"})
    assert atk.level == "error" and "2*aggregator_f + 2" in atk.message


# ---- secure aggregation ---------------------------------------------------------------
@pytest.fixture(scope="module")
def sa():
    return SecAggDashboard(background=False)


@claim("06", "dropout fraction 0.4")
def test_dropouts_above_threshold_recover(sa):
    sa.set_values(**{**sa.defaults, "dropout": 0.4})
    assert len(sa.result["dropped"]) == 4 and len(sa.result["secagg"].included) == 6
    assert sa.result["exact"]


@claim("06", "dropout fraction 0.5")
def test_dropouts_below_threshold_refused(sa):
    sa.set_values(**{**sa.defaults, "dropout": 0.5})
    assert sa.result is None and sa.level == "warning" and "threshold t=6" in sa.message


@claim("06", "clients n 10 → 30")
def test_keys_grow_like_n_squared(sa):
    def parts():
        r = sa.result["secagg"]
        return r.clear_bytes_up, r.bytes_up + r.bytes_down - r.clear_bytes_up

    sa.set_values(**sa.defaults)
    vec10, keys10 = parts()
    sa.set_values(**{**sa.defaults, "num_clients": 30})
    vec30, keys30 = parts()
    assert vec30 == 3 * vec10  # 24 vs 8 uploads of the same vector
    assert 8 < keys30 / keys10 < 11  # n(n-1) shares: (30*29) / (10*9) = 9.7
