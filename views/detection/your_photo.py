"""The Your photo tab: seed 002's naive detector (an ImageNet classifier slid over windows, then
NMS) on a photo, and optionally a real COCO detector's candidates through the NMS stepper."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.detection.coco import COCO_MODEL
from cnnplay.detection.detector import raw_detections
from cnnplay.detection.plots import box_layer
from cnnplay.detection.sliding_window import WindowConfig, keep_windows, score_windows, window_boxes
from cnnplay.ops.boxes import nms_trace
from cnnplay.plots.style import DET_GT_COLOUR
from ui.figures import show_figure
from ui.inputs import image_picker, show_notes
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from ui.progress import progress_bar
from views.detection.common import (
    SW_MODEL,
    SW_SPEC,
    categories,
    classifier,
    coco_boxes,
    coco_model,
    coco_names_list,
    detector,
    digest_of,
    on_image,
    raw,
    scene,
    whole_photo_top,
)
from views.detection.stepper import nms_player

WINDOW_SIDES = [0.25, 0.35, 0.5, 0.55, 0.7, 0.8, 1.0]  # offered window sides, × shorter side


def windows_result(res, names: list[str], class_index: int, pixels, sw_score, iou_thr, seed):
    """The metrics and figures of a finished sliding-window run."""
    m = st.columns(4)
    m[0].metric("Forward passes", res.passes)
    m[1].metric("Time", f"{res.seconds:.2f} s")
    m[2].metric("Per window", f"{1000 * res.seconds / max(res.passes, 1):.1f} ms")
    m[3].metric("Best window score", f"{res.scores.max():.3f}")
    cand, kept = keep_windows(res, sw_score, iou_thr)
    left, right = st.columns(2)
    order = np.argsort(res.scores)  # strongest drawn last
    every = box_layer(
        res.boxes[order],
        [f"rgba(214,39,40,{max(0.05, v):.2f})" for v in res.scores[order]],
        [f"{v:.3f}" for v in res.scores[order]],
        1.5,
    )
    title = f"all {res.passes} windows, opacity = P({names[class_index]})"
    show_figure(on_image(pixels, [every], title=title, labels=False), "det_sw_all", left)
    best = box_layer(
        res.boxes[kept],
        DET_GT_COLOUR,
        [f"{names[class_index]} {res.scores[i]:.2f}" for i in kept],
        3,
    )
    title = f"score ≥ {sw_score:g}: {len(cand)} → NMS at IoU {iou_thr:g}: {len(kept)}"
    show_figure(on_image(pixels, [best], title=title), "det_sw_nms", right)
    if not len(cand):
        st.warning(
            f"No window scores {sw_score:g} or more for this class: lower the window "
            "score threshold.",
            icon=":material/warning:",
        )
    one_pass = raw_detections(detector(), scene(seed).image).seconds  # timed now, not cached
    st.caption(
        "Windows of different sizes on the same object overlap less than you would "
        "think — a window inside one twice its side has IoU ¼ — so NMS at 0.5 keeps "
        "several per object. For comparison, our single-shot grid detector looks once: "
        f"{one_pass * 1000:.1f} ms for all {len(raw(seed).boxes)} boxes of a scene. R-CNN ran "
        "~2,000 proposals through the CNN; Faster R-CNN shares one pass and needs ~0.2 s "
        f"per image ({notes_name('002')}' figures)."
    )
    from_the_notes(("002", "R-CNN", "Single-Shot Detectors"))


def sliding_windows(picked, digest: str, seed: int, iou_thr: float) -> None:
    names = categories()
    top1 = whole_photo_top(digest, picked.pixels)
    c1, c2, c3 = st.columns([2, 1.2, 1])
    class_index = c1.selectbox(
        "Class to look for",
        range(len(names)),
        index=top1,
        format_func=lambda i: f"{names[i]}{' (whole photo says)' if i == top1 else ''}",
        key=f"det_sw_class_{digest[:8]}",
        persist_state=KEEP,
        bind=LINK,
    )
    scales = c2.multiselect(
        "Window sides (× shorter side)",
        WINDOW_SIDES,
        default=list(WindowConfig().scales),
        key="det_sw_scales",
        persist_state=KEEP,
        bind=LINK,
    )
    overlap = c3.slider(
        "Overlap", 0.0, 0.9, 0.75, 0.05, key="det_sw_overlap", persist_state=KEEP, bind=LINK
    )
    sw_score = c3.slider(
        "Window score threshold",
        0.0,
        1.0,
        0.5,
        0.01,
        key="det_sw_score",
        persist_state=KEEP,
        bind=LINK,
    )
    if not scales:
        st.warning("Choose at least one window size.", icon=":material/warning:")
        return
    wcfg = WindowConfig(scales=tuple(sorted(scales)), overlap=overlap)
    n_windows = len(window_boxes(*picked.pixels.shape[:2], wcfg))
    st.caption(
        f"{n_windows} windows on this {picked.pixels.shape[1]}×{picked.pixels.shape[0]} photo "
        f"= {n_windows} forward passes of {SW_MODEL}, in batches of {wcfg.batch}."
    )
    run_key = (digest, class_index, wcfg)
    if st.button("Slide the windows", key="det_sw_run", type="primary"):
        with progress_bar("Classifying windows…") as on_progress:
            result = score_windows(
                classifier(), SW_SPEC, picked.pixels, class_index, wcfg, on_progress
            )
        st.session_state.det_sw_result = (run_key, result)
    held = st.session_state.get("det_sw_result")
    if held is None or held[0] != run_key:
        st.info("Press **Slide the windows** to score every window (a few seconds on a CPU).")
    else:
        windows_result(held[1], names, class_index, picked.pixels, sw_score, iou_thr, seed)


def coco_detector(picked, digest: str, score_thr: float, iou_thr: float, per_class: bool):
    st.markdown(
        "**A real detector** (optional, needs the network once): torchvision's SSDlite "
        "(MobileNetV3, trained on COCO's 80 classes) through its weights API. Its own NMS is "
        "switched off, so its candidates go through the same step-by-step NMS as above."
    )
    if not st.toggle(
        f"Use {COCO_MODEL} (downloads 13 MB once)", key="det_coco", persist_state=KEEP, bind=LINK
    ):
        return
    coco = coco_model()
    if isinstance(coco, str):
        st.warning(coco, icon=":material/cloud_off:")
        return
    cands = coco_boxes(digest, picked.pixels)
    coco_names = coco_names_list()
    sel = np.flatnonzero(cands.scores >= score_thr)
    texts = [f"{coco_names[c]} {v:.2f}" for c, v in zip(cands.labels, cands.scores, strict=True)]
    trace = nms_trace(
        cands.boxes[sel],
        cands.scores[sel],
        iou_thr,
        cands.labels[sel] if per_class else None,
    )
    st.caption(
        f"{len(cands.boxes)} candidates, {len(sel)} with score ≥ {score_thr:g} (the score"
        f" threshold above); NMS at IoU {iou_thr:g}, "
        f"{'per class' if per_class else 'class-agnostic'}."
    )
    nms_player(
        picked.pixels,
        cands.boxes[sel],
        cands.scores[sel],
        [texts[i] for i in sel],
        trace,
        "det_coco",
        f"No candidate scores {score_thr:g} or more: lower the score threshold.",
    )


@tab_body
def render(seed: int, score_thr: float, iou_thr: float, per_class: bool) -> None:
    st.markdown(
        f"The **naive idea** of {notes_name('002')}: take an image classifier and slide it "
        "over windows at "
        "several positions and scales; each window's probability for one class is a scored "
        "box; NMS keeps the best. It needs no detector training — but **one forward pass per "
        "window**, which is why region proposals (R-CNN, ~2,000 passes), shared features "
        "(Fast R-CNN, RoI pooling) and single-shot detectors (YOLO, one pass) exist."
    )
    from_the_notes(("002", "How to Detect Multiple Objects?"))
    picked = image_picker("det_photo", max_side=512, default="chelsea (cat)")
    show_notes(picked)
    digest = digest_of(picked.pixels)
    sliding_windows(picked, digest, seed, iou_thr)
    st.divider()
    coco_detector(picked, digest, score_thr, iou_thr, per_class)
