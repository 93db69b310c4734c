"""The "Your drawing" tab: draw on a clickable grid or upload a picture; it is preprocessed the way
the training images were (each step shown) and classified by all three trained models."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.convnets.models import MODELS
from cnnplay.convnets.preprocess import (
    RECIPES,
    PreprocessError,
    classify,
    coarse_grid,
    grid_image,
    preprocess,
    top_k,
    top_k_figure,
)
from cnnplay.data.fashion import CLASSES as FASHION_CLASSES
from cnnplay.images import MAX_FILE_BYTES, UPLOAD_TYPES, ImageError, load_image
from ui.figures import show_figure
from ui.inputs import clickable_grid
from ui.keyboard import cell_keys
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.train_cnn.common import TrainedRun, need_training, trained

GRID = 16  # cells per side of the drawing grid (the preprocessing scales it to the data's size)
MAX_SIDE = 512  # uploads are shrunk to this longest side on decoding: plenty for a 28×28 result
STEP_PX = 112  # on-screen side of each preprocessing step's picture
SOURCES = ["Draw on a grid", "Upload an image"]
GRID_KEY, VERSION_KEY, CURSOR_KEY = "cv_draw_grid", "cv_draw_version", "cv_draw_cursor"


@st.cache_data(max_entries=8, ttl=3600, show_spinner="Decoding the image…")
def decode(data: bytes) -> np.ndarray:
    """(H, W, 3) uint8, cached by the upload's bytes; raises ImageError for bad files."""
    return load_image(data, MAX_SIDE)


def _new_grid(cells: np.ndarray) -> None:
    st.session_state[GRID_KEY] = cells
    st.session_state[VERSION_KEY] = st.session_state.get(VERSION_KEY, 0) + 1


def flip(row: int, col: int) -> None:
    """Click (or "Flip cell") callback: ink on/off in one cell, then redraw with a fresh key."""
    cells = st.session_state[GRID_KEY].copy()
    cells[row, col] = 1.0 - cells[row, col]
    st.session_state[CURSOR_KEY] = (row, col)
    _new_grid(cells)


def move_cursor(row: int, col: int) -> None:
    st.session_state[CURSOR_KEY] = (row, col)


def drawing(run: TrainedRun) -> np.ndarray:
    """The grid editor; returns the drawing as a (GRID, GRID) uint8 image, ink 255 on black."""
    count = len(run.split.x_test)
    if GRID_KEY not in st.session_state:  # first visit: a coarse copy of test image 0
        _new_grid(coarse_grid(run.split.x_test[0, 0].numpy(), GRID))
    if st.session_state.get("cv_draw_test", 0) >= count:  # a kept index that a new run lacks
        st.session_state["cv_draw_test"] = count - 1
    a, b, c = st.columns([1, 1, 1], vertical_alignment="bottom")
    index = int(
        a.number_input(
            "Test image",
            0,
            count - 1,
            key="cv_draw_test",
            persist_state=KEEP,
            bind=LINK,
            help=f"0 to {count - 1:,}: its coarse copy becomes the drawing.",
        )
    )
    if b.button("Start from this test image", key="cv_draw_copy", width="stretch"):
        _new_grid(coarse_grid(run.split.x_test[index, 0].numpy(), GRID))
    if c.button("Clear the grid", key="cv_draw_clear", width="stretch"):
        _new_grid(np.zeros((GRID, GRID)))
    cells = st.session_state[GRID_KEY]
    cursor = st.session_state.get(CURSOR_KEY, (0, 0))
    clickable_grid(
        cells,
        key=f"cv_draw_cells_{st.session_state[VERSION_KEY]}",
        on_click=flip,
        title=f"your drawing ({GRID}×{GRID}): 1 = ink",
        hint="(click: ink on/off)",
        highlight=cursor,
    )
    cell_keys(
        (GRID, GRID),
        "cv_draw_cell",
        cursor,
        on_change=move_cursor,
        action="Flip cell",
        on_action=flip,
    )
    return grid_image(cells)


def upload() -> np.ndarray | None:
    """An uploaded picture as (H, W, 3) uint8, or None (nothing yet, or a bad file: said)."""
    file = st.file_uploader(
        f"A picture of one digit or garment ({', '.join(UPLOAD_TYPES)}; up to "
        f"{MAX_FILE_BYTES // 2**20} MB)",
        type=list(UPLOAD_TYPES),
        key="cv_draw_upload",
    )
    if file is None:
        st.caption("No file yet: upload a photo or a scan (dark on light or light on dark).")
        return None
    try:
        return decode(file.getvalue())
    except ImageError as err:
        st.error(f"**{file.name}**: {err}", icon=":material/broken_image:")
        return None


def show_steps(steps) -> None:
    cols = st.columns(len(steps))
    for n, (col, step) in enumerate(zip(cols, steps, strict=True)):
        pixels = step.pixels
        factor = max(1, STEP_PX // max(pixels.shape[:2]))
        big = np.repeat(np.repeat(pixels, factor, axis=0), factor, axis=1)
        col.image(big, caption=f"{n + 1}. {step.name}", width=STEP_PX)
    st.markdown("\n".join(f"{n + 1}. **{s.name}**: {s.detail}" for n, s in enumerate(steps)))


@tab_body
def render() -> None:
    run = trained()
    if run is None:
        need_training()
        return
    classes = run.split.classes
    st.session_state.setdefault(
        "cv_draw_recipe", "fashion" if tuple(classes) == FASHION_CLASSES else "mnist"
    )
    left, right = st.columns(2)
    source = left.radio(
        "Your input", SOURCES, key="cv_draw_source", horizontal=True, persist_state=KEEP, bind=LINK
    )
    recipe_key = right.radio(
        "Preprocess like",
        list(RECIPES),
        format_func=lambda k: RECIPES[k].label,
        key="cv_draw_recipe",
        persist_state=KEEP,
        bind=LINK,
        help="How the training images were made from their originals. The models were trained "
        f"on: {run.split.source}.",
    )
    image = drawing(run) if source == SOURCES[0] else upload()
    if image is None:
        return
    try:
        prepared = preprocess(image, RECIPES[recipe_key])
    except PreprocessError as err:
        st.warning(f"{err}", icon=":material/draw:")
        return
    st.subheader("Made to look like a training image")
    show_steps(prepared.steps)
    st.subheader("What the three models say")
    probs = classify(run.models, prepared.pixels)
    cols = st.columns(len(probs))
    for col, (name, p) in zip(cols, probs.items(), strict=True):
        best = top_k(p, 1)[0]
        col.markdown(f"**{MODELS[name]}**: {classes[best]} ({100 * p[best]:.1f}%)")
        show_figure(top_k_figure(p, classes, "top 3"), f"cv_draw_top_{name}", col, width="stretch")
    st.caption(
        "Drawings and photos are not the training data: a model that is sure of itself here "
        "can still be wrong. Try moving or thinning the drawing and watch which model changes "
        "its mind."
    )
