"""Notebook 07's figures (``fedlearn_edu.plots.flower``): the diagram and the live parity
curve, in English and in Chinese (every glyph drawn), and the curve follows a real callback."""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
from zh_support import chinese, figure_texts, missing_glyphs  # noqa: E402

from fedlearn_edu import FedConfig, simulate  # noqa: E402
from fedlearn_edu.plots.flower import ParityCurve, federation_diagram  # noqa: E402

CFG = FedConfig(num_clients=3, rounds=4, local_epochs=1, batch_size=16, seed=0)


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def all_texts(fig) -> list[str]:
    return figure_texts(fig) + [t.get_text() for ax in fig.axes for t in ax.texts]


@pytest.mark.parametrize("n", [1, 3, 4])
def test_the_diagram_has_one_supernode_per_client(n):
    fig = federation_diagram(num_clients=n)
    texts = all_texts(fig)
    assert sum(t.startswith("SuperNode") for t in texts) == n
    assert any("SuperLink" in t for t in texts) and any("ServerApp" in t for t in texts)
    assert missing_glyphs(fig) == []


@pytest.mark.parametrize("bad", [0, 5, 2.0, "3"])
def test_the_diagram_refuses_a_client_count_it_cannot_draw(bad):
    with pytest.raises(ValueError, match="num_clients must be an integer in"):
        federation_diagram(num_clients=bad)


def test_the_curve_follows_the_rounds_a_callback_reports():
    ref = simulate(CFG)
    curve = ParityCurve(ref)
    seen = []
    simulate(CFG, callback=lambda rec, h: (curve.update(rec, h),
                                           seen.append(len(curve.line.get_xdata()))))
    assert seen == [1, 2, 3, 4]
    np.testing.assert_array_equal(curve.line.get_ydata(), ref.test_accuracy)
    low, high = curve.fig.axes[0].get_ylim()
    assert low <= ref.test_accuracy.min() and high == 1.0


def test_the_curve_needs_a_history():
    with pytest.raises(TypeError, match="reference must be a History"):
        ParityCurve(CFG)


def test_both_figures_in_chinese(zh):
    ref = simulate(CFG.replace(rounds=2))
    for fig in (federation_diagram(), ParityCurve(ref).fig):
        texts = [t for t in all_texts(fig) if t.strip()]
        english = [t for t in texts if not chinese(t) and not t.startswith("SuperNode")]
        assert english == [], english  # everything but the node boxes' names is Chinese
        assert missing_glyphs(fig) == []
