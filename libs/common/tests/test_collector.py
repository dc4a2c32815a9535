"""The collector's settings for a service's process (tefu_common.collector)."""

from __future__ import annotations

import gc

import pytest

from tefu_common import collector


@pytest.fixture
def restored():
    thresholds, enabled = gc.get_threshold(), gc.isenabled()
    yield
    gc.unfreeze()
    gc.set_threshold(*thresholds)
    (gc.enable if enabled else gc.disable)()


def test_settle_freezes_what_lives_and_collects_young_objects_less_often(restored):
    gc.unfreeze()
    kept = [{"n": n} for n in range(1000)]  # alive at start-up: frozen, never walked again
    collector.settle()
    assert gc.get_freeze_count() >= len(kept)
    assert gc.get_threshold() == (collector.YOUNG_THRESHOLD, collector.MIDDLE_THRESHOLD, collector.OLD_THRESHOLD)
    cycle: list = []
    cycle.append(cycle)  # cycles are still found, later
    del cycle
    assert gc.collect() >= 1


def test_paused_stops_the_collector_for_the_work_and_restores_it(restored):
    gc.enable()
    with collector.paused():
        assert not gc.isenabled()
    assert gc.isenabled()
    with pytest.raises(ValueError), collector.paused():
        raise ValueError("the work failed")
    assert gc.isenabled()
    gc.disable()  # paused while already off: stays off
    with collector.paused():
        pass
    assert not gc.isenabled()
