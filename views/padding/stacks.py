"""The "Shrinking, stride, dilation" tab of the Padding page: how a stack of valid convolutions
runs out of pixels, what a stride saves, and how dilation widens a kernel's view."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.ops.conv import conv_output_size, multiply_count, stack_sizes
from cnnplay.plots.grids import add_box, grid_figure, size_stack_figure
from cnnplay.plots.style import WINDOW_COLOUR
from cnnplay.snippets import conv as conv_code
from ui.code_panel import code_panel
from ui.figures import show_figure
from ui.links import LINK
from ui.page import KEEP, tab_body


@tab_body
def render() -> None:
    c1, c2, c3 = st.columns(3)
    n = c1.number_input("image side n", 4, 256, 32, key="pd_sn", persist_state=KEEP, bind=LINK)
    f = c2.select_slider(
        "kernel f", [1, 3, 5, 7], value=5, key="pd_sf", persist_state=KEEP, bind=LINK
    )
    layers = c3.slider("layers L", 1, 20, 10, key="pd_sl", persist_state=KEEP, bind=LINK)
    valid, same = stack_sizes(n, f, layers), stack_sizes(n, f, layers, same=True)
    st.markdown(
        "Each **valid** convolution keeps only the positions where the whole kernel fits: "
        f"n − f + 1 = {n} − {f} + 1 = **{n - f + 1}**. After L layers the side is "
        "n − L(f − 1), so a deep stack runs out of pixels; **same** padding, (f − 1)/2 on each "
        "side, keeps the size."
    )
    gone = len(valid) - 1 if valid[-1] == 0 else None
    st.latex(
        rf"n_L = n - L(f-1) = {n} - {layers}\cdot({f}-1) = {n - layers * (f - 1)}"
        + (r"\ \le 0" if gone else "")
    )
    if gone:
        st.warning(
            f"Valid convolutions: no pixels left after layer {gone} (only {valid[-2]} "
            f"pixel(s) wide before it, and the kernel is {f} wide).",
            icon=":material/warning:",
        )
    show_figure(
        size_stack_figure({"valid": valid, '"same" padding': same}, "side after each layer"),
        "pd_stack",
    )
    code_panel(lambda: conv_code.conv_stack(n, f, layers), "pd_code_stack")

    st.subheader("Stride skips positions and saves work")
    sd = st.slider("stride", 1, 4, 2, key="pd_sst", persist_state=KEEP, bind=LINK)
    pad = (f - 1) // 2
    counts = {s: multiply_count((n, n), (f, f), stride=s, padding=pad) for s in (1, sd)}
    out_s = conv_output_size(n, f, sd, pad)
    st.markdown(
        f"With padding {pad}, a {f}×{f} kernel on {n}×{n}: stride 1 computes "
        f"{conv_output_size(n, f, 1, pad)}² positions, **{counts[1]:,}** multiplications; "
        f"stride {sd} computes {out_s}² positions, **{counts[sd]:,}** multiplications "
        f"({counts[1] / counts[sd]:.1f}× fewer)."
    )

    st.subheader("Dilation widens the view without more weights")
    dil = st.slider("dilation", 1, 4, 2, key="pd_sd", persist_state=KEEP, bind=LINK)
    span = dil * (f - 1) + 1
    st.markdown(
        "| dilation d | span d(k−1)+1 | weights |\n|---|---|---|\n"
        + "\n".join(
            f"| {d}{' ←' if d == dil else ''} | {d * (f - 1) + 1}×{d * (f - 1) + 1} | {f * f} |"
            for d in range(1, 5)
        )
    )
    taps = range(0, span, dil)
    show_figure(
        add_box(
            grid_figure(
                np.zeros((span, span)),
                f"{f}×{f} kernel, d = {dil}: {f * f} taps over {span}×{span}",
                show_values=False,
            ),
            taps,
            taps,
            WINDOW_COLOUR,
        ),
        "pd_dil",
    )
