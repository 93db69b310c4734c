"""Bottleneck & cost: parameters and multiply-adds of dense, local and convolutional layers, what a
1×1 bottleneck saves, measured on the device, and the cost of real networks (seeds 001, 002).

No setting is shared by several tabs, so the page is its header and the tabs; each tab is a module
of views/bottleneck_cost/ and runs only while it is open."""

from __future__ import annotations

import streamlit as st

from cnnplay.cost import BlockSettings, block_terms
from ui.notes import from_the_notes, notes_name
from ui.page import PageFrame
from views.bottleneck_cost import (
    bottleneck,
    case_studies,
    common,
    layer_list,
    layers,
    real_networks,
    shortcuts,
)

frame = PageFrame("bn", title="Bottleneck & cost")
frame.header()
common.set_defaults()
SEED002 = BlockSettings()  # seed 002's example: 256 → 256 channels, 3×3, bottleneck width 64
plain_weights = sum(t.weights for t in block_terms("plain", SEED002))
bottleneck_weights = sum(t.weights for t in block_terms("bottleneck", SEED002))
st.markdown(
    "What does a layer cost? **Parameters** (what must be learned and stored) and "
    "**multiply-accumulates** (MACs: one multiply and one add, the work of a forward pass). "
    "A convolution slides one small filter over every position: local fields and **shared "
    "weights** need far fewer parameters than a dense layer, and the shared filter is *the same "
    "detector everywhere*, so a pattern is found wherever it appears. A 1×1 bottleneck then "
    "makes a convolution cheaper in **both** counts, because each weight is used once per output "
    f"position: in the example of {notes_name('002')} (256 channels, 3×3) it cuts the weights "
    f"from {plain_weights:,} to {bottleneck_weights:,} and the multiply-adds per position by the "
    f"same **{plain_weights / bottleneck_weights:.1f}×**."
)
from_the_notes(("001", "From LRF's to convolutional layers"), ("002", "Bottleneck layer"))

frame.tabs(
    {
        "Dense, local, shared": layers.render,
        "Bottleneck": bottleneck.render,
        "Layer list": layer_list.render,
        "Real networks": real_networks.render,
        "Case studies": case_studies.render,
        "Shortcuts": shortcuts.render,
    }
)
