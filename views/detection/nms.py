"""The Pipeline & NMS tab: class score, score threshold and non-max suppression, NMS one kept
box at a time, and the detections beside the ground truth."""

from __future__ import annotations

import streamlit as st

from cnnplay.detection.detector import postprocess
from cnnplay.detection.plots import box_layer, counts_figure
from cnnplay.ops.boxes import nms_trace
from cnnplay.plots.style import CLASS_COLOURS, DET_CANDIDATE_COLOUR
from cnnplay.quiz import Question, nms_keep_question
from cnnplay.scenes import CLASSES
from cnnplay.snippets import detection as det_code
from ui.code_panel import code_panel
from ui.figures import show_figure
from ui.notes import from_the_notes, notes_name
from ui.page import tab_body
from ui.quiz import predict_then_reveal
from views.detection.common import CFG, class_texts, gt_layer, on_image, raw, scene
from views.detection.stepper import nms_player


def show_asked_step(q: Question) -> None:
    """Quiz mode's reveal: the step-through opens at the step that keeps or discards the box."""
    st.session_state["det_step"] = q.focus[1]


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
    texts = class_texts(det.candidate_labels, det.candidate_scores)
    if not predict_then_reveal(  # quiz mode: does NMS keep this box?
        "det_keep",
        lambda rng: nms_keep_question(
            det.candidate_boxes,
            det.candidate_scores,
            iou_thr,
            labels=det.candidate_labels if per_class else None,
            names=texts,
            rng=rng,
        ),
        show_asked_step,
    ):  # until the answer: the candidates, numbered, without NMS or the detections
        numbered = [f"box {i}: {t}" for i, t in enumerate(texts)]
        layer = box_layer(det.candidate_boxes, DET_CANDIDATE_COLOUR, numbered, 1.5)
        fig = on_image(sc.image, [layer], title=f"{len(texts)} candidates before NMS")
        show_figure(fig, "det_quiz_boxes")
        return
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
    code_panel(  # torchvision's NMS on the candidates above (the detector's pipeline runs it)
        lambda: det_code.nms(
            det.candidate_boxes,
            det.candidate_scores,
            iou_thr,
            det.candidate_labels if per_class else None,
        ),
        "det_code_nms",
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
