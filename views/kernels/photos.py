"""The "Photos" tab of the Kernels page: a named (or custom) kernel on a sample or uploaded photo,
computed with torch, and what the sum of its weights does to flat areas.

Three ways to treat a colour photo (seed 002, "Supporting Color Images"): grayscale (one channel),
image filtering (one 2D kernel on each colour channel: three maps, not what a CNN layer does) and
a CNN layer's filter (one kernel with a slice per colour channel, summed into one map)."""

from __future__ import annotations

import hashlib
import time

import numpy as np
import streamlit as st

from cnnplay.device import get_device
from cnnplay.filtering import conv_layer_image, filter_image, to_grayscale
from cnnplay.kernels import PHOTO_KERNEL_SIZES, PHOTO_KERNELS
from cnnplay.plots.images import DISPLAY_MODES, resolve_display_mode, to_uint8
from cnnplay.plots.style import fmt
from cnnplay.snippets import conv as conv_code
from ui.code_panel import code_panel
from ui.inputs import image_picker, matrix_editor, show_notes
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body

DEFAULT_KERNEL = "Sobel x (vertical edges)"
SIZES = [3, 5, 7, 9, 11, 15]  # kernel sides offered
GRAY, FILTERING, CNN = (  # the "Channels" radio
    "grayscale",
    "per channel (RGB): image filtering",
    "CNN layer: 3 slices → 1 map",
)
CHANNEL_FORMULAS = {  # what each channel mode computes, shown under the radio
    GRAY: r"A_{i,j} = \sum_{u,v} W_{u,v}\, X_{i+u,\,j+v}",
    FILTERING: r"A_{c,i,j} = \sum_{u,v} W_{u,v}\, X_{c,\,i+u,\,j+v}"
    r"\quad c \in \{R, G, B\}\ \text{(3 maps)}",
    CNN: r"A_{i,j} = \sum_{c \in \{R,G,B\}} \sum_{u,v} W_{c,u,v}\, X_{c,\,i+u,\,j+v} + b"
    r"\ \text{(1 map)}",
}
CHANNEL_NOTES = {
    GRAY: "One channel (luminance): a 2D image * a 2D kernel → one 2D map.",
    FILTERING: "**Image filtering, not a CNN layer**: the same 2D kernel on R, G and B "
    "separately gives three maps (3D input * 2D filter → 3D map), shown as a colour image. "
    f"A CNN layer never does this ({notes_name('002')} cross it out).",
    CNN: "**What a CNN layer does**: one kernel with three slices W_R, W_G, W_B; each slice "
    "meets its own colour channel and the three products are **summed into one map**, plus a "
    "bias b (3D input * 3D filter → 2D map). A layer with K filters gives K such maps.",
}
SLICE_MIXES = {  # name -> the factor of the kernel in the R, G, B slices
    "equal: kernel ÷ 3 in each slice (sees brightness)": (1 / 3, 1 / 3, 1 / 3),
    "red only": (1.0, 0.0, 0.0),
    "green only": (0.0, 1.0, 0.0),
    "blue only": (0.0, 0.0, 1.0),
    "red minus green": (1.0, -1.0, 0.0),
}


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
            bind=LINK,
        )
        sizes = list(PHOTO_KERNEL_SIZES.get(choice, SIZES))
        if st.session_state["kn_ph_size"] not in sizes:  # e.g. 15 chosen, then Sobel (3 or 5)
            st.session_state["kn_ph_size"] = max(s for s in sizes if s <= 5)
        size = st.select_slider(
            "Kernel size", sizes, key="kn_ph_size", persist_state=KEEP, bind=LINK
        )
        if choice in PHOTO_KERNEL_SIZES:
            st.caption(f"{choice} comes in sizes {' and '.join(f'{n}×{n}' for n in sizes)} only.")
        sigma = st.slider(
            "Gaussian σ",
            0.3,
            5.0,
            1.0,
            0.1,
            key="kn_ph_sigma",
            disabled=choice != "Gaussian blur",
            persist_state=KEEP,
            bind=LINK,
        )
        base = np.zeros((size, size)) if choice == "Custom" else PHOTO_KERNELS[choice](size, sigma)
        kernel = matrix_editor(
            np.round(base, 4),
            key=f"kn_ed_ph_{choice}_{size}_{sigma}",
            step=0.0001,
            label="Weights (editable)",
        )
        channels = st.radio(
            "Channels", [GRAY, FILTERING, CNN], key="kn_ph_gray", persist_state=KEEP, bind=LINK
        )
        st.latex(CHANNEL_FORMULAS[channels])
        st.markdown(CHANNEL_NOTES[channels])
        from_the_notes(("002", "Supporting Color Images"))
        weight, bias = None, 0.0
        if channels == CNN:
            digest = hashlib.sha1(np.ascontiguousarray(kernel).tobytes()).hexdigest()[:8]
            weight, bias = _slices(kernel, digest)  # new slices when the kernel is edited
        pad_mode = st.selectbox(
            "Border (padding mode)",
            ["reflect", "replicate", "zeros", "circular"],
            key="kn_ph_pad",
            persist_state=KEEP,
            bind=LINK,
        )
        display = st.radio(
            "Show the output as",
            list(DISPLAY_MODES),
            format_func=DISPLAY_MODES.get,
            key="kn_ph_display",
            persist_state=KEEP,
            bind=LINK,
        )
    with right:
        image = to_grayscale(picked.pixels) if channels == GRAY else picked.pixels
        start = time.perf_counter()
        try:
            if weight is None:
                out = filter_image(image, kernel, padding_mode=pad_mode)  # (H, W) or (H, W, 3)
            else:
                out = conv_layer_image(image, weight, bias, padding_mode=pad_mode)  # (H, W)
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
        used = kernel if weight is None else weight
        shown_as = resolve_display_mode(display, used)
        what = "3 maps (R, G, B) shown as one colour image" if out.ndim == 3 else "one map"
        c_out.image(
            to_uint8(out, shown_as),
            width="stretch",
            caption=f"output: {what}, values {out.min():.1f} … {out.max():.1f}, "
            f"shown as: {DISPLAY_MODES[shown_as]}",
        )
        total = used.sum()
        st.markdown(
            f"The weights sum to **{fmt(round(total, 4))}**: {weights_sum_text(total)}"
            f" Computed with torch on {get_device().type.upper()} in {ms:.0f} ms."
        )
        mode = {GRAY: "gray", FILTERING: "per channel", CNN: "cnn"}[channels]
        code_panel(
            lambda: conv_code.photo_conv(image.shape, kernel, mode, weight, bias, pad_mode),
            "kn_code_photo",
        )


def _slices(kernel: np.ndarray, key: str) -> tuple[np.ndarray, float]:
    """The CNN filter's three slices (one editor each, starting as a colour mix of ``kernel``)
    and its bias. kernel: (kh, kw). Returns ((3, kh, kw) float64 weight, bias)."""
    mix_name = st.selectbox(
        "Slices start as", list(SLICE_MIXES), key="kn_ph_mix", persist_state=KEEP, bind=LINK
    )
    mix = SLICE_MIXES[mix_name]
    slices = [
        matrix_editor(
            np.round(kernel * factor, 4),
            key=f"kn_ed_ph_slice{c}_{mix_name}_{key}",
            step=0.0001,
            label=f"Slice W_{colour} (meets the {colour} channel)",
        )
        for c, (colour, factor) in enumerate(zip("RGB", mix, strict=True))
    ]
    bias = st.number_input(
        "Bias b", -255.0, 255.0, 0.0, 1.0, key="kn_ph_bias", persist_state=KEEP, bind=LINK
    )
    return np.stack(slices), float(bias)  # (3, kh, kw)
