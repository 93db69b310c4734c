"""Detection: IoU, anchors, a small single-shot detector, the test-time pipeline with NMS step
by step, evaluation, sliding windows on your photo and RoI pooling vs RoI align
(seeds 000, 001, 002)."""

import hashlib
import time

import numpy as np
import pandas as pd
import streamlit as st
import torch

from cnnplay.detection.coco import COCO_MODEL, coco_candidates, coco_categories, load_coco_detector
from cnnplay.detection.detector import (
    DetectorConfig,
    anchors_for,
    assign,
    evaluate_raw,
    feature_map,
    load_detector,
    postprocess,
    raw_detections,
)
from cnnplay.detection.metrics import match_detections
from cnnplay.detection.plots import (
    box_layer,
    boxes_figure,
    counts_figure,
    image_source,
    iou_figure,
    objectness_figure,
    pr_figure,
    roi_figure,
)
from cnnplay.detection.roi import compare_roi
from cnnplay.detection.sliding_window import WindowConfig, keep_windows, score_windows, window_boxes
from cnnplay.models.pretrained import (
    DEFAULT_MODEL,
    REGISTRY,
    PretrainedUnavailable,
    imagenet_categories,
    load_pretrained,
    preprocess,
)
from cnnplay.ops.boxes import (
    NmsTrace,
    anchor_shapes,
    anchors_at,
    box_iou,
    intersection,
    nms_trace,
)
from cnnplay.plots.charts import lines_figure
from cnnplay.plots.grids import grid_figure
from cnnplay.plots.style import (
    CLASS_COLOURS,
    DET_CANDIDATE_COLOUR,
    DET_FP_COLOUR,
    DET_GT_COLOUR,
    DET_MISS_COLOUR,
    DET_SUPPRESSED_COLOUR,
)
from cnnplay.scenes import CLASSES, SceneConfig, make_scene, make_scenes
from ui.figures import show_figure
from ui.inputs import image_picker, show_notes

CFG = DetectorConfig()
SCENE = SceneConfig()
IOU_CANVAS = 100  # the IoU tab's boxes live on a 100×100 canvas
ANCHOR_SCALES = [16, 24, 32, 48, 64]  # offered anchor scales, pixels (sqrt of the area)
ANCHOR_RATIOS = [0.5, 1.0, 2.0]  # offered aspect ratios h / w
AP_SCORE_FLOOR = 0.01  # AP ranks every detection scoring at least this
EVAL_SEED = 7  # make_scenes seed of the evaluation batch (not used in training: seeds 1-3)
PLAY_DELAY_S = 0.6  # pause between frames of the NMS animation
MAX_STEPS_DRAWN = 60  # boxes per layer drawn in the NMS view before we say "and N more"
ROI_LAYER = 8  # backbone[:ROI_LAYER] gives the stride-8 feature map used for RoI pooling
DEFAULTS = dict(
    det_seed=36,  # 4 objects of all 3 classes; 9 candidates, 5 of them suppressed by NMS
    det_score=0.3,
    det_iou=0.5,
    det_per_class=True,
    det_cell=(3, 3),
    det_scales=[24, 32, 48],
    det_ratios=[0.5, 1.0, 2.0],
    det_eval_n=60,
    det_roi_out=2,
    det_roi_ratio=2,
)
for key, value in DEFAULTS.items():
    st.session_state.setdefault(key, value)


@st.cache_resource(show_spinner="Loading the detector…")
def detector() -> torch.nn.Module:
    """Shared by all sessions, read-only (eval mode, frozen, used under inference_mode). One
    warm-up pass, so the first scene's timing is not the one-off start-up cost."""
    model = load_detector()
    raw_detections(model, np.zeros((SCENE.size, SCENE.size, 3), np.uint8))
    return model


@st.cache_data(max_entries=64, show_spinner=False)
def scene(seed: int):
    return make_scene(seed)


@st.cache_data(max_entries=64, show_spinner=False)
def raw(seed: int):
    return raw_detections(detector(), scene(seed).image)


@st.cache_data(max_entries=64, show_spinner=False)
def roi_features(seed: int) -> np.ndarray:
    return feature_map(detector(), scene(seed).image, ROI_LAYER)


