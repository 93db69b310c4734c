"""Receptive field: what a unit sees of the input, in theory and in practice (seeds 000, 002).

The tabs share no setting above them (the On an image tab reads the network chosen in the Real
network tab from session state), so the page is the header, the recurrence and the tabs; each
tab is a module of views/receptive_field/ and runs only while it is open, as a fragment (a
widget inside it reruns that tab alone)."""

import streamlit as st

from ui.notes import from_the_notes, notes_name
from ui.page import PageFrame
from views.receptive_field import common, network, on_image, stack, stacked_kernels

frame = PageFrame("rf", title="Receptive field")
frame.header()
common.set_defaults()
st.markdown(
    "A unit of a feature map is computed from a small window of the map below it, which is "
    "computed from windows of the map below that… Its **receptive field** is the patch of the "
    f"*input image* it can see. In {notes_name('000')}, after a 3×3 convolution and a 2×2 "
    "max pool, *each feature of the max-pooled maps looks at 4 features of the pre-pooled maps "
    "and 16 features of the input*. Stacking layers, and above all pooling and strides, makes "
    "the field grow."
)
from_the_notes(("000", "Stacking convolution, pooling, dense layers"))
st.latex(
    r"n_l = \left\lfloor \frac{n_{l-1} + 2p_l - d_l(k_l-1) - 1}{s_l} \right\rfloor + 1,\quad "
    r"j_l = j_{l-1}\, s_l,\quad r_l = r_{l-1} + (k_l - 1)\, d_l\, j_{l-1},\quad "
    r"\text{start}_l = \text{start}_{l-1} - p_l\, j_{l-1}"
)
st.caption(
    "k kernel, s stride, p padding, d dilation; j the **jump** (input pixels between neighbouring "
    "units), r the field size; layer 0 is the input: j₀ = 1, r₀ = 1, start₀ = 0. **start** is the "
    "first input pixel that unit 0 sees (negative: in the padding); unit i sees pixels "
    "start + i·j … start + i·j + r − 1."
)
frame.tabs(
    {
        "Stack of layers": stack.render,
        "Real network": network.render,
        "On an image": on_image.render,
        "3×3 stacks": stacked_kernels.render,
    }
)
