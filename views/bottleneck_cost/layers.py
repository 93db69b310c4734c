"""The Dense, local, shared tab (seed 001): parameters of a fully connected layer, a layer of
local receptive fields and the same layer with shared weights (a convolution)."""

from __future__ import annotations

import streamlit as st

from cnnplay.cost import conv_layer, dense_layer, local_layer
from cnnplay.plots.charts import cost_bar_figure
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from views.bottleneck_cost.common import n, show


@tab_body
def render() -> None:
    st.markdown(
        f"{notes_name('001', capital=True)}, on MNIST: a **fully connected** layer, a layer of "
        "**local receptive fields** (each unit sees a small window, with weights of its own) "
        "and the same layer with "
        "**shared** weights, which is a **convolution**. Change the sizes."
    )
    from_the_notes(
        ("001", "Minimizing the number of parameters: LRF's", "From LRF's to convolutional layers")
    )
    c = st.columns(6)
    side = c[0].number_input(
        "Image side N", 1, 1024, 28, key="bn_side", persist_state=KEEP, bind=LINK
    )
    channels = c[1].number_input(
        "Input channels", 0, 512, 1, key="bn_channels", persist_state=KEEP, bind=LINK
    )
    field = c[2].number_input(
        "Field side M", 1, 64, 5, key="bn_field", persist_state=KEEP, bind=LINK
    )
    maps = c[3].number_input(
        "Fields per pixel (maps)", 0, 512, 1, key="bn_maps", persist_state=KEEP, bind=LINK
    )
    stride = c[4].number_input("Stride", 1, 16, 1, key="bn_stride", persist_state=KEEP, bind=LINK)
    units = c[5].number_input(
        "Dense units", 0, 100_000, 100, key="bn_units", persist_state=KEEP, bind=LINK
    )
    st.caption(
        "The notes' numbers: 28, 1, 5, 1, 1, 100 (78,500 / 14,976); "
        "then 3 channels and 5 maps for the colour version (218,880)."
    )
    inputs = side * side * channels
    try:
        dense = dense_layer(inputs, units)
    except ValueError as err:
        st.error(f"Fully connected layer: {err}.", icon=":material/block:")
        dense = None
    if dense is not None:
        st.latex(
            rf"\text{{fully connected: }} \underbrace{{{n(inputs)}}}_{{{side}\times{side}\times"
            rf"{channels}\text{{ inputs}}}} \times {n(units)} + \underbrace{{{n(units)}}}"
            rf"_{{\text{{biases}}}} = {n(dense.params)}"
        )
    try:
        local = local_layer(side, field, channels, maps, stride)
        shared = conv_layer(side, field, channels, maps, stride)
    except ValueError as err:
        st.error(
            f"Local and shared layers: {err}. Choose a field no larger than the image, "
            "and at least one channel and one map.",
            icon=":material/block:",
        )
        return
    o = local.out_side
    st.latex(
        rf"\text{{output side: }} \left\lfloor\frac{{{side} - {field}}}{{{stride}}}\right\rfloor"
        rf" + 1 = {o}"
    )
    st.latex(
        rf"\text{{local, not shared: }} \underbrace{{{field}\times{field}\times{channels}}}"
        rf"_{{\text{{weights per unit}}}} \times \underbrace{{{maps}\times{o}\times{o}}}"
        rf"_{{\text{{units}}}} + \underbrace{{{n(local.biases)}}}_{{\text{{biases}}}}"
        rf" = {n(local.weights)} + {n(local.biases)} = {n(local.params)}"
    )
    st.latex(
        rf"\text{{shared (convolution): }} {field}\times{field}\times{channels}\times{maps}"
        rf" + \underbrace{{{maps}}}_{{\text{{one bias per map}}}} = {n(shared.params)}"
    )
    labels = ["fully connected", "local, not shared", "shared (conv)"]
    values = [dense.params if dense else 0, local.params, shared.params]
    left, right = st.columns([3, 2])
    show(
        cost_bar_figure(labels, values, "parameters (log scale)", log=True), "bn_layers_chart", left
    )
    right.markdown(
        f"The local and the shared layer both have **{local.units:,} units**. "
        "Sharing divides the local layer's parameters by "
        f"**{local.params / shared.params:,.0f}**: the same few weights are used at all "
        f"{o * o:,} positions, so a pattern learned in one place is found everywhere. "
        "The local layer still beats the dense one, but it must learn each detector at "
        "every position separately."
    )
