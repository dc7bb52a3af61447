"""Notebooks 00 and 01's dashboards in Chinese: controls, status lines, progress and figures.

Built after ``set_language("zh")`` (the fixture puts English and matplotlib's settings back),
run with ``background=False``, small settings; each figure is drawn with Agg and must not miss
a glyph. The engine's error texts stay English after the translated prefix.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
from zh_support import chinese, figure_texts, missing_glyphs  # noqa: E402

from fedlearn_edu import FedConfig  # noqa: E402
from fedlearn_edu.i18n.table import ZH  # noqa: E402
from fedlearn_edu.plots.base import ConvergencePlot, plot_history  # noqa: E402
from fedlearn_edu.widgets import ArticleFLDashboard, FedAvgDashboard, ScaleDashboard  # noqa: E402
from fedlearn_edu.widgets.scale import MAX_CLIENT_UPDATES  # noqa: E402

SMALL = FedConfig(rounds=3)  # digits, 10 clients
USERS = FedConfig(dataset="fedprox_synthetic", partition="natural", num_clients=100,
                  client_fraction=0.1, rounds=2, lr=0.01, dtype="float32")


@pytest.fixture(autouse=True)
def close_figures():
    yield
    plt.close("all")


def recorder(dash) -> list[str]:
    """Every status text ``dash`` shows from now on (progress lines included)."""
    said, orig = [], dash.show_message
    dash.show_message = lambda text, level="info": (said.append(text), orig(text, level))
    return said


def assert_controls_chinese(dash):
    for name, c in dash.controls.items():
        assert chinese(c.description), (name, c.description)
        assert c.description == ZH[c.tooltip], (name, c.tooltip)  # English term as tooltip
    assert dash.progress.description == "进度"
    assert dash.reset_button.description == "恢复默认值"


# ---- notebook 00 ---------------------------------------------------------------------------
def test_article_dashboard_is_chinese(zh):
    d = ArticleFLDashboard(background=False)
    assert d.runs == 1 and d.level == "info", d.message
    assert_controls_chinese(d)
    assert d.message == f"5 个设备，第 20 轮：测试均方误差 {d.result[-1]:.4f}"
    assert chinese(d.status.value)
    texts = figure_texts(d.fig)
    assert texts[:3] == ["原文的联邦学习循环（修正后）", "轮次", "测试均方误差（MSE）"]
    assert len(texts) == 5 and all(chinese(t) for t in texts), texts
    assert missing_glyphs(d.fig) == []


def test_article_dashboard_divergence_and_one_device_in_chinese(zh):
    d = ArticleFLDashboard(background=False, autostart=False)
    d.set_values(lr=0.4)
    assert d.level == "warning" and d.message.startswith("第 ")
    assert "轮训练发散" in d.message and "lr=0.4" in d.message
    d.set_values(lr=0.2, num_devices=1, rounds=3)
    assert d.level == "info" and d.message.startswith("1 个设备，第 3 轮")


def test_article_progress_is_numbers_only(zh):
    """Round by round the progress bar moves; the only words are the shared ones."""
    d = ArticleFLDashboard(background=False, autostart=False)
    said = recorder(d)
    d.set_values(rounds=3)
    assert said[0] == "计算中…" and d.progress.value == d.progress.max == 3


# ---- notebook 01, section 2 --------------------------------------------------------------
def test_fedavg_dashboard_is_chinese(zh):
    d = FedAvgDashboard(SMALL, background=False, autostart=False)
    said = recorder(d)
    d.refresh()
    assert d.runs == 1 and d.level == "info", d.message
    assert_controls_chinese(d)
    labels = [label for label, _ in d.controls["dataset"].options]
    assert labels == ["手写数字（digits）", "乳腺癌诊断（breast_cancer）", "葡萄酒产地（wine）",
                      "鸢尾花（iris）"]
    assert [v for _, v in d.controls["dataset"].options] == list(FedAvgDashboard.DATASETS)
    assert d.message.startswith("10 个客户端（每轮 10 个），第 3 轮：联邦平均测试准确率 ")
    final = d.result.final()["test_accuracy"]
    assert f"{final:.3f}" in d.message and "个百分点" in d.message
    # the progress lines before the rounds
    assert "正在计算 digits 上的集中式基线…" in said
    assert "正在训练 10 个客户端，每轮 10 个…" in said
    texts = figure_texts(d.fig)
    assert len(texts) == 2 * 3 + 2 + 3  # 2 axes; legends: FedAvg + baseline, 3 loss lines
    assert all(chinese(t) for t in texts), texts
    assert "联邦平均（FedAvg）" in texts and "集中式训练（sklearn）" in texts
    assert missing_glyphs(d.fig) == []


def test_fedavg_refusal_and_one_client_in_chinese(zh):
    d = FedAvgDashboard(SMALL, background=False, autostart=False)
    said = recorder(d)
    d.set_values(dataset="iris", num_clients=150)  # iris has 112 training examples
    assert d.level == "error" and d.message.startswith("该设置不允许：")
    assert "num_clients" in d.message  # the engine's own words stay English
    d.set_values(dataset="digits", num_clients=1)
    assert "正在训练 1 个客户端…" in said
    assert d.level == "info" and d.message.startswith("1 个客户端，第 3 轮：联邦平均测试准确率")


# ---- notebook 01, section 4 --------------------------------------------------------------
def test_scale_dashboard_is_chinese(zh):
    d = ScaleDashboard(USERS, background=False, autostart=False)
    said = recorder(d)
    d.refresh()
    assert d.runs == 1 and d.level == "info", d.message
    assert_controls_chinese(d)
    seconds = d.result[1]
    assert d.message == (f"100 个客户端，每轮训练 10 个：每轮 {seconds:.2f} 秒（中位数），"
                         f"测试准确率 {d.result[0].final()['test_accuracy']:.3f}")
    assert "正在生成 100 个用户（每种规模只生成一次）…" in said
    assert any(t.startswith("第 2 轮：") and t.endswith(" 秒") for t in said), said
    texts = figure_texts(d.fig)
    assert len(texts) == 6 and all(chinese(t) for t in texts), texts
    assert missing_glyphs(d.fig) == []


def test_scale_refusal_is_chinese(zh):
    d = ScaleDashboard(background=False, autostart=False)
    d.set_values(num_clients=1_000, client_fraction=1.0, rounds=11)
    assert d.level == "error" and d.runs == 0
    assert d.message == ("该设置不允许：每轮 1000 个客户端 × 11 轮 = 11,000 次本地训练；"
                         f"这个仪表盘每个设置最多运行 {MAX_CLIENT_UPDATES:,} 次："
                         "请调低客户端比例或轮数")


# ---- the shared plot -----------------------------------------------------------------------
def test_convergence_plot_and_plot_history_are_chinese(zh):
    from fedlearn_edu import simulate

    plot = ConvergencePlot(rounds=2)
    plot.set_baseline(0.9, 0.3)
    texts = figure_texts(plot.fig)
    assert all(chinese(t) for t in texts), texts
    assert missing_glyphs(plot.fig) == []
    hist = simulate(FedConfig(rounds=2))
    fig, ax = plt.subplots()
    plot_history(hist, ax, metric="test_accuracy")
    assert (ax.get_xlabel(), ax.get_ylabel()) == ("轮次", "测试准确率")


# ---- English -------------------------------------------------------------------------------
def test_english_build_is_unchanged():
    """With the default language every visible text is the English original, and the Chinese
    term is the tooltip as before."""
    a = ArticleFLDashboard(background=False, autostart=False)
    assert a.controls["samples_per_device"].description == "samples/device"
    assert a.controls["samples_per_device"].tooltip == "每个设备的样本数"
    assert a.ax.get_title() == "The article's FL loop, fixed"
    assert [t.get_text() for t in a.ax.get_legend().get_texts()] == \
        ["article.federated_train", "noise floor σ² = 0.01"]
    a.set_values(rounds=2)
    assert a.message.startswith("5 devices, round 2: test MSE ")
    f = FedAvgDashboard(SMALL, background=False)
    assert f.controls["client_fraction"].description == "client fraction C"
    assert f.controls["client_fraction"].tooltip == "每轮参与的客户端比例"
    assert f.controls["dataset"].label == "digits"
    assert f.message.startswith("10 clients (10 per round), round 3: FedAvg test accuracy ")
    assert f.plot.ax_loss.get_ylabel() == "cross-entropy"
    assert [t.get_text() for t in f.plot.ax_acc.get_legend().get_texts()] == \
        ["FedAvg", "centralised (sklearn)"]
    assert f.progress.description == "progress" and f.message.endswith("points)")
    s = ScaleDashboard(background=False, autostart=False)
    assert s.controls["rounds"].description == "rounds"
    assert s.plot.lines["test_accuracy"].get_label() == "FedAvg, synthetic users"
    assert np.isnan(s.plot.lines["test_accuracy"].get_ydata()).all()
