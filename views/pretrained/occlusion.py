"""The Occlusion tab (seed 002): slide a grey patch over the photo and record how much the class
probability falls at each position.

One run is one forward pass per patch position (seconds on a CPU), so it runs only when the
student presses **Run occlusion**, with a progress bar and a **Stop** button; the last result is
kept (with the settings it was made with) and a changed setting asks for a new press instead of
starting a run by itself.

The body is not a fragment (unlike the other tabs): in this Streamlit a click inside a fragment
never interrupts a running script (it waits), so Stop inside a fragment would only act after
the run had finished. A slider change reruns the page, whose work above the tabs is cached."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import streamlit as st

from cnnplay.explain import Occlusion
from cnnplay.plots.images import heat_overlay, normalise_map
from cnnplay.snippets import pretrained as code
from ui.code_panel import code_panel
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP
from ui.progress import progress_bar
from views.pretrained.common import Seen, occlusion_map
from views.pretrained.saliency import CLASS_KEY

PATCHES = [16, 24, 32, 48, 64]  # occlusion patch sides, pixels of the 224 crop
STRIDES = [8, 16, 24, 32]
RESULT_KEY = "pt_occ_result"  # session state: the last finished run, (OcclusionRun, Occlusion)
RUNNING_KEY = "pt_occ_running"  # session state: True while a run goes (left set if stopped)
STOP_KEY = "pt_occ_stop"  # session state: Stop was pressed during the current run


@dataclass(frozen=True)
class OcclusionRun:
    """The settings one occlusion map was made with (a result is shown for these only)."""

    name: str  # the network (REGISTRY key)
    digest: str  # content hash of the photo
    target: int  # ImageNet class index
    patch: int  # patch side, pixels of the crop
    stride: int  # step between patch positions, pixels

    def describe(self, cats: list[str]) -> str:
        return f"{cats[self.target]}, patch {self.patch}, stride {self.stride}"


def positions_of(side: int, patch: int, stride: int) -> int:
    """How many patch positions a run has on a side × side crop (what a press will cost)."""
    starts = len(range(0, max(side - patch, 0) + 1, stride))
    starts += (starts - 1) * stride + patch < side  # the last pixels are covered too
    return starts * starts


def same_input(a: OcclusionRun, b: OcclusionRun) -> bool:
    """Whether two runs are of the same photo through the same network."""
    return (a.name, a.digest) == (b.name, b.digest)


def request_stop() -> None:
    st.session_state[STOP_KEY] = True


def render(seen: Seen) -> None:
    c1, c2, c3 = st.columns(3)
    patch = c1.select_slider(
        "Grey patch side", PATCHES, value=32, key="pt_patch", persist_state=KEEP, bind=LINK
    )
    stride = c2.select_slider(
        "Stride", STRIDES, value=16, key="pt_stride", persist_state=KEEP, bind=LINK
    )
    target = int(st.session_state.get(CLASS_KEY, seen.top))
    cats = seen.cats
    c3.markdown(f"Class: **{cats[target]}** (choose it in *Saliency*)")
    st.caption(
        f"The occlusion test of {notes_name('002')}: mask part of the image, feed it to the "
        "network and record how much the class probability falls, at every position of the "
        "mask."
    )
    from_the_notes(("002", "Occluding Parts of an Image"))
    wanted = OcclusionRun(seen.name, seen.digest, target, patch, stride)
    count = positions_of(seen.x.shape[-1], patch, stride)
    b1, b2 = st.columns([2, 1])
    pressed = b1.button(
        f"Run occlusion ({count} forward passes)",
        key="pt_occlude",
        type="primary",
        icon=":material/play_arrow:",
    )
    b2.button("Stop", key="pt_occ_stop_button", icon=":material/stop:", on_click=request_stop)
    if st.session_state.pop(RUNNING_KEY, False) and not pressed:
        st.info(
            "The last occlusion run was stopped before the end; press **Run occlusion** to "
            "start it again.",
            icon=":material/stop_circle:",
        )
    if pressed:
        run(seen, wanted)
    held: tuple[OcclusionRun, Occlusion] | None = st.session_state.get(RESULT_KEY)
    if held is None:
        st.caption("One forward pass per patch position: press **Run occlusion**.")
        panel(seen, wanted)
        return
    made, result = held
    if made != wanted:
        st.info(
            f"The settings changed: press **Run occlusion** to compute the map for "
            f"{wanted.describe(cats)}. Below: the last map ({made.describe(cats)})"
            + (", made for another photo or network." if not same_input(made, wanted) else "."),
            icon=":material/refresh:",
        )
    show_result(seen, made, result)
    panel(seen, wanted)


def panel(seen: Seen, wanted: OcclusionRun) -> None:
    """The code for the current settings (made from them, not from a run: it is there before
    the first press, and follows a changed setting before the next)."""
    code_panel(
        lambda: code.occlusion(
            seen.name, seen.prep.cropped, wanted.target, wanted.patch, wanted.stride
        ),
        "pt_code_occlusion",
    )


def run(seen: Seen, wanted: OcclusionRun) -> None:
    """One occlusion run with a progress bar; Stop (or any click) interrupts it."""
    st.session_state[STOP_KEY] = False
    st.session_state[RUNNING_KEY] = True
    with progress_bar("Sliding the patch…", lambda s, t, m: f"{s}/{t} positions") as on_progress:
        result = occlusion_map(
            wanted.name,
            wanted.target,
            wanted.patch,
            wanted.stride,
            seen.model,
            seen.x,
            on_progress,
            lambda: bool(st.session_state.get(STOP_KEY)),
        )
    st.session_state[RUNNING_KEY] = False
    if result is None:  # the loop saw the Stop flag (a click usually interrupts the script)
        st.info("Stopped: press **Run occlusion** to start again.", icon=":material/stop_circle:")
        return
    st.session_state[RESULT_KEY] = (wanted, result)


def show_result(seen: Seen, made: OcclusionRun, result: Occlusion) -> None:
    cats, patch = seen.cats, made.patch
    a, b = st.columns(2)
    if made.digest == seen.digest and made.name == seen.name:
        a.image(
            heat_overlay(seen.prep.cropped, normalise_map(np.clip(result.heat, 0, None))),
            caption="where hiding the image hurts most (red)",
        )
    worst = np.unravel_index(int(np.argmax(result.drops)), result.drops.shape)
    r0, c0 = result.positions[worst[0] * result.drops.shape[1] + worst[1]]
    b.markdown(
        f"{len(result.positions)} positions. Unoccluded: **{100 * result.base:.1f}%** "
        f"{cats[made.target]}. Worst patch at rows {r0}–{r0 + patch - 1}, columns "
        f"{c0}–{c0 + patch - 1}: the probability falls by "
        f"**{100 * result.drops.max():.1f}** points."
    )
