"""ui.server.prepare_process: once per process, torch threads bounded and the start-up objects
frozen out of the garbage collector (so Streamlit's collection after every run stays short)."""

from __future__ import annotations

import gc
import re
import threading
from pathlib import Path

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


def test_memory_trimming_hands_freed_heap_pages_back():
    """glibc keeps freed heap pages; malloc_trim gives them back (the RSS falls)."""

    def rss_mb() -> float:
        status = Path("/proc/self/status").read_text()
        return int(re.search(r"VmRSS:\s+(\d+)", status).group(1)) / 1024

    assert server.trim_memory()
    chunks = [bytearray(4096) for _ in range(50_000)]  # ~200 MB of small heap blocks
    del chunks[:-1]  # freed, but the last block pins the top of the heap
    before = rss_mb()
    assert server.trim_memory()
    assert rss_mb() < before - 100  # most of the 200 MB went back to the system
    assert server.start_housekeeping(every_s=3600)  # the daemon thread, once
    assert server.start_housekeeping(every_s=3600)
    assert sum(t.name == "cnnplay-housekeeping" for t in threading.enumerate()) == 1
