"""Bottleneck & cost: parameters and multiply-adds of dense, local and convolutional layers, what a
1×1 bottleneck saves, measured on the device, and the cost of real networks (seeds 001, 002).

No setting is shared by several tabs, so the page is its header and the tabs; each tab is a module
of views/bottleneck_cost/ and runs only while it is open."""

from __future__ import annotations

import streamlit as st

from ui.page import PageFrame
from views.bottleneck_cost import (
    bottleneck,
    case_studies,
    common,
    layer_list,
    layers,
    real_networks,
)

frame = PageFrame("bn", title="Bottleneck & cost")
frame.header()
common.set_defaults()
st.markdown(
    "What does a layer cost? **Parameters** (what must be learned and stored) and "
    "**multiply-accumulates** (MACs: one multiply and one add, the work of a forward pass). "
    "Convolutions were invented to cut the first; 1×1 bottlenecks cut the second."
)

frame.tabs(
    {
        "Dense, local, shared": layers.render,
        "Bottleneck": bottleneck.render,
        "Layer list": layer_list.render,
        "Real networks": real_networks.render,
        "Case studies": case_studies.render,
    }
)
