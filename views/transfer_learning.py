"""Transfer learning: the user's own classes on a pretrained base — a small CNN from scratch,
a frozen base with a new head, and fine-tuning the last blocks, compared (seeds 000, 001)."""

import hashlib
import time
from dataclasses import dataclass
from functools import partial

import numpy as np
import pandas as pd
import streamlit as st
import torch

from cnnplay.data import fashion
from cnnplay.data.image_folders import DatasetError, UploadLimits, build_set, read_zip
from cnnplay.data.labelled import LabelledImages, square, stratified_split
from cnnplay.data.shapes import shapes_set
from cnnplay.metrics import confusion_matrix
from cnnplay.models.pretrained import (
    DEFAULT_MODEL,
    REGISTRY,
    PretrainedUnavailable,
    body_stages,
    feature_dim,
    tunable_stages,
)
from cnnplay.plots.charts import confusion_figure, topk_figure, training_curves_figure
from cnnplay.plots.images import tile_maps
from cnnplay.train import TrainConfig
from cnnplay.transfer.export import export_head
from cnnplay.transfer.strategies import (
    STRATEGIES,
    Augmentation,
    FeatureStore,
    RunResult,
    augment,
    build_scratch,
    build_transfer,
    predict_probs,
    stopped_result,
    to_inputs,
    to_pixels,
    train_scratch,
    train_transfer,
)
from ui.figures import show_figure
from ui.inputs import image_picker, show_notes
from ui.models import shared_pretrained as shared_model

SOURCES = ["Fashion-MNIST (built in)", "Your classes: upload per class", "Your classes: one zip"]
SIDES = [64, 96, 128, 160, 224]  # input sides offered, pixels
LIMITS = UploadLimits()
MAX_RESULTS = 12  # rows kept in the results table
PREVIEW = 16  # augmented samples in the preview grid
TOP_K = 5
BLURB = {
    "scratch": "Random weights; learns every filter from your few images.",
    "head": "ImageNet filters frozen; only a new linear layer on their pooled features.",
    "finetune": "Also trains the last blocks of the base, at a lower learning rate.",
}


@dataclass
class Trained:
    """One finished (or stopped) run, with what the later tabs need."""

    result: RunResult
    classes: tuple[str, ...]
    data_key: str  # which data, backbone, side and split it was trained on
    backbone: str
    side: int
    val_images: np.ndarray  # (n_val, S, S, 3) uint8, for the confusion matrix cells
    val_labels: np.ndarray  # (n_val,) int64
    augmented: bool


# --- cached loaders -----------------------------------------------------------------------


@st.cache_data(max_entries=8, show_spinner="Reading Fashion-MNIST…")
def fashion_set(per_class: int, seed: int, marker: bool) -> LabelledImages:
    """``marker`` (whether the files are there) re-keys the cache after a download."""
    return fashion.load_fashion(per_class, seed)


@st.cache_data(max_entries=8, show_spinner=False)
def generated_set(per_class: int, seed: int) -> LabelledImages:
    return shapes_set(per_class, seed)


@st.cache_data(max_entries=8, ttl=3600, show_spinner="Reading your images…")
def uploaded_set(files: dict[str, list[tuple[str, bytes]]]):
    return build_set(files, LIMITS)


@st.cache_data(max_entries=4, ttl=3600, show_spinner="Unpacking the zip…")
def zipped_set(data: bytes):
    return read_zip(data, LIMITS)


@st.cache_data(max_entries=8, show_spinner=False)
def inputs(digest: str, side: int, mean, std, _images: np.ndarray) -> torch.Tensor:
    return to_inputs(_images, side, mean, std)


def digest_of(data: LabelledImages) -> str:
    h = hashlib.sha1(data.images.tobytes())
    h.update(data.labels.tobytes() + "|".join(data.classes).encode())
    return h.hexdigest()[:16]


# --- data ---------------------------------------------------------------------------------


