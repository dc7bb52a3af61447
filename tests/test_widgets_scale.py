"""Notebook 01 section 4: the scale dashboard and its "Things to try"."""

import numpy as np

from fedlearn_edu.widgets import ScaleDashboard


def test_things_to_try_ten_thousand_clients_train_only_the_selected():
    dash = ScaleDashboard(background=False)
    dash.set_values(num_clients=10_000, client_fraction=0.1, rounds=2)
    hist, per_round = dash.result
    assert np.all(hist.num_participants == 1_000) and hist.ok
    assert "10000 clients, 1000 trained per round" in dash.message
    assert np.isfinite(per_round) and per_round > 0
    dash.set_values(client_fraction=0.01)
    assert np.all(dash.result[0].num_participants == 100)
    assert "100 trained per round" in dash.message


def test_extremes_of_every_control_run():
    dash = ScaleDashboard(background=False)
    for n in (100, 10_000):
        for c in (0.01, 1.0):
            dash.set_values(num_clients=n, client_fraction=c, rounds=1)
            assert dash.level == "info", dash.message
