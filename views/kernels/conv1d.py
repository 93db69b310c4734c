"""The "1D convolution" tab of the Kernels page (seed 004): flip g, shift it by x, multiply with
f, integrate; the shift x on a slider, the product's area shaded, then the whole output curve
with the current x marked. Computed exactly by cnnplay.ops.conv1d."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.ops.conv1d import (
    SEED004_F,
    SEED004_G,
    SEED004_X,
    conv1d_at,
    conv1d_curve,
    conv1d_support,
)
from cnnplay.plots.conv1d import output_curve_figure, overlap_figure
from ui.figures import show_figure
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body

X_RANGE = (8.0, 14.0)  # the slider's range: a little beyond where f * g is non-zero
T_RANGE = (7.5, 14.5)  # the t axis of the overlap figure


@st.cache_data(max_entries=1)
def output_curve() -> tuple[np.ndarray, np.ndarray]:
    """(xs, (f * g)(xs)) over the slider's range, (601,) each (the same for every student)."""
    xs = np.linspace(*X_RANGE, 601)
    return xs, conv1d_curve(SEED004_F, SEED004_G, xs)


@tab_body
def render() -> None:
    st.markdown(
        f"The 1D example of {notes_name('004')}. To get the convolution at one point x: "
        "**flip** g around 0, **shift** it by x, **multiply** it with f, and **integrate** "
        "(the area of the product). Move x and watch the area."
    )
    from_the_notes(("004", "Convolution: 1d Example"))
    st.latex(r"(f * g)(x) = \int_{-\infty}^{+\infty} f(t)\, g(x - t)\, dt")
    lo, hi = conv1d_support(SEED004_F, SEED004_G)
    st.caption(
        "The notes draw f and g as pictures. Here f is a box of height 1 on [10, 12] and g the "
        "triangle 1 − |t| on [−1, 1] (symmetric, so the flip changes nothing, as the notes "
        f"say): this reading gives exactly the notes' 0.875 at x = 11.5. f ∗ g is non-zero "
        f"only for {lo:g} < x < {hi:g}."
    )
    x = float(
        st.slider("shift x", *X_RANGE, step=0.05, key="kn_1d_x", persist_state=KEEP, bind=LINK)
    )
    value = conv1d_at(SEED004_F, SEED004_G, x)
    show_figure(overlap_figure(SEED004_F, SEED004_G, x, T_RANGE), "kn_1d_overlap", width="stretch")
    st.latex(
        rf"(f * g)({x:g}) = \int f(t)\, g({x:g} - t)\, dt = \text{{shaded area}} = {value:.4f}"
    )
    if abs(x - SEED004_X) < 1e-9:
        st.markdown(f"**(f ∗ g)(11.5) = {value:g}**: the notes' value ✓")
    xs, ys = output_curve()
    st.markdown("Repeat for every x and you get the whole output function f ∗ g:")
    show_figure(output_curve_figure(xs, ys, x, value), "kn_1d_curve", width="stretch")
    st.caption(
        "Computed exactly: between breakpoints the product is a quadratic, integrated with "
        "Simpson's rule (and tested against NumPy's np.convolve on a fine grid). "
        "A CNN drops the flip and computes the correlation ∫ f(t) g(t − x) dt: the flipped "
        "kernel is simply what it learns."
    )
