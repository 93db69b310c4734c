"""A clickable confusion matrix with the images behind a cell: the pattern of the Transfer
learning page's Confusion matrix tab, for any classifier's test predictions.

``confusion_explorer("cv_cm", truth, pred, classes, images)`` draws the matrix
(:func:`cnnplay.plots.charts.confusion_figure`) and, beside it, two choices (true class,
predicted class) that a click on a cell sets; the images of that cell are tiled below them.
Until a cell is chosen, the worst mix-up (the largest off-diagonal count) is shown. Session-state
keys: ``{key}_chart_{n}``, ``{key}_version``, ``{key}_true``, ``{key}_pred``.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import streamlit as st

from cnnplay.metrics import confusion_matrix
from cnnplay.plots.charts import confusion_figure
from cnnplay.plots.grids import add_box
from cnnplay.plots.images import tile_maps
from cnnplay.plots.style import CHART_CONFIG, SELECTED_COLOUR, ink_on_white
from ui.keyboard import keyboard_caption
from ui.links import LINK
from ui.page import KEEP

MAX_CELL_IMAGES = 24  # images shown for one cell
TILE_PX = 64  # a tile's side on screen (small images are enlarged by a whole factor)


def worst_mixup(matrix: np.ndarray) -> tuple[int, int]:
    """(true, predicted) class of the largest off-diagonal count of a (K, K) matrix; the first
    in row-major order when several tie (and (0, 1) or (0, 0) when there are no errors)."""
    errors = matrix - np.diag(np.diag(matrix))  # (K, K) off-diagonal counts
    if len(matrix) > 1 and not errors.any():
        return 0, 1
    t, p = np.unravel_index(int(np.argmax(errors)), errors.shape)
    return int(t), int(p)


def confusion_explorer(
    key: str,
    truth: np.ndarray,
    pred: np.ndarray,
    classes: Sequence[str],
    images: np.ndarray,
    what: str = "test",
) -> np.ndarray:
    """Draw the matrix and the images of the chosen cell; returns the (K, K) matrix.

    truth, pred: (N,) class indices; images: (N, H, W) or (N, H, W, 3) uint8 0..255 (the
    images the predictions are of); ``what`` names them in captions ("test", "validation").
    The two choices beside the matrix are its keyboard path; the chosen cell is outlined, and
    the chart gets a fresh key after each click (``{key}_chart_{n}``), so a click on the cell
    clicked before, after a keyboard change, still counts."""
    names = list(classes)
    matrix = confusion_matrix(truth, pred, len(names))
    state = st.session_state
    if state.get(f"{key}_true") not in names or state.get(f"{key}_pred") not in names:
        t0, p0 = worst_mixup(matrix)
        state[f"{key}_true"], state[f"{key}_pred"] = names[t0], names[p0]
    state.setdefault(f"{key}_version", 0)  # renewed after each click: a fresh selection
    chart_key = f"{key}_chart_{state[f'{key}_version']}"

    def on_click() -> None:
        points = st.session_state[chart_key].selection.points
        if points:
            state[f"{key}_true"] = names[int(points[0]["y"])]
            state[f"{key}_pred"] = names[int(points[0]["x"])]
            state[f"{key}_version"] += 1

    c1, c2 = st.columns([3, 2])
    with c2:
        true = st.selectbox("True class", names, key=f"{key}_true", persist_state=KEEP, bind=LINK)
        chosen = st.selectbox(
            "Predicted class", names, key=f"{key}_pred", persist_state=KEEP, bind=LINK
        )
        keyboard_caption(
            "Tab to *True class* and *Predicted class*, pick with the arrow keys or by typing, "
            "then Enter: the same as a click on that cell (outlined)."
        )
    t, p = names.index(true), names.index(chosen)
    with c1:
        fig = confusion_figure(matrix, names)
        add_box(fig, [t], [p], SELECTED_COLOUR)  # the chosen cell
        st.plotly_chart(
            ink_on_white(fig),
            key=chart_key,
            on_select=on_click,
            selection_mode="points",
            config=CHART_CONFIG,
        )
    with c2:
        hits = np.flatnonzero((np.asarray(truth) == t) & (np.asarray(pred) == p))
        if hits.size == 0:
            st.caption(f"No {what} image of *{true}* was predicted as *{chosen}*.")
            return matrix
        shown = np.asarray(images[hits[:MAX_CELL_IMAGES]])
        st.image(
            tile_maps(shown / 255.0, cols=6, upscale=max(1, TILE_PX // shown.shape[1])),
            caption=f"{hits.size:,} {what} image(s): true {true}, predicted {chosen}"
            + (f" (the first {MAX_CELL_IMAGES})" if hits.size > MAX_CELL_IMAGES else ""),
        )
    return matrix
