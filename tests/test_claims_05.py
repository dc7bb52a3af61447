"""Notebook 05's "Things to try" bullets, each set on the dashboard and checked (claims.py)."""

import numpy as np
import pytest
from claims import claim

from fedlearn_edu.widgets.fedtransfer import MAX_CLIENTS, FedTransferDashboard


@pytest.fixture(scope="module")
def dash():
    import matplotlib.pyplot as plt
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        d = FedTransferDashboard(background=False)
        yield d
    plt.close(d.fig)


@pytest.fixture(autouse=True)
def fresh(dash):
    dash.reset()
    yield
    dash.reset()


def accs(dash):
    p = dash.result["personal"]
    return p["global_acc"], p["personal_acc"]


@claim("05", "Dirichlet α 0.1 → 100")
def test_personalization_gain_shrinks_with_iid_clients(dash):
    g, p = accs(dash)
    skewed = p.mean() - g.mean()
    dash.set_values(alpha=100.0)
    g, p = accs(dash)
    iid = p.mean() - g.mean()
    assert skewed > 0.08  # strong skew: fine-tuning adds ~11 points
    assert iid < skewed / 2  # nearly IID: a few points at most
    assert f"({100 * iid:+.1f} points)" in dash.message


@claim("05", "Ditto, λ = 0.001 vs 100")
def test_ditto_lambda_slides_from_local_to_global(dash):
    dash.set_values(method="local")
    local = accs(dash)[1].mean()
    dash.set_values(method="ditto", lam=0.001)
    g, weak = accs(dash)
    dash.set_values(lam=100.0)
    g2, strong = accs(dash)
    np.testing.assert_array_equal(g, g2)  # the global model does not depend on λ
    assert np.abs(strong - g).mean() < 0.02  # λ = 100: green bars = grey bars
    assert np.abs(weak - g).mean() > 0.05
    assert abs(weak.mean() - local) < 0.03  # λ = 0.001: as good as training alone


@claim("05", "fine-tune steps k = 0")
def test_zero_fine_tuning_steps_give_the_global_model(dash):
    dash.set_values(finetune_steps=0)
    g, p = accs(dash)
    np.testing.assert_array_equal(p, g)
    np.testing.assert_array_equal(*dash.plot.client_heights())
    assert "(+0.0 points)" in dash.message


@claim("05", "personalization = local only")
def test_local_training_beats_the_global_model_under_strong_skew(dash):
    ft = accs(dash)[1].mean()
    dash.set_values(method="local")
    g, local = accs(dash)
    assert local.mean() > g.mean() + 0.03  # alone beats the one global model ...
    assert ft > local.mean() + 0.03  # ... but the fine-tuned global model beats both
    _, _, clients = dash._cache[("clients", 0.1, 10)]
    top2 = [np.sort(np.bincount(c.y_train))[-2:].sum() / c.n_train for c in clients]
    assert min(top2) > 0.75  # why: two digits make up most of every client's data


@claim("05", "source relatedness r 1 → 0.5 → 0")
def test_relatedness_turns_a_head_start_into_negative_transfer(dash):
    gaps = {}
    for r in (1.0, 0.5, 0.0):
        dash.set_values(relatedness=r)
        c = dash.result["curves"]
        gaps[r] = c["scratch"]["mean"][-1] - c["pretrained"]["mean"][-1]
        if r == 1.0:
            assert dash.level == "info"
            assert "pretrained round 1, scratch round" in dash.message
            assert c["pretrained"]["mean"][0] > c["scratch"]["mean"][0] + 0.05
        else:
            assert dash.level == "warning" and "negative transfer" in dash.message
    assert gaps[0.0] > gaps[0.5] > 0.01


@claim("05", "clients 10 → 50")
def test_more_clients_mean_fewer_test_examples_and_wider_intervals(dash):
    def widths():
        low, high = dash.result["intervals"]["personal"]
        return high - low

    w10, n10 = widths(), dash.result["n_test"]
    dash.set_values(num_clients=MAX_CLIENTS)
    w50, n50 = widths(), dash.result["n_test"]
    assert len(n50) == 50 and np.median(n50) < np.median(n10) / 3
    assert np.mean(w50) > 1.5 * np.mean(w10)
    assert np.mean(w50) > 0.4  # most clients: an interval wider than 0.4
