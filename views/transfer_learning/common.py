"""What the Transfer learning page's tabs share: constants, the widgets' defaults, the cached
data and inputs, the page's setup (data, backbone, split: chosen above the tabs), and this
session's trained models (one per strategy, so at most three)."""

from __future__ import annotations

import hashlib
import time
from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch
from torch import nn

from cnnplay.data import fashion
from cnnplay.data.image_folders import UploadLimits, build_set, read_zip
from cnnplay.data.labelled import LabelledImages
from cnnplay.data.shapes import shapes_set
from cnnplay.models.pretrained import DEFAULT_MODEL, PretrainedSpec, body_stages
from cnnplay.transfer.strategies import (
    STRATEGIES,
    Augmentation,
    FeatureStore,
    Inputs,
    RunResult,
    stopped_result,
)
from ui.hosting import profile
from ui.links import LINK
from ui.models import shared_pretrained
from ui.page import KEEP
from ui.sessions import release_when_idle

SOURCES = ["Fashion-MNIST (built in)", "Your classes: upload per class", "Your classes: one zip"]
SIDES = [64, 96, 128, 160, 224]  # input sides offered, pixels
MAX_RESULTS = 12  # rows kept in the results table
MAX_MODELS = len(STRATEGIES)  # trained models a session keeps: the newest of each strategy
FEATURE_SETS = 4  # frozen-base feature sets a session keeps (FeatureStore capacity)
INPUTS_TTL_S = 1800  # a data set's shared network inputs are dropped this long after made
TOP_K = 5
NO_AUGMENTATION = Augmentation(False, 0.0, 1.0, 0.0)
TRAINED_KEY = "tl_trained"  # session state: {strategy: Trained}
RESULTS_KEY = "tl_results"  # session state: rows of the results table, newest first
STORE_KEY = "tl_store"  # session state: this session's FeatureStore
PENDING_KEY = "tl_pending"  # session state: the model of a training run in progress
STOP_KEY = "tl_stop_flag"  # session state: Stop was pressed during the current run
STOPPED_KEY = "tl_stopped_after"  # session state: (strategy, epochs) of a stopped run to report
DEFAULTS = {  # session-state defaults of the page's widgets (set when absent)
    "tl_source": SOURCES[0],
    "tl_per_class": 30,
    "tl_data_seed": 0,
    "tl_n_classes": 2,
    "tl_model": DEFAULT_MODEL,
    "tl_side": 96,
    "tl_val": 0.25,
    "tl_split_seed": 0,
    "tl_flip": True,
    "tl_rot": 15,
    "tl_crop": 0.8,
    "tl_jitter": 0.2,
    "tl_preview_seed": 0,
    "tl_ep_scratch": 15,
    "tl_lr_scratch": 3e-3,
    "tl_ep_head": 20,
    "tl_lr_head": 3e-3,
    "tl_ep_ft": 5,
    "tl_lr_ft": 3e-4,
    "tl_blocks": 2,
    "tl_views": 2,
    "tl_batch": 32,
    "tl_train_seed": 0,
    "tl_aug_on": False,
}


def limits() -> UploadLimits:
    """What one's own classes may hold on this server (the hosted profile: fewer images)."""
    return UploadLimits(max_images=profile().max_upload_images)


def set_defaults() -> None:
    """Give every widget of the page its default unless the student has set it (a widget reads
    its value from session state, so none of them passes a default of its own)."""
    for key, value in profile().page_defaults(DEFAULTS).items():
        st.session_state.setdefault(key, value)
    for k in range(limits().max_classes):
        st.session_state.setdefault(f"tl_name_{k}", f"class {k + 1}")


# --- cached, bounded ------------------------------------------------------------------------


@st.cache_data(max_entries=8, show_spinner="Reading Fashion-MNIST…")
def fashion_set(per_class: int, seed: int, marker: bool) -> LabelledImages:
    """``marker`` (whether the files are there) re-keys the cache after a download."""
    return fashion.load_fashion(per_class, seed)


@st.cache_data(max_entries=8, show_spinner=False)
def generated_set(per_class: int, seed: int) -> LabelledImages:
    return shapes_set(per_class, seed)


@st.cache_data(max_entries=8, ttl=3600, show_spinner="Reading your images…")
def uploaded_set(files: dict[str, list[tuple[str, bytes]]]):
    return build_set(files, limits())


@st.cache_data(max_entries=4, ttl=3600, show_spinner="Unpacking the zip…")
def zipped_set(data: bytes):
    return read_zip(data, limits())


@release_when_idle
@st.cache_resource(max_entries=4, ttl=INPUTS_TTL_S, show_spinner=False)
def inputs(digest: str, side: int, mean, std, _images: np.ndarray) -> Inputs:
    """The network inputs of a data set, one read-only copy for every session: uint8 pixels
    (at most 600 images × 3 × 224² = 90 MB), normalised a batch at a time when read. A
    cache_data would unpickle a fresh copy on every rerun (~40 ms and those bytes each time)."""
    return Inputs.from_images(_images, side, mean, std)


@st.cache_data(max_entries=8, show_spinner=False)
def last_maps_shape(name: str, side: int) -> tuple[int, ...]:
    """(C, h, w) of the last feature maps before global average pooling, for a side² input."""
    model = shared_pretrained(name)
    with torch.inference_mode():
        out = torch.zeros(1, 3, side, side, device=next(model.parameters()).device)
        shape = tuple(out.shape[1:])
        for stage in body_stages(model):
            out = stage(out)
            if out.ndim == 4:
                shape = tuple(out.shape[1:])
    return shape


