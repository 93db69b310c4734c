"""The IoU tab: two editable boxes, the IoU formula with their numbers, and why IoU is a
relative error."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnnplay.detection.plots import iou_figure
from cnnplay.ops.boxes import box_iou, intersection
from ui.figures import show_figure, show_table
from ui.notes import from_the_notes, notes_name
from ui.page import tab_body

IOU_CANVAS = 100  # the IoU tab's boxes live on a 100×100 canvas
BOXES_KEY = "det_iou_boxes"  # the data editor's key
KEPT_KEY = "det_iou_boxes_kept"  # the edited corners (2, 4) float, kept across page changes
DEFAULT_BOXES = np.array([[10, 10, 60, 50], [30, 25, 80, 75]], float)  # A, B: x0, y0, x1, y1


def box_editor() -> np.ndarray:
    """The two boxes' corners in a table; returns the (2, 4) float edited values (NaN where a
    cell was emptied). The edits are kept under KEPT_KEY (data_editor's own state is dropped
    when the student leaves the page); its deltas hold absolute values, so applying them to
    the kept boxes gives the same table."""
    start = st.session_state.get(KEPT_KEY, DEFAULT_BOXES)
    frame = pd.DataFrame(start, index=["A", "B"], columns=["x0", "y0", "x1", "y1"])
    col = st.column_config.NumberColumn(
        min_value=0, max_value=IOU_CANVAS, step=1, format="%g", width=70
    )
    edited = st.data_editor(
        frame,
        key=BOXES_KEY,
        num_rows="fixed",
        column_config={c: col for c in frame.columns},
    )
    values = pd.DataFrame(edited).apply(pd.to_numeric, errors="coerce").to_numpy(float)
    st.session_state[KEPT_KEY] = values
    return values


@tab_body
def render() -> None:
    st.markdown(
        "**Intersection over Union** compares a predicted box with a true one: the shared area "
        "over the area covered by either. 1 is a perfect match, 0 no overlap."
    )
    left, right = st.columns([1, 1.2])
    with left:
        st.caption(f"Corners of the two boxes on a {IOU_CANVAS}×{IOU_CANVAS} canvas (edit):")
        values = box_editor()
        if not np.isfinite(values).all():
            st.warning("Empty cells count as 0.", icon=":material/warning:")
            values = np.nan_to_num(values)
        values = np.clip(values, 0, IOU_CANVAS)
        for name, row in zip("AB", values, strict=True):  # corners in any order
            if row[2] < row[0] or row[3] < row[1]:
                st.info(f"Box {name}: corners swapped so that x0 ≤ x1 and y0 ≤ y1.")
        boxes = np.concatenate(
            [np.minimum(values[:, :2], values[:, 2:]), np.maximum(values[:, :2], values[:, 2:])],
            axis=1,
        )
        a, b = boxes
        area_a, area_b = (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
        inter = float(intersection(a, b)[0, 0])
        union = area_a + area_b - inter
        iou = float(box_iou(a, b)[0, 0])
        st.latex(
            r"\mathrm{IoU} = \frac{|A \cap B|}{|A \cup B|} = \frac{|A \cap B|}"
            r"{|A| + |B| - |A \cap B|}"
        )
        st.latex(
            rf"= \frac{{{inter:g}}}{{{area_a:g} + {area_b:g} - {inter:g}}} = "
            rf"\frac{{{inter:g}}}{{{union:g}}} = {iou:.3f}"
        )
        if union == 0:
            st.warning("Both boxes have no area: IoU is taken as 0.", icon=":material/warning:")
    with right:
        lt, rb = np.maximum(a[:2], b[:2]), np.minimum(a[2:], b[2:])
        inter_box = np.concatenate([lt, rb]) if (rb > lt).all() else None
        show_figure(iou_figure(a, b, inter_box, IOU_CANVAS), "det_iou_fig")
        st.caption("Union shaded light, intersection purple.")
    st.markdown(
        f"**Why IoU is a relative error**, as {notes_name('002')} call it: a squared error on "
        "the corners counts pixels, whatever the box's size. IoU divides by the size, so the "
        "same 5-pixel slip is a disaster for a small box and barely matters for a large one:"
    )
    from_the_notes(("002", "Classification + Localization"))
    rows = []
    for side in (10, 20, 50, 100):
        truth = np.array([0, 0, side, side], float)
        guess = truth + [5, 5, 5, 5]
        rows.append(
            {
                "box side (px)": side,
                "shift (px)": "5, 5",
                "squared corner error": float(np.sum((guess - truth) ** 2)),
                "IoU": round(float(box_iou(truth, guess)[0, 0]), 3),
                "1 − IoU (loss)": round(1 - float(box_iou(truth, guess)[0, 0]), 3),
            }
        )
    show_table(pd.DataFrame(rows), hide_index=True)
