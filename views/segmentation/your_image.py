"""The Your image tab: a shipped or trained network on a generated drawing or a photo (sample or
upload), and optionally torchvision's DeepLabV3 on the same picture."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.images import fit_to_multiple
from cnnplay.models.pretrained import PretrainedUnavailable
from cnnplay.segmentation.deeplab import TV_SEG_MODEL, torchvision_segment
from cnnplay.segmentation.metrics import CLASS_NAMES
from cnnplay.segmentation.plots import instance_colours, mask_colours, mask_overlay
from cnnplay.segmentation.unet import predict
from ui.inputs import image_picker, show_notes
from ui.page import KEEP, tab_body
from views.segmentation.common import model_choices, scene_set, show_masks, torchvision_segmenter

SOURCES = {"A drawing of shapes (generated)": "drawing", "A photo (sample or upload)": "photo"}
WARNING = (
    "The shipped models learned from synthetic scenes only: flat-coloured circles, squares "
    "and triangles over lines, specks and noise. On a drawing of such shapes they work; on "
    "a photo they label whatever looks like a flat blob, which is a lesson in itself: a "
    "network knows only what it was trained on."
)


def picture() -> tuple[np.ndarray, str]:
    """The chosen drawing or photo: (H, W, 3) uint8 pixels and a caption."""
    source = st.radio(
        "Image", list(SOURCES), horizontal=True, key="seg_own_source", persist_state=KEEP
    )
    if SOURCES[source] == "drawing":
        d1, d2 = st.columns(2)
        draw_seed = int(
            d1.number_input("Drawing number", 0, 10**6, key="seg_draw_seed", persist_state=KEEP)
        )
        draw_side = int(
            d2.select_slider("Side (px)", [128, 192, 256], key="seg_draw_side", persist_state=KEEP)
        )
        drawing = scene_set(1, draw_seed, draw_side, drawing=True)[0]
        st.caption(
            "Shapes drawn with no clutter and no noise, at a size the networks never trained "
            "on: they are fully convolutional, so any side that is a multiple of 32 works."
        )
        return drawing.image, f"drawing {draw_seed}, {draw_side} px"
    picked = image_picker("seg_photo", max_side=512, default="coffee")
    show_notes(picked)
    return picked.pixels, picked.label


@tab_body
def render() -> None:
    st.warning(WARNING, icon=":material/info:")
    picked_pixels, picked_label = picture()
    choices = model_choices()
    own_model_name = st.selectbox("Model", list(choices), key="seg_own_model", persist_state=KEEP)
    own_model = choices[own_model_name]
    image, note = fit_to_multiple(picked_pixels, 32, max_side=256)
    if note:
        st.caption(note)
    pred, probs = predict(own_model, image)
    shares = np.bincount(pred[0].ravel(), minlength=len(CLASS_NAMES)) / pred[0].size
    show_masks(
        [
            (image, picked_label),
            (mask_colours(pred[0]), "predicted classes"),
            (mask_overlay(image, pred[0]), "overlay"),
        ]
    )
    st.caption(
        "Share of pixels: "
        + ", ".join(f"{c} {100 * s:.1f}%" for c, s in zip(CLASS_NAMES, shares, strict=True))
        + f"; mean confidence {probs[0].max(axis=0).mean():.2f}."
    )
    st.markdown("**A real segmentation network** (optional, needs the internet once)")
    if st.button(f"Run torchvision's {TV_SEG_MODEL} (21 VOC classes)", key="seg_tv"):
        try:
            tv_model = torchvision_segmenter()
        except PretrainedUnavailable as err:
            st.error(f"{err}", icon=":material/cloud_off:")
        else:
            tv = torchvision_segment(tv_model, picked_pixels)
            overlay = mask_overlay(picked_pixels, tv.labels, colours=instance_colours(tv.labels))
            st.image(overlay, caption="DeepLabV3: " + ", ".join(tv.found), width=400)
