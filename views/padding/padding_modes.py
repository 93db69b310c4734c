"""The "Padding modes" tab of the Padding page: what zeros, reflect, replicate and circular
padding invent around a small grid and around a photo's corner."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.ops.conv import PADDING_MODES, border_zoom, pad2d
from cnnplay.plots.grids import grid_figure
from ui.figures import show_figure
from ui.inputs import image_picker, matrix_editor, show_notes
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.padding.common import MODE_LABELS

MODE_INVENTS = {
    "zeros": "a dark frame of 0s: edges look like strong edges to a kernel.",
    "reflect": "the image mirrored at its border, without repeating the edge row.",
    "replicate": "the edge row and column stretched outwards: streaks.",
    "circular": "the opposite side of the image: the bottom shows up above the top.",
}
GRID = np.arange(1.0, 17.0).reshape(4, 4)  # the editable 4×4 grid's starting values


@tab_body
def render() -> None:
    st.markdown(
        "Near the border the kernel needs cells that do not exist. The notes list the choices: "
        "skip those positions (valid: the output shrinks), **zero padding**, **mirroring** "
        "(reflect) and **repetition** (replicate); torch adds **circular**. Here is what each "
        "one invents."
    )
    pad = st.slider("Pad by", 1, 4, 2, key="pd_mpad", persist_state=KEEP, bind=LINK)
    grid = matrix_editor(GRID, key="pd_grid", step=1.0, label="A 4×4 grid (editable)")
    for col, name in zip(st.columns(4), PADDING_MODES, strict=True):
        try:
            padded = pad2d(grid, (pad,) * 4, name)
        except ValueError as err:
            col.warning(f"{MODE_LABELS[name]}: {err}", icon=":material/warning:")
            continue
        show_figure(grid_figure(padded, MODE_LABELS[name], pads=(pad,) * 4), f"pd_mode_{name}", col)
        col.caption(f"Invents {MODE_INVENTS[name]}")

    st.subheader("On a photo's corner")
    left, right = st.columns([1, 3])
    with left:
        picked = image_picker("pd_ph", max_side=256, default="astronaut")
        show_notes(picked)
        crop = st.slider(
            "corner size (pixels)", 8, 48, 24, key="pd_crop", persist_state=KEEP, bind=LINK
        )
        photo_pad = st.slider(
            "padding (pixels)", 1, 24, 8, key="pd_ppad", persist_state=KEEP, bind=LINK
        )
    with right:
        for col, name in zip(st.columns(2) * 2, PADDING_MODES, strict=True):
            try:
                zoom = border_zoom(picked.pixels, photo_pad, name, crop, scale=6)
            except ValueError as err:
                col.warning(f"{MODE_LABELS[name]}: {err}", icon=":material/warning:")
                continue
            col.image(
                zoom,
                caption=f"{MODE_LABELS[name]}: the top-left {crop}×{crop} pixels start "
                f"{photo_pad} pixels in",
                width=300,
            )
