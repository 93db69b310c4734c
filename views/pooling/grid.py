"""The "Pool a grid" tab: pool a preset grid (editable cell by cell) with the window chosen above
the tabs; click an output cell to see its window; watch the window slide."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.ops.pool import POOL_GRIDS, global_avg_pool, pool2d_naive, pool_geometry
from cnnplay.plots.grids import add_box, grid_figure, mark_cells, pooling_animation
from cnnplay.plots.style import WINDOW_COLOUR, WINNER_COLOUR, fmt
from cnnplay.quiz import Question, pool_winner_question
from cnnplay.snippets import pool as pool_code
from ui.code_panel import code_panel
from ui.figures import show_figure
from ui.inputs import clickable_grid, matrix_editor
from ui.keyboard import cell_keys
from ui.links import LINK
from ui.notes import option_label
from ui.page import KEEP, tab_body
from ui.quiz import predict_then_reveal
from views.pooling.common import (
    MODES,
    TIES,
    cells_of,
    editor_key,
    explain_error,
    preset_grid,
)


def select_cell(c: int, i: int, j: int) -> None:
    st.session_state.pl_sel = (c, i, j)
    st.session_state.pl_version += 1  # a fresh chart key: the next click starts a new selection


def show_asked_window(q: Question) -> None:
    """Quiz mode's reveal: select the output cell whose window was asked about."""
    select_cell(*q.focus)


def clickable_output(values: np.ndarray, c: int, title: str, selected: tuple[int, int] | None):
    """The pooled map of channel c; a click on a cell shows its window."""
    clickable_grid(
        values,
        key=f"pl_out_{st.session_state.pl_version}_{c}",
        on_click=lambda i, j: select_cell(c, i, j),
        title=title,
        hint="(click: show its window)",
        highlight=selected,
    )
    cell_keys(  # the keyboard's way to the same choice
        values.shape,
        f"pl_cell_{c}",
        selected or (0, 0),
        lambda i, j: select_cell(c, i, j),
        names=("output row", "output column"),
    )


def grid_input() -> np.ndarray:
    """The grid to pool, (C, H, W): a preset, editable cell by cell."""
    source = st.selectbox(
        "Input",
        list(POOL_GRIDS),
        format_func=option_label,
        key="pl_source",
        persist_state=KEEP,
        bind=LINK,
    )
    base = preset_grid(source)
    with st.expander("Type exact values"):
        return np.stack(
            [
                matrix_editor(
                    base[c],
                    key=editor_key(source, c),
                    step=0.1,
                    label=f"channel {c + 1}" if len(base) > 1 else None,
                )
                for c in range(len(base))
            ]
        )


def grid_global(x: np.ndarray) -> None:
    """Global average pooling: one number per channel."""
    means = global_avg_pool(x)  # (C,)
    h, w = x.shape[1:]
    for c, mean in enumerate(means):
        st.latex(
            rf"\text{{GAP}}_{{{c + 1}}} = \frac{{1}}{{{h}\cdot{w}}}\sum_{{r,c}} x_{{r,c}}"
            rf" = \frac{{{fmt(round(x[c].sum(), 4))}}}{{{h * w}}} = {fmt(round(mean, 4))}"
        )
    st.markdown(
        f"**{x.size} values → {len(means)}**: one per channel, whatever the input's size. "
        "That is why a CNN that ends in global average pooling accepts images of any size "
        "(the same numbers as `F.adaptive_avg_pool2d(x, 1)`)."
    )


