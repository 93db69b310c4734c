"""Pooling: shrink a feature map window by window, keeping the max or the mean (seeds 000, 002).

The pooling mode, window size and stride are shared by several tabs, so they sit above the tabs
(a change reruns the page); each tab is a module of views/pooling/ and runs only while it is
open, as a fragment (a widget inside it reruns that tab alone)."""

import streamlit as st

from ui.links import LINK
from ui.page import KEEP, PageFrame
from views.pooling import (
    backprop,
    common,
    cross_filter,
    grid,
    invariance,
    photo,
    saving_work,
    undo_pooling,
)

frame = PageFrame("pl", title="Pooling")
frame.header()
common.set_defaults()
st.markdown(
    "A **pooling** layer slides a window over each feature map and keeps one number per place: "
    "the **max** (did the pattern appear here?) or the **average**. It has no weights to learn; "
    "it makes the maps smaller, so later layers have less to do and each of their cells sees "
    "more of the image. **Global average pooling** keeps one number per channel."
)
st.latex(
    r"y_{i,j} = \max_{0 \le u,v < k} x_{i s + u,\; j s + v}"
    r"\qquad\text{or}\qquad y_{i,j} = \frac{1}{k^2}\sum_{0 \le u,v < k} x_{i s + u,\; j s + v}"
)

c_mode, c_size, c_stride = st.columns([2, 1, 1])
mode = c_mode.radio(
    "Pooling",
    list(common.MODES),
    format_func=common.MODES.get,
    horizontal=True,
    key="pl_mode",
    persist_state=KEEP,
    bind=LINK,
)
size = int(
    c_size.number_input(
        "Window size k",
        1,
        16,
        key="pl_size",
        disabled=mode == "global",
        persist_state=KEEP,
        bind=LINK,
    )
)
stride = int(
    c_stride.number_input(
        "Stride s",
        0,
        16,
        key="pl_stride",
        disabled=mode == "global",
        help="How far the window moves each step; smaller than k: the windows overlap.",
        persist_state=KEEP,
        bind=LINK,
    )
)

frame.tabs(
    {
        "Pool a grid": lambda: grid.render(mode, size, stride),
        "Photo": lambda: photo.render(mode, size, stride),
        "Undo pooling": undo_pooling.render,
        "Backprop": lambda: backprop.render(mode, size, stride),
        "Invariance": invariance.render,
        "Across filters": cross_filter.render,
        "Saving work": saving_work.render,
    }
)