def digest_of(data: LabelledImages) -> str:
    h = hashlib.sha1(data.images.tobytes())
    h.update(data.labels.tobytes() + "|".join(data.classes).encode())
    return h.hexdigest()[:16]


# --- the page's setup (above the tabs) ------------------------------------------------------


@dataclass(frozen=True, eq=False)
class Setup:
    """The data, the shared backbone and the split every tab works on."""

    data: LabelledImages
    name: str  # the backbone in use (the default one when the chosen one is unavailable)
    spec: PretrainedSpec
    stages: list[nn.Module]  # the shared backbone's stages: read-only
    tunable: list[int]  # stage indices that can be unfrozen
    dim: int  # pooled feature size
    side: int
    train_idx: np.ndarray
    val_idx: np.ndarray
    data_key: str  # which data, backbone and side (features and models depend on these)
    x: Inputs  # the N images as the network's inputs (uint8, normalised when read)
    y: torch.Tensor  # (N,) int64

    @property
    def classes(self) -> tuple[str, ...]:
        return tuple(self.data.classes)

    @property
    def k(self) -> int:
        return len(self.data.classes)


def augmentation() -> Augmentation:
    """The augmentation set up in the Augmentation tab (read from session state)."""
    s = st.session_state
    return Augmentation(bool(s.tl_flip), float(s.tl_rot), float(s.tl_crop), float(s.tl_jitter))


# --- this session's trained models ----------------------------------------------------------


@dataclass
class Trained:
    """One finished (or stopped) run, with what the later tabs need."""

    result: RunResult
    classes: tuple[str, ...]
    data_key: str  # which data, backbone and side it was trained on
    backbone: str
    side: int
    val_images: np.ndarray  # (n_val, S, S, 3) uint8, for the confusion matrix cells
    val_labels: np.ndarray  # (n_val,) int64
    augmented: bool


def trained() -> dict[str, Trained]:
    """This session's models, by strategy (at most MAX_MODELS)."""
    return st.session_state.setdefault(TRAINED_KEY, {})


def results() -> list[dict]:
    """The results table's rows, newest first (at most MAX_RESULTS)."""
    return st.session_state.setdefault(RESULTS_KEY, [])


def store() -> FeatureStore:
    return st.session_state.setdefault(STORE_KEY, FeatureStore(capacity=FEATURE_SETS))


def keep(result: RunResult, augmented: bool, setup: Setup, split: tuple, seed: int) -> None:
    """Keep a trained (or stopped) model, replacing the one of its strategy, and add a row to
    the results table. ``split``: the (train, validation) indices it was trained on; ``seed``:
    its training seed."""
    st.session_state.pop(PENDING_KEY, None)
    st.session_state[STOP_KEY] = False
    data, (_, val_idx) = setup.data, split
    models = trained()
    models[result.strategy] = Trained(
        result,
        setup.classes,
        setup.data_key,
        setup.name,
        setup.side,
        data.images[val_idx],
        data.labels[val_idx],
        augmented,
    )
    assert len(models) <= MAX_MODELS
    h = result.history
    rows = results()
    rows.insert(
        0,
        {
            "strategy": STRATEGIES[result.strategy],
            "augmentation": "on" if augmented else "off",
            "seed": seed,
            "epochs": len(h.epochs),
            "val accuracy": result.val_accuracy,
            "train accuracy": result.train_accuracy,
            "training s": round(result.train_seconds, 2),
            "features s": round(result.feature_seconds, 2),
            "trainable params": result.trainable,
            "all params": result.total,
            "stopped": "yes" if h.stopped else "",
            "data": f"{data.source}, {len(data)} images, {setup.side} px",
        },
    )
    del rows[MAX_RESULTS:]


def recover_stopped(setup: Setup) -> None:
    """A run interrupted by Stop (or by any other click) left its model in session state: keep
    it (the Train & compare tab tells the student). Cheap; the page runs it on every full run."""
    pending = st.session_state.pop(PENDING_KEY, None)
    if pending is None or pending["data_key"] != setup.data_key or not pending["epochs"]:
        return
    tr, va = pending["split"]
    result = stopped_result(
        pending["strategy"],
        pending["model"],
        pending["epochs"],
        time.perf_counter() - pending["start"],
        setup.x,
        setup.y,
        tr,
        va,
        store(),
        setup.data_key,
    )
    keep(result, pending["aug"], setup, (tr, va), pending["seed"])
    st.session_state[STOPPED_KEY] = (result.strategy, len(result.history.epochs))


def pick_model(key: str) -> Trained | None:
    """A choice among this session's models (the later tabs), or None with a hint."""
    models = trained()
    if not models:
        st.info("Train a model first (tab *Train & compare*).")
        return None
    options = [k for k in STRATEGIES if k in models]
    if st.session_state.get(key) not in options:
        st.session_state[key] = options[0]
    chosen = st.selectbox(
        "Model",
        options,
        format_func=lambda k: STRATEGIES[k],
        key=key,
        persist_state=KEEP,
        bind=LINK,
    )
    return models[chosen]
