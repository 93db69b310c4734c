"""The "On an image" tab: one unit's theoretical field drawn on a photo, and its effective field
(the gradient of the unit with respect to the input), for the Real network tab's network with
random weights or EfficientNet-Lite0 with random or ImageNet weights."""

from __future__ import annotations

import hashlib

import streamlit as st

from cnnplay.models.pretrained import DEFAULT_MODEL, REGISTRY
from cnnplay.plots.receptive import erf_figure, field_on_image_figure
from cnnplay.receptive import (
    EffectiveField,
    FieldRow,
    InputSizeError,
    effective_field,
    image_to_input,
    unit_span,
)
from ui.figures import show_figure
from ui.inputs import image_picker, show_notes
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.receptive_field.common import (
    BLOCKED,
    CHOSEN_NET,
    LITE0_RANDOM,
    LITE0_TRAINED,
    any_network,
    input_channels,
    input_side,
    keep_in_range,
    keep_option,
    network_table,
    span_text,
)

SIDES = [128, 160, 224]  # input side for the photo view: small keeps the ERF fast


@st.cache_data(max_entries=64, show_spinner=False)
def erf(name: str, layer: str, unit: tuple[int, int], image_hash: str, side: int, _x) -> object:
    """Keyed by (network, layer, unit, image hash, side); _x: the (3, S, S) input, not hashed."""
    return effective_field(any_network(name), layer, _x, unit)


def layer_and_unit(rows: list[FieldRow]) -> tuple[FieldRow, int, int]:
    """A layer of the network and a unit of it (default: the middle layer, its central unit)."""
    labels = [
        f"{n}: {r.name} ({r.op} {r.kernel}×{r.kernel}/{r.stride}) — {r.out_size}×{r.out_size}, "
        f"field {r.size}"
        for n, r in enumerate(rows)
    ]
    keep_option("rf_img_layer", labels, labels[min(len(labels) - 1, len(labels) // 2)])
    pick = st.selectbox("Layer", labels, key="rf_img_layer", persist_state=KEEP, bind=LINK)
    row = rows[labels.index(pick)]
    n = row.out_size
    keep_in_range("rf_img_r", 0, n - 1, n // 2)
    keep_in_range("rf_img_c", 0, n - 1, n // 2)
    a, b = st.columns(2)
    i = int(a.number_input("unit row", 0, n - 1, key="rf_img_r", persist_state=KEEP, bind=LINK))
    j = int(b.number_input("unit column", 0, n - 1, key="rf_img_c", persist_state=KEEP, bind=LINK))
    return row, i, j


def effective_view(result: EffectiveField, rows: tuple, cols: tuple) -> None:
    show_figure(erf_figure(result.grad, rows, cols, "effective field |∂unit/∂input|"), "rf_erf_fig")
    if result.rows[0] < 0:
        st.warning("This unit's gradient is zero everywhere (a dead ReLU).")
    else:
        st.markdown(
            f"Nonzero gradient: rows {result.rows[0]}–{result.rows[1]}, columns "
            f"{result.cols[0]}–{result.cols[1]}. **{100 * result.share_in_center:.0f}%** "
            "of the gradient falls in the central quarter of that area: the effective "
            "field is concentrated in the middle of the theoretical one (Luo et al. 2016)."
        )


@tab_body
def render() -> None:
    chosen = st.session_state.rf_net
    labels = {CHOSEN_NET: f"{chosen} — random weights"}
    pick_net = st.radio(
        "Network for this view",
        [CHOSEN_NET, LITE0_RANDOM, LITE0_TRAINED],
        format_func=lambda option: labels.get(option, option),
        horizontal=True,
        key="rf_img_net",
        persist_state=KEEP,
        bind=LINK,
        help="Random weights: the torchvision definition chosen in the Real network tab. "
        "EfficientNet-Lite0's ImageNet weights ship with the app: compare its effective field "
        "with the same network's at random weights.",
    )
    name = chosen if pick_net == CHOSEN_NET else pick_net
    c1, c2 = st.columns([1, 2])
    with c1:
        picked = image_picker("rf_img", max_side=512, default="chelsea (cat)")
        show_notes(picked)
        side = input_side(name, SIDES, "rf_side")
    try:
        rows = network_table(name, side)
    except InputSizeError as err:
        st.error(f"{name} cannot run on a {side}×{side} input: {err.reason}.", icon=BLOCKED)
        return
    with c2:
        st.markdown(f"Network: **{name}**.")
        row, i, j = layer_and_unit(rows)
    if name == LITE0_TRAINED:  # the model's own normalisation (mean = std = 0.5)
        spec = REGISTRY[DEFAULT_MODEL]
        picture, x = image_to_input(picked.pixels, side, spec.mean, spec.std)
    else:  # (C, S, S): grey for LeNet-5 (one input channel)
        picture, x = image_to_input(picked.pixels, side, channels=input_channels(name))
    r0, r1 = unit_span(row, i)
    c0, c1 = unit_span(row, j)
    st.markdown(
        f"**Receptive field of unit ({i}, {j})** of `{row.name}`: rows {span_text(r0, r1, side)}, "
        f"columns {span_text(c0, c1, side)}. Dashed: the whole field; solid: its part on the image."
    )
    left, right = st.columns(2)
    show_figure(
        field_on_image_figure(picture, (r0, r1), (c0, c1), "theoretical field"), "rf_img_fig", left
    )
    with right:
        if st.button("Compute the effective field (gradient)", key="rf_erf_btn"):
            st.session_state.rf_erf_on = True
        if st.session_state.get("rf_erf_on"):
            digest = hashlib.sha1(picture.tobytes()).hexdigest()
            with st.spinner("Back-propagating one unit to the input…"):
                result = erf(name, row.name, (i, j), digest, side, x)
            effective_view(result, (r0, r1), (c0, c1))
        else:
            st.caption("The gradient needs a forward and backward pass: press the button.")
