"""The "Dense = convolution" tab (seed 001, Fully Convolutional Networks): the trained CNN's dense
head becomes a convolution with the dense layer's weights; the same outputs on 28×28 images, and
on a larger canvas of several test images a class map in one forward pass — a sliding-window
classifier for free."""

from __future__ import annotations

import weakref

import numpy as np
import streamlit as st
from torch import nn

from cnnplay.convnets.dense_to_conv import (
    HEAD_INPUT,
    MapGeometry,
    aligned_positions,
    canvas_figure,
    class_map,
    class_map_figure,
    dense_layer,
    fully_convolutional,
    make_canvas,
    map_geometry,
    max_difference,
    median_seconds,
    sliding_windows,
)
from cnnplay.convnets.models import SIDE, Seed001CNN
from cnnplay.snippets import training as train_code
from ui.code_panel import code_panel
from ui.figures import show_figure
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from views.train_cnn.common import TrainedRun, need_training, trained

CHECK_IMAGES = 256  # test images the 28×28 comparison runs on
CHECK_KEY = "cv_dc_check"  # session state: (weakref to the CNN, images, max difference), one entry
NET_KEY = "cv_dc_net"  # session state: (weakref to the CNN, its converted twin), one entry
MAPS_KEY = "cv_dc_maps"  # session state: (weakref to the CNN, canvas bytes, class map, windows)
LAYOUTS = {  # label -> (rows, cols) of 28×28 slots
    "2×2 grid": (2, 2),
    "a row of 4": (1, 4),
}
GAPS = [0, 4, 8, 12]  # px between images: multiples of the map's jump (4), so windows align
SLOTS = 4


@st.cache_data(max_entries=16, show_spinner=False)
def _geometry(_converted: nn.Module, shape: tuple[int, int]) -> MapGeometry:
    """Every converted seed-001 CNN has the same geometry: cached by the canvas shape alone."""
    return map_geometry(_converted, shape)


def _check(cnn: Seed001CNN, converted: nn.Module, run: TrainedRun) -> tuple[int, float]:
    """(images compared, max |difference|) on the first test images; computed once per trained
    CNN (the session keeps the one newest result, by a weak reference to the CNN)."""
    kept = st.session_state.get(CHECK_KEY)
    if kept is not None and kept[0]() is cnn:
        return kept[1], kept[2]
    x = run.split.x_test[:CHECK_IMAGES]  # (n, 1, 28, 28) uint8
    result = (len(x), max_difference(cnn, converted, x))
    st.session_state[CHECK_KEY] = (weakref.ref(cnn), *result)
    return result


def converted_twin(cnn: Seed001CNN) -> nn.Sequential:
    """:func:`fully_convolutional` of this session's CNN, made once per trained CNN (one entry,
    a few hundred kB: a copy of the conv layers)."""
    kept = st.session_state.get(NET_KEY)
    if kept is not None and kept[0]() is cnn:
        return kept[1]
    converted = fully_convolutional(cnn)
    st.session_state[NET_KEY] = (weakref.ref(cnn), converted)
    return converted


def maps(cnn: Seed001CNN, converted: nn.Module, canvas: np.ndarray, jump: int):
    """(class map, the CNN on every window), each (K, H', W') float32: computed once per canvas
    (moving the position or recolouring the map reuses them; one entry per session)."""
    kept = st.session_state.get(MAPS_KEY)
    key = (canvas.shape, canvas.tobytes())
    if kept is not None and kept[0]() is cnn and kept[1] == key:
        return kept[2], kept[3]
    probs = class_map(converted, canvas).numpy()  # (K, H', W'): one forward pass
    windows = sliding_windows(cnn, canvas, jump).numpy()  # (K, H', W'): crop by crop
    st.session_state[MAPS_KEY] = (weakref.ref(cnn), key, probs, windows)
    return probs, windows


