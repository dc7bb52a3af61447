"""The parts every dashboard shares (widgets/base.py), in Chinese: progress bar, reset button,
"computing…", "done", the "Setting not allowed" prefix and the unexpected-error line.

A toy dashboard with one slider exercises each path; the engine-like error texts it raises
stay English after the translated prefix (as the engine's do). The English build is unchanged.
"""

from __future__ import annotations

import re

import ipywidgets as W
import matplotlib
import pytest

matplotlib.use("agg")
import matplotlib.pyplot as plt  # noqa: E402

from fedlearn_edu.i18n import set_language  # noqa: E402
from fedlearn_edu.i18n.table import ZH  # noqa: E402
from fedlearn_edu.plots.base import new_figure  # noqa: E402
from fedlearn_edu.widgets.base import Dashboard  # noqa: E402

HAN = re.compile(r"[\u4e00-\u9fff]")


class Toy(Dashboard):
    """x = 0 is refused by prepare, 4 crashes, 5 raises a TypeError in compute; else fine."""

    def make_controls(self):
        return {"x": W.IntSlider(1, min=0, max=5, description="x")}

    def make_figure(self):
        fig, self.ax = new_figure(figsize=(3.0, 2.0))
        return fig

    def prepare(self, values):
        if values["x"] == 0:
            raise ValueError("x must be >= 1, got 0")
        return values

    def compute(self, values, report):
        if values["x"] == 4:
            raise RuntimeError("boom")
        if values["x"] == 5:
            raise TypeError("five is not allowed here")
        report(1, 1)
        return values["x"]


def build():
    said = []
    d = Toy(background=False, autostart=False)
    orig = d.show_message
    d.show_message = lambda text, level="info": (said.append((text, level)), orig(text, level))
    return d, said


def test_shared_parts_are_chinese(zh):
    d, said = build()
    try:
        assert d.progress.description == "进度" == ZH["progress"]
        assert d.reset_button.description == "恢复默认值" == ZH["Reset to defaults"]
        d.refresh()
        assert ("计算中…", "info") in said
        assert d.message == "完成" and d.level == "info" and d.result == 1
        assert HAN.search(d.status.value)
    finally:
        plt.close(d.fig)


@pytest.mark.parametrize("x, expected", [
    (0, "该设置不允许：x must be >= 1, got 0"),  # refused by prepare
    (5, "该设置不允许：five is not allowed here"),  # a TypeError inside compute
    (4, "出错了（RuntimeError）：boom"),  # anything else: no traceback, a Chinese line
])
def test_error_lines_are_chinese_with_the_english_detail(zh, x, expected):
    d, _ = build()
    try:
        d.controls["x"].value = x
        assert d.level == "error" and d.message == expected
        assert "⛔" in d.status.value
    finally:
        plt.close(d.fig)


def test_reset_button_restores_defaults_in_chinese(zh):
    d, _ = build()
    try:
        d.controls["x"].value = 0
        assert d.level == "error"
        d.reset_button.click()
        assert d.values() == {"x": 1} and d.message == "完成"
    finally:
        plt.close(d.fig)


def test_english_build_is_unchanged():
    d, said = build()
    try:
        assert d.progress.description == "progress"
        assert d.reset_button.description == "Reset to defaults"
        d.refresh()
        assert ("computing…", "info") in said and d.message == "done"
        d.controls["x"].value = 0
        assert d.message == "Setting not allowed: x must be >= 1, got 0"
        d.controls["x"].value = 4
        assert d.message == "RuntimeError: boom"
    finally:
        plt.close(d.fig)


def test_language_is_read_when_the_dashboard_is_built(zh):
    """A dashboard built before the switch keeps its language; one built after follows it."""
    set_language("en")
    before = Toy(background=False, autostart=False)
    set_language("zh")
    after = Toy(background=False, autostart=False)
    try:
        assert before.reset_button.description == "Reset to defaults"
        assert after.reset_button.description == "恢复默认值"
    finally:
        plt.close(before.fig)
        plt.close(after.fig)
