"""The one convention for long work: a progress callback and a stop check.

Every loop that takes more than a moment (training, feature extraction, occlusion, sliding
windows, downloads) takes ``on_progress(step, total, metrics)`` and, where it can be stopped,
``should_stop()``. The package never draws progress itself; a page turns the callback into a
progress bar and live curves (see ``ui.progress``).
"""

from __future__ import annotations

from collections.abc import Callable

ProgressFn = Callable[[int, int, dict], None]  # on_progress(step, total, metrics: name -> value)
StopFn = Callable[[], bool]  # should_stop() -> True to end the loop early