def choose_data() -> LabelledImages | None:
    source = st.radio("Images", SOURCES, key="tl_source")
    if source == SOURCES[0]:
        return builtin_data()
    if source == SOURCES[1]:
        return per_class_data()
    return zip_data()


def builtin_data() -> LabelledImages:
    c1, c2 = st.columns(2)
    per_class = c1.slider("Images per class", 10, 60, 30, step=5, key="tl_per_class")
    seed = c2.number_input("Draw seed", 0, 10_000, 0, key="tl_data_seed")
    if fashion.available():
        return fashion_set(per_class, int(seed), True)
    st.warning(
        "Fashion-MNIST is not installed on this server (Debian package dataset-fashion-mnist). "
        "Using a small set of generated shapes instead; you can download the real set (about "
        "30 MB) if this server has internet access.",
        icon=":material/cloud_off:",
    )
    if st.button("Download Fashion-MNIST", key="tl_download"):
        bar = st.progress(0.0, text="Downloading…")
        try:
            fashion.download_fashion(
                lambda s, t, m: bar.progress(min(1.0, s / t), text=f"{m.get('file', '')}")
            )
        except fashion.FashionUnavailable as err:
            st.error(str(err), icon=":material/cloud_off:")
        else:
            bar.empty()
            st.rerun()
    return generated_set(per_class, int(seed))


def per_class_data() -> LabelledImages | None:
    count = st.number_input(
        "Number of classes", LIMITS.min_classes, LIMITS.max_classes, 2, key="tl_n_classes"
    )
    files: dict[str, list[tuple[str, bytes]]] = {}
    for k in range(int(count)):
        c1, c2 = st.columns([1, 2])
        name = c1.text_input(f"Class {k + 1}", f"class {k + 1}", key=f"tl_name_{k}")
        uploads = c2.file_uploader(
            f"Images of class {k + 1}",
            type=["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"],
            accept_multiple_files=True,
            key=f"tl_files_{k}",
        )
        if name.strip() in files:
            st.warning(f"Two classes are called “{name.strip()}”: their images are merged.")
        files.setdefault(name.strip(), []).extend((u.name, u.getvalue()) for u in uploads or [])
    if not any(files.values()):
        st.info("Upload a few images per class (5 or more each works best).")
        return None
    return checked(lambda: uploaded_set(files))


def zip_data() -> LabelledImages | None:
    upload = st.file_uploader(
        "A zip with one folder per class (cats/…, dogs/…)", type=["zip"], key="tl_zip"
    )
    if upload is None:
        st.info("No zip yet. Folders become classes; every image in a folder is one example.")
        return None
    return checked(lambda: zipped_set(upload.getvalue()))


def checked(load) -> LabelledImages | None:
    """Run a loader; show DatasetError and the skipped files instead of failing."""
    try:
        data, rejected = load()
    except DatasetError as err:
        st.error(str(err), icon=":material/folder_off:")
        return None
    if rejected:
        st.warning(f"{len(rejected)} file(s) skipped; the other images are used.")
        with st.expander("Skipped files and why"):
            st.dataframe(
                pd.DataFrame(
                    {"file": [r.file for r in rejected], "reason": [r.reason for r in rejected]}
                ),
                hide_index=True,
                key="tl_rejected",
            )
    for note in data.notes:
        st.info(note, icon=":material/info:")
    return data


