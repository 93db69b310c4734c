"""Timing helpers the benchmark scripts share."""

from __future__ import annotations

import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path

import numpy as np
import torch

from cnnplay.device import get_device

PAGES_DIR = Path(__file__).resolve().parents[1] / "views"


def timeit(fn: Callable[[], object], repeats: int) -> list[float]:
    """Wall times in ms of ``repeats`` calls, after one warm-up call (CUDA synchronised)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if get_device().type == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: Sequence[float]) -> str:
    q = statistics.quantiles(times, n=10)
    return f"median {statistics.median(times):7.2f} ms   p10 {q[0]:7.2f}   p90 {q[-1]:7.2f}"


def rerun_times(page: str, edits: Sequence[Callable], changes: int = 20, seed: int = 0) -> list:
    """Server-side time (ms) of a page's rerun after each of ``changes`` widget changes.

    page: file name in views/ (e.g. "kernels.py"). edits: functions ``f(at, rng)`` that change
    one widget of an AppTest; they are applied in turn. Fails on any exception in the page.
    """
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PAGES_DIR / page), default_timeout=120).run()
    return edit_times(at, edits, changes, np.random.default_rng(seed))


def edit_times(at, edits: Sequence[Callable], changes: int, rng: np.random.Generator) -> list:
    """Time (ms) of ``at.run()`` after each of ``changes`` edits ``f(at, rng)`` of an AppTest
    that has run (applied in turn; no edits: plain reruns). Fails on any exception."""
    times = []
    for n in range(changes):
        if edits:
            edits[n % len(edits)](at, rng)
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1000)
        assert not at.exception, at.exception
    return times
