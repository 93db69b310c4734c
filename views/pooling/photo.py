"""The Photo tab: pool a photo with torch, with the window chosen above the tabs."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st

from cnnplay.device import get_device
from cnnplay.ops.pool import pool_image
from ui.inputs import image_picker, show_notes
from ui.page import tab_body
from views.pooling.common import MODES, explain_error


@tab_body
def render(mode: str, size: int, stride: int) -> None:
    left, right = st.columns([1, 2])
    with left:
        picked = image_picker("pl_ph", max_side=512, default="chelsea (cat)")
        show_notes(picked)
    image = picked.pixels
    with right:
        try:
            start = time.perf_counter()
            out = pool_image(image, size, stride, mode=mode)
            ms = (time.perf_counter() - start) * 1000
        except ValueError as err:
            explain_error(err, image.shape[:2], size, stride)
            return
        c_in, c_out = st.columns(2)
        c_in.image(image, caption=f"input, {image.shape[1]}×{image.shape[0]}", width="stretch")
        what = MODES[mode] if mode == "global" else f"{MODES[mode]} {size}×{size}, stride {stride}"
        c_out.image(
            np.clip(out, 0, 255).astype(np.uint8),
            caption=f"{what} → {out.shape[1]}×{out.shape[0]}",
            width="stretch",
        )
        st.markdown(
            f"**{image.shape[0] * image.shape[1]:,} → {out.shape[0] * out.shape[1]:,} pixels** "
            f"per channel, computed with torch on {get_device().type.upper()} in {ms:.0f} ms. "
            + mode_note(mode, out)
        )


def mode_note(mode: str, out: np.ndarray) -> str:
    """What this pooling mode does to the photo, true for that mode only. out: (H', W', 3)."""
    if mode == "global":
        mean = ", ".join(f"{v:.1f}" for v in np.reshape(out, (-1, out.shape[-1]))[0])
        return (
            "Global average pooling keeps **one number per channel**, the channel's mean "
            f"(R, G, B = {mean}): no detail and no position is left, only the average colour."
        )
    if mode == "max":
        return (
            "Both are drawn at the same width: max pooling keeps bright details (whiskers, "
            "highlights), where average pooling would blur them."
        )
    return (
        "Both are drawn at the same width: average pooling blurs fine details (whiskers, "
        "highlights), where max pooling would keep the bright ones."
    )
