"""What several tabs of the Segmentation page share: constants, the widgets' defaults, the cached
shipped models and scenes, this session's trained models, and a row of mask pictures."""

from __future__ import annotations

import time

import numpy as np
import streamlit as st
from torch import nn

from cnnplay.cost import count
from cnnplay.receptive import receptive_field
from cnnplay.scenes import SceneConfig, make_scenes
from cnnplay.segmentation.deeplab import load_torchvision_segmenter
from cnnplay.segmentation.metrics import CLASS_NAMES, SegScores, score_masks
from cnnplay.segmentation.plots import class_legend_figure, upscale
from cnnplay.segmentation.training import SceneTensors, SegTrainSettings
from cnnplay.segmentation.unet import (
    SHIPPED,
    UNet,
    UNetConfig,
    count_params,
    load_model,
    predict,
    stages,
)
from ui.figures import show_figure
from ui.hosting import profile
from ui.progress import megabytes, progress_bar
from ui.sessions import release_when_idle

SIZE = 128  # side of the scenes the shipped models were trained and are compared on
COMPARE_SEED = 4  # make_scenes seed of the comparison scenes (training used 1, the cards 3)
COMPARE_N = 24  # comparison scenes
LIVE_VAL_N = 4  # validation scenes whose predictions are redrawn while training
LIVE_VAL_SEED = 5  # their make_scenes seed (and of the scenes scored after every epoch)
MAX_RUNS = 4  # trained models a session keeps (the newest)
SHOW_PX = 192  # on-screen side of one 128-px mask picture
RUNS_KEY = "seg_runs"  # session state: this session's trained models, newest first
PENDING_KEY = "seg_pending"  # session state: the model of a run in progress (kept if stopped)
STOPPED_KEY = "seg_stopped_after"  # session state: a stopped run not yet reported (stopped_note)
DEFAULTS = dict(  # session-state defaults of the page's widgets (set when absent)
    seg_depth=3,
    seg_width=UNetConfig().base_width,
    seg_decoder="U-Net (decoder + skips)",
    seg_upsample="transposed conv 2×2, stride 2",
    seg_skips=True,
    seg_scene=18,  # the no-skip network swallows the triangle into the square here
    seg_train_scenes=SegTrainSettings().train_scenes,
    seg_epochs=SegTrainSettings().epochs,
    seg_lr=SegTrainSettings().lr,
    seg_augment=True,
    seg_train_seed=SegTrainSettings().model_seed,
    seg_fm_stage=0,
    seg_fm_channels=16,
    seg_inst_seed=11,
    seg_draw_seed=2,
    seg_draw_side=SIZE,  # the side the shipped models were trained on; larger sides fail
    seg_inst_crowd=True,
)


def set_defaults() -> None:
    """Give every widget of the page its default unless the student has set it (a widget reads
    its value from session state, so none of them passes a default of its own)."""
    for key, value in profile().page_defaults(DEFAULTS).items():
        st.session_state.setdefault(key, value)


# --- cached, shared, read-only --------------------------------------------------------------


@st.cache_resource(show_spinner="Loading the shipped U-Nets…")
def shipped(name: str) -> UNet:
    """A shipped model for every session: eval mode, frozen, used under inference_mode."""
    return load_model(name)


@st.cache_data(show_spinner=False)
def shipped_receptive_field(name: str) -> int:
    """Receptive field (pixels, one side) of a shipped model's output units (a few seconds,
    once per server)."""
    return receptive_field(shipped(name), SIZE)


@release_when_idle
@st.cache_resource(max_entries=16, show_spinner=False)
def scene_set(
    count_: int, seed: int, size: int = SIZE, crowded: bool = False, drawing: bool = False
) -> list:
    """A few generated scenes (comparison, validation, one to draw), shared read-only: crowded
    = up to 8 objects overlapping more; drawing = no clutter, no noise. Bounded: every seed a
    student picks is a new entry."""
    cfg = SceneConfig(size)
    if crowded:
        cfg = SceneConfig(size, max_objects=8, max_overlap=0.6)
    if drawing:
        cfg = SceneConfig(size, clutter=0, noise_std=0.0)
    return make_scenes(count_, seed, cfg)


@release_when_idle
@st.cache_resource(max_entries=2, show_spinner=False)
def training_set(count_: int, seed: int) -> SceneTensors:
    """A training set for every session (read-only; fit indexes it): uint8 pixels and class
    ids, 65 KB a scene, so 600 scenes are 39 MB and the largest choice, 2,000, 131 MB; the two
    newest sets are kept."""
    return SceneTensors.generate(count_, seed, SIZE)


