"""RDP accountant against published reference numbers and an independent integral.

Reference values are taken from TensorFlow Privacy (github.com/tensorflow/privacy):

* ``tensorflow_privacy/privacy/analysis/rdp_accountant_test.py`` (``compute_rdp`` values,
  ``get_privacy_spent`` cases);
* ``tensorflow_privacy/privacy/analysis/compute_dp_sgd_privacy_test.py`` before commit be8175b
  (Dec 2020, classic conversion) and after it (improved conversion);
* ``tutorials/README.md``: "compute_dp_sgd_privacy.py --N=60000 --batch_size=256
  --noise_multiplier=1.1 --epochs=60 --delta=1e-5 ... satisfies differential privacy with
  eps = 3.01 and delta = 1e-05" (Abadi et al. 2016 MNIST setting, classic conversion), and the
  CLI docstring of ``compute_dp_sgd_privacy.py`` (same setting with noise 1.12 -> eps 2.92).
"""

import math

import numpy as np
import pytest
from scipy import integrate, stats

from fedlearn_edu.privacy.accountant import (
    DEFAULT_ORDERS,
    RDPAccountant,
    compute_rdp,
    epsilon,
    rdp_sampled_gaussian,
    rdp_to_epsilon,
)


def dp_sgd_eps(n, batch, sigma, epochs, delta, conversion):
    """TF-Privacy's compute_dp_sgd_privacy recipe: q = batch/n, T = ceil(epochs n / batch)."""
    q = batch / n
    steps = int(math.ceil(epochs * n / batch))
    return rdp_to_epsilon(DEFAULT_ORDERS, compute_rdp(q, sigma, steps), delta, conversion)


def test_compute_rdp_reference_values():
    # rdp_accountant_test.py: test_compute_rdp_scalar / test_compute_rdp_sequence
    assert compute_rdp(0.1, 2, 10, 5)[0] == pytest.approx(0.07737, abs=1e-5)
    got = compute_rdp(0.01, 2.5, 50, [1.5, 2.5, 5, 50, 100, np.inf])
    ref = [0.00065, 0.001085, 0.00218075, 0.023846, 167.416307]
    np.testing.assert_allclose(got[:5], ref, atol=1e-5)
    assert got[5] == np.inf
    assert compute_rdp(0, 10, 1, 20)[0] == 0  # no data sampled
    assert compute_rdp(1, 10, 1, 20)[0] == pytest.approx(0.1)  # alpha / (2 sigma^2)


@pytest.mark.parametrize("q,sigma,alpha", [
    (0.01, 1.1, 2), (0.01, 1.1, 9), (0.05, 2.0, 32), (0.1, 0.8, 3),  # integer orders
    (0.01, 1.1, 1.5), (0.02, 1.3, 7.25), (0.1, 2.0, 20.5), (0.004, 1.1, 2.25),  # fractional
])
def test_rdp_matches_numerical_integral(q, sigma, alpha):
    """Independent check of Mironov et al. 2019 eq. (A_alpha) by quadrature."""

    def integrand(z):
        ratio = (1 - q) + q * math.exp((2 * z - 1) / (2 * sigma**2))
        return stats.norm.pdf(z, scale=sigma) * ratio**alpha

    a, _ = integrate.quad(integrand, -40 * sigma, 40 * sigma, limit=500, epsabs=0, epsrel=1e-12)
    assert rdp_sampled_gaussian(q, sigma, alpha) == pytest.approx(math.log(a) / (alpha - 1),
                                                                  rel=1e-6)


def test_fractional_order_is_between_integer_neighbours():
    r = [rdp_sampled_gaussian(0.02, 1.0, a) for a in (3.0, 3.5, 4.0)]
    assert r[0] < r[1] < r[2]  # RDP is non-decreasing in alpha


def test_no_subsampling_closed_form():
    """q = 1: eps(alpha) = T alpha / (2 sigma^2), both integer and fractional orders."""
    orders = [1.5, 2.0, 2.75, 10.0, 33.3]
    for sigma, T in [(1.0, 1), (2.0, 50), (0.7, 7)]:
        np.testing.assert_allclose(compute_rdp(1.0, sigma, T, orders),
                                   [T * a / (2 * sigma**2) for a in orders], rtol=1e-14)
    # classic conversion, by hand, at the optimal order of a fine grid
    T, sigma, delta = 10, 5.0, 1e-5
    eps_hand = min(T * a / (2 * sigma**2) - math.log(delta) / (a - 1)
                   for a in np.arange(1.01, 200, 0.01))
    eps = epsilon(1.0, sigma, T, delta, orders=np.arange(1.01, 200, 0.01), conversion="classic")
    assert eps == pytest.approx(eps_hand, rel=1e-12)
    # and the continuous optimum of rho*a + log(1/delta)/(a-1): rho + 2 sqrt(rho log(1/delta))
    rho = T / (2 * sigma**2)
    assert eps == pytest.approx(rho + 2 * math.sqrt(rho * math.log(1 / delta)), rel=1e-4)


def test_gaussian_improved_conversion_is_tight():
    # rdp_accountant_test.py: sigma = 4.530877117 gives exactly (1, 1e-6)-DP (improved bound)
    orders = [0.001 * i for i in range(1011, 100000)]
    eps, _ = rdp_to_epsilon(orders, compute_rdp(1, 4.530877117, 1, orders), 1e-6)
    assert eps == pytest.approx(1.0, abs=1e-6)
    # ... and it is never below the exact Gaussian-mechanism curve (Balle & Wang 2018, Thm 8)
    s = 4.530877117
    exact_delta = stats.norm.cdf(0.5 / s - eps * s) - math.exp(eps) * stats.norm.cdf(
        -0.5 / s - eps * s)
    assert exact_delta <= 1e-6 + 1e-12


