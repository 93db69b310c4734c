"""The Top patches tab (seed 002, "Retrieving Raw Images"): for one unit (a channel of a stage),
the gallery patches that excite it most, each cropped by the unit's receptive field, with the
field's size worked out by the recurrence of the Receptive field page."""

from __future__ import annotations

import math

import numpy as np
import pandas as pd
import streamlit as st

from cnnplay.learned.features import resized
from cnnplay.learned.patches import (
    Box,
    TopUnit,
    crop,
    has_global_gates,
    peak_channels,
    stage_field_row,
    top_units,
    unit_box,
)
from cnnplay.learned.plots import tile_figure
from cnnplay.models.stages import Stage, truncated
from cnnplay.plots.receptive import field_on_image_figure
from cnnplay.receptive import FieldRow, receptive_field_table
from ui.figures import show_figure, show_table
from ui.hosting import profile
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from views.learned.common import Net, show, stages
from views.learned.gallery import Picked, maxima, pick_gallery, short

SIDES = [128, 160, 224]  # network input sides offered, pixels
SUGGESTED = 8  # channels suggested (highest peak first)
CHANNEL_KEY = "wl_top_channel"  # the channel input (set to the stage's best channel at first)
DEFAULTS = {
    "wl_top_side": SIDES[0],
    "wl_top_k": 9,
    "wl_top_pad": True,
    "wl_top_inside": True,
}


def set_defaults() -> None:
    for key, value in profile().page_defaults(DEFAULTS).items():
        st.session_state.setdefault(key, value)


@st.cache_data(max_entries=32, show_spinner=False)
def field_rows(name: str, index: int, side: int, _net: Net) -> tuple[list[FieldRow], FieldRow]:
    """Every conv / pool row of the network up to stage ``index`` and the stage's own field."""
    rows = receptive_field_table(truncated(_net.model, index), side)
    return rows, stage_field_row(_net.model, index, side)


def stage_label(stage: Stage) -> str:
    """ "stage 4 · 40 channels" (the module's kind where it says more than "Sequential")."""
    kind = "" if stage.kind == "Sequential" else f" ({stage.kind})"
    return f"stage {stage.index} · {stage.channels} channels{kind}"


def suggest(channel: int) -> None:
    st.session_state[CHANNEL_KEY] = channel


