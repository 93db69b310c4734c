"""ui.server.prepare_process: once per process, torch threads bounded and the start-up objects
frozen out of the garbage collector (so Streamlit's collection after every run stays short)."""

from __future__ import annotations

import gc

import pytest

from ui import server


@pytest.fixture
def fresh_process(monkeypatch):
    monkeypatch.setattr(server, "_prepared", {})
    yield
    gc.unfreeze()  # give the test process's objects back to the collector


def test_freezes_the_start_up_objects_once(fresh_process):
    tracked_before = len(gc.get_objects())
    first = server.prepare_process()
    assert first["frozen"] >= gc.get_freeze_count() > 0.5 * tracked_before
    assert len(gc.get_objects()) < 0.1 * first["frozen"]  # a full collection walks only these
    assert server.prepare_process() is first  # the second call does nothing
    assert first["threads"] >= 1


def test_every_cnnplay_module_is_imported(fresh_process):
    import sys

    server.prepare_process()
    for name in ("cnnplay.detection.detector", "cnnplay.segmentation.unet", "cnnplay.text.models"):
        assert name in sys.modules