def explain_conversion(cnn: Seed001CNN, converted: nn.Sequential, run: TrainedRun) -> None:
    linear, conv = dense_layer(cnn), converted[1]
    c, h, w = HEAD_INPUT
    k = linear.out_features
    st.latex(
        r"y_k = b_k + \sum_{n=1}^{1600} W_{k,n}\,x_n"
        r"\;=\; b_k + \sum_{c=1}^{64}\sum_{i=1}^{5}\sum_{j=1}^{5} W_{k,c,i,j}\,x_{c,i,j}"
        r"\qquad W \in \mathbb{R}^{K\times 1600} \;\to\; \mathbb{R}^{K\times 64\times 5\times 5}"
    )
    params = sum(p.numel() for p in linear.parameters())
    st.markdown(
        f"The dense layer `Linear({linear.in_features:,} → {k})` reads the flattened "
        f"({c}, {h}, {w}) feature map. Reshape its weight matrix ({k} × {linear.in_features:,}) "
        f"into {k} kernels of {c}×{h}×{w} and it is `Conv2d({c}, {k}, kernel_size={h})`: "
        "a convolution whose kernel is as large as its input, so on a 28×28 image it fits "
        f"exactly once. Both hold the same **{params:,}** numbers "
        f"({linear.in_features:,}·{k} weights + {k} biases), only arranged differently "
        f"(`{tuple(conv.weight.shape)}`)."
    )
    n, diff = _check(cnn, converted, run)
    st.markdown(
        f"**Same outputs:** on the first {n:,} test images, the largest difference between the "
        f"CNN's {k} logits and the converted network's is **{diff:.1e}** — float rounding "
        "(the two sum the same products in a different order)."
    )


def canvas_settings(run: TrainedRun) -> tuple[tuple[int, int], int, tuple[int, ...]]:
    """The canvas the student builds: layout, gap and which test images."""
    count = len(run.split.x_test)
    for n in range(SLOTS):  # defaults (set once), and a kept index that a new run lacks
        key = f"cv_dc_img{n}"
        st.session_state.setdefault(key, n % count)
        if st.session_state[key] >= count:
            st.session_state[key] = count - 1
    left, right = st.columns([1, 2])
    layout = left.radio(
        "Canvas", list(LAYOUTS), key="cv_dc_layout", horizontal=True, persist_state=KEEP, bind=LINK
    )
    gap = left.select_slider(
        "Gap between images (px)",
        GAPS,
        key="cv_dc_gap",
        persist_state=KEEP,
        bind=LINK,
        help="Black pixels between the images. Multiples of 4 (the map's step), so that some "
        "window of the map sits exactly on each image.",
    )
    cols = right.columns(SLOTS)
    indices = tuple(
        int(
            col.number_input(
                f"Image {n + 1}",
                0,
                count - 1,
                key=f"cv_dc_img{n}",
                persist_state=KEEP,
                bind=LINK,
                help=f"Which test image (0 to {count - 1:,}).",
            )
        )
        for n, col in enumerate(cols)
    )
    classes = run.split.classes
    right.caption(
        "Test images: "
        + ", ".join(f"#{i} {classes[int(run.split.y_test[i])]}" for i in indices)
        + "."
    )
    return LAYOUTS[layout], int(gap), indices


def position_slider(where, label: str, size: int, key: str) -> int:
    """A slider over 0..size-1 (one position: a caption, a slider needs two)."""
    if size == 1:
        where.caption(f"{label}: 0 (the map has one position along this axis)")
        return 0
    return int(where.slider(label, 0, size - 1, key=key, persist_state=KEEP, bind=LINK))


def legend(classes: tuple[str, ...]) -> str:
    return " · ".join(f"**{k}** {name}" for k, name in enumerate(classes))


def top3(probs: np.ndarray, classes: tuple[str, ...]) -> str:
    order = sorted(range(len(probs)), key=lambda k: (-float(probs[k]), k))[:3]
    return ", ".join(f"{classes[k]} {100 * float(probs[k]):.1f}%" for k in order)


