"""The Evaluation tab: AP@0.5, precision and recall on fresh scenes, the precision-recall
curves and the worst scenes' true positives, false positives and misses."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.detection.plots import box_layer, pr_figure
from cnnplay.plots.style import DET_FP_COLOUR, DET_GT_COLOUR, DET_MISS_COLOUR
from cnnplay.scenes import CLASSES
from ui.figures import show_figure
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.detection.common import EVAL_SEED, class_texts, eval_raw, evaluation, on_image


@tab_body
def render(score_thr: float, iou_thr: float, per_class: bool) -> None:
    st.markdown(
        "A detection is a **true positive** when it overlaps a same-class true box with "
        "IoU ≥ 0.5 that no higher-scored detection has claimed; otherwise a **false "
        "positive**. True boxes nobody claims are **misses**. Precision = TP / (TP + FP), "
        "recall = TP / true boxes; **AP@0.5** is the area under the precision-recall curve "
        "made by sliding the score threshold (mean over the classes)."
    )
    n_eval = st.slider(
        "Scenes to evaluate on", 10, 200, step=10, key="det_eval_n", persist_state=KEEP, bind=LINK
    )
    at_thr, ranking, dets, matches = evaluation(n_eval, score_thr, iou_thr, per_class)
    m = st.columns(6)
    m[0].metric("AP@0.5 (mean)", f"{ranking.mean_ap:.3f}")
    m[1].metric("Precision", f"{at_thr.precision:.3f}")
    m[2].metric("Recall", f"{at_thr.recall:.3f}")
    m[3].metric("True positives", at_thr.tp)
    m[4].metric("False positives", at_thr.fp)
    m[5].metric("Misses", at_thr.fn)
    st.caption(
        f"{n_eval} fresh scenes (`make_scenes({n_eval}, seed={EVAL_SEED})`, never seen in "
        f"training). Precision and recall at score ≥ {score_thr:g}, NMS IoU {iou_thr:g}; AP "
        "ranks every detection with score ≥ 0.01. Per-class AP: "
        + ", ".join(f"{CLASSES[c - 1]} {v:.3f}" for c, v in ranking.ap.items())
    )
    left, right = st.columns([1, 1.3])
    with left:
        curves = {CLASSES[c - 1]: v for c, v in ranking.curves.items()}
        show_figure(pr_figure(curves, (at_thr.recall, at_thr.precision)), "det_pr", width="stretch")
    with right:
        scenes = eval_raw(n_eval)[0]
        worst = np.argsort([-(m.fp_count + m.missed.sum()) for m in matches], kind="stable")
        pick = st.selectbox(
            "Scene to inspect (worst first)",
            worst,
            format_func=lambda i: f"scene {i}",
            key="det_eval_scene",
            persist_state=KEEP,
            bind=LINK,
        )
        d, g, mt = dets[pick], scenes[pick], matches[pick]
        texts = class_texts(d.labels, d.scores)
        fig = on_image(
            g.image,
            [
                box_layer(
                    g.boxes[mt.missed],
                    DET_MISS_COLOUR,
                    class_texts(g.labels[mt.missed]),
                    2.5,
                    "dash",
                ),
                box_layer(
                    d.boxes[mt.tp],
                    DET_GT_COLOUR,
                    [t for t, ok in zip(texts, mt.tp, strict=True) if ok],
                    2.5,
                ),
                box_layer(
                    d.boxes[~mt.tp],
                    DET_FP_COLOUR,
                    [t for t, ok in zip(texts, mt.tp, strict=True) if not ok],
                    2.5,
                ),
            ],
            title=f"scene {pick}: {int(mt.tp.sum())} TP (green), {int((~mt.tp).sum())} FP (red),"
            f" {int(mt.missed.sum())} missed (orange)",
        )
        show_figure(fig, "det_eval_fig")
