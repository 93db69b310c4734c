"""Padding, stride & dilation: output sizes, padding modes, shrinking stacks and transposed
convolution, and seed 001's zero-padded 6×6 example (seeds 000, 001, 002, 004).

The four tabs share no setting, so the page is the header, the intro and the tabs; each tab is a
module of views/padding/ and runs only while it is open (a widget change reruns that tab)."""

import streamlit as st

from ui.page import PageFrame
from views.padding import common, output_size, padding_modes, seed001, stacks, transposed

frame = PageFrame("pd", title="Padding, stride & dilation")
frame.header()
common.set_defaults()
st.markdown(
    "Where a kernel may go decides how big the output is. **Padding** adds cells around the "
    "input, **stride** jumps several cells between positions, **dilation** spreads the kernel's "
    "taps apart. A **transposed convolution** runs the arrow backwards and makes an image bigger."
)
frame.tabs(
    {
        "Output size & sliding": output_size.render,
        "Padding modes": padding_modes.render,
        "Shrinking, stride, dilation": stacks.render,
        "Transposed convolution": transposed.render,
        "Worked example: 6×6 with zero padding": seed001.render,
    }
)
