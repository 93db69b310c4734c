"""What the tabs of the What a CNN learned page share: the network chosen above the tabs
(:class:`Net`), its stages, and the one pattern every image-making tab runs its optimisation
through (:func:`run_buttons` + :func:`optimise`): a Run and a Stop button, a place in the
server's training queue, a progress bar with the time left, the image shown as it forms, and
the result kept in this session's state — also when Stop interrupts the run.

Per-session state of the page (bounded): one :class:`Made` per image-making tab (the latest
image, at most 512×512×3 bytes, its loss history and the tab's small extras), replaced by the
next run, deleted by "Reset this page". The network is the shared, read-only one
(ui.models.shared_pretrained); nothing here changes it.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial
from typing import Any

import numpy as np
import streamlit as st
import torch

from cnnplay.models.pretrained import REGISTRY, PretrainedSpec, imagenet_categories
from cnnplay.models.stages import Stage, feature_stages
from cnnplay.progress import ProgressFn, StopFn
from ui.figures import show_figure
from ui.progress import time_left
from ui.run_limit import train_stop_row, training_slot

PREFIX = "wl"  # every widget and state key of the page starts with "wl_"
REDRAW_S = 0.4  # the live image and the bar are redrawn at most this often

show = partial(show_figure, width="stretch")


@dataclass(frozen=True)
class Net:
    """The network chosen above the tabs (a change reruns the page), read by every tab."""

    name: str  # REGISTRY key (the offline one if a download failed)
    model: torch.nn.Module  # ui.models.shared_pretrained(name): shared, read-only, no hooks

    @property
    def spec(self) -> PretrainedSpec:
        return REGISTRY[self.name]

    @property
    def short(self) -> str:
        """The name without its note: "EfficientNet-Lite0", "VGG-16"."""
        return self.name.split(" (")[0]


@st.cache_data(max_entries=4, show_spinner=False)
def categories() -> list[str]:
    """The 1,000 ImageNet class names, in the networks' output order."""
    return imagenet_categories()


@st.cache_data(max_entries=4, show_spinner="Listing the layers…")
def stages(name: str, _model: torch.nn.Module) -> list[Stage]:
    """The network's stages that give a feature map, shallowest first (one probe per network
    and server)."""
    return feature_stages(_model)


def stage_module(net: Net, index: int) -> str:
    """The module name of the network's stage ``index`` (e.g. "blocks.4"), "" if none has it:
    what the code panels name in a comment."""
    return next((s.name for s in stages(net.name, net.model) if s.index == index), "")


# --- the optimisation pattern --------------------------------------------------------------


@dataclass
class Made:
    """What an image-making run produced (or had produced when it was stopped)."""

    image: np.ndarray  # (H, W, 3) uint8, the latest image
    step: int  # optimisation steps done
    total: int  # steps asked for
    settings: Any  # the tab's settings dataclass the run was made with
    history: list[dict] = field(default_factory=list)  # metrics per reported step (no images)
    seconds: float = 0.0  # wall-clock time of the run so far
    stopped: bool = False  # Stop (or a page change) ended the run early
    extras: dict = field(default_factory=dict)  # what the tab's work returned besides the image


def made_key(slot: str) -> str:
    return f"{PREFIX}_{slot}_made"


def stop_key(slot: str) -> str:
    return f"{PREFIX}_{slot}_stop_flag"


def made(slot: str) -> Made | None:
    """This session's latest result of the tab ``slot`` (also a run a Stop interrupted), or
    None before the first run or after a run stopped before its first step."""
    result = st.session_state.get(made_key(slot))
    return None if result is None or result.step == 0 else result


def run_buttons(slot: str, label: str) -> bool:
    """The tab's Run button (``label``) beside Stop, and the training queue's line; returns
    whether Run was pressed. Call it outside a fragment (a click inside one would wait for the
    run to end)."""
    return train_stop_row(
        label, f"{PREFIX}_{slot}_run", f"{PREFIX}_{slot}_stop", stop_key(slot), "Stop"
    )


Work = Callable[[ProgressFn, StopFn], tuple[np.ndarray, dict]]


def optimise(
    slot: str,
    queue_label: str,
    settings: Any,
    work: Work,
    where: Any = st,
    caption: Callable[[int, int, dict], str] | None = None,
    image_width: int = 320,
) -> Made:
    """Run ``work(on_progress, should_stop)`` in a slot of the server's training queue and keep
    its result as this session's :class:`Made` for ``slot``.

    ``work`` reports ``on_progress(step, total, metrics)``; ``metrics["image"]`` (an (H, W, 3)
    uint8 array), when present, is the image so far: it is shown live and kept, so a Stop that
    interrupts this script still leaves the last image in the session. Other metrics (floats)
    go to the history and, through ``caption(step, total, metrics)``, to the bar's text.
    ``work`` returns (final image, extras)."""
    st.session_state[stop_key(slot)] = False
    result = Made(np.zeros((1, 1, 3), np.uint8), 0, 0, settings, stopped=True)
    st.session_state[made_key(slot)] = result
    with training_slot(queue_label, where):
        bar = where.progress(0.0, text="Starting…")
        live = where.empty()
        start = time.perf_counter()
        drawn = [0.0]

        def on_progress(step: int, total: int, metrics: dict) -> None:
            now = time.perf_counter()
            image = metrics.get("image")
            result.step, result.total, result.seconds = step, total, now - start
            result.history.append({k: v for k, v in metrics.items() if k != "image"})
            if image is not None:
                result.image = image
            if now - drawn[0] < REDRAW_S and step < total:
                return
            drawn[0] = now
            text = caption(step, total, metrics) if caption else f"step {step} of {total}"
            bar.progress(min(1.0, step / max(total, 1)),
                         text=text + time_left(now - start, step, total))  # fmt: skip
            if result.image.shape[0] > 1:  # the latest image, also from an earlier step
                live.image(result.image, width=image_width, caption=f"step {step} of {total}")

        def should_stop() -> bool:
            return bool(st.session_state.get(stop_key(slot)))

        try:
            image, extras = work(on_progress, should_stop)
        finally:
            bar.empty()
            live.empty()
    result.image, result.extras = image, extras
    result.seconds = time.perf_counter() - start
    result.stopped = result.step < result.total
    st.session_state[stop_key(slot)] = False
    return result


def stopped_line(result: Made) -> str:
    """The one line under a result: steps, seconds, and whether it was stopped."""
    text = f"{result.step} of {result.total} steps in {result.seconds:.1f} s"
    return text + (" (stopped)" if result.stopped else "")
