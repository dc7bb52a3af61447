"""Notebook 06's three dashboards (DP, attacks, secure aggregation) and the inversion figure in
Chinese: controls, options, status lines (one whole message per ε band), legends and axes.

Built after ``set_language("zh")`` (the fixture puts English and matplotlib's settings back),
run with ``background=False``; each figure is drawn with Agg and must not miss a glyph. The
numbers in the Chinese status lines are checked against the accountant and the runs' results.
"""

from __future__ import annotations

import math

import matplotlib
import numpy as np
import pytest

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402
from zh_support import chinese, missing_glyphs  # noqa: E402

from fedlearn_edu import FedConfig  # noqa: E402
from fedlearn_edu.i18n import tr  # noqa: E402
from fedlearn_edu.i18n.table import ZH  # noqa: E402
from fedlearn_edu.i18n.texts import privacy as texts  # noqa: E402
from fedlearn_edu.plots.privacy import EPS_TIERS, SecAggPlot, plot_inversion  # noqa: E402
from fedlearn_edu.privacy.accountant import epsilon  # noqa: E402
from fedlearn_edu.privacy.attacks import ATTACK_NAMES  # noqa: E402
from fedlearn_edu.privacy.config import AttackConfig, DPConfig  # noqa: E402
from fedlearn_edu.widgets import privacy, secagg  # noqa: E402
from fedlearn_edu.widgets.privacy import AttackDashboard, DPDashboard, SecAggDashboard  # noqa: E402

DP_BASE = FedConfig(dtype="float32", num_clients=50, local_epochs=1, rounds=5,
                    client_fraction=0.2, dp=DPConfig(noise_multiplier=1.0, clip_norm=0.3))
ATTACK_BASE = FedConfig(dtype="float32", rounds=3, local_epochs=1, aggregator="median",
                        attack=AttackConfig(kind="sign_flip", fraction=0.3))


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


def figure_texts(fig) -> list[str]:
    out = []
    for ax in fig.axes:
        out += [t for t in (ax.get_title(), ax.get_xlabel(), ax.get_ylabel()) if t]
        legend = ax.get_legend()
        if legend is not None:
            out += [t.get_text() for t in legend.get_texts()]
    return out


def assert_chinese_dashboard(d, n_texts: int) -> None:
    """Every control's label (and dropdown option) is Chinese; so are the status line and all
    ``n_texts`` titles, axis labels and legend entries; the figure draws every glyph."""
    for name, c in d.controls.items():
        assert chinese(c.description), (name, c.description)
        for label, _ in getattr(c, "options", ()):
            assert chinese(label) or "Krum" in label, (name, label)
    assert chinese(d.message) and chinese(d.status.value), d.message
    found = figure_texts(d.fig)
    assert len(found) == n_texts and all(chinese(t) for t in found), found
    assert missing_glyphs(d.fig) == []


def test_every_name_passed_to_tr_has_a_chinese_text():
    """Templates and names handed to tr() by name (not as literals, which tests/test_i18n.py
    checks) are in this topic's table, in the merged one with the same text, and Chinese."""
    names = [*(msg for _, msg in privacy.EPS_MESSAGES), privacy.NO_GUARANTEE,
             privacy.ATTACK_SUMMARY, privacy.ATTACK_DIVERGED, secagg.SUMMARY, secagg.REFUSED,
             *ATTACK_NAMES, *AttackDashboard.DEFENCES, *(name for _, name, _ in EPS_TIERS),
             *SecAggPlot.LABELS]
    for t in names:
        assert t in texts.ZH and ZH[t] == texts.ZH[t], t
        assert chinese(texts.ZH[t]) or "Krum" in texts.ZH[t], t
    assert chinese(ZH[privacy.DIVERGED])  # shared with other dashboards (texts/common.py)


def test_dp_dashboard_is_chinese(zh):
    d = DPDashboard(DP_BASE, background=False)
    try:
        assert d.level == "info", d.message
        # 3 axes x (title, x, y) + legends: utility 2, noise panel 4
        assert_chinese_dashboard(d, 3 * 3 + 2 + 4)
        eps = epsilon(0.2, 1.0, 5, 1e-5)  # the accountant, independently of the dashboard
        tpr = min(1.0, math.exp(eps) * 0.05 + 1e-5)
        assert d.message.startswith(f"第 5 轮之后，每个客户端都受 (ε = {eps:.2f}, δ = 1e-05)-"
                                    "差分隐私")
        assert "实际部署中常见的范围" in d.message and f"认出多达 {tpr:.0%} 的参与者" in d.message
        assert f"准确率 {d.result.final()['test_accuracy']:.3f}" in d.message
        bands = [t.get_text() for t in d.plot.axes[1].texts]
        assert bands == ["ε ≤ 1：强隐私", "1–10：实际部署中常见", "ε > 10：弱隐私"]
        # no mathtext next to Chinese (its fonts have no CJK glyphs): plain Unicode instead
        assert d.plot.signal_line.get_label() == "S/√p（一次更新的大小）"
        assert d.plot.axes[1].get_ylabel() == "已花费的 ε"
        assert all("$" not in t for t in figure_texts(d.fig))
    finally:
        plt.close(d.fig)


