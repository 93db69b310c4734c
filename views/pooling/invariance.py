"""The Invariance tab (seed 002). First equivariance, checked: the map of the shifted input equals
the shifted map, f(g(x)) = g(f(x)). Then what pooling adds: compared cell by cell, the shifted
map differs almost everywhere, the max-pooled map much less (approximate invariance)."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.grids import PLUS_3
from cnnplay.ops.pool import (
    POOL_GRIDS,
    SEED002_DETECTOR_ROW,
    equivariance_check,
    translation_effect,
)
from cnnplay.plots.grids import grid_figure, mark_cells
from cnnplay.plots.style import CHANGED_COLOUR
from ui.figures import show_figure
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body

INPUTS = {  # name -> (input, kernel or None, fill for vacated cells, window is a row)
    "The notes' row of detector outputs": (SEED002_DETECTOR_ROW, None, 0.0, True),
    "9×9 + through the + kernel": (POOL_GRIDS["9×9 + (±1)"](), PLUS_3, -1.0, False),
    "9×9 X, no kernel": (POOL_GRIDS["Seed 003: 9×9 X (±1)"](), None, -1.0, False),
}


EQ_INPUTS = {  # name -> input on a background of -1 (the + kernel is the convolution f)
    "9×9 +": POOL_GRIDS["9×9 + (±1)"],
    "9×9 X": POOL_GRIDS["Seed 003: 9×9 X (±1)"],
}


@tab_body
def render() -> None:
    _equivariance()
    st.divider()
    _invariance()


def _equivariance() -> None:
    """f(g(x)) next to g(f(x)) for the + kernel and a shift the student picks."""
    st.markdown(
        f"**Equivariance**, as {notes_name('002')} put it: a function f is equivariant to g "
        "if f(g(x)) = g(f(x)). With g a shift of the input and f a convolution: the feature map "
        "of the shifted input **equals** the shifted feature map. Nothing is lost or changed, "
        "the pattern's response simply moves along with the pattern."
    )
    from_the_notes(("002", "Equivariance vs. Invariance"))
    st.latex(r"f\big(g(x)\big) = g\big(f(x)\big)")
    c1, c2, c3 = st.columns([2, 1, 1])
    name = c1.selectbox("Input x", list(EQ_INPUTS), key="pl_eq_src", persist_state=KEEP, bind=LINK)
    dx = c2.number_input("g: shift right by", -4, 4, key="pl_eq_dx", persist_state=KEEP, bind=LINK)
    dy = c3.number_input("g: shift down by", -4, 4, key="pl_eq_dy", persist_state=KEEP, bind=LINK)
    check = equivariance_check(EQ_INPUTS[name](), PLUS_3, int(dy), int(dx), fill=-1.0)
    st.caption(
        "f: the + kernel, borders padded with the background (−1), so each map has the input's "
        "size. g on a map fills the cells it vacates with f(background) = −1 · sum(kernel) = "
        f"{-PLUS_3.sum():g}. Black outlines: cells where the two maps differ."
    )
    cols = st.columns(3)
    show_figure(grid_figure(check.shifted_input, "g(x): the shifted input"), "pl_eq_gx", cols[0])
    show_figure(grid_figure(check.map_of_shifted, "f(g(x))"), "pl_eq_fgx", cols[1])
    fig = grid_figure(check.shifted_map, "g(f(x))")
    mark_cells(fig, list(zip(*np.nonzero(check.differ), strict=True)), CHANGED_COLOUR)
    show_figure(fig, "pl_eq_gfx", cols[2])
    n = int(check.differ.sum())
    if check.equal:
        verdict = f"f(g(x)) = g(f(x)) — **equal: yes** (all {check.differ.size} cells)."
    else:
        verdict = f"f(g(x)) ≠ g(f(x)) — **equal: no**, {n} of {check.differ.size} cells differ."
    if check.content_lost:
        verdict += (
            " This shift pushes part of the input out of the frame: what is lost at the edge "
            "cannot move along. Choose a smaller shift to keep the content inside."
        )
    st.markdown(verdict)


def _invariance() -> None:
    """How many values of the raw and the max-pooled map change when the input shifts."""
    st.markdown(
        "**Invariance: what pooling adds.** Equivariant means the map *moves*; so, compared "
        "cell by cell with the unshifted map, almost every value changes. Max pooling keeps "
        "only the largest value of each window: while a feature stays inside its window, the "
        "pooled value stays the same. So the max-pooled map is (approximately) **invariant** "
        f"to small shifts. {notes_name('002', capital=True)} advise: *use max pooling only "
        "when you care more about whether some feature is present than exactly where it is*."
    )
    from_the_notes(("002", "Side Effect: Translation Invariance", "Equivariance vs. Invariance"))
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    name = c1.selectbox("Input", list(INPUTS), key="pl_inv_src", persist_state=KEEP, bind=LINK)
    source, kernel, fill, is_row = INPUTS[name]
    dx = c2.number_input("shift right by", 0, 4, key="pl_inv_dx", persist_state=KEEP, bind=LINK)
    dy = c3.number_input(
        "shift down by", 0, 4, key="pl_inv_dy", disabled=is_row, persist_state=KEEP, bind=LINK
    )
    k = c4.number_input("max-pool window", 1, 9, key="pl_inv_k", persist_state=KEEP, bind=LINK)
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
        f"({100 * raw_n / effect.raw.size:.0f}%): it moved with the input (equivariance).  \n"
        f"Max-pooled map: **{pool_n} of {effect.pooled.size}** values changed "
        f"({100 * pool_n / effect.pooled.size:.0f}%): "
        + ("unchanged: invariant to this shift." if pool_n == 0 else "only partly invariant.")
        + " Shifts smaller than the window change fewest pooled values."
    )
