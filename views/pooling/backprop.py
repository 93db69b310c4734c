"""The Backprop tab: the gradient of max pooling goes to the argmax of each window, by the rule
and by torch's autograd, on the grid of the "Pool a grid" tab (its selected channel)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.ops.pool import (
    PoolGeometry,
    max_pool_grad_autograd,
    max_pool_grad_rule,
    pool2d_naive,
    pool_geometry,
)
from cnnplay.plots.grids import grid_figure, mark_cells
from cnnplay.plots.style import WINNER_COLOUR
from ui.figures import show_figure
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.pooling.common import TIES, cells_of, chosen_grid

UPSTREAM = ["all ones", "1, 2, 3, … (one number per output cell)"]


def windows_of(plane: np.ndarray, geo: PoolGeometry) -> list[np.ndarray]:
    """The values of every pooling window of an (H, W) plane, row-major."""
    return [plane[rows.start : rows.stop, cols.start : cols.stop] for rows, cols in geo.windows()]


@tab_body
def render(mode: str, size: int, stride: int) -> None:
    st.markdown(
        "Max pooling has no weights, but gradients must pass through it. The max is "
        "non-differentiable only at ties; elsewhere it is 1 for the winner and 0 for the rest. "
        "So: **remember the index of each max in the forward pass, and send each output's "
        "gradient back to that cell only** (cells that win several overlapping windows add up)."
    )
    st.latex(
        r"\frac{\partial L}{\partial x_{r,c}} = \sum_{(i,j)\,:\;\arg\max(i,j) = (r,c)}"
        r" \frac{\partial L}{\partial y_{i,j}}"
    )
    x = chosen_grid()  # (C, H, W), as the "Pool a grid" tab shows it
    try:
        geo = pool_geometry(x.shape[1:], size, stride)
    except ValueError:
        geo = None
    if geo is None or mode == "global":
        st.info("Choose a window that fits the grid (and max or average pooling) above.")
        return
    c = st.session_state.pl_sel[0]
    c = c if c < len(x) else 0  # the "Pool a grid" tab resets a selection that no longer fits
    plane = x[c]
    upstream_kind = st.radio(
        "Gradient arriving from the next layer, ∂L/∂y",
        UPSTREAM,
        horizontal=True,
        key="pl_upstream",
        persist_state=KEEP,
        bind=LINK,
    )
    _, idx = pool2d_naive(plane, size, stride, return_indices=True)
    ho, wo = idx.shape
    upstream = (
        np.ones((ho, wo))
        if upstream_kind == UPSTREAM[0]
        else np.arange(1.0, ho * wo + 1).reshape(ho, wo)
    )
    rule = max_pool_grad_rule(idx, upstream, plane.shape)
    auto = max_pool_grad_autograd(plane, size, stride, upstream)
    cols = st.columns(4)
    winners = cells_of(idx, plane.shape[1])
    show_figure(
        mark_cells(grid_figure(plane, "input x"), winners, WINNER_COLOUR), "pl_bp_x", cols[0]
    )
    show_figure(grid_figure(upstream, "∂L/∂y"), "pl_bp_up", cols[1])
    show_figure(
        mark_cells(grid_figure(rule, "rule: to the argmax"), winners, WINNER_COLOUR),
        "pl_bp_rule",
        cols[2],
    )
    show_figure(grid_figure(auto, "autograd (torch)"), "pl_bp_auto", cols[3])
    diff = float(np.abs(rule - auto).max())
    zero = int(np.sum(auto == 0))
    multi = int(np.sum(np.bincount(idx.ravel()) > 1))
    st.markdown(
        f"Autograd and the rule **{'agree' if diff < 1e-12 else 'differ'}** (largest difference "
        f"{diff:.3g}). **{zero} of {plane.size}** input cells get no gradient at all"
        + (f"; **{multi}** cell(s) won more than one window and collect the sum." if multi else ".")
    )
    tied = sum(int(np.sum(w == w.max())) > 1 for w in windows_of(plane, geo))
    if tied:
        st.caption(
            f"{tied} window(s) have tied maxima: the max is not differentiable there, so which "
            f"tied cell gets the gradient is a convention: {TIES}."
        )
    if mode == "avg":
        st.caption(
            "You chose average pooling above: its gradient is spread evenly instead, "
            f"1/{size * size} of each output's gradient to every cell of its window."
        )
