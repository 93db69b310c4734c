"""Input widgets shared by pages: a photo picker (sample or upload), a number-grid editor and
the training seed."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import pandas as pd
import streamlit as st

from cnnplay.images import (
    MAX_FILE_BYTES,
    UPLOAD_TYPES,
    DecodedImage,
    ImageError,
    decode_image,
    load_sample,
    sample_names,
)
from cnnplay.plots.grids import add_box, clickable_grid_figure
from cnnplay.plots.style import CELL_COLOUR, CHART_CONFIG, ink_on_white
from ui.links import LINK
from ui.page import KEEP
from ui.photo import (
    EVERY_PAGE_SIDE,
    YOURS,
    follow,
    mark_followed,
    photo_pixels,
    session_photo,
    set_session_photo,
)

CELL_WIDTH_PX = 52  # narrow columns: a 9×9 grid fits beside two kernels
MAX_CELL_VALUE = 1000.0  # grid and kernel entries are clipped to ±this


@dataclass(frozen=True)
class PickedImage:
    pixels: np.ndarray  # (H, W, 3) uint8 RGB
    label: str  # where it came from, for captions
    notes: tuple[str, ...] = ()  # intake remarks to show the user


@st.cache_data(max_entries=16, show_spinner=False)
def sample_pixels(name: str, max_side: int) -> np.ndarray:
    """A bundled sample, (H, W, 3) uint8, cached for every session."""
    return load_sample(name, max_side)


@st.cache_data(max_entries=32, ttl=3600, show_spinner="Decoding the image…")
def decoded_upload(data: bytes, max_side: int) -> DecodedImage:
    """:func:`cnnplay.images.decode_image`, cached by the bytes' content: a rerun does not
    decode the same upload again (every uploader of the app decodes through it)."""
    return decode_image(data, max_side)


PICKER_SOURCES = ["Sample", "Upload", YOURS]  # the picker's radio, in this order
NO_PHOTO_IN_LINKS = (
    "A link to this page (Copy link to this setup) keeps this choice, but links never carry "
    "photos: whoever opens one uploads their own."
)


def image_picker(key: str, max_side: int = 1024, default: str | None = None) -> PickedImage:
    """A sample-or-upload choice, with "Your photo" (the session's photo for every page,
    ui/photo.py) as a third source. A good upload also becomes the photo for every page. A bad
    upload shows its reason with ``st.error`` and the page goes on with the chosen sample, so no
    other setting is lost; the sample select stays usable whenever the sample is what is shown
    (no upload yet, a bad one, or no photo for every page yet)."""
    names = sample_names()
    follow(key)
    source = st.radio(
        "Photo", PICKER_SOURCES, horizontal=True, key=f"{key}_source", persist_state=KEEP, bind=LINK
    )
    decoded: DecodedImage | None = None
    problem = ""
    upload = None
    if source == "Upload":
        upload = st.file_uploader(
            f"Your image ({', '.join(UPLOAD_TYPES)}; up to {MAX_FILE_BYTES // 2**20} MB)",
            type=list(UPLOAD_TYPES),
            key=f"{key}_upload",
        )
        if upload is not None:
            try:
                decoded = decoded_upload(upload.getvalue(), max_side)
            except ImageError as err:
                problem = f"**{upload.name}**: {err} Showing the sample photo instead."
    mine = session_photo() if source == YOURS else None
    name = st.selectbox(
        "Sample photo",
        names,
        key=f"{key}_sample",
        index=names.index(default) if default in names else 0,
        persist_state=KEEP,
        bind=LINK,
        disabled=decoded is not None or mine is not None,  # only a photo replaces the sample
    )
    if decoded is not None and upload is not None:
        everywhere = decoded_upload(upload.getvalue(), EVERY_PAGE_SIDE).pixels
        if set_session_photo(everywhere, upload.name):
            mark_followed(key)
        st.caption(
            "This photo is now your photo on every page that takes one (see the sidebar); "
            "each page can still pick another."
        )
        return PickedImage(decoded.pixels, upload.name, decoded.notes)
    if mine is not None:
        return PickedImage(photo_pixels(mine, max_side), f"your photo: {mine.label}")
    if problem:
        st.error(problem, icon=":material/broken_image:")
    elif source == "Upload":
        st.caption("No file yet: showing the sample photo.")
        st.caption(NO_PHOTO_IN_LINKS)
    elif source == YOURS:
        st.caption(
            "No photo for every page yet: choose or upload one in the sidebar (or upload one "
            "here). Showing the sample photo."
        )
        st.caption(NO_PHOTO_IN_LINKS)
    return PickedImage(sample_pixels(name, max_side), f"sample: {name}")


def show_notes(picked: PickedImage) -> None:
    for note in picked.notes:
        st.info(note, icon=":material/info:")


def matrix_editor(
    values: np.ndarray,
    key: str,
    step: float = 0.1,
    label: str | None = None,
    limit: float = MAX_CELL_VALUE,
) -> np.ndarray:
    """Edit a small (H, W) grid of numbers in a table; returns the edited float64 array.

    Columns are numbered like the array. A slip of the keyboard never breaks the page: emptied
    or non-numeric cells count as 0 and values beyond ±limit are clipped, each with a warning.
    ``key`` should change when ``values`` should replace the user's edits (e.g. include the
    preset's name in it). The edited grid is kept in session state under ``key + "_kept"``, so
    the edits are still there when the student leaves the page (or the tab) and comes back.
    """
    kept = f"{key}_kept"
    if kept in st.session_state and st.session_state[kept].shape == np.shape(values):
        # data_editor's state holds absolute cell values, so applying them to the kept grid is
        # the same as applying them to the original values
        values = st.session_state[kept]
    if label:
        st.caption(label)
    frame = pd.DataFrame(
        np.asarray(values, dtype=np.float64), columns=[str(c) for c in range(values.shape[1])]
    )
    config = {
        c: st.column_config.NumberColumn(
            c, step=step, format="%g", width=CELL_WIDTH_PX, min_value=-limit, max_value=limit
        )
        for c in frame.columns
    }
    edited = st.data_editor(frame, key=key, column_config=config, num_rows="fixed", width="content")
    grid = (
        pd.DataFrame(edited)
        .apply(pd.to_numeric, errors="coerce")
        .to_numpy(dtype=np.float64, na_value=np.nan)
    )
    if not np.isfinite(grid).all():
        st.warning("Empty or invalid cells count as 0.", icon=":material/warning:")
        grid = np.where(np.isfinite(grid), grid, 0.0)
    if (np.abs(grid) > limit).any():
        st.warning(f"Values are limited to ±{limit:g}.", icon=":material/warning:")
        grid = np.clip(grid, -limit, limit)
    st.session_state[kept] = grid
    return grid


def clickable_grid(
    values: np.ndarray,
    key: str,
    on_click: Callable[[int, int], None],
    title: str = "",
    hint: str = "(click to flip)",
    highlight: tuple[int, int] | None = None,
    highlight_colour: str = CELL_COLOUR,
) -> None:
    """Show an (H, W) grid whose cells can be clicked; ``on_click(row, col)`` runs before the
    rerun. ``hint`` ends each cell's hover text; ``highlight`` outlines one (row, col) in
    ``highlight_colour`` (a cnnplay.plots.style colour). Give a new
    ``key`` after each click, so the next click starts a fresh selection. A click needs a mouse:
    put :func:`ui.keyboard.cell_keys` beside the grid, the same choice from the keyboard."""
    fig = clickable_grid_figure(values, title, hint)
    if highlight is not None:
        add_box(fig, [highlight[0]], [highlight[1]], highlight_colour)

    def handle() -> None:
        points = st.session_state[key].selection.points
        if points:
            on_click(int(points[0]["y"]), int(points[0]["x"]))

    st.plotly_chart(
        ink_on_white(fig),
        key=key,
        on_select=handle,
        selection_mode="points",
        width="content",
        config=CHART_CONFIG,
    )


MAX_SEED = 10_000  # the training seed's range: 0..MAX_SEED


def seed_input(key: str, draws: str, where=st) -> int:
    """The "Training seed" number input (session-state ``key``, kept across pages) in
    ``where``; ``draws``: what the run draws from it, for the help text (e.g. "the batch order
    and the dropout masks"). Returns the seed."""
    return int(
        where.number_input(
            "Training seed",
            0,
            MAX_SEED,
            key=key,
            persist_state=KEEP,
            bind=LINK,
            help=f"The initial weights, {draws} are drawn from this seed alone: the same seed "
            "and settings train the same model again.",
        )
    )