@st.cache_data(max_entries=8, show_spinner="Detecting on the evaluation scenes…")
def eval_raw(n: int):
    """The evaluation scenes and the detector's raw output on each (thresholds come later)."""
    scenes = make_scenes(n, seed=EVAL_SEED)
    return scenes, [raw_detections(detector(), s.image) for s in scenes]


@st.cache_data(max_entries=32, show_spinner=False)
def evaluation(n: int, score: float, iou: float, per_class: bool):
    scenes, raws = eval_raw(n)
    at_thresholds, dets = evaluate_raw(raws, scenes, score, iou, per_class)
    ranking, _ = evaluate_raw(raws, scenes, AP_SCORE_FLOOR, iou, per_class)
    matches = [
        match_detections(d.boxes, d.scores, d.labels, s.boxes, s.labels)
        for d, s in zip(dets, scenes, strict=True)
    ]
    return at_thresholds, ranking, dets, matches


@st.cache_resource(show_spinner=False)
def _coco_model() -> torch.nn.Module:
    bar = st.progress(0.0, text=f"Downloading {COCO_MODEL}…")

    def on_progress(step: int, total: int, metrics: dict) -> None:
        bar.progress(min(1.0, step / max(total, 1)), text=f"{COCO_MODEL}: {step / 2**20:.1f} MB")

    try:
        return load_coco_detector(on_progress)
    finally:
        bar.empty()


def coco_model() -> torch.nn.Module | str:
    """The shared COCO detector, or the message to show when it cannot be had (not cached, so
    a later try can succeed once the network is back)."""
    try:
        return _coco_model()
    except PretrainedUnavailable as err:
        return (
            f"The COCO detector's weights could not be downloaded ({err.__cause__ or err}). It "
            "needs an internet connection the first time; everything else here works offline."
        )


@st.cache_data(max_entries=8, show_spinner="Running the COCO detector…")
def coco_boxes(digest: str, _pixels: np.ndarray):
    return coco_candidates(_coco_model(), _pixels)


@st.cache_data(show_spinner=False)
def coco_names_list() -> list[str]:
    return coco_categories()


@st.cache_data(max_entries=64, show_spinner=False)
def _png(digest: str, _image: np.ndarray) -> str:
    return image_source(_image)


def png(image: np.ndarray) -> str:
    """The image as a PNG data URI, cached by content (encoding is most of a figure's cost)."""
    return _png(hashlib.sha1(image.tobytes()).hexdigest(), image)


def on_image(image: np.ndarray, layers: list, **options):
    """:func:`boxes_figure` over ``image`` with its PNG from the cache."""
    return boxes_figure(image, layers, source=png(image), **options)


def class_texts(labels, scores=None) -> list[str]:
    if scores is None:
        return [CLASSES[int(c) - 1] for c in labels]
    return [f"{CLASSES[int(c) - 1]} {s:.2f}" for c, s in zip(labels, scores, strict=True)]


def gt_layer(sc) -> dict:
    return box_layer(sc.boxes, DET_GT_COLOUR, class_texts(sc.labels), 2, "dot", name="truth")


