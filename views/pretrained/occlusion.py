"""The Occlusion tab (seed 002): slide a grey patch over the photo and record how much the class
probability falls at each position."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.plots.images import heat_overlay, normalise_map
from ui.page import KEEP, tab_body
from views.pretrained.common import Seen, occlusion_map
from views.pretrained.saliency import CLASS_KEY

PATCHES = [16, 24, 32, 48, 64]  # occlusion patch sides, pixels of the 224 crop
STRIDES = [8, 16, 24, 32]


@tab_body
def render(seen: Seen) -> None:
    c1, c2, c3 = st.columns(3)
    patch = c1.select_slider(
        "Grey patch side", PATCHES, value=32, key="pt_patch", persist_state=KEEP
    )
    stride = c2.select_slider("Stride", STRIDES, value=16, key="pt_stride", persist_state=KEEP)
    target = int(st.session_state.get(CLASS_KEY, seen.top))
    cats = seen.cats
    c3.markdown(f"Class: **{cats[target]}** (choose it in *Saliency*)")
    st.caption(
        "Seed 002: mask part of the image, feed it to the network and record how much the "
        "class probability falls, at every position of the mask."
    )
    if st.button("Run occlusion", key="pt_occlude"):
        st.session_state.pt_occlusion_on = True
    if not st.session_state.get("pt_occlusion_on"):
        st.caption("One forward pass per patch position: press the button.")
        return
    result = occlusion_map(seen.name, target, patch, stride, seen.digest, seen.model, seen.x)
    a, b = st.columns(2)
    a.image(
        heat_overlay(seen.prep.cropped, normalise_map(np.clip(result.heat, 0, None))),
        caption="where hiding the image hurts most (red)",
    )
    worst = np.unravel_index(int(np.argmax(result.drops)), result.drops.shape)
    r0, c0 = result.positions[worst[0] * result.drops.shape[1] + worst[1]]
    b.markdown(
        f"{len(result.positions)} positions. Unoccluded: **{100 * result.base:.1f}%** "
        f"{cats[target]}. Worst patch at rows {r0}–{r0 + patch - 1}, columns "
        f"{c0}–{c0 + patch - 1}: the probability falls by "
        f"**{100 * result.drops.max():.1f}** points."
    )
