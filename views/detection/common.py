"""What the Detection page's tabs share: constants, defaults, cached models, scenes and
evaluations (each cache bounded), and the figure helpers that put boxes on a scene."""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st
import torch

from cnnplay.detection.coco import COCO_MODEL, coco_candidates, coco_categories, load_coco_detector
from cnnplay.detection.detector import (
    DetectorConfig,
    evaluate_raw,
    feature_map,
    load_detector,
    raw_detections,
)
from cnnplay.detection.metrics import match_detections
from cnnplay.detection.plots import box_layer, boxes_figure
from cnnplay.models.pretrained import (
    DEFAULT_MODEL,
    REGISTRY,
    PretrainedUnavailable,
    imagenet_categories,
    preprocess,
)
from cnnplay.plots.images import image_source
from cnnplay.plots.style import DET_GT_COLOUR
from cnnplay.scenes import CLASSES, SceneConfig, make_scene, make_scenes
from ui.models import shared_pretrained
from ui.progress import megabytes, progress_bar
from ui.sessions import release_when_idle

CFG = DetectorConfig()
SCENE = SceneConfig()
AP_SCORE_FLOOR = 0.01  # AP ranks every detection scoring at least this
EVAL_SEED = 7  # make_scenes seed of the evaluation batch (not used in training: seeds 1-3)
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


def set_defaults() -> None:
    """The page's starting values, where the student has not set them (also after a Reset)."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)


# ---------------------------------------------------------------- the grid detector and scenes
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


# ---------------------------------------------------------------- evaluation
@release_when_idle
@st.cache_resource(max_entries=8, show_spinner="Detecting on the evaluation scenes…")
def eval_raw(n: int):
    """The evaluation scenes and the detector's raw output on each (thresholds come later).
    Shared read-only by every session (no copy per call: ~12 MB for 60 scenes); a threshold
    change only re-runs the post-processing below."""
    scenes = make_scenes(n, seed=EVAL_SEED)
    return scenes, [raw_detections(detector(), s.image) for s in scenes]


@st.cache_data(max_entries=32, show_spinner=False)
def ranking(n: int, iou: float, per_class: bool):
    """AP of every detection scoring ≥ AP_SCORE_FLOOR (does not depend on the score threshold)."""
    scenes, raws = eval_raw(n)
    return evaluate_raw(raws, scenes, AP_SCORE_FLOOR, iou, per_class)[0]


@st.cache_data(max_entries=32, show_spinner=False)
def at_thresholds(n: int, score: float, iou: float, per_class: bool):
    """Precision / recall at these thresholds, the kept detections and their matches per scene."""
    scenes, raws = eval_raw(n)
    result, dets = evaluate_raw(raws, scenes, score, iou, per_class)
    matches = [
        match_detections(d.boxes, d.scores, d.labels, s.boxes, s.labels)
        for d, s in zip(dets, scenes, strict=True)
    ]
    return result, dets, matches


def evaluation(n: int, score: float, iou: float, per_class: bool):
    """(evaluation at the thresholds, AP ranking, detections, matches) on n fresh scenes."""
    result, dets, matches = at_thresholds(n, score, iou, per_class)
    return result, ranking(n, iou, per_class), dets, matches


# ---------------------------------------------------------------- the ImageNet classifier
SW_MODEL = DEFAULT_MODEL  # the sliding-window demo's classifier
SW_SPEC = REGISTRY[SW_MODEL]


def classifier() -> torch.nn.Module:
    """The one shared, read-only ImageNet backbone of the app (ui.models)."""
    return shared_pretrained(SW_MODEL)


@st.cache_data(max_entries=8, show_spinner=False)
def categories() -> list[str]:
    return imagenet_categories()


@st.cache_data(max_entries=16, show_spinner="Classifying the whole photo…")
def whole_photo_top(digest: str, _pixels: np.ndarray) -> int:
    model = classifier()
    x = preprocess(_pixels, SW_SPEC).tensor[None].to(next(model.parameters()).device)
    with torch.inference_mode():
        return int(model(x).argmax())


# ---------------------------------------------------------------- the COCO detector (online)
@st.cache_resource(show_spinner=False)
def _coco_model() -> torch.nn.Module:
    with progress_bar(f"Downloading {COCO_MODEL}:", megabytes) as on_progress:
        return load_coco_detector(on_progress)


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


# ---------------------------------------------------------------- figures
def digest_of(image: np.ndarray) -> str:
    return hashlib.sha1(image.tobytes()).hexdigest()


@st.cache_data(max_entries=64, show_spinner=False)
def _png(digest: str, _image: np.ndarray) -> str:
    return image_source(_image)


def png(image: np.ndarray) -> str:
    """The image as a PNG data URI, cached by content (encoding is most of a figure's cost)."""
    return _png(digest_of(image), image)


def on_image(image: np.ndarray, layers: list, **options):
    """:func:`boxes_figure` over ``image`` with its PNG from the cache."""
    return boxes_figure(image, layers, source=png(image), **options)


def class_texts(labels, scores=None) -> list[str]:
    if scores is None:
        return [CLASSES[int(c) - 1] for c in labels]
    return [f"{CLASSES[int(c) - 1]} {s:.2f}" for c, s in zip(labels, scores, strict=True)]


def gt_layer(sc) -> dict:
    return box_layer(sc.boxes, DET_GT_COLOUR, class_texts(sc.labels), 2, "dot", name="truth")
