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


ARENA_PROBE = """
import ctypes, sys, threading
from ui.server import limit_arenas
if sys.argv[1] == "limit":
    assert limit_arenas(2)
held, barrier = [], threading.Barrier(8)
def work():
    barrier.wait()  # eight threads allocating at once, as eight sessions' scripts do
    held.append([ctypes.create_string_buffer(2000) for _ in range(3000)])
threads = [threading.Thread(target=work) for _ in range(8)]
for t in threads: t.start()
for t in threads: t.join()
ctypes.CDLL(None).malloc_stats()  # one "Arena N:" block per arena, on stderr
"""


def test_threads_share_two_heap_arenas():
    """Without the bound, eight threads allocating at once spread over several glibc arenas;
    with it, over two (each in a fresh interpreter: the bound is process-wide)."""
    import subprocess
    import sys

    def arenas(mode: str) -> int:
        run = subprocess.run(
            [sys.executable, "-c", ARENA_PROBE, mode],
            cwd=Path(server.__file__).resolve().parents[1],
            capture_output=True,
            text=True,
            timeout=60,
            check=True,
        )
        return sum(line.startswith("Arena ") for line in run.stderr.splitlines())

    assert arenas("limit") == 2
    assert arenas("free") > 2


def test_numpy_blas_gets_one_thread():
    from threadpoolctl import threadpool_info, threadpool_limits

    from ui.server import limit_numpy_threads

    before = {i["prefix"]: i["num_threads"] for i in threadpool_info() if i["user_api"] == "blas"}
    try:
        assert limit_numpy_threads() is True
        blas = [i for i in threadpool_info() if i["user_api"] == "blas"]
        assert blas and all(i["num_threads"] == 1 for i in blas)
        assert all(i["num_threads"] >= 1 for i in threadpool_info() if i["user_api"] != "blas")
    finally:
        threadpool_limits(limits=before)
