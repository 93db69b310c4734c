"""The Feature maps tab: the strongest channels of one stage of a shipped or trained network on
one comparison scene."""

from __future__ import annotations

import streamlit as st
import torch

from cnnplay.explain import activations, strongest_channels
from cnnplay.models.copies import shared_weights_copy
from cnnplay.plots.images import tile_maps
from cnnplay.segmentation.plots import upscale
from cnnplay.segmentation.unet import stages
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.segmentation.common import COMPARE_N, COMPARE_SEED, SIZE, model_choices, scene_set


@tab_body
def render() -> None:
    choices = model_choices()
    f1, f2, f3, f4 = st.columns([2, 1, 1.4, 1])
    chosen = f1.selectbox("Model", list(choices), key="seg_fm_model", persist_state=KEEP, bind=LINK)
    fm_model = choices[chosen]
    fm_scene_k = (
        int(
            f2.number_input(
                "Scene", 1, COMPARE_N, value=1, key="seg_fm_scene", persist_state=KEEP, bind=LINK
            )
        )
        - 1
    )
    fm_stages = stages(fm_model.config, SIZE)
    labels = [f"{s.label} ({s.shape[0]}×{s.shape[1]}×{s.shape[2]})" for s in fm_stages]
    if st.session_state.seg_fm_stage >= len(labels):
        st.session_state.seg_fm_stage = 0
    stage_i = f3.selectbox(
        "Stage",
        range(len(labels)),
        format_func=lambda i: labels[i],
        key="seg_fm_stage",
        persist_state=KEEP,
        bind=LINK,
    )
    n_ch = int(
        f4.select_slider(
            "Channels", [4, 8, 16, 32], key="seg_fm_channels", persist_state=KEEP, bind=LINK
        )
    )
    stage = fm_stages[stage_i]
    fm_scene = scene_set(COMPARE_N, COMPARE_SEED)[fm_scene_k]
    x = torch.from_numpy(fm_scene.image).permute(2, 0, 1).float().div(255)  # (3, H, W)
    # (C, h, w); the hook goes on a private copy, never on a model other sessions use
    maps = activations(shared_weights_copy(fm_model), stage.name, x)
    top = strongest_channels(maps, n_ch)
    scale = max(1, 96 // maps.shape[1])
    left, right = st.columns([1, 3])
    left.image(upscale(fm_scene.image, 2), caption="scene", width="stretch")
    right.image(
        tile_maps(maps[top], cols=8, upscale=scale),
        caption=f"{stage.label}: the {len(top)} strongest of {maps.shape[0]} channels, "
        f"{maps.shape[1]}×{maps.shape[2]} each (bright = strong)",
        width="stretch",
    )
    st.caption(
        "Encoder maps get coarser and more abstract going down; decoder maps grow back and, "
        "with skips, regain sharp edges. Compare the same stage with and without skips."
    )
