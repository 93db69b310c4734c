"""The Invariance tab (seed 002): shift the input; the feature map shifts with it (equivariance),
the max-pooled map changes much less (partial invariance)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.grids import PLUS_3
from cnnplay.ops.pool import POOL_GRIDS, SEED002_DETECTOR_ROW, translation_effect
from cnnplay.plots.grids import grid_figure, mark_cells
from cnnplay.plots.style import CHANGED_COLOUR
from ui.figures import show_figure
from ui.page import KEEP, tab_body

INPUTS = {  # name -> (input, kernel or None, fill for vacated cells, window is a row)
    "Seed 002: one row of detector outputs": (SEED002_DETECTOR_ROW, None, 0.0, True),
    "9×9 + through the + kernel": (POOL_GRIDS["9×9 + (±1)"](), PLUS_3, -1.0, False),
    "Seed 003: 9×9 X, no kernel": (POOL_GRIDS["Seed 003: 9×9 X (±1)"](), None, -1.0, False),
}


@tab_body
def render() -> None:
    st.markdown(
        "Seed 002: a convolution's feature map is **equivariant** to translation (shift the input "
        "and the map shifts: almost every value changes), the max-pooled map is (partly) "
        "**invariant** (many values stay the same). Use max pooling when you care more about "
        "*whether* a feature is present than exactly where."
    )
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    name = c1.selectbox("Input", list(INPUTS), key="pl_inv_src", persist_state=KEEP)
    source, kernel, fill, is_row = INPUTS[name]
    dx = c2.number_input("shift right by", 0, 4, key="pl_inv_dx", persist_state=KEEP)
    dy = c3.number_input(
        "shift down by", 0, 4, key="pl_inv_dy", disabled=is_row, persist_state=KEEP
    )
    k = c4.number_input("max-pool window", 1, 9, key="pl_inv_k", persist_state=KEEP)
    window = (1, k) if is_row else (k, k)
    stride = 1 if is_row else k
    try:
        effect = translation_effect(source, 0 if is_row else dy, dx, window, stride, kernel, fill)
    except ValueError as err:
        st.error(f"This window does not fit the feature map: {err}.", icon=":material/block:")
        return
    what = "the row itself" if kernel is None else "the + kernel's valid feature map"
    st.caption(
        f"Feature map: {what}; pooled with a {window[0]}×{window[1]} max pool, "
        f"stride {stride}. Black outlines: values that changed."
    )
    figs = [
        (effect.raw, None, "feature map"),
        (effect.raw_shifted, effect.raw_changed, "feature map, input shifted"),
        (effect.pooled, None, "max-pooled"),
        (effect.pooled_shifted, effect.pooled_changed, "max-pooled, input shifted"),
    ]
    cols = st.columns(2 if is_row else 4)
    for n, (values, changed, title) in enumerate(figs):
        fig = grid_figure(values, title)
        if changed is not None:
            mark_cells(fig, list(zip(*np.nonzero(changed), strict=True)), CHANGED_COLOUR)
        show_figure(fig, f"pl_inv_{n}", cols[n % len(cols)])
    raw_n, pool_n = int(effect.raw_changed.sum()), int(effect.pooled_changed.sum())
    st.markdown(
        f"Raw feature map: **{raw_n} of {effect.raw.size}** values changed "
        f"({100 * raw_n / effect.raw.size:.0f}%).  \n"
        f"Max-pooled map: **{pool_n} of {effect.pooled.size}** values changed "
        f"({100 * pool_n / effect.pooled.size:.0f}%)."
    )
