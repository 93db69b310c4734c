"""The "Seed 001: 6×6 with zero padding" tab of the Padding page: the notes' vertical-edge
example (a 1 0 −1 filter on their 6×6 image, zero padding 1), computed with the loop version,
checked against torch, compared with the slide's printed table (two cells differ), and one
output cell spelled out."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnnplay.grids import SEED001_IMAGE, SEED001_SLIDE_OUTPUT
from cnnplay.kernels import VERTICAL_EDGE_3
from cnnplay.ops.conv import conv2d_naive, conv_step, pad2d, torch_conv2d
from cnnplay.plots.grids import add_box, grid_figure, mark_cells
from cnnplay.plots.style import CHANGED_COLOUR, WINDOW_COLOUR, fmt
from ui.figures import show_figure
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body

PAD = 1  # the notes' zero padding: one ring of zeros, so the 6×6 image gives a 6×6 map


def slide_differences(computed: np.ndarray, printed: np.ndarray) -> list[tuple[int, int]]:
    """(row, col) of every cell where the slide's printed table differs from the computed one."""
    return [(int(i), int(j)) for i, j in np.argwhere(~np.isclose(computed, printed))]


def as_table(values: np.ndarray) -> pd.DataFrame:
    """(H, W) whole numbers -> a table with numbered rows and columns."""
    return pd.DataFrame(values.astype(int), columns=[str(c) for c in range(values.shape[1])])


@tab_body
def render() -> None:
    st.markdown(
        f"{notes_name('001', capital=True)}' worked example: a 6×6 image, **zero padding** of "
        "one cell (8×8 after padding), and the 3×3 vertical-edge filter with columns 1, 0, −1. "
        "Each output is (left column) − (right column) of its 3×3 window: large where the image "
        "is brighter on the left. With padding the output keeps the input's size."
    )
    from_the_notes(("001", "Convolutional layers"))
    st.latex(
        r"W = \begin{bmatrix} 1 & 0 & -1 \\ 1 & 0 & -1 \\ 1 & 0 & -1 \end{bmatrix},\qquad "
        r"n' = n + 2p - k + 1 = 6 + 2\cdot 1 - 3 + 1 = 6"
    )
    y = conv2d_naive(SEED001_IMAGE, VERTICAL_EDGE_3, padding=PAD)  # (6, 6), loop version
    same = np.array_equal(y, torch_conv2d(SEED001_IMAGE, VERTICAL_EDGE_3, padding=PAD))
    differ = slide_differences(y, SEED001_SLIDE_OUTPUT)

    c_i, c_j = st.columns(2)
    i = int(c_i.number_input("output row", 0, 5, key="pd_s1_i", persist_state=KEEP, bind=LINK))
    j = int(c_j.number_input("output column", 0, 5, key="pd_s1_j", persist_state=KEEP, bind=LINK))
    step = conv_step(SEED001_IMAGE, VERTICAL_EDGE_3, i, j, padding=PAD)
    padded = pad2d(SEED001_IMAGE, (PAD,) * 4, "zeros")  # (8, 8)

    cols = st.columns(3)
    fig_in = grid_figure(padded, "input, zero padding in grey", pads=(PAD,) * 4)
    show_figure(add_box(fig_in, step.rows, step.cols, WINDOW_COLOUR), "pd_s1_in", cols[0])
    show_figure(grid_figure(VERTICAL_EDGE_3, "filter"), "pd_s1_w", cols[1])
    fig_out = grid_figure(y, "output (torch's values)")
    mark_cells(fig_out, differ, CHANGED_COLOUR)
    show_figure(add_box(fig_out, [i], [j], WINDOW_COLOUR), "pd_s1_out", cols[2])

    terms = " + ".join(
        f"{fmt(v)}·{fmt(w) if w >= 0 else f'({fmt(w)})'}"
        for v, w in zip(step.window.ravel(), step.kernel.ravel(), strict=True)
    )
    st.markdown(f"**Output ({i}, {j})** = {terms} = **{fmt(step.total)}**")
    check = "✓" if same else "✗ (they differ!)"
    st.markdown(
        f"Computed with the loop version and checked against torch's `F.conv2d` "
        f"(`padding=1`): {check}"
    )
    st.dataframe(as_table(y), key="pd_s1_table", width="content")
    if differ:
        cells = "; ".join(
            f"row {r}, column {c} (counting from 0): the slide prints "
            f"**{fmt(SEED001_SLIDE_OUTPUT[r, c])}**, the correct value is **{fmt(y[r, c])}**"
            for r, c in differ
        )
        st.warning(
            f"The slide's output table differs from this one in {len(differ)} cells "
            f"(outlined in the output): {cells}. Pick a cell above to check its sum.",
            icon=":material/error:",
        )
    else:
        st.success("The slide's table matches every cell.")
