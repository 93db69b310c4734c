"""NMS step by step (Back / Step / Play and a step slider): the Pipeline & NMS tab runs it on
the grid detector's candidates, the Your photo tab on the COCO detector's."""

from __future__ import annotations

import time

import numpy as np
import pandas as pd
import streamlit as st

from cnnplay.detection.plots import box_layer
from cnnplay.ops.boxes import NmsTrace
from cnnplay.plots.style import (
    DET_CANDIDATE_COLOUR,
    DET_GT_COLOUR,
    DET_MISS_COLOUR,
    DET_SUPPRESSED_COLOUR,
)
from ui.figures import show_figure, show_table
from ui.links import LINK
from ui.page import KEEP, rerun_tab
from views.detection.common import on_image

PLAY_DELAY_S = 0.6  # pause between frames of the NMS animation
MAX_STEPS_DRAWN = 60  # boxes per layer drawn in the NMS view before we say "and N more"


def nms_frame(image, boxes, texts, trace: NmsTrace, k: int, key: str) -> None:
    """Step ``k`` of an NMS trace (0 = before NMS): the figure and, beside it, what happened."""
    steps = trace.steps
    done = [step.kept for step in steps[: max(k - 1, 0)]]
    current = steps[k - 1] if k > 0 else None
    remaining = current.remaining if current else trace.order
    layers = [box_layer(boxes[remaining[:MAX_STEPS_DRAWN]], DET_CANDIDATE_COLOUR, width=1)]
    if current:
        sup = current.suppressed[:MAX_STEPS_DRAWN]
        ious = current.suppressed_iou[:MAX_STEPS_DRAWN]
        iou_texts = [f"IoU {v:.2f}" for v in ious]
        layers.append(box_layer(boxes[sup], DET_SUPPRESSED_COLOUR, iou_texts, 1.5, "dash"))
    layers.append(box_layer(boxes[done], DET_GT_COLOUR, [texts[i] for i in done], 2))
    if current:
        layers.append(box_layer(boxes[[current.kept]], DET_MISS_COLOUR, [texts[current.kept]], 3))
        title = (
            f"step {k}/{len(steps)}: keep {texts[current.kept]}, "
            f"discard {len(current.suppressed)}, {len(current.remaining)} left"
        )
    else:
        title = f"before NMS: {len(trace.order)} boxes by falling score"
    left, right = st.columns([1.3, 1])
    fig = on_image(image, layers, title=title, labels=False)
    show_figure(fig, f"{key}_nms_fig_{k}", left)
    with right:
        if current is None:
            st.markdown(
                f"{len(trace.order)} candidates passed the score threshold. Press **Step** to "
                "run NMS one kept box at a time (orange: kept now, green: kept before, grey "
                "dashed: discarded now, blue: still in play)."
            )
            return
        st.markdown(
            f"**Kept:** box {current.kept} — {texts[current.kept]} (orange)  \n"
            f"**Kept before:** {len(done)} (green) · **still in play:** "
            f"{len(current.remaining)} (blue)"
        )
        if len(current.suppressed):
            table = pd.DataFrame(
                {
                    "discarded box": current.suppressed,
                    "class, score": [texts[i] for i in current.suppressed],
                    "IoU with kept": np.round(current.suppressed_iou, 3),
                }
            )
            height = min(300, 38 + 35 * len(current.suppressed))
            show_table(table, hide_index=True, height=height)
        else:
            st.caption("Nothing overlaps it enough: nothing is discarded.")


def nms_player(image, boxes, scores, texts, trace: NmsTrace, key: str, empty: str) -> None:
    """NMS step by step with Back / Step / Play buttons and a step slider (state under
    ``{key}_step``); ``empty`` is the warning when there is no candidate. Called inside a tab's
    fragment: a click reruns that tab only."""
    if not trace.steps:
        st.warning(empty, icon=":material/warning:")
        return
    total = len(trace.steps)
    step_key = f"{key}_step"
    after_play = st.session_state.pop(f"{key}_played", None)  # a finished Play sets the step
    start = after_play if after_play is not None else st.session_state.get(step_key, 0)
    st.session_state[step_key] = min(start, total)
    b_back, b_next, b_play, b_slider = st.columns([1, 1, 1, 4])
    if b_back.button("◀ Back", key=f"{key}_back", disabled=st.session_state[step_key] <= 0):
        st.session_state[step_key] -= 1
    if b_next.button("Step ▶", key=f"{key}_next", disabled=st.session_state[step_key] >= total):
        st.session_state[step_key] += 1
    play = b_play.button("Play ▶▶", key=f"{key}_play")
    b_slider.slider(
        "NMS step (0 = before NMS)", 0, total, key=step_key, persist_state=KEEP, bind=LINK
    )
    view = st.empty()
    if play:
        for k in range(total + 1):
            with view.container():
                nms_frame(image, boxes, texts, trace, k, key)
            time.sleep(PLAY_DELAY_S)
        st.session_state[f"{key}_played"] = total
        rerun_tab()  # so that the slider shows the last step too
    else:
        with view.container():
            nms_frame(image, boxes, texts, trace, st.session_state[step_key], key)
