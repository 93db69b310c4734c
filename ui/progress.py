"""Progress bars for long work: a ``cnnplay`` callback ``on_progress(step, total, metrics)`` drawn
as one ``st.progress`` bar, removed when the work ends (also on an error or a Stop)."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from contextlib import contextmanager

import streamlit as st

from cnnplay.progress import ProgressFn
from ui.server import trim_memory

Describe = Callable[[int, int, dict], str]  # (step, total, metrics) -> the bar's text


def duration(seconds: float) -> str:
    """A short human duration: "8 s", "2 min 05 s"."""
    seconds = max(0, round(seconds))
    return f"{seconds} s" if seconds < 90 else f"{seconds // 60} min {seconds % 60:02d} s"


def time_left(elapsed: float, done: int, total: int) -> str:
    """Estimated time left (", about 12 s left") from ``elapsed`` seconds over ``done`` of
    ``total`` steps, at the same time per step; "" before the first step is timed."""
    if done <= 0 or total <= done:
        return ""
    return f", about {duration(elapsed / done * (total - done))} left"


def megabytes(step: int, total: int, metrics: dict) -> str:
    """A download's text: "3.2 of 19.0 MB"."""
    return f"{step / 2**20:.1f} of {total / 2**20:.1f} MB"


def steps(step: int, total: int, metrics: dict) -> str:
    """A count's text: "12/40"."""
    return f"{step}/{total}"


@contextmanager
def progress_bar(text: str, describe: Describe = steps, where=st) -> Iterator[ProgressFn]:
    """``with progress_bar("Downloading SST-2…", megabytes) as on_progress: download(on_progress)``

    The bar starts empty with ``text`` and then shows ``text`` followed by ``describe(...)``;
    ``where`` is ``st`` or a container. The bar is removed when the block ends, however it ends,
    and the heap's free pages go back to the system then (long work frees large buffers)."""
    bar = where.progress(0.0, text=text)

    def on_progress(step: int, total: int, metrics: dict) -> None:
        bar.progress(
            min(1.0, step / max(total, 1)), text=f"{text} {describe(step, total, metrics)}"
        )

    try:
        yield on_progress
    finally:
        bar.empty()
        trim_memory()
