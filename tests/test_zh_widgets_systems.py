"""Notebook 04's dashboard in Chinese: controls, options, status lines, legend and figure texts.

Built after ``set_language("zh")`` (the fixture puts English and matplotlib's settings back),
run with ``background=False``; the figure is drawn with Agg and must not miss a glyph. The
numbers in the Chinese status line are checked against the runs' own histories.
"""

from __future__ import annotations

import matplotlib
import numpy as np
import pytest

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
from zh_support import chinese, figure_texts, missing_glyphs  # noqa: E402

from fedlearn_edu import FedConfig  # noqa: E402
from fedlearn_edu.core.history import time_to_accuracy  # noqa: E402
from fedlearn_edu.i18n import tr  # noqa: E402
from fedlearn_edu.i18n.table import ZH  # noqa: E402
from fedlearn_edu.i18n.texts import systems as texts  # noqa: E402
from fedlearn_edu.plots import systems as plots_systems  # noqa: E402
from fedlearn_edu.plots.systems import GanttPlot  # noqa: E402
from fedlearn_edu.systems.config import MODE_NAMES, SystemsConfig  # noqa: E402
from fedlearn_edu.widgets import systems  # noqa: E402
from fedlearn_edu.widgets.systems import SystemsDashboard  # noqa: E402

BASE = FedConfig(dtype="float32", num_clients=8, rounds=4, local_epochs=1, mu=0.1,
                 systems=SystemsConfig(preset="mobile", latency_ms=200.0, latency_spread=0.5,
                                       straggler_fraction=0.3, deadline_s=1.0, mode="fedprox",
                                       buffer_size=4))


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def zh_dash(zh):
    d = SystemsDashboard(BASE, background=False)
    yield d
    plt.close(d.fig)


def test_every_name_passed_to_tr_has_a_chinese_text():
    """Templates and names handed to tr() by name (not as literals, which tests/test_i18n.py
    checks) are in this topic's table, in the merged one with the same text, and Chinese."""
    names = [systems.SUMMARY, systems.NO_CLIENT, systems.DIVERGED, systems.CHOSEN,
             systems.DENSE, *MODE_NAMES, *systems.COMPRESSIONS, "chosen", "compressed",
             *plots_systems.PHASE_COLORS, "no compression",
             # labelled(text, term): the descriptions
             "mean latency (ms)", "latency spread", "straggler fraction", "deadline (s)", "mode",
             "FedProx mu", "compression", "timeline round"]
    for t in names:
        assert t in texts.ZH and ZH[t] == texts.ZH[t], t
        assert chinese(texts.ZH[t]), t
    assert systems.COMPRESSED in texts.ZH  # "{mode}, {method}": two names, no words of its own
    assert chinese(ZH["clients"])  # shared with notebooks 00 and 01 (texts/common.py)


def test_controls_options_status_and_figure_are_chinese(zh_dash):
    d = zh_dash
    assert d.runs == 1 and d.level == "info", d.message
    for name, c in d.controls.items():
        assert chinese(c.description), (name, c.description)
        assert c.tooltip and not chinese(c.tooltip), (name, c.tooltip)  # the English term
    assert d.controls["latency_ms"].tooltip == "mean latency (ms)"
    modes = d.controls["mode"].options
    assert [v for _, v in modes] == list(MODE_NAMES) and all(chinese(lab) for lab, _ in modes)
    assert [v for _, v in d.controls["compression"].options] == ["topk", "int8"]
    assert d.controls["mode"].label == "FedProx（部分工作）"
    # the status line: the summary in Chinese, with this run's numbers
    runs = d.result
    h, hs, hc = runs["chosen"].history, runs["sync"].history, runs["compressed"].history
    target = 0.9 * float(np.nanmax(hs.test_accuracy))
    assert d.message.startswith(f"达到准确率 {target:.2f} 所需的时间：FedProx（部分工作） "
                                f"{time_to_accuracy(h, target):.3g} 秒，同步 "
                                f"{time_to_accuracy(hs, target):.3g} 秒"), d.message
    ratio = np.nansum(h.bytes_up) / np.nansum(hc.bytes_up)
    assert f"降到原来的 1/{ratio:.1f}" in d.message
    assert chinese(d.status.value)
    found = figure_texts(d.fig)
    assert len(found) == 3 * 3 + 2 + 8 + 2  # titles/x/y labels; legends: time, Gantt, bytes
    assert all(chinese(t) for t in found), found
    legend = [t.get_text() for t in d.plot.time.ax.get_legend().get_texts()]
    assert legend == ["同步（sync）", "所选：FedProx（部分工作）"]
    legend = [t.get_text() for t in d.plot.bytes.ax.get_legend().get_texts()]
    assert legend == ["FedProx（部分工作），不压缩", "FedProx（部分工作），top-k 稀疏化"]
    assert d.plot.gantt.ax.get_title() == "谁在等谁（第 2 轮）"
    assert missing_glyphs(d.fig) == []


