"""Process-wide set-up of the server that every session shares, done once on the first run.

Streamlit collects garbage after every script run of every session (``gc.collect(2)``, the
``runner.postScriptGC`` option). A full collection walks every object the collector tracks, and
a process that has imported torch, torchvision, timm, plotly, pandas and cnnplay tracks about
470,000 of them: ~250 ms a collection on this 2-core machine, during which the server sends
nothing (the collection holds the GIL), so every widget change waited for it. Those objects live
as long as the process, so :func:`prepare_process` imports them all up front and moves them out
of the collector's way with ``gc.freeze()``; each collection then only walks what sessions
created since (measured in BENCHMARKS.md). Switching the post-run collection off instead would
trade the wait for memory that grows with every reference cycle a rerun leaves.
"""

from __future__ import annotations

import gc
import importlib
import pkgutil
import threading
import time

import cnnplay
from cnnplay.device import configure_torch_threads

# Libraries every page ends up importing; cnnplay's own modules are walked below.
LIBRARIES = ("torch", "torchvision", "timm", "plotly.graph_objects", "pandas", "cv2", "PIL.Image")

_lock = threading.Lock()
_prepared: dict[str, float] = {}  # filled once: what the set-up did (for the sidebar / tests)


def prepare_process() -> dict[str, float]:
    """Bound torch's threads, import what the pages use, then freeze the start-up objects out of
    the garbage collector. Idempotent and thread-safe: the first session's first run does the
    work, later calls return its figures (``threads``, ``frozen`` objects, ``seconds``)."""
    with _lock:
        if _prepared:
            return _prepared
        start = time.perf_counter()
        threads = configure_torch_threads()
        for name in LIBRARIES:
            importlib.import_module(name)
        for module in pkgutil.walk_packages(cnnplay.__path__, "cnnplay."):
            importlib.import_module(module.name)
        gc.collect()
        gc.freeze()
        _prepared.update(
            threads=float(threads),
            frozen=float(gc.get_freeze_count()),
            seconds=time.perf_counter() - start,
        )
        return _prepared
