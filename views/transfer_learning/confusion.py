"""The Confusion matrix tab: a trained model's validation predictions, class against class; a
click on a cell (or the two choices beside it) shows the images behind it."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.metrics import confusion_matrix
from cnnplay.plots.charts import confusion_figure
from cnnplay.plots.images import tile_maps
from cnnplay.transfer.strategies import STRATEGIES
from ui.page import KEEP, tab_body
from views.transfer_learning.common import pick_model

MAX_CELL_IMAGES = 24  # images shown for one cell


@tab_body
def render() -> None:
    held = pick_model("tl_cm_model")
    if held is None:
        return
    r = held.result
    if len(held.val_labels) == 0:
        st.warning("There are no validation images: raise the validation share.")
        return
    classes = list(held.classes)
    matrix = confusion_matrix(held.val_labels, r.val_pred, len(classes))
    st.markdown(
        f"{STRATEGIES[r.strategy]}: **{100 * r.val_accuracy:.1f}%** of {len(held.val_labels)} "
        f"validation images right (the diagonal). Click a cell, or choose it below, to see the "
        "images behind it."
    )
    c1, c2 = st.columns([3, 2])
    with c1:

        def on_click() -> None:
            points = st.session_state["tl_cm_chart"].selection.points
            if points:
                st.session_state.tl_cm_true = classes[int(points[0]["y"])]
                st.session_state.tl_cm_pred = classes[int(points[0]["x"])]

        st.plotly_chart(
            confusion_figure(matrix, classes),
            key="tl_cm_chart",
            on_select=on_click,
            selection_mode="points",
            config={"displayModeBar": False},
        )
    state = st.session_state
    if state.get("tl_cm_true") not in classes or state.get("tl_cm_pred") not in classes:
        errors = matrix - np.diag(np.diag(matrix))  # (K, K) off-diagonal counts
        t0, p0 = np.unravel_index(int(np.argmax(errors)), errors.shape)  # the worst mix-up
        state.tl_cm_true, state.tl_cm_pred = classes[t0], classes[p0]
    with c2:
        true = st.selectbox("True class", classes, key="tl_cm_true", persist_state=KEEP)
        pred = st.selectbox("Predicted class", classes, key="tl_cm_pred", persist_state=KEEP)
        t, p = classes.index(true), classes.index(pred)
        hits = np.flatnonzero((held.val_labels == t) & (r.val_pred == p))
        if hits.size == 0:
            st.caption(f"No validation image of *{true}* was predicted as *{pred}*.")
            return
        images = held.val_images[hits[:MAX_CELL_IMAGES]]
        st.image(
            tile_maps(images / 255.0, cols=6, upscale=max(1, 64 // images.shape[1])),
            caption=f"{hits.size} image(s): true {true}, predicted {pred}",
        )