@tab_body
def render() -> None:
    run = trained()
    if run is None:
        need_training()
        return
    cnn = run.models["cnn"]
    classes = run.split.classes
    converted = converted_twin(cnn)
    st.markdown(
        f"{notes_name('001', capital=True)}: *any FC layer can be converted to a CONV layer* — "
        "and then the network accepts bigger images and slides itself over them."
    )
    from_the_notes(("001", "Fully Convolutional Networks (2015)"))
    explain_conversion(cnn, converted, run)

    st.subheader("A larger canvas, one forward pass")
    (rows, cols), gap, indices = canvas_settings(run)
    canvas = make_canvas(run.split.x_test.numpy(), indices, rows, cols, gap)
    geo = _geometry(converted, canvas.pixels.shape)
    probs, windows = maps(cnn, converted, canvas.pixels, geo.jump)  # (K, H', W') each
    _, ho, wo = probs.shape
    h, w = canvas.pixels.shape
    st.markdown(
        f"The canvas is **{w}×{h}** pixels. The converted network returns a **{ho}×{wo}** map "
        f"of {len(classes)} class scores, one per position, in **one forward pass**. "
        "The receptive field (worked out layer by layer, as on the Receptive field page) "
        f"says where each position looks: position (i, j) sees the **{geo.field}×{geo.field}** "
        f"canvas pixels from ({geo.jump}·i, {geo.jump}·j) — a step of {geo.jump} pixels, the "
        f"product of the two pooling strides. ({geo.field}, not {SIDE}: the two max-pools round "
        f"down, so the CNN never reads the last {SIDE - geo.field} rows and columns of a "
        f"{SIDE}×{SIDE} image.)"
    )
    i_col, j_col, show_col = st.columns(3)
    i = position_slider(i_col, "Map row i", ho, f"cv_dc_i_{ho}")
    j = position_slider(j_col, "Map column j", wo, f"cv_dc_j_{wo}")
    options = ["top class", *classes]
    shown = show_col.selectbox(
        "Colour the map by", options, key="cv_dc_show", persist_state=KEEP, bind=LINK
    )
    span_r, span_c = geo.span(i), geo.span(j)
    marks = [m for m in aligned_positions(canvas, geo.jump) if m is not None]
    left, right = st.columns(2)
    show_figure(
        canvas_figure(canvas.pixels, f"canvas: {len(indices)} test images", (span_r, span_c)),
        "cv_dc_canvas",
        left,
    )
    show_figure(
        class_map_figure(
            probs,
            classes,
            geo,
            None if shown == "top class" else options.index(shown) - 1,
            marks,
            (i, j),
        ),
        "cv_dc_map",
        right,
    )
    right.markdown("Cell labels: " + legend(classes))
    st.caption(
        "Pink outlines: the positions whose window is exactly one of the placed images — "
        "there the class map is the CNN's own answer for that image. Orange: the chosen "
        "position and, on the canvas, the pixels it sees."
    )

    diff = float(np.abs(windows - probs).max())
    st.markdown(
        f"**Position ({i}, {j})** sees canvas rows {span_r[0]}–{span_r[1]} and columns "
        f"{span_c[0]}–{span_c[1]}. The class map says {top3(probs[:, i, j], classes)}; the "
        f"original CNN on the 28×28 window there says {top3(windows[:, i, j], classes)}."
    )
    st.markdown(
        f"**A sliding-window classifier for free:** cutting out all {ho * wo} windows at "
        f"stride {geo.jump} and running the original CNN on each gives the same "
        f"probabilities at every position (largest difference **{diff:.1e}**). The one pass "
        "computes the convolutions once for the whole canvas; the windows overlap, so the "
        "crops compute most pixels' features many times over."
    )
    code_panel(lambda: train_code.dense_to_conv(cnn.state_dict(), canvas.pixels), "cv_code_dense")
    if st.button("Time both ways (20 runs each)", key="cv_dc_time"):
        one = median_seconds(lambda: class_map(converted, canvas.pixels))
        crops = median_seconds(lambda: sliding_windows(cnn, canvas.pixels, geo.jump))
        st.markdown(
            f"Median on this server, just now: **{1000 * one:.1f} ms** for the class map in one "
            f"pass, **{1000 * crops:.1f} ms** for the {ho * wo} crops through the CNN "
            f"({crops / one:.1f}× as long). Other students' work on the server slows both."
        )