def nms_frame(image, boxes, texts, trace: NmsTrace, k: int, key: str) -> None:
    """Step ``k`` of an NMS trace (0 = before NMS): the figure and, beside it, what happened."""
    steps = trace.steps
    done = [step.kept for step in steps[: max(k - 1, 0)]]
    current = steps[k - 1] if k > 0 else None
    remaining = current.remaining if current else trace.order
    layers = [box_layer(boxes[remaining[:MAX_STEPS_DRAWN]], DET_CANDIDATE_COLOUR, width=1)]
    if current:
        sup = current.suppressed[:MAX_STEPS_DRAWN]
        ious = current.suppressed_iou[:MAX_STEPS_DRAWN]
        iou_texts = [f"IoU {v:.2f}" for v in ious]
        layers.append(box_layer(boxes[sup], DET_SUPPRESSED_COLOUR, iou_texts, 1.5, "dash"))
    layers.append(box_layer(boxes[done], DET_GT_COLOUR, [texts[i] for i in done], 2))
    if current:
        layers.append(box_layer(boxes[[current.kept]], DET_MISS_COLOUR, [texts[current.kept]], 3))
        title = (
            f"step {k}/{len(steps)}: keep {texts[current.kept]}, "
            f"discard {len(current.suppressed)}, {len(current.remaining)} left"
        )
    else:
        title = f"before NMS: {len(trace.order)} boxes by falling score"
    left, right = st.columns([1.3, 1])
    fig = on_image(image, layers, title=title, labels=False)
    show_figure(fig, f"{key}_nms_fig_{k}", left)
    with right:
        if current is None:
            st.markdown(
                f"{len(trace.order)} candidates passed the score threshold. Press **Step** to "
                "run NMS one kept box at a time (orange: kept now, green: kept before, grey "
                "dashed: discarded now, blue: still in play)."
            )
            return
        st.markdown(
            f"**Kept:** box {current.kept} — {texts[current.kept]} (orange)  \n"
            f"**Kept before:** {len(done)} (green) · **still in play:** "
            f"{len(current.remaining)} (blue)"
        )
        if len(current.suppressed):
            table = pd.DataFrame(
                {
                    "discarded box": current.suppressed,
                    "class, score": [texts[i] for i in current.suppressed],
                    "IoU with kept": np.round(current.suppressed_iou, 3),
                }
            )
            height = min(300, 38 + 35 * len(current.suppressed))
            st.dataframe(table, hide_index=True, height=height)
        else:
            st.caption("Nothing overlaps it enough: nothing is discarded.")


def nms_player(image, boxes, scores, texts, trace: NmsTrace, key: str, empty: str) -> None:
    """NMS step by step with Back / Step / Play buttons and a step slider (state under
    ``{key}_step``); ``empty`` is the warning when there is no candidate."""
    if not trace.steps:
        st.warning(empty, icon=":material/warning:")
        return
    total = len(trace.steps)
    step_key = f"{key}_step"
    after_play = st.session_state.pop(f"{key}_played", None)  # a finished Play sets the step
    start = after_play if after_play is not None else st.session_state.get(step_key, 0)
    st.session_state[step_key] = min(start, total)
    b_back, b_next, b_play, b_slider = st.columns([1, 1, 1, 4])
    if b_back.button("◀ Back", key=f"{key}_back", disabled=st.session_state[step_key] <= 0):
        st.session_state[step_key] -= 1
    if b_next.button("Step ▶", key=f"{key}_next", disabled=st.session_state[step_key] >= total):
        st.session_state[step_key] += 1
    play = b_play.button("Play ▶▶", key=f"{key}_play")
    b_slider.slider("NMS step (0 = before NMS)", 0, total, key=step_key)
    view = st.empty()
    if play:
        for k in range(total + 1):
            with view.container():
                nms_frame(image, boxes, texts, trace, k, key)
            time.sleep(PLAY_DELAY_S)
        st.session_state[f"{key}_played"] = total
        st.rerun()  # so that the slider shows the last step too
    else:
        with view.container():
            nms_frame(image, boxes, texts, trace, st.session_state[step_key], key)


st.title("Detection")
st.markdown(
    "A detector answers *what* and *where*: a class and a **bounding box** per object. This "
    "page builds one from the pieces in the notes: **IoU** to compare boxes, **anchors** to "
    "propose them, a tiny **single-shot grid detector** (YOLO-style) trained on synthetic "
    "shape scenes, and the three test-time steps that turn hundreds of raw boxes into a few: "
    "class score, score threshold and **non-maximum suppression**."
)

c_seed, c_score, c_iou, c_mode = st.columns([1, 1.3, 1.3, 1.2])
seed = int(c_seed.number_input("Scene number", 0, 10**6, key="det_seed"))
score_thr = c_score.slider("Score threshold", 0.0, 1.0, step=0.05, key="det_score")
iou_thr = c_iou.slider("NMS IoU threshold", 0.05, 1.0, step=0.05, key="det_iou")
per_class = c_mode.toggle("Per-class NMS", key="det_per_class")
st.caption(
    f"Scenes are {SCENE.size}×{SCENE.size} px: {', '.join(CLASSES)} in random colours over "
    "clutter (lines, specks) and noise — `cnnplay.scenes`, the same for the same number."
)