@pytest.mark.parametrize("n,batch,sigma,epochs,delta,eps_ref,order_ref", [
    # compute_dp_sgd_privacy_test.py before commit be8175b (classic conversion)
    (60000, 150, 1.3, 15, 1e-5, 0.941870567, 19.0),
    (100000, 100, 1.0, 30, 1e-7, 1.70928734, 13.0),
    (100000000, 1024, 0.1, 10, 1e-7, 5907984.81339406, 1.25),
])
def test_tf_privacy_classic_reference(n, batch, sigma, epochs, delta, eps_ref, order_ref):
    eps, order = dp_sgd_eps(n, batch, sigma, epochs, delta, "classic")
    assert eps == pytest.approx(eps_ref, rel=1e-8)
    assert order == order_ref


@pytest.mark.parametrize("n,batch,sigma,epochs,delta,eps_ref,order_ref", [
    # compute_dp_sgd_privacy_test.py after commit be8175b (improved conversion)
    (60000, 150, 1.3, 15, 1e-5, 0.7242234026109595, 19.0),
    (100000, 100, 1.0, 30, 1e-7, 1.4154988495444845, 13.0),
    (100000000, 1024, 0.1, 10, 1e-7, 5907982.31138195, 1.25),
])
def test_tf_privacy_improved_reference(n, batch, sigma, epochs, delta, eps_ref, order_ref):
    eps, order = dp_sgd_eps(n, batch, sigma, epochs, delta, "improved")
    assert eps == pytest.approx(eps_ref, rel=1e-8)
    assert order == order_ref


def test_abadi_mnist_setting():
    """Abadi et al. 2016 MNIST: q = 256/60000, 60 epochs -> T = ceil(60/q) = 14063, delta=1e-5.

    TF-Privacy tutorials/README.md reports eps = 3.01 for sigma = 1.1 and the CLI docstring
    reports eps = 2.92 for sigma = 1.12 (classic conversion, default orders, optimal order 9).
    """
    eps, order = dp_sgd_eps(60000, 256, 1.1, 60, 1e-5, "classic")
    assert round(eps, 2) == 3.01 and order == 9.0
    eps112, _ = dp_sgd_eps(60000, 256, 1.12, 60, 1e-5, "classic")
    assert round(eps112, 2) == 2.92
    improved, _ = dp_sgd_eps(60000, 256, 1.1, 60, 1e-5, "improved")
    assert improved < eps  # the improved conversion is tighter (about 2.60 here)


def test_get_privacy_spent_reference_cases():
    # rdp_accountant_test.py: constant RDP 1.1 over orders 2..32 -> eps 1.32783806176 at 32
    eps, order = rdp_to_epsilon(range(2, 33), [1.1] * 31, 1e-5)
    assert eps == pytest.approx(1.32783806176, abs=1e-9) and order == 32
    # pre-Dec-2020 version of the same test file (classic conversion)
    eps, order = rdp_to_epsilon(range(2, 33), compute_rdp(0.01, 4, 10000, range(2, 33)), 1e-5,
                                "classic")
    assert eps == pytest.approx(1.258575, abs=1e-6) and order == 20
    orders = (1.25, 1.5, 1.75, 2., 2.5, 3., 4., 5., 6., 7., 8., 10., 12., 14., 16., 20., 24.,
              28., 32., 64., 256.)
    rdp = compute_rdp(1e-4, 0.4, 40000, orders) + compute_rdp(0.1, 2, 100, orders)
    eps, order = rdp_to_epsilon(orders, rdp, 1e-5, "classic")
    assert eps == pytest.approx(8.509656, abs=1e-6) and order == 2.5
    assert rdp_to_epsilon(orders, rdp, 1e-5, "improved")[0] <= eps


def test_accountant_accumulates_and_grows():
    acc = RDPAccountant()
    assert acc.epsilon(1e-5) == 0.0
    eps = []
    for _ in range(20):
        acc.step(0.1, 1.0)
        eps.append(acc.epsilon(1e-5))
    assert np.all(np.diff(eps) > 0)
    assert eps[-1] == pytest.approx(epsilon(0.1, 1.0, 20, 1e-5), rel=1e-12)
    acc2 = RDPAccountant()
    acc2.step(0.1, 1.0, n=20)
    assert acc2.epsilon(1e-5) == eps[-1]
    acc3 = RDPAccountant()
    acc3.step(0.1, 0.0)
    assert acc3.epsilon(1e-5) == math.inf  # clipping without noise gives no privacy


@pytest.mark.parametrize("call,match", [
    (lambda: compute_rdp(1.5, 1.0, 1), "q must be"),
    (lambda: compute_rdp(0.1, -1.0, 1), "noise_multiplier must be"),
    (lambda: compute_rdp(0.1, 1.0, -3), "steps must be"),
    (lambda: compute_rdp(0.1, 1.0, 1, [1.0]), "orders must be"),
    (lambda: rdp_to_epsilon([2, 3], [0.1], 1e-5), "same shape"),
    (lambda: rdp_to_epsilon([2], [0.1], 0.0), "delta must be"),
    (lambda: rdp_to_epsilon([2], [0.1], 1e-5, "loose"), "conversion must be"),
    (lambda: RDPAccountant(orders=[0.5, 2]), "orders must be"),
])
def test_bad_inputs(call, match):
    with pytest.raises(ValueError, match=match):
        call()
