"""The Anchors tab: k anchor shapes at one cell, the best-matching anchor of each object (the
RPN's rule) beside our detector's YOLO rule."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnnplay.detection.detector import DetectorConfig, anchors_for, assign
from cnnplay.detection.plots import box_layer
from cnnplay.ops.boxes import anchor_shapes, anchors_at, box_iou
from cnnplay.plots.style import DET_MISS_COLOUR  # orange: anchors here
from ui.figures import show_figure, show_table
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from views.detection.common import CFG, SCENE, gt_layer, on_image, scene

ANCHOR_SCALES = [16, 24, 32, 48, 64]  # offered anchor scales, pixels (sqrt of the area)
ANCHOR_RATIOS = [0.5, 1.0, 2.0]  # offered aspect ratios h / w


@tab_body
def render(seed: int) -> None:
    st.markdown(
        f"A region proposal network (Faster R-CNN, in {notes_name('000')}) slides a window "
        "over the feature "
        "map; at each place it scores **k anchor boxes** — fixed shapes at several scales and "
        "aspect ratios centred there — and predicts corrections to them. Small corrections to "
        "a good anchor are easier to learn than boxes from nothing. Training labels: each "
        "ground-truth box goes to the anchor with the highest IoU."
    )
    from_the_notes(
        ("000", "Object detection with Faster R-CNN"), ("002", "Region Proposal Network")
    )
    sc = scene(seed)
    grid = SCENE.size // CFG.stride
    c1, c2, c3 = st.columns([1, 1, 1])
    scales = c1.multiselect(
        "Scales (px)", ANCHOR_SCALES, key="det_scales", persist_state=KEEP, bind=LINK
    )
    ratios = c2.multiselect(
        "Aspect ratios h/w", ANCHOR_RATIOS, key="det_ratios", persist_state=KEEP, bind=LINK
    )
    cell = st.session_state.det_cell
    row = c3.slider(
        "Cell row",
        0,
        grid - 1,
        value=min(cell[0], grid - 1),
        key="det_cell_row",
        persist_state=KEEP,
        bind=LINK,
    )
    colm = c3.slider(
        "Cell column",
        0,
        grid - 1,
        value=min(cell[1], grid - 1),
        key="det_cell_col",
        persist_state=KEEP,
        bind=LINK,
    )
    if not scales or not ratios:
        st.warning("Choose at least one scale and one ratio.", icon=":material/warning:")
        return
    shapes = anchor_shapes(sorted(scales), sorted(ratios))
    k = len(shapes)
    centre = ((colm + 0.5) * CFG.stride, (row + 0.5) * CFG.stride)
    mine = anchors_at(*centre, shapes)
    everywhere = anchors_for(grid, DetectorConfig(anchors=tuple(map(tuple, shapes)))).reshape(
        -1, 4
    )  # (S*S*k, 4)
    iou_all = box_iou(sc.boxes, everywhere)  # (G, S*S*k)
    best = iou_all.argmax(axis=1) if len(sc.boxes) else np.zeros(0, int)
    left, right = st.columns(2)
    with left:
        fig = on_image(
            sc.image,
            [
                gt_layer(sc),
                box_layer(mine, DET_MISS_COLOUR, [f"{w:.0f}×{h:.0f}" for w, h in shapes], 1.5),
            ],
            title=f"k = {len(scales)} × {len(ratios)} = {k} anchors at cell ({row}, {colm})",
            labels=False,
        )
        show_figure(fig, "det_anchor_fig")
    with right:
        fig = on_image(
            sc.image,
            [
                gt_layer(sc),
                box_layer(
                    everywhere[best],
                    DET_MISS_COLOUR,
                    [f"IoU {iou_all[g, best[g]]:.2f}" for g in range(len(best))],
                    2,
                ),
            ],
            title="best-matching anchor of each object",
        )
        show_figure(fig, "det_match_fig")
    yolo = [assign(box, grid, CFG) for box in sc.boxes]  # (i, j, b, IoU) per object
    table = []
    for g, j in enumerate(best):
        cell_idx, anchor_idx = divmod(int(j), k)
        w, h = shapes[anchor_idx]
        table.append(
            {
                "object": f"{g + 1}: {sc.names[g]}",
                "box": ", ".join(f"{v:.0f}" for v in sc.boxes[g]),
                "best anchor anywhere (RPN)": f"{w:.0f}×{h:.0f} at cell {divmod(cell_idx, grid)}",
                "IoU": round(float(iou_all[g, j]), 3),
                "our detector (YOLO: midpoint's cell)": "{0:.0f}×{0:.0f} at cell {1}".format(
                    CFG.anchors[yolo[g][2]][0], yolo[g][:2]
                ),
                "IoU ": round(yolo[g][3], 3),
            }
        )
    show_table(pd.DataFrame(table), hide_index=True)
    st.caption(
        f"{grid}×{grid} cells × {k} anchors = {grid * grid * k} anchors in all for a "
        f"{SCENE.size}-px scene (stride {CFG.stride}). Our detector uses B = "
        f"{CFG.boxes_per_cell} square anchors of "
        f"{', '.join(f'{a[0]:.0f}' for a in CFG.anchors)} px (its shapes are roughly "
        "square) and YOLO's rule: only the cell holding the box's midpoint may predict it, "
        "with its best-fitting anchor."
    )
