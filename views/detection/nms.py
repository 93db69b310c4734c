"""The Pipeline & NMS tab: class score, score threshold and non-max suppression, NMS one kept
box at a time, and the detections beside the ground truth."""

from __future__ import annotations

import streamlit as st

from cnnplay.detection.detector import postprocess
from cnnplay.detection.plots import box_layer, counts_figure
from cnnplay.ops.boxes import nms_trace
from cnnplay.plots.style import CLASS_COLOURS
from cnnplay.scenes import CLASSES
from ui.figures import show_figure
from ui.notes import from_the_notes, notes_name
from ui.page import tab_body
from views.detection.common import CFG, class_texts, gt_layer, on_image, raw, scene
from views.detection.stepper import nms_player


@tab_body
def render(seed: int, score_thr: float, iou_thr: float, per_class: bool) -> None:
    sc, rd = scene(seed), raw(seed)
    det = postprocess(rd, score_thr, iou_thr, per_class)
    s, nb = rd.grid, CFG.boxes_per_cell
    st.markdown(
        "**① class score = class probability × objectness**, **② discard low scores**, "
        "**③ non-max suppression**: repeat until no box is left — output the box *b* with the "
        f"highest score, discard any remaining box {'of the same class ' if per_class else ''}"
        f"with IoU **> {iou_thr:g}** with *b*, as in {notes_name('002')}."
    )
    st.caption(
        f"{notes_name('002', capital=True)} discard at IoU **≥** 0.5; this page discards at "
        f"IoU **>** {iou_thr:g}, the rule of `torchvision.ops.nms`, which the detector's "
        "pipeline runs (the step-by-step NMS below follows the same rule, so both agree). The "
        "two rules differ "
        f"only for a box whose IoU with *b* is exactly {iou_thr:g}: here it is **kept**, on the "
        "slide it would be discarded."
    )
    from_the_notes(("002", "Reducing #Boxes at Test Time"))
    counts = {
        f"all S×S×B = {s}×{s}×{nb}": len(rd.boxes),
        "① scored": len(rd.boxes),
        f"② score ≥ {score_thr:g}": len(det.candidates),
        "③ after NMS": len(det.boxes),
    }
    show_figure(counts_figure(counts), "det_counts", width="stretch")
    nms_player(
        sc.image,
        det.candidate_boxes,
        det.candidate_scores,
        class_texts(det.candidate_labels, det.candidate_scores),
        nms_trace(
            det.candidate_boxes,
            det.candidate_scores,
            iou_thr,
            det.candidate_labels if per_class else None,
        ),
        "det",
        f"No box scores {score_thr:g} or more: lower the score threshold.",
    )
    st.markdown("**The detections** (after all three steps) beside the ground truth:")
    left, right = st.columns(2)
    fig = on_image(
        sc.image,
        [
            box_layer(
                det.boxes[det.labels == c],
                CLASS_COLOURS[c - 1],
                class_texts(det.labels[det.labels == c], det.scores[det.labels == c]),
                2.5,
            )
            for c in range(1, len(CLASSES) + 1)
        ],
        title=f"{len(det.boxes)} detections",
    )
    show_figure(fig, "det_final", left)
    show_figure(
        on_image(sc.image, [gt_layer(sc)], title=f"{len(sc.boxes)} true objects"),
        "det_truth",
        right,
    )