@st.cache_data(max_entries=8, show_spinner="Segmenting the comparison scenes…")
def shipped_predictions(name: str) -> tuple[np.ndarray, float]:
    """Class maps (N, H, W) of a shipped model on the comparison scenes, and ms per scene."""
    scenes = scene_set(COMPARE_N, COMPARE_SEED)
    images = np.stack([s.image for s in scenes])
    model = shipped(name)
    predict(model, images[:1])  # warm-up
    best = float("inf")
    for _ in range(2):  # the better of two timings: a busy server makes one of them slow
        start = time.perf_counter()
        pred, _ = predict(model, images)
        best = min(best, time.perf_counter() - start)
    return pred, 1000 * best / len(images)


@st.cache_data(max_entries=8, show_spinner=False)
def shipped_scores(name: str) -> SegScores:
    """Every score of a shipped model on the comparison scenes (computed once per server: the
    comparison tab redraws on each scene change without scoring again)."""
    target = np.stack([s.semantic for s in scene_set(COMPARE_N, COMPARE_SEED)])  # (N, H, W)
    return score_masks(shipped_predictions(name)[0], target, len(CLASS_NAMES))


@st.cache_data(max_entries=16, show_spinner=False)
def architecture(config: UNetConfig) -> tuple[list, int, int]:
    """Stages with shapes, parameters and multiply-adds of one configuration (meta device)."""
    report = count(UNet(config), (1, 3, SIZE, SIZE))
    return stages(config, SIZE), report.params, report.macs


@st.cache_resource(max_entries=1, show_spinner=False)
def torchvision_segmenter() -> nn.Module:
    """torchvision's DeepLabV3 for every session (eval mode, frozen), downloaded with a progress
    bar the first time; raises PretrainedUnavailable (not cached) when it cannot be had."""
    with progress_bar("Downloading the weights…", megabytes) as on_progress:
        return load_torchvision_segmenter(on_progress)


# --- per session ----------------------------------------------------------------------------


def runs() -> list[dict]:
    """This session's trained models, newest first (at most MAX_RUNS)."""
    return st.session_state.setdefault(RUNS_KEY, [])


def keep_run(
    model: UNet, history_epochs: list[dict], seconds: float, stopped: bool, seed: int
) -> None:
    """Add a trained (or stopped) model to this session's runs, labelled by its configuration;
    ``seed``: its training seed."""
    kept, config = runs(), model.config
    last = history_epochs[-1] if history_epochs else {}
    kept.insert(
        0,
        {
            "label": f"{config.label()} d{config.depth} w{config.base_width} #{len(kept) + 1}",
            "config": config,
            "model": model.eval().requires_grad_(False),
            "epochs": list(history_epochs),
            "seconds": seconds,
            "stopped": stopped,
            "seed": seed,
            "miou": last.get("val_miou", float("nan")),
            "dice": last.get("val_dice", float("nan")),
            "boundary": last.get("val_boundary_accuracy", float("nan")),
            "params": count_params(model),
        },
    )
    del kept[MAX_RUNS:]


def stopped_note(label: str, done: int, total: int | None, kept: bool) -> dict:
    """What the Train live tab reports about a stopped run (kept in session state until shown):
    the run's label, epochs done of ``total``, and whether its model was kept."""
    return {"label": label, "done": done, "total": total, "kept": kept}


def recover_stopped() -> None:
    """A run interrupted by Stop (or any other click) left its model in session state: keep it
    (the Train live tab tells the student), or report that it stopped before its first epoch
    ended. Cheap; runs on every full run and in the tab."""
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending is None:
        return
    label = pending.get("label", pending["model"].config.label())
    kept = bool(pending["epochs"])
    if kept:
        seconds = time.perf_counter() - pending["start"]
        keep_run(pending["model"], pending["epochs"], seconds, True, pending["seed"])
        label = runs()[0]["label"]
    st.session_state[STOPPED_KEY] = stopped_note(
        label, len(pending["epochs"]), pending.get("total"), kept
    )


def model_choices() -> dict[str, UNet]:
    """Shipped models by their labels, then this session's trained ones (newest first)."""
    out = {f"shipped: {SHIPPED[n].label()}": shipped(n) for n in SHIPPED}
    for r in runs():
        out[f"yours: {r['label']}"] = r["model"]
    return out


def show_masks(items: list[tuple[np.ndarray, str]], where=st) -> None:
    """A row of pictures (nearest-neighbour enlarged) with captions."""
    cols = where.columns(len(items))
    for col, (img, caption) in zip(cols, items, strict=True):
        factor = max(1, SHOW_PX // img.shape[0])
        col.image(upscale(img, factor), caption=caption, width="stretch")


def mask_legend(key: str, where=st) -> None:
    """The class colours of the mask pictures: a small legend (colour square + class name)."""
    show_figure(class_legend_figure(CLASS_NAMES), key, where, width="stretch")