@tab_body
def render(net: Net) -> None:
    set_defaults()
    st.markdown(
        f"{notes_name('002', capital=True)}: *one simple way to understand how a unit "
        "a_{i,j,c} is made is to retrieve the images that most activate it; the images can be "
        "cropped by the receptive field of a_{i,j,c}.* A unit here is one channel c of a "
        "stage: the same filter runs at every position (i, j). For each gallery image the "
        "channel's strongest position is found, the images are ranked by that value, and each "
        "of the best is cropped to the input pixels that position can see."
    )
    from_the_notes(("002", "Retrieving Raw Images"))
    options = stages(net.name, net.model)
    by_index = {s.index: s for s in options}
    if st.session_state.get("wl_top_stage") not in by_index:
        st.session_state.wl_top_stage = options[len(options) * 2 // 5].index
    c1, c2, c3 = st.columns([3, 3, 2])
    with c1:
        picked = pick_gallery("wl_top_gallery")
    index = c2.selectbox(
        "Stage",
        list(by_index),
        format_func=lambda i: stage_label(by_index[i]),
        key="wl_top_stage",
        persist_state=KEEP,
        bind=LINK,
        on_change=lambda: st.session_state.pop(CHANNEL_KEY, None),  # its best channel next
    )
    side = int(
        c3.select_slider("Input side (px)", SIDES, key="wl_top_side", persist_state=KEEP, bind=LINK)
    )
    stage = by_index[index]
    rows, field = field_rows(net.name, index, side, net)
    inside = st.toggle(
        "Only units that see no padding",
        key="wl_top_inside",
        persist_state=KEEP,
        bind=LINK,
        help="Units at the border see the zero padding around the image; their response to "
        "the image's edge can outshine everything inside it.",
    )
    found = maxima(net, picked, index, side, field, inside)
    if inside and not found.inside_only:
        st.caption(
            f"No unit of stage {index} sees only the image (its field, {field.size} px, is "
            f"wider than the {side}-px image or nearly so): all units count."
        )
    peaks = peak_channels(found, SUGGESTED)
    if st.session_state.get(CHANNEL_KEY) is None:
        st.session_state[CHANNEL_KEY] = peaks[0]
    st.session_state[CHANNEL_KEY] = min(int(st.session_state[CHANNEL_KEY]), stage.channels - 1)
    c1, c2, c3 = st.columns([2, 2, 3])
    channel = int(
        c1.number_input(
            f"Channel (0–{stage.channels - 1})",
            0,
            stage.channels - 1,
            key=CHANNEL_KEY,
            persist_state=KEEP,
            bind=LINK,
        )
    )
    k = int(c2.slider("Patches", 4, 16, key="wl_top_k", persist_state=KEEP, bind=LINK))
    pad = c3.toggle(
        "Whole field (grey outside the image)",
        key="wl_top_pad",
        persist_state=KEEP,
        bind=LINK,
        help="Off: only the part of the field inside the image.",
    )
    st.caption(
        f"Suggested: the {SUGGESTED} channels with the highest peak over this gallery (some "
        "image excites them strongly):"
    )
    for column, c in zip(st.columns(SUGGESTED), peaks, strict=False):
        column.button(
            f"{c}",
            key=f"wl_top_suggest_{c}",
            on_click=suggest,
            args=(c,),
            width="stretch",
            type="primary" if c == channel else "secondary",
        )

    best = top_units(found, channel, k)
    g = picked.gallery
    pictures = resized(g.images[[u.image for u in best]], side)  # (k, side, side, 3)
    boxes = [unit_box(field, u.row, u.col, side) for u in best]
    tiles = [crop(p, b, pad=pad) for p, b in zip(pictures, boxes, strict=True)]
    texts = [
        f"#{u.image} · {short(g.labels[u.image])}<br>a = {u.value:.2f}"
        + (" ✂" if b.clipped else "")
        for u, b in zip(best, boxes, strict=True)
    ]
    show_figure(
        tile_figure(
            tiles,
            texts,
            cols=math.ceil(math.sqrt(k)),
            tile_px=104,
            title=f"Stage {index}, channel {channel}: its {k} strongest images",
        ),
        key="wl_top_grid",
    )
    h, w = found.map_shape
    st.caption(
        f"Each patch: the receptive field ({field.size}×{field.size} px) of the channel's "
        f"strongest unit in that image (a = its activation; the map is {h}×{w} at a "
        f"{side}-px input). ✂: the field reaches past the image's edge"
        + (", shown grey." if pad else ", so only its part inside the image is shown.")
    )
    if has_global_gates(truncated(net.model, index)):
        st.caption(
            f"{net.short} has squeeze-and-excitation gates: each channel is also scaled by a "
            "summary of the whole image, so strictly a unit depends on every pixel. The field "
            "shown is that of its local path, where the pattern it responds to lies."
        )
    if field.size > side:
        st.info(
            f"The theoretical field of stage {index} ({field.size} px) is larger than the "
            f"{side}-px image: each unit could see the whole image and more (the rest is "
            "padding), so every patch is clipped to the image. Choose an earlier stage for "
            "patches smaller than the image.",
            icon=":material/crop_free:",
        )
    field_maths(rows, field, index, side)
    where_it_is(picked, best[0], boxes[0], pictures[0])


def field_maths(rows: list[FieldRow], field: FieldRow, index: int, side: int) -> None:
    """The field's size by the recurrence, layer by layer."""
    st.markdown(
        "**How big is the field?** Layer by layer from the input (r₀ = 1, j₀ = 1), each "
        "convolution or pooling with kernel k and stride s (dilation 1 here) grows the field "
        "by (k − 1) times the current jump j, the input pixels between neighbouring units:"
    )
    st.latex(r"r_l = r_{l-1} + (k_l - 1)\, j_{l-1}, \qquad j_l = j_{l-1}\, s_l")
    st.markdown(
        f"Up to stage {index} there are {len(rows)} such layers: **r = {field.size} px**, "
        f"**j = {field.jump} px**. Unit (i, j) of the map sees rows "
        f"{field.start} + {field.jump}·i … {field.start} + {field.jump}·i + {field.size - 1} "
        f"(and the same for columns) of the {side}×{side} input; a negative first row means "
        "padding."
    )
    with st.expander("The recurrence, layer by layer"):
        frame = pd.DataFrame(
            {
                "layer": [r.name for r in rows],
                "kind": [r.op for r in rows],
                "k": [r.kernel for r in rows],
                "s": [r.stride for r in rows],
                "j (jump)": [r.jump for r in rows],
                "r (field)": [r.size for r in rows],
                "first row seen": [r.start for r in rows],
            }
        )
        show_table(frame, key="wl_top_table")


def where_it_is(picked: Picked, unit: TopUnit, box: Box, picture: np.ndarray) -> None:
    """The strongest patch's field on its whole image (picture: (side, side, 3) uint8, as
    the network saw it)."""
    g = picked.gallery
    c1, c2 = st.columns([1, 1])
    rows = (box.top, box.bottom - 1)
    cols = (box.left, box.right - 1)
    show(
        field_on_image_figure(
            picture, rows, cols, title=f"The strongest: #{unit.image} ({g.labels[unit.image]})"
        ),
        key="wl_top_where",
        where=c1,
    )
    c2.markdown(
        f"Unit ({unit.row}, {unit.col}) of the map, activation **{unit.value:.2f}**, sees rows "
        f"{rows[0]}…{rows[1]} and columns {cols[0]}…{cols[1]} (orange; dashed where it leaves "
        "the image). Nothing outside this square can change the unit's value — that is what "
        "the receptive field means. Most of the weight still sits near its centre (the "
        "*effective* field is smaller: see the Receptive field page)."
    )
