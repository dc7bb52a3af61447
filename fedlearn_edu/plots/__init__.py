"""Matplotlib figures, one file per topic, updated in place (never imports ipywidgets)."""

from .base import ConvergencePlot, Redrawer, new_figure, plot_history

__all__ = ["ConvergencePlot", "Redrawer", "new_figure", "plot_history"]
