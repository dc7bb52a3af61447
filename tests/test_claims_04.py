"""Notebook 04's "Things to try", each proved on the dashboard exactly as a student sets it."""

from __future__ import annotations

import numpy as np
import pytest
from claims import claim

from fedlearn_edu.widgets.systems import SystemsDashboard


@pytest.fixture(autouse=True)
def one_blas_thread():
    from threadpoolctl import threadpool_limits

    with threadpool_limits(limits=1):
        yield


@pytest.fixture
def dash():
    return SystemsDashboard(background=False)


def round_times(hist):
    return np.diff(np.r_[0.0, hist.wall_clock[: hist.completed]])


@claim("04", "mean latency 0 → 2000 ms in sync")
def test_latency_stretches_the_sync_curve(dash):
    dash.set_values(latency_ms=0, mode="sync")
    near = dash.result["sync"].history
    dash.set_values(latency_ms=2000)
    far = dash.result["sync"].history
    np.testing.assert_array_equal(far.test_accuracy, near.test_accuracy)  # same shape ...
    # ... further right: every round pays >= 2 messages of the slowest client's latency
    assert far.wall_clock[-1] > near.wall_clock[-1] + 20 * 2 * 1.0
    assert np.all(round_times(far) > round_times(near))


@claim("04", "stragglers 0.6 with mode deadline and a 1 s deadline")
def test_deadline_makes_short_rounds_with_fewer_clients(dash):
    dash.set_values(straggler_fraction=0.6, mode="deadline", deadline_s=1.0)
    assert dash.level == "info", dash.message
    h, hs = dash.result["chosen"].history, dash.result["sync"].history
    assert round_times(h).max() <= 1.0 + 1e-9 < round_times(hs).mean()  # short rounds
    assert h.num_participants.mean() < 0.6 * hs.num_participants.mean()  # fewer clients


@claim("04", "mode async or fedbuff")
@pytest.mark.parametrize("mode", ["async", "fedbuff"])
def test_asynchronous_modes_never_wait(dash, mode):
    dash.set_values(mode=mode)
    assert dash.level == "info", dash.message
    assert len(dash.plot.gantt.collections["idle"].get_paths()) == 0  # no grey idle bars
    jobs = dash.result["chosen"].timeline.record(dash.controls["round"].value)
    start, end = np.sort(jobs["start"]), np.sort(jobs["end"])
    assert start[1] < end[0]  # the next job started before the first one ended: overlap
    sync = dash.result["sync"].history
    assert dash.result["chosen"].history.wall_clock[-1] < 0.5 * sync.wall_clock[-1]


@claim("04", "clients 3 with mode fedbuff")
def test_fedbuff_needs_a_full_buffer(dash):
    runs = dash.runs
    dash.set_values(num_clients=3, mode="fedbuff")
    assert dash.level == "error" and dash.message.startswith("Setting not allowed")
    assert "buffer_size must be <= clients per round (3)" in dash.message
    assert dash.runs == runs  # refused before running
