"""``default_result``: a dashboard's result at its default settings, kept apart from the live one.

Cells after a dashboard check real numbers on it, never on ``dash.result`` (a student may have
moved every slider). Mix :class:`KeepsDefault` in before :class:`~.base.Dashboard`, call
``self._keep(job, result)`` in ``compute`` and give the class ``run_quietly(job) -> result``
(the same computation without drawing).
"""

from __future__ import annotations


class KeepsDefault:
    """``default_result``: kept from the run that had the default settings, or computed by
    ``run_quietly`` (no drawing) if the student changed a control before that run finished."""

    _default = None

    def _keep(self, job, result) -> None:
        if self._default is None and job == self.prepare(self.defaults):
            self._default = result

    @property
    def default_result(self):
        if self._default is None:
            self._default = self.run_quietly(self.prepare(self.defaults))
        return self._default

    def run_quietly(self, job):
        raise NotImplementedError
