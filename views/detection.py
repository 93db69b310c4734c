"""Detection: IoU, anchors, a small single-shot detector, the test-time pipeline with NMS step
by step, evaluation, classification + localisation (one network, a class head and a box head,
L2 vs 1 - IoU), sliding windows on your photo and RoI pooling vs RoI align (seeds 000, 001, 002).

The scene number and the thresholds are shared by several tabs, so they sit above the tabs (a
change reruns the page); each tab is a module of views/detection/ and runs only while it is
open, as a fragment (a widget inside it reruns that tab alone)."""

import streamlit as st

from cnnplay.scenes import CLASSES
from ui.links import LINK
from ui.page import KEEP, PageFrame
from views.detection import (
    anchors,
    common,
    evaluation,
    iou,
    localisation,
    nms,
    raw_output,
    roi,
    your_photo,
)

frame = PageFrame("det", title="Detection")
frame.header()
common.set_defaults()
st.markdown(
    "A detector answers *what* and *where*: a class and a **bounding box** per object. This "
    "page builds one from the pieces in the notes: **IoU** to compare boxes, **anchors** to "
    "propose them, a tiny **single-shot grid detector** (YOLO-style) trained on synthetic "
    "shape scenes, and the three test-time steps that turn hundreds of raw boxes into a few: "
    "class score, score threshold and **non-maximum suppression**."
)

c_seed, c_score, c_iou, c_mode = st.columns([1, 1.3, 1.3, 1.2])
seed = int(
    c_seed.number_input("Scene number", 0, 10**6, key="det_seed", persist_state=KEEP, bind=LINK)
)
score_thr = c_score.slider(
    "Score threshold", 0.0, 1.0, step=0.05, key="det_score", persist_state=KEEP, bind=LINK
)
iou_thr = c_iou.slider(
    "NMS IoU threshold", 0.05, 1.0, step=0.05, key="det_iou", persist_state=KEEP, bind=LINK
)
per_class = c_mode.toggle("Per-class NMS", key="det_per_class", persist_state=KEEP, bind=LINK)
st.caption(
    f"Scenes are {common.SCENE.size}×{common.SCENE.size} px: {', '.join(CLASSES)} in random "
    "colours over clutter (lines, specks) and noise, drawn afresh from the scene number: the "
    "same number always gives the same scene."
)

frame.tabs(
    {
        "IoU": iou.render,
        "Anchors": lambda: anchors.render(seed),
        "Raw output": lambda: raw_output.render(seed),
        "Pipeline & NMS": lambda: nms.render(seed, score_thr, iou_thr, per_class),
        "Evaluation": lambda: evaluation.render(score_thr, iou_thr, per_class),
        "Classify + localise": localisation.render,
        "Your photo": lambda: your_photo.render(seed, score_thr, iou_thr, per_class),
        "RoI pool vs align": lambda: roi.render(seed),
    }
)
