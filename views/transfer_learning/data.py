"""The images every tab learns from and the shared backbone (above the tabs: a change reruns the
page): Fashion-MNIST (or generated shapes), your uploads per class or one zip; the input side,
the validation share and the split seed; what the data looks like."""

from __future__ import annotations

import numpy as np
import pandas as pd
import streamlit as st
import torch

from cnnplay.data import fashion
from cnnplay.data.image_folders import DatasetError
from cnnplay.data.labelled import LabelledImages, stratified_split
from cnnplay.models.pretrained import (
    DEFAULT_MODEL,
    REGISTRY,
    PretrainedUnavailable,
    body_stages,
    feature_dim,
    tunable_stages,
)
from cnnplay.plots.images import tile_maps
from ui.figures import show_table
from ui.hosting import profile
from ui.links import LINK
from ui.models import shared_pretrained
from ui.page import KEEP
from ui.progress import progress_bar
from views.transfer_learning.common import (
    SIDES,
    SOURCES,
    Setup,
    digest_of,
    fashion_set,
    generated_set,
    inputs,
    limits,
    uploaded_set,
    zipped_set,
)

IMAGE_TYPES = ["png", "jpg", "jpeg", "webp", "bmp", "gif", "tif", "tiff"]


def choose() -> Setup | None:
    """The settings column: images, backbone, side, split. None until there are images."""
    source = st.radio("Images", SOURCES, key="tl_source", persist_state=KEEP, bind=LINK)
    if source == SOURCES[0]:
        data = builtin_data()
    elif source == SOURCES[1]:
        data = per_class_data()
    else:
        data = zip_data()
    wanted = st.selectbox(
        "Pretrained base", list(REGISTRY), key="tl_model", persist_state=KEEP, bind=LINK
    )
    st.caption(REGISTRY[wanted].about)
    c1, c2 = st.columns(2)
    side = c1.select_slider(
        "Input side (pixels)", SIDES, key="tl_side", persist_state=KEEP, bind=LINK
    )
    val_share = c2.slider(
        "Validation share", 0.1, 0.5, step=0.05, key="tl_val", persist_state=KEEP, bind=LINK
    )
    split_seed = st.number_input(
        "Split seed", 0, 10_000, key="tl_split_seed", persist_state=KEEP, bind=LINK
    )
    name = backbone(wanted)
    if data is None:
        return None
    return setup(data, name, int(side), float(val_share), int(split_seed))


def backbone(wanted: str) -> str:
    """The shared backbone's name: ``wanted``, or the offline default when it cannot be had."""
    try:
        shared_pretrained(wanted)
    except PretrainedUnavailable as err:
        st.warning(str(err), icon=":material/cloud_off:")
        return DEFAULT_MODEL
    return wanted


def setup(data: LabelledImages, name: str, side: int, val_share: float, seed: int) -> Setup:
    model = shared_pretrained(name)  # one read-only copy for every session
    spec = REGISTRY[name]
    stages = body_stages(model)
    train_idx, val_idx = stratified_split(data.labels, val_share, seed)
    digest = digest_of(data)
    return Setup(
        data=data,
        name=name,
        spec=spec,
        stages=stages,
        tunable=tunable_stages(stages),
        dim=feature_dim(model),
        side=side,
        train_idx=train_idx,
        val_idx=val_idx,
        data_key=f"{digest}|{name}|{side}",
        x=inputs(digest, side, spec.mean, spec.std, data.images),
        y=torch.from_numpy(data.labels),
    )


def builtin_data() -> LabelledImages:
    c1, c2 = st.columns(2)
    per_class = c1.slider(
        "Images per class",
        10,
        profile().max_per_class,
        step=5,
        key="tl_per_class",
        persist_state=KEEP,
        bind=LINK,
    )
    seed = c2.number_input(
        "Draw seed", 0, 10_000, key="tl_data_seed", persist_state=KEEP, bind=LINK
    )
    if fashion.available():
        return fashion_set(per_class, int(seed), True)
    st.warning(
        "Fashion-MNIST is not installed on this server (Debian package dataset-fashion-mnist). "
        "Using a small set of generated shapes instead; you can download the real set (about "
        "30 MB) if this server has internet access.",
        icon=":material/cloud_off:",
    )
    if st.button("Download Fashion-MNIST", key="tl_download"):
        try:
            with progress_bar("Downloading Fashion-MNIST:") as on_progress:
                fashion.download_fashion(on_progress)
        except fashion.FashionUnavailable as err:
            st.error(str(err), icon=":material/cloud_off:")
        else:
            st.rerun()
    return generated_set(per_class, int(seed))


def cap_note() -> str:
    """What one's own classes may hold, and how the image limit is shared."""
    cap = limits()
    return (
        f"At most {cap.max_images} images in all, {cap.min_classes}–{cap.max_classes} classes. "
        "The limit is shared fairly: the classes take turns, one image each, so no class "
        "crowds out another, and a small class leaves what it does not use to the others. "
        f"Every image is centre-cropped to a square of {cap.side} px."
    )


def per_class_data() -> LabelledImages | None:
    count = st.number_input(
        "Number of classes",
        limits().min_classes,
        limits().max_classes,
        key="tl_n_classes",
        persist_state=KEEP,
        bind=LINK,
    )
    files: dict[str, list[tuple[str, bytes]]] = {}
    for k in range(int(count)):
        c1, c2 = st.columns([1, 2])
        name = c1.text_input(f"Class {k + 1}", key=f"tl_name_{k}", persist_state=KEEP, bind=LINK)
        uploads = c2.file_uploader(
            f"Images of class {k + 1}",
            type=IMAGE_TYPES,
            accept_multiple_files=True,
            key=f"tl_files_{k}",
        )
        if name.strip() in files:
            st.warning(f"Two classes are called “{name.strip()}”: their images are merged.")
        files.setdefault(name.strip(), []).extend((u.name, u.getvalue()) for u in uploads or [])
    st.caption(cap_note())
    if not any(files.values()):
        st.info("Upload a few images per class (5 or more each works best).")
        return None
    return checked(lambda: uploaded_set(files))


def zip_data() -> LabelledImages | None:
    upload = st.file_uploader(
        "A zip with one folder per class (cats/…, dogs/…)", type=["zip"], key="tl_zip"
    )
    st.caption(cap_note())
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
            show_table(
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


def summary(s: Setup) -> None:
    """How many images, the split, a row of samples per class, the counts table."""
    data, k = s.data, s.k
    st.markdown(
        f"**{len(data)} images** in **{k} classes** from *{data.source}*: "
        f"{len(s.train_idx)} for training, {len(s.val_idx)} for validation (split seed "
        f"{int(st.session_state.tl_split_seed)}, the same for all three strategies)."
    )
    st.image(sample_grid(data), caption="A row per class: " + ", ".join(data.classes))
    show_table(
        pd.DataFrame(
            {
                "class": data.classes,
                "images": data.counts(),
                "train": np.bincount(data.labels[s.train_idx], minlength=k),
                "validation": np.bincount(data.labels[s.val_idx], minlength=k),
            }
        ),
        hide_index=True,
        key="tl_counts",
    )
