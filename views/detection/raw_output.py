"""The Raw output tab: the detector's S × S × (B × 5 + C) numbers, its objectness map and
every raw box."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnnplay.detection.plots import box_layer, objectness_figure
from cnnplay.scenes import CLASSES
from ui.figures import show_figure, show_table
from ui.notes import from_the_notes, notes_name
from ui.page import tab_body
from views.detection.common import CFG, on_image, png, raw, scene


@tab_body
def render(seed: int) -> None:
    sc, rd = scene(seed), raw(seed)
    s, nb, nc = rd.grid, CFG.boxes_per_cell, CFG.classes
    st.markdown(
        "The detector is fully convolutional: its last layer gives every grid cell "
        f"**B × 5 + C** numbers — for each of its B = {nb} anchors 4 box corrections and 1 "
        f"objectness, plus C = {nc} class probabilities shared by the cell, like YOLO in "
        f"{notes_name('002')}."
    )
    from_the_notes(("002", "YOLO (1/2)", "Network"))
    st.latex(
        rf"S \times S \times (B \times 5 + C) = {s} \times {s} \times ({nb} \times 5 + {nc}) = "
        rf"{s * s * (nb * 5 + nc)}\ \text{{numbers}}"
    )
    left, right = st.columns(2)
    with left:
        show_figure(
            objectness_figure(sc.image, rd.objectness_map, CFG.stride, png(sc.image)), "det_obj_fig"
        )
    with right:
        order = np.argsort(rd.objectness)  # strongest drawn last
        layer = box_layer(
            rd.boxes[order],
            [f"rgba(31,119,180,{max(0.12, v):.2f})" for v in rd.objectness[order]],
            [f"objectness {v:.2f}" for v in rd.objectness[order]],
            1,
        )
        fig = on_image(
            sc.image,
            [layer],
            title=f"all {len(rd.boxes)} boxes, opacity = objectness",
            labels=False,
        )
        show_figure(fig, "det_all_fig")
    top = np.argsort(-rd.objectness)[:8]
    show_table(
        pd.DataFrame(
            {
                "cell (row, col)": [str(divmod(int(i) // nb, s)) for i in top],
                "anchor": [int(i) % nb for i in top],
                "objectness": rd.objectness[top].round(3),
                **{c: rd.class_probs[top, k].round(3) for k, c in enumerate(CLASSES)},
                "box": [", ".join(f"{v:.0f}" for v in rd.boxes[i]) for i in top],
            }
        ),
        hide_index=True,
    )
    st.caption(
        "The 8 boxes with the highest objectness. This scene's forward pass took "
        f"{rd.seconds * 1000:.1f} ms on this server (when it was first computed)."
    )
