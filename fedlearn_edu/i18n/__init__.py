"""The notebooks' language: English (default) or Chinese (``set_language("zh")``).

Dashboards and plots pass their visible texts through :func:`tr`; with Chinese selected,
``tr`` returns the Chinese text registered for the English one (tables in
:mod:`fedlearn_edu.i18n.texts`, one module per topic) and :func:`set_language` makes matplotlib
draw Chinese characters with a CJK font (see :mod:`.fonts`). The engine's own error messages
stay English; a dashboard shows them after a translated prefix.

    >>> from fedlearn_edu.i18n import set_language, tr
    >>> set_language("zh")
    >>> tr("{n} clients per round", n=10)
    '每轮 10 个客户端'
"""

from .language import LANGUAGES, get_language, set_language, tr

__all__ = ["LANGUAGES", "get_language", "set_language", "tr"]
