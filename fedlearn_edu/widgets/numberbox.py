"""A typed number beside every slider, checked in Python and answered in words.

An ipywidgets slider's own readout can be typed into, but the browser handles what was
typed: ``abc`` silently goes back to the old value and ``99999`` silently becomes the
maximum; the kernel only ever sees the result. So every dashboard's sliders get their readout
replaced by a :class:`NumberBox`: a text box whose raw text reaches the kernel, where
:func:`read_typed` turns it into the value the slider can take and says what it changed
("clients: 99999 is above the maximum 200 — set to 200"). The dashboard shows that note in
its status line (:class:`TypedNotes`).
"""

from __future__ import annotations

import math

import ipywidgets as W

from ..i18n import tr

SLIDERS = (W.IntSlider, W.FloatSlider, W.FloatLogSlider)  # range sliders keep their readout
BOX_PX = 64  # width of the box; taken from the slider's own width when that is in px


def _label(slider) -> str:
    return (slider.description or "value").strip()


def _show(slider, value) -> str:
    return format(value, slider.readout_format) if slider.readout_format else str(value)


def bounds(slider) -> tuple[float, float]:
    """The smallest and largest value ``slider`` takes (a log slider's min/max are exponents)."""
    if isinstance(slider, W.FloatLogSlider):
        return slider.base ** slider.min, slider.base ** slider.max
    return slider.min, slider.max


def read_typed(slider, text: str) -> tuple[object, str]:
    """``(value, note)``: the value ``slider`` takes for the typed ``text`` and what was
    changed, in words (``""`` when ``text`` was taken as it is). Out of range is clamped, a
    non-number keeps the slider's value, and a linear slider's value is rounded to its steps."""
    label, current = _label(slider), slider.value
    try:
        typed = float(str(text).strip())
    except ValueError:
        typed = math.nan
    if math.isnan(typed):
        return current, tr("{label}: {text!r} is not a number — kept {value}", label=label,
                           text=str(text).strip(), value=_show(slider, current))
    low, high = bounds(slider)
    shown = str(text).strip()
    if typed > high:
        value = slider.max if isinstance(slider, W.IntSlider) else high
        return value, tr("{label}: {text} is above the maximum {high} — set to {high}",
                         label=label, text=shown, high=_show(slider, value))
    if typed < low:
        value = slider.min if isinstance(slider, W.IntSlider) else low
        return value, tr("{label}: {text} is below the minimum {low} — set to {low}",
                         label=label, text=shown, low=_show(slider, value))
    if isinstance(slider, W.FloatLogSlider):
        return typed, ""
    steps = round((typed - slider.min) / slider.step)
    value = min(max(slider.min + steps * slider.step, slider.min), slider.max)
    if isinstance(slider, W.IntSlider):
        value = int(value)
    else:  # keep the decimals of the step, not the float noise of min + k * step
        value = round(value, max(0, -math.floor(math.log10(slider.step))) + 6)
    if math.isclose(value, typed, rel_tol=1e-9, abs_tol=1e-12):
        return value, ""
    if isinstance(slider, W.IntSlider) and slider.step == 1:
        return value, tr("{label}: {text} is not a whole number — set to {value}",
                         label=label, text=shown, value=value)
    return value, tr("{label}: {text} is not on the slider's steps of {step} — set to {value}",
                     label=label, text=shown, step=slider.step, value=_show(slider, value))


class NumberBox:
    """The text box that replaces a slider's readout; ``widget`` is the slider and the box.

    ``on_typed(note, value)`` is called with what :func:`read_typed` said, before the slider
    is set to ``value`` (which recomputes the dashboard as any slider move does)."""

    def __init__(self, slider, on_typed):
        self.slider, self.on_typed, self._echo = slider, on_typed, False
        slider.readout = False
        width = str(slider.layout.width or "")
        if width.endswith("px"):  # keep the row as wide as the slider with its readout was
            state = {k: v for k, v in slider.layout.get_state().items()
                     if not k.startswith("_") and v is not None}
            state["width"] = f"{max(float(width[:-2]) - BOX_PX, 2 * BOX_PX):g}px"
            slider.layout = W.Layout(**state)  # a copy: dashboards share one Layout object
        self.text = W.Text(_show(slider, slider.value), continuous_update=False,
                           layout=W.Layout(width=f"{BOX_PX}px"))
        W.dlink((slider, "disabled"), (self.text, "disabled"))
        self.widget = W.HBox([slider, self.text])
        slider.observe(self._moved, names="value")
        self.text.observe(self._typed, names="value")

    def _moved(self, change) -> None:
        self._echo = True
        try:
            self.text.value = _show(self.slider, change["new"])
        finally:
            self._echo = False

    def _typed(self, change) -> None:
        if self._echo:
            return
        value, note = read_typed(self.slider, change["new"])
        self.on_typed(note, value)
        if value != self.slider.value:
            self.slider.value = value
        self._moved({"new": self.slider.value})  # the box shows what the slider took


class TypedNotes:
    """Dashboard part: a :class:`NumberBox` for every slider, and its note kept in the status
    line (before the run's own text) until a control changes another way."""

    def make_number_boxes(self) -> None:
        self._note, self._note_for = "", None
        self._said = ("", "info")
        self.boxes = {name: NumberBox(c, self._make_on_typed(c))
                      for name, c in self.controls.items() if isinstance(c, SLIDERS)}
        for name, box in self.boxes.items():
            box.text.add_class(f"fedlearn-box-{name}")  # CSS hook for the browser test

    def control_view(self, name: str) -> W.Widget:
        """What the layout shows for control ``name``: the slider with its box, or itself."""
        box = self.boxes.get(name)
        return box.widget if box is not None else self.controls[name]

    def _make_on_typed(self, slider):
        def on_typed(note: str, value) -> None:
            self._note, self._note_for = note, (slider, value)
            self.show_message(*self._said)  # also when the slider does not move

        return on_typed

    def _forget_note(self, change) -> None:
        """A control changed: keep the note only if this is the change its box made."""
        if self._note and self._note_for != (change["owner"], change["new"]):
            self._note, self._note_for = "", None

    def _with_note(self, text: str, level: str) -> tuple[str, str]:
        self._said = (text, level)
        if not self._note:
            return text, level
        text = f"{self._note}. {text}" if text else self._note
        return text, "warning" if level == "info" else level