@pytest.mark.parametrize("sigma, rounds, q, band", [(3.0, 5, 0.2, "强隐私（ε ≤ 1）"),
                                                    (0.3, 1, 1.0, "弱隐私（ε > 10）")])
def test_every_epsilon_band_has_its_chinese_message(zh, sigma, rounds, q, band):
    base = DP_BASE.replace(rounds=rounds, client_fraction=q,
                           dp=DP_BASE.dp.replace(noise_multiplier=sigma))
    d = DPDashboard(base, background=False)
    try:
        eps = epsilon(q, sigma, rounds, 1e-5)
        assert band in d.message and f"ε = {eps:.2f}" in d.message, d.message
        assert d.message.startswith(f"第 {rounds} 轮之后")
        d.set_values(dp_noise_multiplier=0.0)
        assert d.level == "warning" and d.message.startswith("σ = 0：只有裁剪，没有任何隐私保证")
    finally:
        plt.close(d.fig)


def test_attack_dashboard_is_chinese(zh):
    d = AttackDashboard(ATTACK_BASE, background=False)
    try:
        assert d.level == "info", d.message
        assert_chinese_dashboard(d, 2 * 3 + 2 + 2)
        assert [v for _, v in d.controls["attack"].options] == list(ATTACK_NAMES)
        assert d.controls["aggregator"].label == "中位数（median）"
        acc = d.result["accuracy"][-1]
        assert d.message.startswith("攻击者：10 个客户端中有 3 个（符号翻转（sign_flip））；"
                                    f"防御 中位数（median）：准确率 {acc:.3f}"), d.message
        d.set_values(aggregator="krum", attacker_fraction=0.4)  # 10 <= 2*4 + 2: refused
        assert d.level == "error" and d.message.startswith("该设置不允许：")
        assert "2*aggregator_f + 2" in d.message  # the engine's words stay English
    finally:
        plt.close(d.fig)


def test_secagg_dashboard_is_chinese(zh):
    d = SecAggDashboard(background=False)
    try:
        assert d.level == "info", d.message
        assert_chinese_dashboard(d, 2 + 3 + 2 + 2)  # the traffic panel has no x label
        res = d.result["secagg"]
        assert d.message.startswith("掉线：10 个客户端中 2 个（t = 6）；安全求和 == 明文求和：是")
        assert f"掩码向量 {res.clear_bytes_up / 1024:.1f} KB" in d.message
        ticks = [t.get_text() for t in d.plot.ax_bytes.get_xticklabels()]
        assert ticks == SecAggPlot.labels() and all(chinese(t) for t in ticks)
        d.set_values(dropout=0.5)  # 5 uploads < t = 6
        assert d.level == "warning" and d.result is None
        assert d.message.startswith("协议拒绝了这一轮：10 个客户端中有 5 个掉线。")
        d.set_values(threshold=25)
        assert d.level == "error" and "门限 t 不能大于客户端数量 n，当前 t=25 > n=10" in d.message
    finally:
        plt.close(d.fig)


def test_inversion_figure_is_chinese(zh):
    rng = np.random.default_rng(0)
    fig, axes = plot_inversion(rng.random((2, 64)), rng.random((2, 64)))
    try:
        assert [axes[0, 0].get_ylabel(), axes[1, 0].get_ylabel()] == ["原图", "从梯度还原"]
        assert missing_glyphs(fig) == []
    finally:
        plt.close(fig)


def test_english_build_is_unchanged():
    """With the default language every visible text is the English original."""
    dp = DPDashboard(DP_BASE, background=False)
    atk = AttackDashboard(ATTACK_BASE, background=False)
    sa = SecAggDashboard(background=False)
    try:
        assert dp.controls["dp_noise_multiplier"].description == "noise multiplier σ"
        assert "common in deployments (1 < ε ≤ 10)" in dp.message
        assert [t.get_text() for t in dp.plot.axes[1].texts][0] == "ε ≤ 1: strong"
        assert dp.plot.signal_line.get_label() == r"$S/\sqrt{p}$ (update)"
        assert atk.controls["attack"].label == "sign_flip"
        assert atk.message.startswith("attackers: 3 of 10 clients (sign_flip); defence median")
        assert sa.message.startswith("dropped: 2 of 10 clients (t = 6); secure sum == plain "
                                     "sum: True")
        ticks = [t.get_text() for t in sa.plot.ax_bytes.get_xticklabels()]
        assert ticks == list(SecAggPlot.LABELS)
        assert tr(privacy.DIVERGED, message="x") == "Diverged: x"
    finally:
        for d in (dp, atk, sa):
            plt.close(d.fig)


def test_the_glyph_check_catches_chinese_next_to_mathtext(zh):
    """Not vacuous: a Chinese text with $...$ in it loses its CJK glyphs (mathtext fonts)."""
    fig, ax = plt.subplots()
    try:
        ax.set_ylabel(r"已花费的 $\varepsilon$")
        assert missing_glyphs(fig)
        ax.set_ylabel("已花费的 ε")
        assert missing_glyphs(fig) == []
    finally:
        plt.close(fig)
