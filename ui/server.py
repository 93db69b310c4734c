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

A daemon thread started here keeps the server's memory in check for the life of the process:

- every :data:`SWEEP_EVERY_S` seconds it closes the sessions of browsers that have gone
  (``ui/sessions.py``: Streamlit itself lets go of them only when another session leaves later),
  and once the last one is gone it clears the shared data caches;
- memory that sessions free (a closed session's models and features, a finished training run's
  batches, a sliding-window pass's activations) goes back to glibc's heap, not to the system,
  so the process's RSS stayed at its peak: the thread calls ``malloc_trim(0)`` every
  :data:`TRIM_EVERY_S` seconds and after sessions were closed (~30 ms, without the GIL), which
  hands the free pages back (measured when it came: 1,320 -> 1,003 MB after a heavy visit of
  three pages). A training slot and a progress bar (``ui/run_limit.py``, ``ui/progress.py``)
  also trim when their work ends, so the next heavy step does not stack on what the last one
  freed (one student's heaviest visit: peak 1,719-1,758 -> 1,548-1,580 MB). Not on other C
  libraries. The threads share two heap arenas
  (:func:`limit_arenas`), so what sessions free is not scattered where trimming cannot reach.
"""

from __future__ import annotations

import ctypes
import ctypes.util
import functools
import gc
import importlib
import logging
import os
import pkgutil
import threading
import time

import cnnplay
from cnnplay.device import configure_torch_threads
from ui.sessions import release_if_idle, sweep_gone_sessions

# Libraries every page ends up importing; cnnplay's own modules are walked below.
LIBRARIES = ("torch", "torchvision", "timm", "plotly.graph_objects", "pandas", "cv2", "PIL.Image")

TRIM_EVERY_S = 60.0  # how often freed heap memory is handed back to the system
SWEEP_EVERY_S = float(os.environ.get("CNNPLAY_SWEEP_EVERY_S", "15"))  # gone browsers looked for

_lock = threading.Lock()
_prepared: dict[str, float] = {}  # filled once: what the set-up did (for the sidebar / tests)


def prepare_process() -> dict[str, float]:
    """Bound torch's threads, import what the pages use, freeze the start-up objects out of the
    garbage collector, bound the heap arenas and start the housekeeping thread (session
    sweeper, memory trimmer). Idempotent and thread-safe: the first session's first run does
    the work, later calls return its figures (``threads``, ``frozen`` objects, ``seconds``,
    ``trimming``: 1.0 when the trimmer runs, ``arenas``: the bound, 0 when not set)."""
    with _lock:
        if _prepared:
            return _prepared
        start = time.perf_counter()
        arenas = limit_arenas()
        threads = configure_torch_threads()
        for name in LIBRARIES:
            importlib.import_module(name)
        limit_numpy_threads()
        for module in pkgutil.walk_packages(cnnplay.__path__, "cnnplay."):
            importlib.import_module(module.name)
        gc.collect()
        gc.freeze()
        trimming = start_housekeeping()
        _prepared.update(
            threads=float(threads),
            frozen=float(gc.get_freeze_count()),
            seconds=time.perf_counter() - start,
            trimming=float(trimming),
            arenas=float(ARENAS if arenas else 0),
        )
        return _prepared


def limit_numpy_threads() -> bool:
    """One thread for numpy's own BLAS (OpenBLAS): its pool, like torch's, is process-wide, and
    two pools spinning on the same cores make a 156 × 1,280 SVD take 783 ms instead of 60 ms
    on this project's 2-core machine (What a CNN learned's maps). torch's pools are set by
    configure_torch_threads. Returns False where threadpoolctl is not installed."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return False
    threadpool_limits(limits=1, user_api="blas")
    return True


@functools.cache
def _libc():
    """The C library, looked up once (find_library runs ldconfig); None where not found."""
    try:
        return ctypes.CDLL(ctypes.util.find_library("c"))
    except (OSError, TypeError):
        return None


def _malloc_trim():
    """glibc's ``malloc_trim``; None elsewhere."""
    return getattr(_libc(), "malloc_trim", None)


M_ARENA_MAX = -8  # glibc's mallopt parameter: how many heap arenas threads may spread over
ARENAS = 2  # the server's bound (glibc's default: 8 per core)


def limit_arenas(arenas: int = ARENAS) -> bool:
    """Let the server's threads share at most ``arenas`` glibc heap arenas (``mallopt``).

    Streamlit runs each session's script in a thread of its own, and glibc gives threads
    arenas of their own, up to 8 per core: memory a session freed stays scattered over many
    half-used arenas that ``malloc_trim`` cannot hand back. With two arenas, a class of 30 for
    four minutes left the server at +6 % of its warm memory instead of +22 % once everyone had
    gone, with a lower peak (1,636 vs 1,780 MB) and the same latency (BENCHMARKS.md). Affects
    the arenas created afterwards; False where the C library has no ``mallopt``."""
    mallopt = getattr(_libc(), "mallopt", None)
    return bool(mallopt is not None and mallopt(M_ARENA_MAX, arenas) == 1)


def trim_memory() -> bool:
    """Hand the heap's free pages back to the system (glibc's ``malloc_trim(0)``); False where
    the C library has no such call."""
    trim = _malloc_trim()
    if trim is None:
        return False
    trim(0)
    return True


def housekeeping_step(collect: bool, trim_due: bool) -> bool:
    """One round of the housekeeping thread: collect the garbage of the sessions closed last
    round (closing happens on Streamlit's event loop, after the sweep returns), close the
    sessions of gone browsers, clear the shared data caches once the last session is gone,
    hand free heap pages back when due or after a collection. Returns whether something was
    let go (so the next round collects)."""
    if collect:
        gc.collect()
    closed = sweep_gone_sessions()
    released = release_if_idle()
    if collect or trim_due:
        trim_memory()
    return closed > 0 or released


def start_housekeeping(every_s: float = SWEEP_EVERY_S, trim_every_s: float = TRIM_EVERY_S) -> bool:
    """Start the daemon thread that runs :func:`housekeeping_step` every ``every_s`` seconds
    (trimming every ``trim_every_s``) for the life of the process, once per process; False
    where trimming is not available (the thread still sweeps sessions)."""
    available = trim_memory()
    if any(t.name == "cnnplay-housekeeping" for t in threading.enumerate()):
        return available

    def loop() -> None:
        collect, last_trim = False, time.monotonic()
        while True:
            time.sleep(every_s)
            trim_due = available and time.monotonic() - last_trim >= trim_every_s
            try:
                collect = housekeeping_step(collect, trim_due)
            except Exception:  # noqa: BLE001 - the thread must outlive one bad round
                logging.getLogger(__name__).exception("cnnplay housekeeping round failed")
                collect = False
            if trim_due or collect:
                last_trim = time.monotonic()

    threading.Thread(target=loop, name="cnnplay-housekeeping", daemon=True).start()
    return available
