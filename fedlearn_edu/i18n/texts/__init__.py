"""Chinese texts, keyed by the English original: one module per topic, each defining ``ZH``.

A module added here (e.g. ``noniid.py`` for notebook 02's dashboard) is picked up by name;
two modules may not give one English text two different translations (a test checks).
"""