def test_gantt_legend_names_every_phase_in_chinese(zh):
    fig, ax = plt.subplots()
    try:
        _, labels = GanttPlot(ax, legend=False).legend_entries()
        assert labels == ["下载", "计算", "部分工作", "上传", "空闲等待", "超时 / 崩溃", "离线",
                          "截止时间（deadline）"]
    finally:
        plt.close(fig)


def test_other_status_lines_are_chinese(zh_dash):
    d = zh_dash
    d.set_values(mode="async", compression="int8")
    assert d.level == "info" and "异步（async）" in d.message
    legend = [t.get_text() for t in d.plot.bytes.ax.get_legend().get_texts()]
    assert legend[1] == "异步（async），8 位量化（int8）"
    assert d.plot.gantt.ax.get_title().startswith("第 ") and chinese(d.plot.gantt.ax.get_xlabel())
    d.set_values(mode="deadline", deadline_s=0.1, latency_ms=2000)  # nobody makes it
    assert d.level == "warning" and d.message.startswith("没有一个客户端赶上截止时间"), d.message
    d.set_values(mode="fedbuff", num_clients=3)  # buffer of 4 > 3 clients per round
    assert d.level == "error" and d.message.startswith("该设置不允许：")
    assert "buffer_size" in d.message  # the engine's own words stay English


def test_divergence_prefix_is_chinese(zh):
    assert tr(systems.DIVERGED, name=systems.run_names()["compressed"], message="NaN") == \
        "「压缩后」这次运行发散了：NaN"


def test_english_build_is_unchanged():
    """With the default language every visible text is the English original."""
    d = SystemsDashboard(BASE, background=False)
    try:
        assert d.controls["latency_ms"].description == "mean latency (ms)"
        assert d.controls["latency_ms"].tooltip == "延迟"
        assert d.controls["mode"].label == "fedprox"
        assert d.message.startswith("time to ") and "x fewer bytes" in d.message
        legend = [t.get_text() for t in d.plot.time.ax.get_legend().get_texts()]
        assert legend == ["sync", "fedprox (chosen)"]
        legend = [t.get_text() for t in d.plot.bytes.ax.get_legend().get_texts()]
        assert legend == ["fedprox, dense", "fedprox, topk"]
        assert d.plot.gantt.ax.get_title() == "Who waits for whom (round 2)"
        assert d.plot.time.ax.get_xlabel() == "simulated time (s)"
    finally:
        plt.close(d.fig)


def test_language_is_read_when_the_dashboard_is_built(zh):
    """Switching after the import (as the notebook's first cell does) takes effect."""
    d = SystemsDashboard(BASE, background=False, autostart=False)
    try:
        assert d.controls["straggler_fraction"].description == "掉队者比例"
        assert d.plot.bytes.ax.get_title() == "通信开销"
    finally:
        plt.close(d.fig)
