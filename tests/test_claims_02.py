"""Notebook 02's "Things to try", each proved on the dashboard the notebook shows.

The dashboard is built with its defaults (``NONIID_DEFAULTS``, float32), as in the notebook; every
setting starts from the defaults and changes only what the bullet names. Assertions compare two
runs with margins well inside the measured effect (the numbers in the bullets are seed 0's).
"""

import numpy as np
import pytest
from claims import claim

from fedlearn_edu.widgets import NonIIDDashboard


@pytest.fixture
def dash():
    import matplotlib.pyplot as plt

    d = NonIIDDashboard(background=False)
    yield d
    plt.close(d.fig)


def run(d, **changes) -> dict:
    """The dashboard's result at its defaults with ``changes``."""
    d.set_values(**{**d.defaults, **changes})
    assert d.level == "info", d.message
    return d.result


def acc(result, key="skewed") -> float:
    return float(np.mean(result[key].history.test_accuracy))


def cos(result, key="skewed") -> float:
    return float(np.nanmean(result[key].update_cosine))


def gap(result) -> float:
    return acc(result, "iid") - acc(result, "skewed")


def dominant_label_share(counts) -> float:
    """Mean over clients of the share of the client's most frequent label."""
    counts = np.asarray(counts, dtype=float)
    counts = counts[counts.sum(axis=1) > 0]
    return float(np.mean(counts.max(axis=1) / counts.sum(axis=1)))


@claim("02", "α from 100 down to 0.01")
def test_smaller_alpha_single_colour_bars_lower_accuracy_and_cosine(dash):
    wide = run(dash, alpha=100.0)
    wide_bars = dash.plot.histogram_heights().copy()
    narrow = run(dash, alpha=0.01)
    narrow_bars = dash.plot.histogram_heights()
    assert dominant_label_share(wide_bars) < 0.3 < 0.9 < dominant_label_share(narrow_bars)
    assert acc(wide) > acc(narrow) + 0.15  # the red curve falls (0.93 -> 0.66)
    assert cos(wide) > 0.15 > abs(cos(narrow))  # the update cosine falls to about 0
    assert np.array_equal(dash.plot.acc_lines["skewed"].get_ydata(),
                          narrow["skewed"].history.test_accuracy)


@claim("02", "shards per client 1 → 5")
def test_more_shards_more_labels_higher_accuracy(dash):
    one = run(dash, partition="shards", shards_per_client=1)
    five = run(dash, partition="shards", shards_per_client=5)
    labels = [float(np.mean((r["skewed"].counts > 0).sum(axis=1))) for r in (one, five)]
    assert labels[1] > labels[0] + 2  # more labels per client
    assert acc(five) > acc(one) + 0.1  # 0.70 -> 0.91
    assert "5 shards per client" in dash.message


@claim("02", "client fraction 0.2 → 1.0")
def test_all_clients_every_round_shrinks_the_gap(dash):
    few = run(dash, client_fraction=0.2)
    every = run(dash, client_fraction=1.0)
    assert gap(few) > 0.15  # about 23 points
    assert gap(every) < gap(few) / 3  # about 3 points
    n = every["skewed"].history.config.num_clients
    assert all(len(p) == n for p in every["skewed"].history.participants)  # all labels seen
    assert cos(every) <= cos(few)  # ... although the updates agree no better


@claim("02", "local epochs 1 vs 20")
def test_more_local_epochs_more_drift_and_damage_with_every_client(dash):
    e1 = run(dash, client_fraction=1.0, local_epochs=1)
    e20 = run(dash, client_fraction=1.0, local_epochs=20)
    assert cos(e1) > cos(e20) + 0.01  # more drift (0.07 -> 0.03)
    assert gap(e20) > gap(e1) + 0.02  # more damage (-1 -> +4 points)
    assert gap(e1) < 0.01
    few1 = run(dash, local_epochs=1)
    few20 = run(dash, local_epochs=20)
    assert abs(gap(few20) - gap(few1)) < 0.03 and min(gap(few1), gap(few20)) > 0.15  # ~22 points


@claim("02", "FedProx μ 0 → 1")
def test_fedprox_pulls_updates_together_without_gaining_accuracy(dash):
    plain = run(dash, mu=0.0)
    prox = run(dash, mu=1.0)
    assert prox["skewed"].history.config.mu == 1.0
    assert cos(prox) > cos(plain) + 0.01  # the updates agree more (0.08 -> 0.11)
    assert acc(prox) < acc(plain) + 0.005  # the mean accuracy does not improve (0.70 -> 0.68)


@claim("02", "10 shards per client and 200 clients")
def test_impossible_shards_are_refused_in_the_status_line(dash):
    runs = dash.runs
    dash.set_values(partition="shards", shards_per_client=10, num_clients=200)
    assert dash.level == "error" and dash.runs == runs
    assert dash.message.startswith("Setting not allowed")
    assert "shards_per_client * num_clients must be <=" in dash.message
    assert "10 * 200" in dash.message