sc = scene(seed)
tabs = st.tabs(
    [
        "IoU",
        "Anchors",
        "Raw output",
        "Pipeline & NMS",
        "Evaluation",
        "Your photo",
        "RoI pool vs align",
    ]
)

# ---------------------------------------------------------------- IoU
with tabs[0]:
    st.markdown(
        "**Intersection over Union** compares a predicted box with a true one: the shared area "
        "over the area covered by either. 1 is a perfect match, 0 no overlap."
    )
    left, right = st.columns([1, 1.2])
    with left:
        st.caption(f"Corners of the two boxes on a {IOU_CANVAS}×{IOU_CANVAS} canvas (edit):")
        frame = pd.DataFrame(
            [[10, 10, 60, 50], [30, 25, 80, 75]],
            index=["A", "B"],
            columns=["x0", "y0", "x1", "y1"],
        )
        col = st.column_config.NumberColumn(
            min_value=0, max_value=IOU_CANVAS, step=1, format="%g", width=70
        )
        edited = st.data_editor(
            frame,
            key="det_iou_boxes",
            num_rows="fixed",
            column_config={c: col for c in frame.columns},
        )
        values = pd.DataFrame(edited).apply(pd.to_numeric, errors="coerce").to_numpy(float)
        if not np.isfinite(values).all():
            st.warning("Empty cells count as 0.", icon=":material/warning:")
            values = np.nan_to_num(values)
        values = np.clip(values, 0, IOU_CANVAS)
        for name, row in zip("AB", values, strict=True):  # corners in any order
            if row[2] < row[0] or row[3] < row[1]:
                st.info(f"Box {name}: corners swapped so that x0 ≤ x1 and y0 ≤ y1.")
        boxes = np.concatenate(
            [np.minimum(values[:, :2], values[:, 2:]), np.maximum(values[:, :2], values[:, 2:])],
            axis=1,
        )
        a, b = boxes
        area_a, area_b = (a[2] - a[0]) * (a[3] - a[1]), (b[2] - b[0]) * (b[3] - b[1])
        inter = float(intersection(a, b)[0, 0])
        union = area_a + area_b - inter
        iou = float(box_iou(a, b)[0, 0])
        st.latex(
            r"\mathrm{IoU} = \frac{|A \cap B|}{|A \cup B|} = \frac{|A \cap B|}"
            r"{|A| + |B| - |A \cap B|}"
        )
        st.latex(
            rf"= \frac{{{inter:g}}}{{{area_a:g} + {area_b:g} - {inter:g}}} = "
            rf"\frac{{{inter:g}}}{{{union:g}}} = {iou:.3f}"
        )
        if union == 0:
            st.warning("Both boxes have no area: IoU is taken as 0.", icon=":material/warning:")
    with right:
        lt, rb = np.maximum(a[:2], b[:2]), np.minimum(a[2:], b[2:])
        inter_box = np.concatenate([lt, rb]) if (rb > lt).all() else None
        show_figure(iou_figure(a, b, inter_box, IOU_CANVAS), "det_iou_fig")
        st.caption("Union shaded light, intersection purple.")
    st.markdown(
        "**Why IoU is a relative error** (seed 002): a squared error on the corners counts "
        "pixels, whatever the box's size. IoU divides by the size, so the same 5-pixel slip "
        "is a disaster for a small box and barely matters for a large one:"
    )
    rows = []
    for side in (10, 20, 50, 100):
        truth = np.array([0, 0, side, side], float)
        guess = truth + [5, 5, 5, 5]
        rows.append(
            {
                "box side (px)": side,
                "shift (px)": "5, 5",
                "squared corner error": float(np.sum((guess - truth) ** 2)),
                "IoU": round(float(box_iou(truth, guess)[0, 0]), 3),
                "1 − IoU (loss)": round(1 - float(box_iou(truth, guess)[0, 0]), 3),
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True)

# ---------------------------------------------------------------- anchors
with tabs[1]:
    st.markdown(
        "A region proposal network (seed 000, Faster R-CNN) slides a window over the feature "
        "map; at each place it scores **k anchor boxes** — fixed shapes at several scales and "
        "aspect ratios centred there — and predicts corrections to them. Small corrections to "
        "a good anchor are easier to learn than boxes from nothing. Training labels: each "
        "ground-truth box goes to the anchor with the highest IoU (seed 002)."
    )
    grid = SCENE.size // CFG.stride
    c1, c2, c3 = st.columns([1, 1, 1])
    scales = c1.multiselect("Scales (px)", ANCHOR_SCALES, key="det_scales")
    ratios = c2.multiselect("Aspect ratios h/w", ANCHOR_RATIOS, key="det_ratios")
    cell = st.session_state.det_cell
    row = c3.slider("Cell row", 0, grid - 1, value=min(cell[0], grid - 1), key="det_cell_row")
    colm = c3.slider("Cell column", 0, grid - 1, value=min(cell[1], grid - 1), key="det_cell_col")
    if not scales or not ratios:
        st.warning("Choose at least one scale and one ratio.", icon=":material/warning:")
    else:
        shapes = anchor_shapes(sorted(scales), sorted(ratios))
        k = len(shapes)
        centre = ((colm + 0.5) * CFG.stride, (row + 0.5) * CFG.stride)
        mine = anchors_at(*centre, shapes)
        everywhere = (anchors_for(grid, DetectorConfig(anchors=tuple(map(tuple, shapes))))).reshape(
            -1, 4
        )  # (S*S*k, 4)
        iou_all = box_iou(sc.boxes, everywhere)  # (G, S*S*k)
        best = iou_all.argmax(axis=1) if len(sc.boxes) else np.zeros(0, int)
        left, right = st.columns(2)
        with left:
            fig = on_image(
                sc.image,
                [
                    gt_layer(sc),
                    box_layer(mine, "#ff8c00", [f"{w:.0f}×{h:.0f}" for w, h in shapes], 1.5),
                ],
                title=f"k = {len(scales)} × {len(ratios)} = {k} anchors at cell ({row}, {colm})",
                labels=False,
            )
            show_figure(fig, "det_anchor_fig")
        with right:
            fig = on_image(
                sc.image,
                [
                    gt_layer(sc),
                    box_layer(
                        everywhere[best],
                        "#ff8c00",
                        [f"IoU {iou_all[g, best[g]]:.2f}" for g in range(len(best))],
                        2,
                    ),
                ],
                title="best-matching anchor of each object",
            )
            show_figure(fig, "det_match_fig")
        yolo = [assign(box, grid, CFG) for box in sc.boxes]  # (i, j, b, IoU) per object
        table = []
        for g, j in enumerate(best):
            cell_idx, anchor_idx = divmod(int(j), k)
            w, h = shapes[anchor_idx]
            table.append(
                {
                    "object": f"{g + 1}: {sc.names[g]}",
                    "box": ", ".join(f"{v:.0f}" for v in sc.boxes[g]),
                    "best anchor anywhere (RPN)": f"{w:.0f}×{h:.0f} at cell "
                    f"{divmod(cell_idx, grid)}",
                    "IoU": round(float(iou_all[g, j]), 3),
                    "our detector (YOLO: midpoint's cell)": "{0:.0f}×{0:.0f} at cell {1}".format(
                        CFG.anchors[yolo[g][2]][0], yolo[g][:2]
                    ),
                    "IoU ": round(yolo[g][3], 3),
                }
            )
        st.dataframe(pd.DataFrame(table), hide_index=True)
        st.caption(
            f"{grid}×{grid} cells × {k} anchors = {grid * grid * k} anchors in all for a "
            f"{SCENE.size}-px scene (stride {CFG.stride}). Our detector uses B = "
            f"{CFG.boxes_per_cell} square anchors of "
            f"{', '.join(f'{a[0]:.0f}' for a in CFG.anchors)} px (its shapes are roughly "
            "square) and YOLO's rule: only the cell holding the box's midpoint may predict it, "
            "with its best-fitting anchor."
        )

# ---------------------------------------------------------------- raw output
rd = raw(seed)
det = postprocess(rd, score_thr, iou_thr, per_class)
with tabs[2]:
    s, nb, nc = rd.grid, CFG.boxes_per_cell, CFG.classes
    st.markdown(
        "The detector is fully convolutional: its last layer gives every grid cell "
        f"**B × 5 + C** numbers — for each of its B = {nb} anchors 4 box corrections and 1 "
        f"objectness, plus C = {nc} class probabilities shared by the cell (seed 002)."
    )
    st.latex(
        rf"S \times S \times (B \times 5 + C) = {s} \times {s} \times ({nb} \times 5 + {nc}) = "
        rf"{s * s * (nb * 5 + nc)}\ \text{{numbers}}"
    )
    left, right = st.columns(2)
    with left:
        show_figure(
            objectness_figure(sc.image, rd.objectness_map, CFG.stride, png(sc.image)), "det_obj_fig"
        )
    with right:
        order = np.argsort(rd.objectness)  # strongest drawn last
        layer = box_layer(
            rd.boxes[order],
            [f"rgba(31,119,180,{max(0.12, v):.2f})" for v in rd.objectness[order]],
            [f"objectness {v:.2f}" for v in rd.objectness[order]],
            1,
        )
        fig = on_image(
            sc.image,
            [layer],
            title=f"all {len(rd.boxes)} boxes, opacity = objectness",
            labels=False,
        )
        show_figure(fig, "det_all_fig")
    top = np.argsort(-rd.objectness)[:8]
    st.dataframe(
        pd.DataFrame(
            {
                "cell (row, col)": [str(divmod(int(i) // nb, s)) for i in top],
                "anchor": [int(i) % nb for i in top],
                "objectness": rd.objectness[top].round(3),
                **{c: rd.class_probs[top, k].round(3) for k, c in enumerate(CLASSES)},
                "box": [", ".join(f"{v:.0f}" for v in rd.boxes[i]) for i in top],
            }
        ),
        hide_index=True,
    )
    st.caption(
        "The 8 boxes with the highest objectness. This scene's forward pass took "
        f"{rd.seconds * 1000:.1f} ms on this server (when it was first computed)."
    )

# ---------------------------------------------------------------- pipeline + NMS
with tabs[3]:
    st.markdown(
        "**① class score = class probability × objectness**, **② discard low scores**, "
        "**③ non-max suppression**: repeat until no box is left — output the box *b* with the "
        f"highest score, discard any remaining box {'of the same class ' if per_class else ''}"
        f"with IoU > {iou_thr:g} with *b* (seed 002)."
    )
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

# ---------------------------------------------------------------- evaluation
with tabs[4]:
    st.markdown(
        "A detection is a **true positive** when it overlaps a same-class true box with "
        "IoU ≥ 0.5 that no higher-scored detection has claimed; otherwise a **false "
        "positive**. True boxes nobody claims are **misses**. Precision = TP / (TP + FP), "
        "recall = TP / true boxes; **AP@0.5** is the area under the precision-recall curve "
        "made by sliding the score threshold (mean over the classes)."
    )
    n_eval = st.slider("Scenes to evaluate on", 10, 200, step=10, key="det_eval_n")
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
        )
        d, g = dets[pick], scenes[pick]
        mt = match_detections(d.boxes, d.scores, d.labels, g.boxes, g.labels)
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

# ---------------------------------------------------------------- your photo
with tabs[5]:
    st.markdown(
        "Seed 002's **naive idea**: take an image classifier and slide it over windows at "
        "several positions and scales; each window's probability for one class is a scored "
        "box; NMS keeps the best. It needs no detector training — but **one forward pass per "
        "window**, which is why region proposals (R-CNN, ~2,000 passes), shared features "
        "(Fast R-CNN, RoI pooling) and single-shot detectors (YOLO, one pass) exist."
    )
    picked = image_picker("det_photo", max_side=512, default="chelsea (cat)")
    show_notes(picked)
    spec = REGISTRY[DEFAULT_MODEL]

    @st.cache_resource(show_spinner="Loading the ImageNet classifier…")
    def classifier() -> torch.nn.Module:
        return load_pretrained(DEFAULT_MODEL)

    @st.cache_data(max_entries=8, show_spinner=False)
    def categories() -> list[str]:
        return imagenet_categories()

    digest = hashlib.sha1(picked.pixels.tobytes()).hexdigest()

    @st.cache_data(max_entries=16, show_spinner="Classifying the whole photo…")
    def whole_photo_top(digest: str, _pixels: np.ndarray) -> int:
        x = preprocess(_pixels, spec).tensor[None].to(next(classifier().parameters()).device)
        with torch.inference_mode():
            return int(classifier()(x).argmax())

    names = categories()
    top1 = whole_photo_top(digest, picked.pixels)
    c1, c2, c3 = st.columns([2, 1.2, 1])
    class_index = c1.selectbox(
        "Class to look for",
        range(len(names)),
        index=top1,
        format_func=lambda i: f"{names[i]}{' (whole photo says)' if i == top1 else ''}",
        key=f"det_sw_class_{digest[:8]}",
    )
    scales = c2.multiselect(
        "Window sides (× shorter side)",
        [0.25, 0.35, 0.5, 0.55, 0.7, 0.8, 1.0],
        default=list(WindowConfig().scales),
        key="det_sw_scales",
    )
    overlap = c3.slider("Overlap", 0.0, 0.9, 0.75, 0.05, key="det_sw_overlap")
    sw_score = c3.slider("Window score threshold", 0.0, 1.0, 0.5, 0.01, key="det_sw_score")
    if not scales:
        st.warning("Choose at least one window size.", icon=":material/warning:")
    else:
        wcfg = WindowConfig(scales=tuple(sorted(scales)), overlap=overlap)
        n_windows = len(window_boxes(*picked.pixels.shape[:2], wcfg))
        st.caption(
            f"{n_windows} windows on this {picked.pixels.shape[1]}×{picked.pixels.shape[0]} photo "
            f"= {n_windows} forward passes of {DEFAULT_MODEL}, in batches of {wcfg.batch}."
        )
        run_key = (digest, class_index, wcfg)
        if st.button("Slide the windows", key="det_sw_run", type="primary"):
            bar = st.progress(0.0, text="Classifying windows…")

            def on_progress(done: int, total: int, metrics: dict) -> None:
                bar.progress(done / total, text=f"{done}/{total} windows")

            result = score_windows(
                classifier(), spec, picked.pixels, class_index, wcfg, on_progress
            )
            bar.empty()
            st.session_state.det_sw_result = (run_key, result)
        held = st.session_state.get("det_sw_result")
        if held is None or held[0] != run_key:
            st.info("Press **Slide the windows** to score every window (a few seconds on a CPU).")
        else:
            res = held[1]
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
            show_figure(
                on_image(picked.pixels, [every], title=title, labels=False), "det_sw_all", left
            )
            best = box_layer(
                res.boxes[kept],
                DET_GT_COLOUR,
                [f"{names[class_index]} {res.scores[i]:.2f}" for i in kept],
                3,
            )
            title = f"score ≥ {sw_score:g}: {len(cand)} → NMS at IoU {iou_thr:g}: {len(kept)}"
            show_figure(on_image(picked.pixels, [best], title=title), "det_sw_nms", right)
            if not len(cand):
                st.warning(
                    f"No window scores {sw_score:g} or more for this class: lower the window "
                    "score threshold.",
                    icon=":material/warning:",
                )
            one_pass = raw_detections(detector(), sc.image).seconds  # timed now, not cached
            st.caption(
                "Windows of different sizes on the same object overlap less than you would "
                "think — a window inside one twice its side has IoU ¼ — so NMS at 0.5 keeps "
                "several per object. For comparison, our single-shot grid detector looks once: "
                f"{one_pass * 1000:.1f} ms for all {len(rd.boxes)} boxes of a scene. R-CNN ran "
                "~2,000 proposals through the CNN; Faster R-CNN shares one pass and needs ~0.2 s "
                "per image (seed 002)."
            )

    st.divider()
    st.markdown(
        "**A real detector** (optional, needs the network once): torchvision's SSDlite "
        "(MobileNetV3, trained on COCO's 80 classes) through its weights API. Its own NMS is "
        "switched off, so its candidates go through the same step-by-step NMS as above."
    )
    if st.toggle(f"Use {COCO_MODEL} (downloads 13 MB once)", key="det_coco"):
        coco = coco_model()
        if isinstance(coco, str):
            st.warning(coco, icon=":material/cloud_off:")
        else:
            cands = coco_boxes(digest, picked.pixels)
            coco_names = coco_names_list()
            sel = np.flatnonzero(cands.scores >= score_thr)
            texts = [
                f"{coco_names[c]} {v:.2f}" for c, v in zip(cands.labels, cands.scores, strict=True)
            ]
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

# ---------------------------------------------------------------- RoI
with tabs[6]:
    st.markdown(
        "Fast R-CNN runs the CNN **once** and cuts each region of interest out of the feature "
        "map, warping it to a fixed grid (the notes' 7×7) for the classifier. **RoI pooling** "
        "snaps the box and its bins to whole cells and takes each bin's max; **RoI align** "
        "(Mask R-CNN) keeps the exact box and averages bilinear samples at regular points in "
        "each bin — no rounding, so masks line up with pixels."
    )
    fmap = roi_features(seed)  # (C, H/8, W/8)
    c1, c2, c3 = st.columns(3)
    fh, fw = fmap.shape[1:]
    stride = SCENE.size // fh
    default_box = sc.boxes[0] / stride if len(sc.boxes) else np.array([2.0, 2.0, 8.0, 8.0])
    x0, y0, x1, y1 = np.round(default_box).astype(int)
    inside = fmap[:, y0:y1, x0:x1].mean(axis=(1, 2)) - fmap.mean(axis=(1, 2))  # (C,)
    channel = c1.slider(
        "Feature channel",
        0,
        fmap.shape[0] - 1,
        int(inside.argmax()),  # the channel that fires most on object 1
        key=f"det_roi_ch_{seed}",
    )
    out = c2.slider("Output grid o×o", 1, 7, key="det_roi_out")
    ratio = c3.slider("Samples per bin side (align)", 1, 4, key="det_roi_ratio")
    xs, ys = (
        where.slider(
            f"RoI {axis}0 – {axis}1 (cells)",
            0.0,
            float(side),
            (round(float(default_box[k]), 1), round(float(default_box[k + 2]), 1)),
            0.1,
            key=f"det_roi_{axis}_{seed}",
        )
        for where, axis, side, k in zip(st.columns(2), "xy", (fw, fh), (0, 1), strict=True)
    )
    box = np.array([xs[0], ys[0], xs[1], ys[1]])
    if xs[1] - xs[0] < 0.1 or ys[1] - ys[0] < 0.1:
        st.warning("The RoI needs some width and height.", icon=":material/warning:")
    else:
        feat = fmap[channel]
        comp = compare_roi(feat, box, out, ratio)
        st.caption(
            f"Channel {channel} of the detector's stride-{stride} feature map ({fh}×{fw} cells); "
            f"the dashed box starts as object 1's box divided by {stride}."
        )
        left, right = st.columns(2)
        with left:
            st.markdown("**RoI pooling**: quantised bins (orange/purple), max of each")
            show_figure(roi_figure(feat, comp.box, comp.pool_bins, None), "det_roi_pool")
            show_figure(grid_figure(comp.pooled, "roi_pool output"), "det_roi_pool_out")
        with right:
            st.markdown(
                f"**RoI align**: exact bins, {ratio}×{ratio} bilinear samples each, averaged"
            )
            show_figure(roi_figure(feat, comp.box, None, comp.sample_points), "det_roi_align")
            show_figure(grid_figure(comp.aligned, "roi_align output"), "det_roi_align_out")
        shifts = np.round(np.arange(0, 1.01, 0.1), 1)
        moved = [compare_roi(feat, box + [d, 0, d, 0], out, ratio) for d in shifts]
        series = {
            "RoI pooling": [np.abs(m.pooled - comp.pooled).max() for m in moved],
            "RoI align": [np.abs(m.aligned - comp.aligned).max() for m in moved],
        }
        left, right = st.columns([1, 1.2])
        fig = lines_figure(shifts, series, "box moved right by (cells)", "largest output change")
        show_figure(fig, "det_roi_shift", left, width="stretch")
        right.markdown(
            "**Slide the box to the right** a tenth of a cell at a time: RoI align's output "
            "changes smoothly with the shift, RoI pooling's stays put and then **jumps** when a "
            "rounded corner or bin edge crosses a cell border. That snapping is the "
            "translation invariance the notes blame for misaligned masks; align removes it."
        )