def sample_grid(data: LabelledImages, per_row: int = 8) -> np.ndarray:
    """Up to ``per_row`` images of each class as one mosaic, a row per class."""
    tiles = []
    for k in range(len(data.classes)):
        members = np.flatnonzero(data.labels == k)[:per_row]
        row = np.full((per_row, *data.images.shape[1:]), 255, np.uint8)
        row[: len(members)] = data.images[members]
        tiles.append(row)
    side = data.images.shape[1]
    return tile_maps(np.concatenate(tiles) / 255.0, cols=per_row, upscale=max(1, 64 // side))


# --- page ---------------------------------------------------------------------------------

st.title("Transfer learning")
st.markdown(
    "Seed 000, *Re-using pretrained layers*: *in practice, we start with a CNN pre-trained on a "
    "very large dataset* (ImageNet, 1.4 million images, 1,000 classes), *replace the top layers "
    "with a task-specific classification layer*, train it *keeping the pre-trained convolutional "
    "layers frozen*, and *may then gradually unfreeze some of the convolutional layers too*. "
    "Here you do it on your own classes and compare with a small CNN trained from scratch."
)

left, right = st.columns([1, 2])
with left:
    data = choose_data()
    wanted = st.selectbox("Pretrained base", list(REGISTRY), key="tl_model")
    st.caption(REGISTRY[wanted].about)
    c1, c2 = st.columns(2)
    side = c1.select_slider("Input side (pixels)", SIDES, value=96, key="tl_side")
    val_fraction = c2.slider("Validation share", 0.1, 0.5, 0.25, step=0.05, key="tl_val")
    split_seed = st.number_input("Split seed", 0, 10_000, 0, key="tl_split_seed")

name = wanted
try:
    model = shared_model(name)
except PretrainedUnavailable as err:
    with left:
        st.warning(str(err), icon=":material/cloud_off:")
    name = DEFAULT_MODEL
    model = shared_model(name)
spec = REGISTRY[name]
stages = body_stages(model)
tunable = tunable_stages(stages)
dim = feature_dim(model)

if data is None:
    with right:
        st.info("Choose or upload images on the left to start.", icon=":material/upload:")
    st.stop()

train_idx, val_idx = stratified_split(data.labels, val_fraction, int(split_seed))
digest = digest_of(data)
data_key = f"{digest}|{name}|{side}"
x = inputs(digest, side, spec.mean, spec.std, data.images)  # (N, 3, S, S)
y = torch.from_numpy(data.labels)
K = len(data.classes)
store: FeatureStore = st.session_state.setdefault("tl_store", FeatureStore(capacity=4))
trained: dict[str, Trained] = st.session_state.setdefault("tl_trained", {})
results: list[dict] = st.session_state.setdefault("tl_results", [])

with right:
    counts = data.counts()
    st.markdown(
        f"**{len(data)} images** in **{K} classes** from *{data.source}*: "
        f"{len(train_idx)} for training, {len(val_idx)} for validation (split seed "
        f"{int(split_seed)}, the same for all three strategies)."
    )
    st.image(sample_grid(data), caption="A row per class: " + ", ".join(data.classes))
    st.dataframe(
        pd.DataFrame(
            {
                "class": data.classes,
                "images": counts,
                "train": np.bincount(data.labels[train_idx], minlength=K),
                "validation": np.bincount(data.labels[val_idx], minlength=K),
            }
        ),
        hide_index=True,
        key="tl_counts",
    )

show = partial(show_figure, width="stretch")


@st.cache_data(max_entries=8, show_spinner=False)
def last_maps_shape(name: str, side: int) -> tuple[int, ...]:
    """(C, h, w) of the last feature maps before global average pooling, for a side² input."""
    with torch.inference_mode():
        out = torch.zeros(1, 3, side, side, device=next(model.parameters()).device)
        shape = tuple(out.shape[1:])
        for stage in stages:
            out = stage(out)
            if out.ndim == 4:
                shape = tuple(out.shape[1:])
    return shape


def gap_explainer() -> None:
    shape = "×".join(str(v) for v in last_maps_shape(name, side))
    st.markdown(
        f"Seed 001, *ResNet*: a **global average pooling** layer turns the last feature maps "
        f"(here {shape} for a {side}×{side} input) into one number per map — a vector of "
        f"**{dim}** — and *one densely connected layer with a softmax* gives the classes. "
        f"Transfer learning keeps everything up to that vector and replaces the last layer: "
        f"{dim} × {K} weights + {K} biases = **{dim * K + K:,}** new parameters for your "
        f"{K} classes, instead of {dim * 1000 + 1000:,} for ImageNet's 1000."
    )


# --- augmentation tab ---------------------------------------------------------------------


def augmentation_settings() -> Augmentation:
    c1, c2, c3, c4 = st.columns(4)
    flip = c1.checkbox("Horizontal flip", True, key="tl_flip")
    rotation = c2.slider("Rotation ± (degrees)", 0, 45, 15, key="tl_rot")
    crop = c3.slider("Smallest crop", 0.5, 1.0, 0.8, step=0.05, key="tl_crop")
    jitter = c4.slider("Colour jitter", 0.0, 0.5, 0.2, step=0.05, key="tl_jitter")
    return Augmentation(flip, float(rotation), float(crop), float(jitter))


def augmentation_tab(aug: Augmentation) -> None:
    st.markdown(
        "Seed 000, *Data augmentation*: *we can increase the number of task-specific training "
        "examples by adding artificial training examples* — rotate, squeeze, flip. Each epoch "
        "sees every training image under a new random transformation."
    )
    if not aug.active:
        st.info("Every transformation is off: the preview shows the images unchanged.")
    seed = st.number_input("Preview seed", 0, 10_000, 0, key="tl_preview_seed")
    pick = train_idx[np.random.default_rng(int(seed)).permutation(len(train_idx))[:4]]
    gen = torch.Generator().manual_seed(int(seed))
    rows = [to_pixels(x[pick], spec.mean, spec.std)]
    rows += [
        to_pixels(augment(x[pick], gen, aug, spec.mean, spec.std), spec.mean, spec.std)
        for _ in range(3)
    ]
    grid = np.stack(rows, axis=1).reshape(-1, side, side, 3)  # original + 3 views per image
    st.image(
        tile_maps(grid / 255.0, cols=4, upscale=max(1, 96 // side)),
        caption="Each row: one training image (left) and three random augmentations of it",
    )


# --- training tab -------------------------------------------------------------------------


def settings() -> dict:
    with st.expander("Training settings", expanded=False):
        c1, c2, c3 = st.columns(3)
        cfg = {
            "scratch": (
                c1.number_input("Epochs (scratch)", 1, 100, 15, key="tl_ep_scratch"),
                c1.select_slider(
                    "Learning rate (scratch)",
                    [1e-4, 3e-4, 1e-3, 3e-3, 1e-2],
                    3e-3,
                    key="tl_lr_scratch",
                ),
            ),
            "head": (
                c2.number_input("Epochs (head)", 1, 200, 20, key="tl_ep_head"),
                c2.select_slider(
                    "Learning rate (head)", [1e-4, 3e-4, 1e-3, 3e-3, 1e-2], 3e-3, key="tl_lr_head"
                ),
            ),
            "finetune": (
                c3.number_input("Epochs (fine-tune)", 1, 50, 5, key="tl_ep_ft"),
                c3.select_slider(
                    "Learning rate (fine-tune)",
                    [1e-5, 3e-5, 1e-4, 3e-4, 1e-3],
                    3e-4,
                    key="tl_lr_ft",
                ),
            ),
        }
        blocks = c3.slider("Blocks to unfreeze", 1, min(4, len(tunable)), 2, key="tl_blocks")
        views = c2.slider("Augmented copies per image (head)", 1, 5, 2, key="tl_views")
        batch = c1.select_slider("Batch size", [8, 16, 32, 64], 32, key="tl_batch")
        seed = c1.number_input("Training seed", 0, 10_000, 0, key="tl_train_seed")
    configs = {
        k: TrainConfig(epochs=int(e), batch_size=int(batch), lr=float(lr), seed=int(seed))
        for k, (e, lr) in cfg.items()
    }
    return {"configs": configs, "blocks": int(blocks), "views": int(views)}


def run(strategy: str, how: dict, aug: Augmentation, where) -> None:
    """Train one strategy with a progress bar and live curves in ``where``; the run is kept in
    session state while it goes, so a Stop (which interrupts this script) keeps what it has."""
    config = how["configs"][strategy]
    split = tunable[-how["blocks"]] if strategy == "finetune" else len(stages)
    model_ = (
        build_scratch(K, config.seed)
        if strategy == "scratch"
        else build_transfer(stages, split, K, dim, config.seed)
    )
    epochs: list[dict] = []
    st.session_state.tl_pending = {
        "strategy": strategy,
        "model": model_,
        "epochs": epochs,
        "start": time.perf_counter(),
        "data_key": data_key,
        "aug": aug.active,
        "split": (train_idx, val_idx),
    }
    bar = where.progress(0.0, text=f"{STRATEGIES[strategy]}: starting…")
    chart = where.empty()

    def on_progress(step: int, total: int, metrics: dict) -> None:
        epoch = metrics.get("epoch", 0)
        text = f"{STRATEGIES[strategy]}: epoch {epoch:.1f}, loss {metrics['loss']:.3f}"
        bar.progress(min(1.0, step / total), text=text)
        if "train_loss" in metrics:
            epochs.append(dict(metrics))
            show(
                training_curves_figure({strategy: epochs}, STRATEGIES, 220),
                f"tl_live_{strategy}_{len(epochs)}",
                chart,
            )

    def on_features(done: int, total: int, _metrics: dict) -> None:
        bar.progress(min(1.0, done / total), text=f"Computing features: {done}/{total} images")

    stop = lambda: bool(st.session_state.get("tl_stop_flag"))  # noqa: E731
    if strategy == "scratch":
        result = train_scratch(
            x,
            y,
            train_idx,
            val_idx,
            K,
            config,
            aug,
            spec.mean,
            spec.std,
            on_progress,
            stop,
            model=model_,
        )
    else:
        result = train_transfer(
            model_,
            x,
            y,
            train_idx,
            val_idx,
            config,
            store,
            data_key,
            aug,
            how["views"],
            spec.mean,
            spec.std,
            on_progress,
            on_features,
            stop,
        )
    bar.empty()
    chart.empty()
    keep(result, aug.active)


def keep(result: RunResult, augmented: bool) -> None:
    st.session_state.pop("tl_pending", None)
    st.session_state.tl_stop_flag = False
    trained[result.strategy] = Trained(
        result,
        data.classes,
        data_key,
        name,
        side,
        data.images[val_idx],
        data.labels[val_idx],
        augmented,
    )
    h = result.history
    results.insert(
        0,
        {
            "strategy": STRATEGIES[result.strategy],
            "augmentation": "on" if augmented else "off",
            "epochs": len(h.epochs),
            "val accuracy": result.val_accuracy,
            "train accuracy": result.train_accuracy,
            "training s": round(result.train_seconds, 2),
            "features s": round(result.feature_seconds, 2),
            "trainable params": result.trainable,
            "all params": result.total,
            "stopped": "yes" if h.stopped else "",
            "data": f"{data.source}, {len(data)} images, {side} px",
        },
    )
    del results[MAX_RESULTS:]


def recover_stopped() -> None:
    """A run interrupted by Stop (or any rerun) left its model in session state: keep it."""
    pending = st.session_state.get("tl_pending")
    if pending is None:
        return
    if pending["data_key"] != data_key or len(pending["epochs"]) == 0:
        st.session_state.pop("tl_pending")
        return
    tr, va = pending["split"]
    result = stopped_result(
        pending["strategy"],
        pending["model"],
        pending["epochs"],
        time.perf_counter() - pending["start"],
        x,
        y,
        tr,
        va,
        store,
        data_key,
    )
    keep(result, pending["aug"])
    st.info(
        f"{STRATEGIES[result.strategy]} was stopped after {len(result.history.epochs)} "
        "epoch(s); its model is kept.",
        icon=":material/stop_circle:",
    )


def train_tab(aug: Augmentation) -> None:
    gap_explainer()
    how = settings()
    use_aug = st.toggle(
        "Augment the training images (set up in the Augmentation tab)", False, key="tl_aug_on"
    )
    aug_used = aug if use_aug else Augmentation(False, 0.0, 1.0, 0.0)
    recover_stopped()
    c_all, c_stop = st.columns([1, 1])
    everything = c_all.button("Train all three", key="tl_train_all", type="primary")
    c_stop.button(
        "Stop training", key="tl_stop", on_click=lambda: st.session_state.update(tl_stop_flag=True)
    )
    cols = st.columns(3)
    for col, strategy in zip(cols, STRATEGIES, strict=True):
        col.markdown(f"**{STRATEGIES[strategy]}**")
        col.caption(BLURB[strategy])
        pressed = col.button(
            "Train " + STRATEGIES[strategy][0].lower() + STRATEGIES[strategy][1:],
            key=f"tl_train_{strategy}",
        )
        if pressed or everything:
            st.session_state.tl_stop_flag = False
            run(strategy, how, aug_used, col)
        held = trained.get(strategy)
        if held is not None and held.data_key == data_key:
            r = held.result
            col.metric(
                "Validation accuracy", f"{100 * r.val_accuracy:.1f}%", help="on the held-out images"
            )
            col.caption(
                f"{r.trainable:,} of {r.total:,} parameters trained, "
                f"{r.train_seconds:.1f} s training"
                + (f" + {r.feature_seconds:.1f} s features" if r.feature_seconds else "")
                + (" (stopped)" if r.history.stopped else "")
            )
    current = {k: t.result.history.epochs for k, t in trained.items() if t.data_key == data_key}
    if current:
        show(training_curves_figure(current, STRATEGIES), "tl_curves")
    if results:
        st.markdown(
            "**Results** (newest first; train again with augmentation on or off to compare)"
        )
        frame = pd.DataFrame(results)
        st.dataframe(
            frame,
            hide_index=True,
            key="tl_results_table",
            column_config={
                "val accuracy": st.column_config.NumberColumn(format="percent"),
                "train accuracy": st.column_config.NumberColumn(format="percent"),
            },
        )
        verdict()
    else:
        st.caption("Nothing trained yet: press a Train button.")


def verdict() -> None:
    mine = {k: t.result for k, t in trained.items() if t.data_key == data_key}
    if "scratch" in mine and "head" in mine:
        s, h = mine["scratch"], mine["head"]
        st.markdown(
            f"With the same {len(train_idx)} training images, the frozen base + new head reaches "
            f"**{100 * h.val_accuracy:.1f}%** training {h.trainable:,} parameters; the CNN "
            f"from scratch reaches **{100 * s.val_accuracy:.1f}%** training {s.trainable:,}. "
            "Seed 000's point: features learned on a million images carry over to new classes."
        )


# --- after training -----------------------------------------------------------------------


def pick_model(key: str) -> Trained | None:
    if not trained:
        st.info("Train a model first (tab *Train & compare*).")
        return None
    options = [k for k in STRATEGIES if k in trained]
    chosen = st.selectbox("Model", options, format_func=lambda k: STRATEGIES[k], key=key)
    return trained[chosen]


def confusion_tab() -> None:
    held = pick_model("tl_cm_model")
    if held is None:
        return
    r = held.result
    if len(held.val_labels) == 0:
        st.warning("There are no validation images: raise the validation share.")
        return
    classes = held.classes
    matrix = confusion_matrix(held.val_labels, r.val_pred, len(classes))
    st.markdown(
        f"{STRATEGIES[r.strategy]}: **{100 * r.val_accuracy:.1f}%** of {len(held.val_labels)} "
        f"validation images right (the diagonal). Click a cell, or choose it below, to see the "
        "images behind it."
    )
    c1, c2 = st.columns([3, 2])
    with c1:

        def on_click() -> None:
            points = st.session_state["tl_cm_chart"].selection.points
            if points:
                st.session_state.tl_cm_true = classes[int(points[0]["y"])]
                st.session_state.tl_cm_pred = classes[int(points[0]["x"])]

        st.plotly_chart(
            confusion_figure(matrix, classes),
            key="tl_cm_chart",
            on_select=on_click,
            selection_mode="points",
            config={"displayModeBar": False},
        )
    with c2:
        if st.session_state.get("tl_cm_true") not in classes:  # start at the worst mix-up
            errors = matrix - np.diag(np.diag(matrix))  # (K, K) off-diagonal counts
            t0, p0 = np.unravel_index(int(np.argmax(errors)), errors.shape)
            st.session_state.tl_cm_true, st.session_state.tl_cm_pred = classes[t0], classes[p0]
        true = st.selectbox("True class", classes, key="tl_cm_true")
        pred = st.selectbox("Predicted class", classes, key="tl_cm_pred")
        t, p = classes.index(true), classes.index(pred)
        hits = np.flatnonzero((held.val_labels == t) & (r.val_pred == p))
        if hits.size == 0:
            st.caption(f"No validation image of *{true}* was predicted as *{pred}*.")
        else:
            images = held.val_images[hits[:24]]
            st.image(
                tile_maps(images / 255.0, cols=6, upscale=max(1, 64 // images.shape[1])),
                caption=f"{hits.size} image(s): true {true}, predicted {pred}",
            )


def predict_tab() -> None:
    held = pick_model("tl_pred_model")
    if held is None:
        return
    picked = image_picker("tl_photo", max_side=512, default="chelsea (cat)")
    show_notes(picked)
    spec_ = REGISTRY[held.backbone]
    xin = to_inputs(square(picked.pixels, held.side)[None], held.side, spec_.mean, spec_.std)
    probs = predict_probs(held.result.model, xin)[0]
    order = np.argsort(probs)[::-1][: min(TOP_K, len(probs))]
    c1, c2 = st.columns([1, 2])
    c1.image(
        square(picked.pixels, held.side), caption=f"what the model sees ({held.side}×{held.side})"
    )
    with c2:
        st.markdown(
            f"**{STRATEGIES[held.result.strategy]}** says: **{held.classes[order[0]]}** "
            f"({100 * probs[order[0]]:.1f}%)."
        )
        show(topk_figure([held.classes[i] for i in order], probs[order], "top classes"), "tl_topk")
    st.caption(
        "The model only knows your classes: a photo of something else still gets one "
        "of them, often with high confidence."
    )
    st.divider()
    r = held.result
    card = {
        "strategy": r.strategy,
        "backbone": held.backbone,
        "input_side": held.side,
        "normalise_mean": list(spec_.mean),
        "normalise_std": list(spec_.std),
        "val_accuracy": r.val_accuracy,
        "epochs": len(r.history.epochs),
        "trainable_params": r.trainable,
        "augmentation": held.augmented,
        "weights": "safetensors state_dict of the trained part: the new head (key prefix "
        "'head.'), the fine-tuned stages ('suffix.') or the whole small CNN",
    }
    st.download_button(
        "Download the trained weights + class names (zip)",
        data=export_head(r.model, held.classes, card),
        file_name=f"cnnplay-{r.strategy}-{len(held.classes)}classes.zip",
        mime="application/zip",
        key="tl_download_head",
    )
    st.caption("The zip holds head.safetensors, classes.json (output order) and model.json.")


augmentation = None
tabs = st.tabs(["Train & compare", "Augmentation", "Confusion matrix", "Predict & download"])
with tabs[1]:
    augmentation = augmentation_settings()
    augmentation_tab(augmentation)
with tabs[0]:
    train_tab(augmentation)
with tabs[2]:
    confusion_tab()
with tabs[3]:
    predict_tab()
