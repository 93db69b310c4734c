"""The Your image tab: a shipped or trained network on a generated drawing or a photo (sample or
upload), and optionally torchvision's DeepLabV3 on the same picture."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.images import fit_to_multiple
from cnnplay.models.pretrained import PretrainedUnavailable
from cnnplay.scenes import SceneConfig
from cnnplay.segmentation.deeplab import TV_SEG_MODEL, torchvision_segment
from cnnplay.segmentation.metrics import CLASS_NAMES, score_masks
from cnnplay.segmentation.plots import instance_colours, mask_colours, mask_overlay
from cnnplay.segmentation.unet import predict
from ui.inputs import image_picker, show_notes
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.segmentation.common import (
    SIZE,
    mask_legend,
    model_choices,
    scene_set,
    shipped_receptive_field,
    show_masks,
    torchvision_segmenter,
)

SOURCES = {"A drawing of shapes (generated)": "drawing", "A photo (sample or upload)": "photo"}
WARNING = (
    "The shipped models learned from synthetic 128 px scenes only: flat-coloured circles, "
    "squares and triangles over lines, specks and noise. On a drawing of such shapes at 128 px "
    "they work; on a photo they label whatever looks like a flat blob, which is a lesson in "
    "itself: a network knows only what it was trained on."
)
DRAW_SIDES = [SIZE, 192, 256]  # drawing sides offered; only SIZE matches the training scenes


def size_note(side: int) -> str:
    """Why only the training side works: object sizes at ``side`` against the training scenes'
    and the shipped U-Net's receptive field (markdown)."""
    cfg = SceneConfig(side)
    lo, hi = (round(f * side) for f in (cfg.min_extent, cfg.max_extent))
    t_lo, t_hi = (round(f * SIZE) for f in (cfg.min_extent, cfg.max_extent))
    rf = shipped_receptive_field("unet_skips")
    return (
        f"Shapes drawn with no clutter and no noise, {lo}–{hi} px across at {side} px. The "
        f"shipped networks were trained on {SIZE} px scenes, whose shapes are {t_lo}–{t_hi} px "
        "across. Being fully convolutional, they *run* on any side that is a multiple of 32, "
        f"but they only *work* on shapes of the sizes they saw: larger shapes are outside the "
        f"training distribution, and wider than the U-Net's receptive field ({rf} px), so a "
        "pixel deep inside one sees flat colour and no edge — and is called background."
    )


def picture() -> tuple[np.ndarray, str, np.ndarray | None]:
    """The chosen drawing or photo: (H, W, 3) uint8 pixels, a caption, and for a drawing its
    true (H, W) int64 class mask (None for a photo)."""
    source = st.radio(
        "Image", list(SOURCES), horizontal=True, key="seg_own_source", persist_state=KEEP, bind=LINK
    )
    if SOURCES[source] == "drawing":
        d1, d2 = st.columns(2)
        draw_seed = int(
            d1.number_input(
                "Drawing number", 0, 10**6, key="seg_draw_seed", persist_state=KEEP, bind=LINK
            )
        )
        draw_side = int(
            d2.select_slider(
                "Side (px)", DRAW_SIDES, key="seg_draw_side", persist_state=KEEP, bind=LINK
            )
        )
        drawing = scene_set(1, draw_seed, draw_side, drawing=True)[0]
        st.caption(size_note(draw_side))
        if draw_side != SIZE:
            st.warning(
                f"At {draw_side} px the shapes are larger than any the shipped models trained "
                f"on: expect parts of them to be labelled background. {SIZE} px works.",
                icon=":material/zoom_out_map:",
            )
        return drawing.image, f"drawing {draw_seed}, {draw_side} px", drawing.semantic
    picked = image_picker("seg_photo", max_side=512, default="coffee")
    show_notes(picked)
    return picked.pixels, picked.label, None


def truth_note(pred: np.ndarray, truth: np.ndarray) -> str:
    """The prediction (H, W) against a drawing's true mask (H, W): IoU of each class present in
    the drawing and their mean (a class absent from the drawing is left out: a few stray
    pixels would make its IoU 0 and hide how well the drawn shapes were found)."""
    s = score_masks(pred, truth, len(CLASS_NAMES))
    present = np.unique(truth)
    per = ", ".join(f"{CLASS_NAMES[c]} {s.iou[c]:.2f}" for c in present)
    return (
        f"Against the drawing's true mask: **mean IoU {np.mean(s.iou[present]):.2f}** over the "
        f"classes in it ({per}); pixel accuracy {100 * s.pixel_accuracy:.1f}%."
    )


@tab_body
def render() -> None:
    st.warning(WARNING, icon=":material/info:")
    picked_pixels, picked_label, truth = picture()
    choices = model_choices()
    own_model_name = st.selectbox(
        "Model", list(choices), key="seg_own_model", persist_state=KEEP, bind=LINK
    )
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
    mask_legend("seg_legend_own")
    st.caption(
        "Share of pixels: "
        + ", ".join(f"{c} {100 * s:.1f}%" for c, s in zip(CLASS_NAMES, shares, strict=True))
        + f"; mean confidence {probs[0].max(axis=0).mean():.2f}."
    )
    if truth is not None and truth.shape == pred[0].shape:
        st.markdown(truth_note(pred[0], truth))
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
