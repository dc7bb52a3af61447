"""Notebook 03's dashboard in Chinese: controls, status line, progress and figure texts.

Built after ``set_language("zh")`` (the fixture puts English and matplotlib's settings back),
run with ``background=False``; the figure is drawn with Agg and must not miss a glyph. The
numbers in the Chinese status line are checked against the run's own result.
"""

from __future__ import annotations

import matplotlib
import pytest

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
from zh_support import chinese, figure_texts, missing_glyphs  # noqa: E402

from fedlearn_edu.i18n import tr  # noqa: E402
from fedlearn_edu.i18n.table import ZH  # noqa: E402
from fedlearn_edu.i18n.texts import transfer as texts  # noqa: E402
from fedlearn_edu.plots import transfer as plots_transfer  # noqa: E402
from fedlearn_edu.transfer.tasks import METHODS, RELATIONS  # noqa: E402
from fedlearn_edu.widgets import transfer  # noqa: E402
from fedlearn_edu.widgets.transfer import VERDICTS, TransferDashboard, verdict  # noqa: E402


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def zh_dash(zh):
    d = TransferDashboard(background=False, autostart=False)
    d.set_values(steps=60)  # the first run, cheaper than the default 200 steps
    yield d
    plt.close(d.fig)


def test_every_name_passed_to_tr_has_a_chinese_text():
    """Texts handed to tr() by name (VERDICTS, relation and method names, legend entries) are
    not literals of a tr() call, which tests/test_i18n.py checks: each must be in this
    topic's table, in the merged one with the same text, and be Chinese."""
    names = [*VERDICTS.values(), *transfer.relation_names().values(),
             *transfer.method_names().values(), *plots_transfer.method_labels().values()]
    for t in names:
        assert t in texts.ZH and ZH[t] == texts.ZH[t], t
        assert chinese(texts.ZH[t]), t
    assert set(transfer.relation_names()) == set(RELATIONS)
    assert set(transfer.method_names()) == set(plots_transfer.method_labels()) == set(METHODS)


def test_controls_status_and_figure_are_chinese(zh_dash):
    d = zh_dash
    assert d.runs == 1 and d.level == "info", d.message
    for name, c in d.controls.items():
        assert chinese(c.description), (name, c.description)
    options = d.controls["relation"].options
    assert [v for _, v in options] == list(RELATIONS)  # the values the engine gets
    assert [label for label, _ in options] == ["相关（related）", "无关（unrelated）",
                                                "相反（opposite）"]
    # the status line: Chinese, with this run's own numbers and verdict
    e, r = d.result["errors"], d.result
    assert d.message.startswith("目标任务样本数：5，源任务：相关（related） | 目标任务测试 MSE")
    assert (f"从头训练 {e['scratch']:.3g}，微调 {e['finetune']:.3g}，联合目标 {e['joint']:.3g}"
            f"（闭式解 {r['closed_form_error']:.3g}）") in d.message
    assert verdict(e) == "helps" and d.message.endswith("迁移有帮助")
    best = {"scratch": "从头训练", "finetune": "微调", "joint": "联合目标"}[min(e, key=e.get)]
    assert f"最佳：{best} ——" in d.message
    assert chinese(d.status.value)
    found = figure_texts(d.fig)
    assert len(found) == 3 * 3 + 5 + 4  # 3 titles/x/y labels; legends of 5 and 4 entries
    assert all(chinese(t) for t in found), found
    assert missing_glyphs(d.fig) == []


def test_negative_transfer_and_a_refused_setting_are_said_in_chinese(zh_dash):
    d = zh_dash
    d.set_values(relation="opposite")
    assert d.result["verdict"] == "hurts"
    assert "源任务：相反（opposite）" in d.message
    assert d.message.endswith(tr(VERDICTS["hurts"])) and "负迁移" in d.message
    # "even" is hard to reach on the dashboard: its Chinese text, as the status line takes it
    assert tr(VERDICTS["even"]) == "没有明显收益：只用目标数据也一样好"
    runs = d.runs
    d.set_values(alpha=0.0, beta=0.0)
    assert d.level == "error" and d.runs == runs
    assert d.message.startswith("该设置不允许：")  # translated prefix ...
    assert "alpha + beta must be > 0" in d.message  # ... then the engine's English message


def test_progress_text_is_chinese(zh_dash):
    said = []
    orig = zh_dash.show_message
    zh_dash.show_message = lambda text, level="info": (said.append(text), orig(text, level))
    zh_dash.controls["seed"].value = 1
    assert "正在训练：从头训练、微调、联合目标…" in said, said


def test_english_build_is_unchanged():
    """With the default language every visible text is the English original."""
    d = TransferDashboard(background=False, autostart=False)
    try:
        d.set_values(steps=60)
        assert d.controls["alpha"].description == "α (source weight)"
        assert d.controls["relation"].description == "source task (源任务)"
        assert d.controls["relation"].label == "related"
        assert d.message.startswith("target examples: 5, source: related | target test MSE "
                                    "scratch ")
        assert d.message.endswith(" — transfer helps")
        assert d.plot.ax_land.get_title() == "α f + β g (2-D slice)"
        assert d.plot.ax_n.get_xlabel() == "target examples"
        legend = [t.get_text() for t in d.plot.ax_steps.get_legend().get_texts()]
        assert legend == ["target from scratch", "fine-tune from source", "joint α f + β g",
                          "closed-form joint"]
        assert tr(VERDICTS["hurts"]) == "negative transfer (负迁移): the source hurts"
    finally:
        plt.close(d.fig)


def test_language_is_read_when_the_dashboard_is_built(zh):
    """Switching after the import (as the notebook's first cell does) takes effect."""
    d = TransferDashboard(background=False, autostart=False)
    try:
        assert d.controls["steps"].description == "梯度下降步数"
        assert d.plot.ax_steps.get_ylabel() == "目标任务测试 MSE"
    finally:
        plt.close(d.fig)
