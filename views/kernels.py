"""Kernels: slide a small pattern over an image and read the feature map (seeds 000, 002, 003,
004), and the 1D convolution behind the name.

The tabs share no setting, so the page is the header, the formula and the tabs; each tab is
a module of views/kernels/ and runs only while it is open (a widget change reruns that tab)."""

import streamlit as st

from ui.page import PageFrame
from views.kernels import common, conv1d, grids, photos, smoothing

GRID_TAB = "± 1 grids: the notes' + and X"
PHOTOS_TAB = "Photos"
CONV1D_TAB = "1D convolution"
SMOOTHING_TAB = "Why 'convolution'?"

frame = PageFrame("kn", title="Kernels")
frame.header()
common.set_defaults()
st.markdown(
    "A **kernel** (filter) is a small grid of weights. Slide it over the image; at each place, "
    "multiply the overlapping values and add them up. The grid of sums is the **feature map**: "
    "it is large where the image looks like the kernel. A CNN layer does this with one kernel "
    "*slice* per input channel, sums the C products into **one** map, adds a bias, applies an "
    "activation, and learns the weights (the Photos tab shows the difference from filtering "
    "each colour channel on its own)."
)
st.latex(
    r"F_{i,j} = f\Big(\sum_{c=1}^{C}\sum_{u=0}^{k-1}\sum_{v=0}^{k-1}"
    r" W_{c,u,v}\, X_{c,\,i+u,\,j+v} + b\Big)"
)
frame.tabs(
    {
        GRID_TAB: grids.render,
        PHOTOS_TAB: photos.render,
        CONV1D_TAB: conv1d.render,
        SMOOTHING_TAB: smoothing.render,
    }
)
