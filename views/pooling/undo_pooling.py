"""The "Undo pooling" tab: seed 002's three ways back up (max unpooling, nearest neighbour,
bed of nails) on an editable 4×4 input."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.ops.pool import (
    SEED002_UNPOOL,
    max_unpool2d,
    pool2d_naive,
    unpool_bed_of_nails,
    unpool_nearest,
)
from cnnplay.plots.grids import grid_figure, mark_cells
from cnnplay.plots.style import WINNER_COLOUR
from ui.figures import show_figure
from ui.inputs import matrix_editor
from ui.notes import from_the_notes, notes_name
from ui.page import tab_body
from views.pooling.common import cells_of

LATER = np.array([[1.0, 2], [3, 4]])  # the values put back, by default


@tab_body
def render() -> None:
    st.markdown(
        "Pooling throws cells away. To go back up (a decoder, a DeconvNet), "
        f"{notes_name('002')} give three ways. **Max unpooling** uses what max pooling "
        "remembered: *where* each max came from."
    )
    from_the_notes(("002", "Undoing Pooling"))
    c1, c2 = st.columns(2)
    with c1:
        x = matrix_editor(SEED002_UNPOOL, key="pl_un_x", step=1.0, label="Input (4×4)")
    with c2:
        later = matrix_editor(
            LATER,
            key="pl_un_y",
            step=1.0,
            label="Values from the rest of the network (2×2), to put back",
        )
    y, idx = pool2d_naive(x, 2, return_indices=True)
    cols = st.columns(5)
    fig = mark_cells(grid_figure(x, "input"), cells_of(idx, 4), WINNER_COLOUR)
    show_figure(fig, "pl_un_in", cols[0])
    show_figure(grid_figure(y, "max pool 2×2"), "pl_un_pooled", cols[1])
    unpooled = max_unpool2d(later, idx, (4, 4))
    fig = mark_cells(grid_figure(unpooled, "max unpooling"), cells_of(idx, 4), WINNER_COLOUR)
    show_figure(fig, "pl_un_max", cols[2])
    show_figure(grid_figure(unpool_nearest(later, 2), "nearest neighbour"), "pl_un_nn", cols[3])
    show_figure(
        grid_figure(unpool_bed_of_nails(later, 2), '"bed of nails"'), "pl_un_nails", cols[4]
    )
    remembered = ", ".join(f"({r}, {c})" for r, c in (divmod(int(n), 4) for n in idx.ravel()))
    st.markdown(
        f"Remembered positions of the maxima: **{remembered}** (torch's flattened indices "
        f"{', '.join(str(int(n)) for n in idx.ravel())}). Max unpooling puts each value there; "
        "nearest neighbour copies it into the whole 2×2 block; bed of nails puts it in the "
        "block's top-left corner. Every other cell is 0."
    )
