"""Notebook 00's "Things to try", each proved on the dashboard the notebook shows.

The references are independent of the dashboard: the exact stability limit of the FedAvg
least-squares iteration (the spectral radius of its linear map, from the devices' data), and
the noise floor of the data generator (noise 0.1, so the best test MSE is 0.01).
"""

import numpy as np
import pytest
from claims import claim

from fedlearn_edu import article
from fedlearn_edu.widgets.intro import ArticleFLDashboard

NOISE_FLOOR = 0.1**2  # article.generate_data's noise scale, squared


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


@pytest.fixture
def dash():
    return ArticleFLDashboard(background=False)


def fedavg_map_radius(lr, num_devices=5, n=100, steps=5, d=10):
    """Spectral radius of the FedAvg round map of least squares: each device runs ``steps``
    gradient steps ``w <- (I - lr H_i) w + c_i`` with ``H_i = (2/n) X_i^T X_i``, the server
    averages. The round diverges iff the radius of ``mean_i (I - lr H_i)^steps`` exceeds 1.
    The devices' data are rebuilt as ``article.federated_train`` draws them (seed 0)."""
    rngs = [np.random.default_rng(s) for s in np.random.SeedSequence(0).spawn(num_devices)]
    M = np.zeros((d, d))
    for r in rngs:
        X, _ = article.generate_data(n, d, rng=r)
        M += np.linalg.matrix_power(np.eye(d) - lr * (2 / n) * X.T @ X, steps) / num_devices
    return float(np.max(np.abs(np.linalg.eigvals(M))))


@claim("00", "learning rate 0.35 vs 0.4")
def test_learning_rate_limit_between_035_and_04(dash):
    assert fedavg_map_radius(0.35) < 1 < fedavg_map_radius(0.4)  # the reference
    dash.set_values(lr=0.35)
    assert dash.level == "info" and "Diverged" not in dash.message
    mse = dash.result
    assert np.all(np.isfinite(mse)) and mse[-1] < 2 * NOISE_FLOOR  # converges
    assert mse[0] > dash.default_result[0]  # the first round overshoots (vs lr 0.2)
    dash.set_values(lr=0.4)
    assert dash.level == "warning" and dash.message.startswith("Diverged in round")
    assert np.isnan(dash.result[-1])  # nothing is plotted after the divergence


@claim("00", "local steps 1 vs 30")
def test_more_local_steps_fewer_rounds(dash):
    dash.set_values(local_steps=30)
    many = dash.result
    assert many[4] < 1.5 * NOISE_FLOOR  # at the noise floor by round 5
    dash.set_values(local_steps=1)
    one = dash.result
    assert one[-1] > 10 * many[-1] and one[-1] > 10 * NOISE_FLOOR  # still far above at 20


@claim("00", "devices 1 → 50 (100 samples each)")
def test_one_device_already_has_enough_data(dash):
    finals = {}
    for n in (1, 50):
        dash.set_values(num_devices=n, samples_per_device=100)
        assert dash.level == "info"
        finals[n] = dash.result[-1]
    assert dash.message.startswith("50 devices")
    for value in finals.values():
        assert NOISE_FLOOR < value < 2 * NOISE_FLOOR
    dash.set_values(num_devices=1)
    assert dash.message.startswith("1 device,")  # singular


@claim("00", "samples/device 2 (fewer examples than the 10 weights)")
def test_many_small_devices_learn_together(dash):
    dash.set_values(samples_per_device=2, num_devices=5)
    few = dash.result[-1]
    assert few > 10 * NOISE_FLOOR  # far from the truth
    dash.set_values(num_devices=50)
    assert dash.result[-1] < few / 4
