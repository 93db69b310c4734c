"""The Architecture tab: parameters, multiply-adds and the U-Net diagram of the configuration
chosen above the tabs, the stage table, and the transposed convolution on a 2×2 example."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st

from cnnplay.ops.conv import conv_transpose2d_naive
from cnnplay.plots.grids import grid_figure
from cnnplay.segmentation.plots import unet_diagram
from cnnplay.segmentation.unet import UNetConfig
from cnnplay.snippets import segmentation as seg_code
from ui.code_panel import code_panel
from ui.figures import show_figure, show_table
from ui.notes import from_the_notes, notes_name
from ui.page import tab_body
from views.segmentation.common import SIZE, architecture

X_SMALL = np.array([[1.0, 2.0], [3.0, 4.0]])  # seed 001's transposed-convolution example
K_SMALL = np.array([[1.0, 0.5], [0.5, 0.25]])


@tab_body
def render(config: UNetConfig) -> None:
    arch, n_params, n_macs = architecture(config)
    m1, m2, m3 = st.columns(3)
    m1.metric("Parameters", f"{n_params:,}")
    m2.metric("Multiply-adds per scene", f"{n_macs / 1e6:,.0f} M")
    m3.metric("Smallest map", f"{SIZE // config.factor}×{SIZE // config.factor}")
    st.caption(
        f"**{config.label()}**, input 3×{SIZE}×{SIZE}. Box height grows with the map's side, "
        "width with its channels; hover a box for its shape (channels × height × width)."
    )
    show_figure(unet_diagram(arch, config, SIZE), "seg_diagram", width="stretch")
    show_table(
        pd.DataFrame(
            [
                {
                    "stage": s.label,
                    "part": s.part,
                    "channels": s.shape[0],
                    "height": s.shape[1],
                    "width": s.shape[2],
                    "values": s.shape[0] * s.shape[1] * s.shape[2],
                }
                for s in arch
            ]
        ),
        hide_index=True,
        key="seg_stage_table",
    )
    code_panel(lambda: seg_code.unet(config, SIZE), "seg_code_unet")
    left, right = st.columns(2)
    with left:
        st.markdown(
            "**Encoder** (each level): two 3×3 convolutions with padding 1 keep the size, "
            "2×2 max pooling halves it and the channels double:"
        )
        st.latex(r"C\times H\times W \;\to\; 2C \times \tfrac{H}{2}\times\tfrac{W}{2}")
        st.markdown(
            "**Decoder** (each level): upsample ×2, concatenate the skip (channels add up), two "
            "3×3 convolutions; a final **1×1 convolution** gives one score per class and pixel."
        )
    with right:
        st.markdown(
            "**Transposed convolution** is the upsampler: each input value stamps a scaled "
            f"copy of the kernel into the output (the `trans_conv` loop of {notes_name('001')})"
            ". Its output size is"
        )
        st.latex(r"n_\text{out} = (n_\text{in} - 1)\,s - 2p + k")
        st.markdown(
            "so a 2×2 kernel with stride 2 doubles the side, and the FCN's single step uses "
            r"$k = 2f,\ s = f,\ p = f/2$ to multiply it by $f = 2^\text{depth}$ "
            f"(here ×{config.factor}). The [Padding, stride & dilation](padding) page steps "
            "through it stamp by stamp and as a matrix."
        )
    g1, g2, g3, g4 = st.columns(4)
    show_figure(grid_figure(X_SMALL, "input 2×2"), "seg_tc_x", g1)
    show_figure(grid_figure(K_SMALL, "kernel 2×2"), "seg_tc_k", g2)
    show_figure(
        grid_figure(conv_transpose2d_naive(X_SMALL, K_SMALL, stride=2), "stride 2 → 4×4"),
        "seg_tc_s2",
        g3,
    )
    show_figure(
        grid_figure(conv_transpose2d_naive(X_SMALL, K_SMALL, stride=1), "stride 1 → 3×3"),
        "seg_tc_s1",
        g4,
    )
    st.caption(
        "With stride 2 the stamps sit side by side (each value becomes a 2×2 block); with "
        "stride 1 they overlap and add up, as in the notes' example."
    )
    from_the_notes(("001", "Deconvolution"))
