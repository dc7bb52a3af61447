"""The two ends of a dashboard's controls, for the "exploring never breaks it" test."""

from __future__ import annotations

import ipywidgets as W


def extreme_values(controls: dict, which: str) -> dict:
    """``{name: value}`` with every control at one end of its range: ``which="min"`` (sliders
    at their minimum, first option, boxes unticked) or ``"max"`` (maximum, last option,
    ticked). Controls without a range (free text) are left out."""
    if which not in ("min", "max"):
        raise ValueError(f"which must be 'min' or 'max', got {which!r}")
    low = which == "min"
    out = {}
    for name, c in controls.items():
        if isinstance(c, W.FloatLogSlider):  # its min/max are exponents
            out[name] = c.base ** (c.min if low else c.max)
        elif isinstance(c, W.IntRangeSlider | W.FloatRangeSlider):
            end = c.min if low else c.max
            out[name] = (end, end)
        elif hasattr(c, "min") and hasattr(c, "max"):
            out[name] = c.min if low else c.max
        elif isinstance(c, W.Checkbox | W.ToggleButton):
            out[name] = not low
        elif getattr(c, "options", None):
            opt = list(c.options)[0 if low else -1]
            out[name] = opt[1] if isinstance(opt, tuple) else opt
    return out
