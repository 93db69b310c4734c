"""The "First layer" tab: the trained CNN's 32 first-layer 3×3 filters and what they make of one
test image, and for contrast the MLP's first-layer weights, one 28×28 image per hidden unit."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.convnets.first_layer import (
    dense_unit_images,
    first_feature_maps,
    first_filters,
    shared_scale_figure,
)
from cnnplay.plots.images import tile_maps
from ui.figures import show_figure
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.train_cnn.common import need_training, trained

MAP_UPSCALE = 3  # screen pixels per feature-map pixel
UNITS_SHOWN = 32  # MLP hidden units drawn (the first ones)


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement of an (H, W) image, so small images stay sharp."""
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


@tab_body
def render() -> None:
    run = trained()
    if run is None:
        need_training()
        return
    cnn, mlp = run.models["cnn"], run.models["mlp"]
    filters = first_filters(cnn)  # (32, 3, 3)
    st.markdown(
        f"The CNN's first layer is **{len(filters)} kernels of 3×3** — "
        f"{filters.size:,} weights and {len(filters)} biases — each slid over the whole image. "
        "Trained kernels often look like small edge and blob detectors (a positive side next "
        "to a negative side responds to a change of brightness in that direction)."
    )
    show_figure(
        shared_scale_figure(
            filters,
            cols=8,
            title="first-layer kernels (one colour scale)",
            colour_title="weight",
            cell_px=20,
        ),
        "cv_fl_filters",
    )
    count = len(run.split.x_test)
    if st.session_state.get("cv_fl_image", 0) >= count:  # a kept index that a new run lacks
        st.session_state["cv_fl_image"] = count - 1
    c1, c2 = st.columns([1, 2])
    image = int(
        c1.number_input(
            "Test image",
            0,
            count - 1,
            key="cv_fl_image",
            persist_state=KEEP,
            bind=LINK,
            help=f"0 to {count - 1:,}.",
        )
    )
    after = c2.radio(
        "Feature maps",
        ["after ReLU", "before ReLU"],
        key="cv_fl_relu",
        horizontal=True,
        persist_state=KEEP,
        bind=LINK,
        help="After ReLU is what the next layer reads; before it, negative responses show too.",
    )
    pixels = run.split.x_test[image, 0]  # (28, 28) uint8
    maps = first_feature_maps(cnn, pixels, relu=after == "after ReLU")  # (32, 26, 26)
    dead = int(np.sum(maps.max(axis=(1, 2)) <= maps.min(axis=(1, 2))))
    left, right = st.columns([1, 5])
    left.image(
        upscale(pixels.numpy(), MAP_UPSCALE * 2),
        caption=f"test image {image}: {run.split.classes[int(run.split.y_test[image])]}",
    )
    right.image(
        tile_maps(maps, cols=8, gap=3, upscale=MAP_UPSCALE),
        caption=f"the {len(maps)} feature maps ({after}), 26×26 each, in filter order",
    )
    st.caption(
        "Each map is stretched on its own: black is its smallest value, white its largest"
        + (f"; {dead} of them are flat (all one value) for this image." if dead else ".")
    )

    st.subheader("For contrast: what an MLP unit looks at")
    units = dense_unit_images(mlp)  # (hidden, 28, 28)
    shown = units[:UNITS_SHOWN]
    st.markdown(
        f"The MLP's first layer has **{len(units):,} units**, each with a weight for every one "
        f"of the 784 pixels ({units.size:,} weights in all, against the CNN's {filters.size:,}). "
        f"Laid back on the 28×28 grid, the first {len(shown)} units' weights below show that a "
        "dense unit looks at the whole image at once, with its own weight for each place: "
        "nothing it learns in one corner carries over to another."
    )
    show_figure(
        shared_scale_figure(
            shown,
            cols=8,
            title=f"MLP: input weights of hidden units 0–{len(shown) - 1}",
            colour_title="weight",
            what="unit",
            cell_px=3,
        ),
        "cv_fl_mlp",
    )