@tab_body
def render(mode: str, size: int, stride: int) -> None:
    """Pool the chosen grid with mode / size / stride (the settings above the tabs)."""
    x = grid_input()
    if mode == "global":
        grid_global(x)
        code_panel(lambda: pool_code.pool2d(x, mode), "pl_code_grid")
        return
    h, w = x.shape[1:]
    try:
        geo = pool_geometry((h, w), size, stride)
    except ValueError as err:
        explain_error(err, (h, w), size, stride)
        return
    (ho, wo) = geo.out_shape
    st.latex(
        rf"H' = \left\lfloor \frac{{H - k}}{{s}} \right\rfloor + 1"
        rf" = \left\lfloor \frac{{{h} - {size}}}{{{stride}}} \right\rfloor + 1 = {ho}"
        + (
            rf",\quad W' = \left\lfloor \frac{{{w} - {size}}}{{{stride}}} \right\rfloor + 1 = {wo}"
            if w != h
            else ""
        )
    )
    kept = ho * wo
    st.markdown(
        f"Each channel: **{h}×{w} = {h * w} values → {ho}×{wo} = {kept}** "
        f"({100 * (1 - kept / (h * w)):.0f}% fewer)."
        + (
            " The windows **overlap** (stride < size): one cell is read by several windows"
            + (" and can win several of them." if mode == "max" else ".")
            if geo.overlapping
            else ""
        )
        + (
            f" {h - (ho - 1) * stride - size} row(s) at the bottom are never read."
            if (h - size) % stride
            else ""
        )
    )
    y, idx = pool2d_naive(x, size, stride, mode="max", return_indices=True)
    if mode == "avg":
        y = pool2d_naive(x, size, stride, mode="avg")
    c_sel, i_sel, j_sel = st.session_state.pl_sel
    if c_sel >= len(x) or i_sel >= ho or j_sel >= wo:
        c_sel, i_sel, j_sel = st.session_state.pl_sel = (0, 0, 0)
    rows, cols = geo.window(i_sel, j_sel)
    if mode == "max" and not predict_then_reveal(  # quiz mode: which cell wins a window
        "pl_winner", lambda rng: pool_winner_question(x, size, stride, rng=rng), show_asked_window
    ):
        for c in range(len(x)):  # until the answer: the input alone, no winner marked
            name = f"input (channel {c + 1})" if len(x) > 1 else "input"
            show_figure(grid_figure(x[c], name), f"pl_quiz_in_{c}")
        return
    for c in range(len(x)):
        label = f" (channel {c + 1})" if len(x) > 1 else ""
        left, right = st.columns([1.3, 1])
        fig = grid_figure(x[c], f"input{label}")
        if mode == "max":
            mark_cells(fig, cells_of(idx[c], w), WINNER_COLOUR)
        if c == c_sel:
            add_box(fig, rows, cols, WINDOW_COLOUR)
        show_figure(fig, f"pl_in_{c}", left)
        with right:
            clickable_output(
                y[c], c, f"{MODES[mode]}{label}", (i_sel, j_sel) if c == c_sel else None
            )
    if mode == "max":
        st.caption(
            "Purple outlines: the cells that won a max. Click an output cell to see its window."
        )
    window = x[c_sel, rows.start : rows.stop, cols.start : cols.stop]
    values = ", ".join(fmt(v) for v in window.ravel())
    where = f" (channel {c_sel + 1})" if len(x) > 1 else ""
    head = (
        f"**Window of output cell ({i_sel}, {j_sel})**{where}: rows {rows[0]}–{rows[-1]}, "
        f"columns {cols[0]}–{cols[-1]}, values {values}. "
    )
    if mode == "max":
        r, col = divmod(int(idx[c_sel, i_sel, j_sel]), w)
        ties = int(np.sum(window == window.max()))
        st.markdown(
            head
            + f"The max **{fmt(y[c_sel, i_sel, j_sel])}** is won by input cell **({r}, {col})**"
            + (f"; {ties} cells tie: {TIES}." if ties > 1 else ".")
        )
    else:
        st.markdown(
            head + f"Their mean: {fmt(round(window.sum(), 4))} / {window.size} = "
            f"**{fmt(round(y[c_sel, i_sel, j_sel], 4))}**."
        )
    code_panel(lambda: pool_code.pool2d(x, mode, size, stride), "pl_code_grid")
    if st.toggle(
        "▶ Watch the window slide (an animation that plays in your browser)",
        key="pl_animate",
        persist_state=KEEP,
        bind=LINK,
    ):
        winners = [divmod(int(n), w) for n in idx[c_sel].ravel()] if mode == "max" else None
        show_figure(pooling_animation(x[c_sel], y[c_sel], geo.windows(), winners), "pl_animation")
