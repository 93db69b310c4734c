"""The "Photos" tab of the Kernels page: a named (or custom) kernel on a sample or uploaded photo,
computed with torch, and what the sum of its weights does to flat areas."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from cnnplay.device import get_device
from cnnplay.filtering import filter_image, to_grayscale
from cnnplay.kernels import PHOTO_KERNELS
from cnnplay.plots.images import DISPLAY_MODES, resolve_display_mode, to_uint8
from cnnplay.plots.style import fmt
from ui.inputs import image_picker, matrix_editor, show_notes
from ui.page import KEEP, tab_body

DEFAULT_KERNEL = "Sobel x (vertical edges)"
SIZES = [3, 5, 7, 9, 11, 15]  # kernel sides offered


def weights_sum_text(total: float) -> str:
    """What a kernel whose weights sum to ``total`` does to a flat area."""
    if abs(total - 1) < 1e-3:
        return "flat areas keep their brightness."
    if abs(total) < 1e-3:
        return "flat areas become 0, so only changes (edges) remain."
    return f"flat areas are scaled by {fmt(round(total, 3))}."


@tab_body
def render() -> None:
    left, right = st.columns([1, 2])
    with left:
        picked = image_picker("kn_ph", default="chelsea (cat)")
        show_notes(picked)
        choice = st.selectbox(
            "Kernel",
            [*PHOTO_KERNELS, "Custom"],
            key="kn_ph_kernel",
            index=list(PHOTO_KERNELS).index(DEFAULT_KERNEL),
            persist_state=KEEP,
        )
        size = st.select_slider("Kernel size", SIZES, value=5, key="kn_ph_size", persist_state=KEEP)
        sigma = st.slider(
            "Gaussian σ",
            0.3,
            5.0,
            1.0,
            0.1,
            key="kn_ph_sigma",
            disabled=choice != "Gaussian blur",
            persist_state=KEEP,
        )
        base = np.zeros((size, size)) if choice == "Custom" else PHOTO_KERNELS[choice](size, sigma)
        kernel = matrix_editor(
            np.round(base, 4),
            key=f"kn_ed_ph_{choice}_{size}_{sigma}",
            step=0.0001,
            label="Weights (editable)",
        )
        gray = (
            st.radio(
                "Channels",
                ["grayscale", "per channel (RGB)"],
                horizontal=True,
                key="kn_ph_gray",
                persist_state=KEEP,
            )
            == "grayscale"
        )
        pad_mode = st.selectbox(
            "Border (padding mode)",
            ["reflect", "replicate", "zeros", "circular"],
            key="kn_ph_pad",
            persist_state=KEEP,
        )
        display = st.radio(
            "Show the output as",
            list(DISPLAY_MODES),
            format_func=DISPLAY_MODES.get,
            key="kn_ph_display",
            persist_state=KEEP,
        )
    with right:
        image = to_grayscale(picked.pixels) if gray else picked.pixels
        start = time.perf_counter()
        try:
            out = filter_image(image, kernel, padding_mode=pad_mode)
        except ValueError as err:
            st.error(f"This kernel cannot be applied: {err}", icon=":material/block:")
            return
        ms = (time.perf_counter() - start) * 1000
        c_in, c_out = st.columns(2)
        c_in.image(
            np.clip(image, 0, 255).astype(np.uint8),
            caption=f"input ({picked.label}), {image.shape[1]}×{image.shape[0]}, values 0 … 255",
            width="stretch",
        )
        shown_as = resolve_display_mode(display, kernel)
        c_out.image(
            to_uint8(out, shown_as),
            width="stretch",
            caption=f"output, values {out.min():.1f} … {out.max():.1f}, "
            f"shown as: {DISPLAY_MODES[shown_as]}",
        )
        total = kernel.sum()
        st.markdown(
            f"The weights sum to **{fmt(round(total, 4))}**: {weights_sum_text(total)}"
            f" Computed with torch on {get_device().type.upper()} in {ms:.0f} ms."
        )
