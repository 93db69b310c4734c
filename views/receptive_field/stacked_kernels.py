"""The "3×3 stacks" tab (seed 002): n stacked 3×3 convolutions see as far as one F×F
convolution, with fewer weights and more nonlinearities."""

from __future__ import annotations

import streamlit as st

from cnnplay.receptive import stacked_3x3
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body


def num(v: int) -> str:
    """Thousands separators that survive LaTeX: 110{,}592."""
    return f"{v:,}".replace(",", "{,}")


@tab_body
def render() -> None:
    st.markdown(
        f"VGG's idea, in {notes_name('002')}: instead of one large kernel, stack 3×3 kernels. "
        "Each 3×3 layer adds 2 to the field, so n = (F − 1)/2 layers see F×F — with fewer "
        "weights and a nonlinearity between layers (C channels in and out, no bias)."
    )
    from_the_notes(("002", "Case Study: VGG (2014)"))
    c1, c2 = st.columns(2)
    field = int(
        c1.number_input("Field F (odd)", 3, 99, step=2, key="rf_F", persist_state=KEEP, bind=LINK)
    )
    c = int(c2.number_input("Channels C", 1, 4096, key="rf_C", persist_state=KEEP, bind=LINK))
    try:
        s = stacked_3x3(field, c)
    except ValueError as err:
        st.error(str(err), icon=":material/block:")
        return
    st.latex(
        rf"n = \frac{{F-1}}{{2}} = \frac{{{s.field}-1}}{{2}} = {s.layers}\qquad "
        rf"n\cdot 9C^2 = {s.layers}\cdot 9\cdot {c}^2 = {num(s.weights_stack)}"
        rf"\quad\text{{vs}}\quad F^2C^2 = {s.field}^2\cdot {c}^2 = {num(s.weights_single)}"
    )
    st.markdown(
        f"**{s.weights_stack:,} vs {s.weights_single:,} weights**: the stack needs "
        f"{100 * s.weights_stack / s.weights_single:.0f}% of them, and has {s.layers} "
        f"nonlinearities instead of 1."
    )
