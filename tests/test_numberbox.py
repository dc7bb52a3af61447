"""Typed slider values are checked in Python and what changed is said in the status line.

The slider's own readout silently clamps or reverts what was typed (in the browser), so every
slider of every dashboard gets a text box instead (``dash.boxes[name].text``): typing there
is typing what a student types.
"""

from __future__ import annotations

import math

import ipywidgets as W
import pytest

import fedlearn_edu.widgets as widgets
from fedlearn_edu import FedConfig
from fedlearn_edu.widgets.base import Dashboard
from fedlearn_edu.widgets.intro import FedAvgDashboard
from fedlearn_edu.widgets.numberbox import SLIDERS, NumberBox, bounds, read_typed


@pytest.fixture(autouse=True)
def close_figures():
    yield
    import matplotlib.pyplot as plt

    plt.close("all")


def clients():
    return W.IntSlider(10, min=1, max=200, description="clients")


@pytest.mark.parametrize("text, value, words", [
    ("99999", 200, "clients: 99999 is above the maximum 200 — set to 200"),
    ("-5", 1, "clients: -5 is below the minimum 1 — set to 1"),
    ("abc", 10, "clients: 'abc' is not a number — kept 10"),
    ("nan", 10, "clients: 'nan' is not a number — kept 10"),
    ("", 10, "clients: '' is not a number — kept 10"),
    ("inf", 200, "clients: inf is above the maximum 200 — set to 200"),
    ("7.6", 8, "clients: 7.6 is not a whole number — set to 8"),
    (" 42 ", 42, ""),
    ("1e2", 100, ""),
])
def test_int_slider_text(text, value, words):
    got, note = read_typed(clients(), text)
    assert got == value and type(got) is int
    assert note == words


def test_float_slider_rounds_to_its_steps():
    s = W.FloatSlider(0.5, min=0.05, max=1.0, step=0.05, description="fraction C")
    for typed in (0.05, 0.3, 0.35, 0.95, 1.0):  # on the grid: taken as typed, no note
        assert read_typed(s, str(typed)) == (pytest.approx(typed), "")
    value, note = read_typed(s, "0.33")
    assert value == pytest.approx(0.35) and "set to 0.35" in note and "steps of 0.05" in note
    k = (0.33 - s.min) / s.step  # the grid point nearest to the typed value
    assert value == pytest.approx(s.min + math.floor(k + 0.5) * s.step)
    assert read_typed(s, "3")[0] == 1.0 and "above the maximum 1.00" in read_typed(s, "3")[1]


def test_log_slider_bounds_are_powers_of_its_base():
    s = W.FloatLogSlider(0.1, base=10, min=-3, max=1, step=0.1, description="lr")
    assert bounds(s) == (pytest.approx(1e-3), pytest.approx(10.0))
    assert read_typed(s, "0.05") == (0.05, "")  # between the steps is fine on a log scale
    assert read_typed(s, "1e9") == (pytest.approx(10.0),
                                    "lr: 1e9 is above the maximum 10 — set to 10")
    value, note = read_typed(s, "0")
    assert value == pytest.approx(1e-3)
    assert note == "lr: 0 is below the minimum 0.001 — set to 0.001"


def test_box_follows_the_slider_and_sets_it():
    s, notes = clients(), []
    box = NumberBox(s, lambda note, value: notes.append((note, value)))
    assert s.readout is False and box.text.value == "10"
    s.value = 33
    assert box.text.value == "33" and notes == []  # a slider move is not typing
    box.text.value = "99999"
    assert s.value == 200 and box.text.value == "200" and notes[-1][1] == 200
    box.text.value = "abc"
    assert s.value == 200 and box.text.value == "200" and "not a number" in notes[-1][0]


def test_shared_layout_is_not_narrowed_twice():
    lay = W.Layout(width="430px")
    a, b = (W.IntSlider(1, min=0, max=9, layout=lay) for _ in range(2))
    NumberBox(a, lambda *_: None), NumberBox(b, lambda *_: None)
    assert a.layout.width == b.layout.width == "366px" and lay.width == "430px"


def all_dashboards():
    return [getattr(widgets, n) for n in widgets.__all__
            if isinstance(getattr(widgets, n), type) and issubclass(getattr(widgets, n), Dashboard)
            and getattr(widgets, n) is not Dashboard]


def tree(widget):
    yield widget
    for child in getattr(widget, "children", ()):
        yield from tree(child)


@pytest.mark.parametrize("cls", all_dashboards(), ids=lambda c: c.__name__)
def test_every_slider_of_every_dashboard_says_what_it_changed(cls, monkeypatch):
    dash = cls(background=False, autostart=False)
    sliders = {k: c for k, c in dash.controls.items() if isinstance(c, SLIDERS)}
    assert sliders and set(dash.boxes) == set(sliders)
    shown = set(map(id, tree(dash.widget)))
    monkeypatch.setattr(dash, "refresh", lambda: None)  # no runs: only the words are checked
    for name, s in sliders.items():
        box = dash.boxes[name]
        assert id(box.text) in shown and not s.readout, name
        box.text.value = "99999"
        high = bounds(s)[1]
        assert s.value == pytest.approx(high), name
        assert "above the maximum" in dash.message and dash.level == "warning", name
        box.text.value = "abc"
        assert s.value == pytest.approx(high) and "not a number" in dash.message, name


def test_the_note_stays_through_the_run_and_goes_with_the_next_move():
    dash = FedAvgDashboard(FedConfig(rounds=3, local_epochs=1), background=False)
    runs = dash.runs
    dash.boxes["num_clients"].text.value = "99999"
    top = dash.controls["num_clients"].max
    assert dash.runs == runs + 1 and dash.history.config.num_clients == top
    assert dash.message.startswith(f"clients: 99999 is above the maximum {top} — set to {top}")
    assert dash.level == "warning" and "FedAvg test accuracy" in dash.message
    dash.boxes["num_clients"].text.value = "abc"  # nothing to recompute: the note alone
    assert dash.runs == runs + 1 and dash.message.startswith("clients: 'abc' is not a number")
    dash.controls["rounds"].value = 4  # any other change: the note is gone
    assert "clients:" not in dash.message and dash.level == "info"
    dash.boxes["rounds"].text.value = "2"  # a value taken as typed: no note
    assert dash.controls["rounds"].value == 2 and dash.level == "info"
    assert dash.history.config.rounds == 2
