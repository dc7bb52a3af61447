"""Notebook 05's dashboard in Chinese: controls, status line, source table and figure texts.

The dashboard is built once after ``set_language("zh")`` (the module fixture puts English and
matplotlib's settings back), run with ``background=False``; the figure is drawn with Agg and
must not miss a glyph. The numbers in the Chinese status line are checked against the result.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
from zh_support import chinese, figure_texts, missing_glyphs  # noqa: E402

from fedlearn_edu.i18n import get_language, set_language, tr  # noqa: E402
from fedlearn_edu.i18n.table import ZH  # noqa: E402
from fedlearn_edu.i18n.texts import fedtransfer as texts  # noqa: E402
from fedlearn_edu.plots.fedtransfer import source_name  # noqa: E402
from fedlearn_edu.transfer.personalization import METHODS  # noqa: E402
from fedlearn_edu.transfer.scenarios import source_candidates  # noqa: E402
from fedlearn_edu.widgets import fedtransfer  # noqa: E402
from fedlearn_edu.widgets.fedtransfer import FedTransferDashboard  # noqa: E402


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def zh_dash():
    saved = dict(matplotlib.rcParams)
    set_language("zh")
    d = FedTransferDashboard(background=False)
    yield d
    plt.close(d.fig)
    set_language("en")
    matplotlib.rcParams.update(saved)


@pytest.fixture
def fresh(zh_dash):
    set_language("zh")  # (a test of English in between restores Chinese, but be sure)
    zh_dash.reset()
    yield zh_dash
    zh_dash.reset()


def test_every_name_passed_to_tr_has_a_chinese_text():
    """Method and source names reach tr() by name (not as a literal, which
    tests/test_i18n.py checks): each must be in this topic's table and the merged one."""
    names = [*fedtransfer.method_names().values(), *map(source_name, source_candidates(
        np.zeros((20, 64)), np.arange(20) % 10))]
    for t in names:
        assert t in texts.ZH and ZH[t] == texts.ZH[t], t
    assert set(fedtransfer.method_names()) == set(METHODS)
    assert source_name("a source nobody named") == "a source nobody named"


def test_controls_status_table_and_figure_are_chinese(fresh):
    d = fresh
    assert d.level == "info", d.message
    for name, c in d.controls.items():
        assert chinese(c.description), (name, c.description)
    options = d.controls["method"].options
    assert all(chinese(label) for label, _ in options), options
    assert [v for _, v in options] == ["finetune", "fedper", "ditto", "local", "global"]
    # the status line: " | "-joined Chinese sentences with this run's numbers
    p = d.result["personal"]
    g_mean, p_mean = p["global_acc"].mean(), p["personal_acc"].mean()
    parts = d.message.split(" | ")
    assert len(parts) == 4, d.message
    assert parts[0] == (f"微调：客户端平均准确率 {g_mean:.3f} → {p_mean:.3f}"
                        f"（{100 * (p_mean - g_mean):+.1f} 个百分点）")
    w = d.result["worst"]["global"]
    assert parts[1].startswith(f"最差客户端 {w['acc']:.2f} [95% 置信区间 {w['low']:.2f}–"
                               f"{w['high']:.2f}，n = {w['n_test']}] → ")
    assert parts[2].startswith("达到 90% 的轮次：预训练起点 第 1 轮，从零起点 第 ")
    assert parts[3] == f"排名第一的源任务：同一任务（Spearman {d.result['spearman']:.2f}）"
    assert d.result["rows"][0]["name"] == "same task"  # the data keep their English keys
    # the table below the figure
    for text in ("探针分数", "真实收益（微调）", "同一任务", "Spearman（探针分数，微调收益）"):
        assert text in d.table.value, text
    # the figure: titles, labels, legends and the sources' names
    # panel (c) has no y label (its ticks name the sources): empty texts are left out
    found = [t for t in figure_texts(d.fig) if t]
    assert len(found) == 2 + 3 + 3 + 2 + 3  # (c): title + x label; legends of 2 and 3
    assert all(chinese(t) for t in found), found
    ticks = [t.get_text() for t in d.plot.ax_c.get_yticklabels()]
    assert ticks[0] == "同一任务" and all(chinese(t) for t in ticks), ticks
    assert missing_glyphs(d.fig) == []


def test_negative_transfer_warning_is_chinese(fresh):
    d = fresh
    d.set_values(relatedness=0.0)
    c = d.result["curves"]
    gap = 100 * (c["scratch"]["mean"][-1] - c["pretrained"]["mean"][-1])
    assert d.level == "warning"
    assert d.message.split(" | ")[-1] == (
        f"负迁移（negative transfer）：用 r=0.00 的源任务预训练，联邦平均（FedAvg）反而落后"
        f"从零起点 {gap:.1f} 个百分点")
    ticks = [t.get_text() for t in d.plot.ax_c.get_yticklabels()]
    assert "滑块设定的源任务 r=0.00" in ticks


def test_method_names_in_status_and_legend(fresh):
    d = fresh
    d.set_values(method="local")
    assert d.message.startswith("本地训练：客户端平均准确率 ")
    legend = [t.get_text() for t in d.plot.ax_a.get_legend().get_texts()]
    assert legend == ["全局模型", "本地训练"]


def test_refused_settings_are_said_in_chinese(fresh, monkeypatch):
    d = fresh
    with pytest.raises(ValueError, match="个性化方法必须是"):
        d.prepare({**d.values(), "method": "magic"})
    monkeypatch.setattr(d, "_pool_size", lambda: 100)
    d.refresh()
    assert d.level == "error"
    assert d.message.startswith("该设置不允许：num_clients=10 太多了")
    assert "最多 8 个客户端" in d.message  # 100 // 12, the same arithmetic as in English


def test_progress_texts_are_chinese(fresh):
    said = []
    orig = fresh.show_message
    fresh.show_message = lambda text, level="info": (said.append(text), orig(text, level))
    try:
        fresh.set_values(rounds=5)  # the clients are cached: personalization and curves rerun
    finally:
        fresh.show_message = orig
    for text in ("个性化：微调…", "预训练起点与从零起点对比…", "正在为候选源任务排序…"):
        assert text in said, said


def test_english_build_is_unchanged():
    """With English every visible text is the English original (the figure is built without a
    run: the dashboard itself is checked in English by tests/test_widgets_fedtransfer.py)."""
    before = get_language()
    set_language("en")
    try:
        d = FedTransferDashboard(background=False, autostart=False)
        assert d.controls["method"].description == "personalization (个性化)"
        assert d.controls["method"].label == "fine-tune (微调)"
        assert d.plot.ax_b.get_title() == "(b) FedAvg on the target clients"
        assert [t.get_text() for t in d.plot.ax_b.get_legend().get_texts()] == [
            "pretrained start", "scratch start", "target"]
        assert source_name("relabelled c->c+1") == "relabelled c->c+1"
        assert fedtransfer.method_names()["finetune"] == "finetune"
        assert tr("round {r}", r=3) == "round 3"
        plt.close(d.fig)
    finally:
        set_language(before)
