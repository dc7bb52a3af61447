"""Notebook 02's dashboard in Chinese: controls, status line, progress and figure texts.

Built after ``set_language("zh")`` (the fixture puts English and matplotlib's settings back),
run with ``background=False``; the figure is drawn with Agg and must not miss a glyph.
"""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
from zh_support import chinese, figure_texts, missing_glyphs  # noqa: E402

from fedlearn_edu.core.noniid import NONIID_DEFAULTS  # noqa: E402
from fedlearn_edu.i18n import tr  # noqa: E402
from fedlearn_edu.i18n.table import ZH  # noqa: E402
from fedlearn_edu.i18n.texts import noniid as texts  # noqa: E402
from fedlearn_edu.plots import noniid as plots_noniid  # noqa: E402
from fedlearn_edu.widgets import noniid  # noqa: E402
from fedlearn_edu.widgets.noniid import NonIIDDashboard  # noqa: E402

SMALL = NONIID_DEFAULTS.replace(rounds=3, local_epochs=2)


@pytest.fixture
def zh_dash(zh):
    d = NonIIDDashboard(SMALL, background=False)
    yield d
    plt.close(d.fig)


def test_every_template_has_a_chinese_text_with_the_same_fields():
    """The module's message templates are passed to tr() by name (not as literals, which
    tests/test_i18n.py checks): each must have a Chinese text (this topic's table or a shared
    one) that keeps the template's fields."""
    import string

    def fields(s):
        return sorted(f for _, f, _, _ in string.Formatter().parse(s) if f)

    templates = [noniid.SUMMARY, noniid.COSINE, noniid.NO_COSINE, noniid.DIVERGED,
                 *noniid.ROUNDS, *noniid.CLIENTS, *noniid.SHARDS, *noniid.PROGRESS.values()]
    for t in templates:
        assert t in ZH and chinese(ZH[t]) and fields(ZH[t]) == fields(t), t
    assert noniid.SUMMARY in texts.ZH  # the topic's own sentences live in its own table
    labels = plots_noniid.run_labels()  # English here: the keys the legend looks up
    assert all(label in ZH for label in labels.values())


def test_controls_status_and_figure_are_chinese(zh_dash):
    d = zh_dash
    assert d.runs == 1 and d.level == "info", d.message
    for name, c in d.controls.items():
        assert chinese(c.description), (name, c.description)
    labels = [label for label, _ in d.controls["partition"].options]
    assert all(chinese(label) for label in labels), labels
    assert [v for _, v in d.controls["partition"].options] == ["dirichlet", "shards", "iid"]
    # the status line: the summary, in Chinese, with the numbers of the run
    assert chinese(d.message) and "平均测试准确率" in d.message and "α=0.05" in d.message
    assert d.message.startswith("3 轮后")
    assert chinese(d.status.value)
    texts_ = figure_texts(d.fig)
    assert len(texts_) == 4 * 3 + 3 * 2  # 4 titles/x/y labels, 3 legends of 2 entries
    assert all(chinese(t) for t in texts_), texts_
    assert missing_glyphs(d.fig) == []


def test_other_status_lines_are_chinese(zh_dash):
    d = zh_dash
    d.set_values(partition="shards", shards_per_client=1)
    assert "每个客户端 1 个分片" in d.message
    d.set_values(partition="dirichlet", num_clients=2, client_fraction=0.05)
    assert d.level == "info" and "每轮只有 1 个客户端" in d.message
    d.set_values(partition="shards", shards_per_client=10, num_clients=200)
    assert d.level == "error" and "shards_per_client * num_clients" in d.message  # engine: English
    assert d.message.startswith("该设置不允许：")  # ... after the translated prefix


def test_progress_texts_are_chinese(zh_dash):
    said = []
    orig = zh_dash.show_message
    zh_dash.show_message = lambda text, level="info": (said.append(text), orig(text, level))
    zh_dash.controls["seed"].value = 1  # both runs recompute, round by round
    progress = [t for t in said if "/3" in t]
    assert progress and all(chinese(t) for t in progress), said
    assert "偏斜数据：第 1/3 轮" in said and "IID 参照：第 3/3 轮" in said


def test_a_bad_alpha_is_refused_in_chinese(zh_dash):
    with pytest.raises(ValueError, match="狄利克雷 α 必须在"):
        zh_dash.prepare({**zh_dash.values(), "alpha": 1e3})


def test_divergence_prefix_is_chinese(zh):
    class Stub:
        diverged, message = True, "NaN in round 2"

    class Run:
        history = Stub()

    message, level = NonIIDDashboard.summary(SMALL, {"skewed": Run(), "iid": Run()})
    assert level == "warning" and message == "训练发散：NaN in round 2"


def test_english_build_is_unchanged():
    """With the default language every visible text is the English original."""
    d = NonIIDDashboard(SMALL, background=False)
    try:
        assert d.controls["partition"].description == "partition (划分)"
        assert d.controls["mu"].description == "FedProx μ"
        assert d.controls["partition"].label == "dirichlet"
        assert d.message.startswith("3 rounds, mean test accuracy: skewed (α=0.05)")
        assert d.plot.ax_cos.get_title() == "Client drift: do the updates agree?"
        assert d.plot.ax_acc.get_xlabel() == "round"
        legend = [t.get_text() for t in d.plot.ax_acc.get_legend().get_texts()]
        assert legend == ["IID reference", "skewed (non-IID)"]
        assert tr(noniid.DIVERGED, message="x") == "Diverged: x"
    finally:
        plt.close(d.fig)


def test_language_is_read_when_the_dashboard_is_built(zh):
    """Switching after the import (as the notebook's first cell does) takes effect."""
    d = NonIIDDashboard(SMALL, background=False, autostart=False)
    try:
        assert d.controls["rounds"].description == "通信轮数"
        assert d.plot.ax_hist.get_xlabel() == "客户端"
    finally:
        plt.close(d.fig)
