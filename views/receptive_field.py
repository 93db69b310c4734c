"""Receptive field: what a unit sees of the input, in theory and in practice (seeds 000, 002)."""

import hashlib

import pandas as pd
import streamlit as st
import torch

from cnnplay.models.pretrained import (
    DEFAULT_MODEL,
    REGISTRY,
    efficientnet_lite0_architecture,
    load_pretrained,
)
from cnnplay.models.zoo import ARCHITECTURES, INPUT_SIDE
from cnnplay.plots.grids import add_box, grid_figure
from cnnplay.plots.receptive import erf_figure, field_growth_figure, field_on_image_figure
from cnnplay.plots.style import CELL_COLOUR
from cnnplay.receptive import (
    LAYER_KINDS,
    PRESETS,
    LayerError,
    effective_field,
    image_to_input,
    parse_layers,
    receptive_field_table,
    stack_table,
    stacked_3x3,
    unit_span,
)
from ui.figures import show_figure
from ui.inputs import clickable_grid, image_picker, show_notes

NETWORKS = [  # display names in cnnplay.models.zoo.ARCHITECTURES
    n
    for n in (
        "AlexNet",
        "VGG-16",
        "ResNet-18",
        "ResNet-50",
        "MobileNetV2",
        "GoogLeNet",
        "DenseNet-121",
        "LeNet-5",
    )
    if n in ARCHITECTURES
]
IMAGE_SIDES = [128, 160, 224]  # input side for the photo view: small keeps the ERF fast
MAX_GRID = 16  # output maps up to this side are shown as a clickable grid
COLUMNS = ["kind", "kernel", "stride", "padding", "dilation"]
DEFAULTS = dict(
    rf_preset=next(iter(PRESETS)),
    rf_size=PRESETS[next(iter(PRESETS))][0],
    rf_unit=(0, 0),
    rf_version=0,
    rf_net="ResNet-18",
    rf_side=160,
    rf_img_unit=None,
)
for key, value in DEFAULTS.items():
    st.session_state.setdefault(key, value)


@st.cache_resource(max_entries=4, show_spinner="Building the network (random weights)…")
def network(name: str) -> torch.nn.Module:
    """Shared, read-only: fixed random weights (seed 0). Only copied, never hooked or trained."""
    torch.manual_seed(0)
    return ARCHITECTURES[name]().eval()


LITE0_RANDOM = "EfficientNet-Lite0 — random weights"
LITE0_TRAINED = "EfficientNet-Lite0 — pretrained on ImageNet"


@st.cache_resource(max_entries=2, show_spinner="Loading EfficientNet-Lite0…")
def lite0(pretrained: bool) -> torch.nn.Module:
    """Shared, read-only, like network(): the offline pretrained backbone or the same
    architecture with random weights (seed 0), so the two effective fields can be compared."""
    if pretrained:
        return load_pretrained(DEFAULT_MODEL)
    torch.manual_seed(0)
    return efficientnet_lite0_architecture().eval()


def any_network(name: str) -> torch.nn.Module:
    """A torchvision definition with random weights, or one of the two EfficientNet-Lite0s."""
    if name in (LITE0_RANDOM, LITE0_TRAINED):
        return lite0(name == LITE0_TRAINED)
    return network(name)


@st.cache_data(max_entries=32, show_spinner="Following the fields through the network…")
def network_table(name: str, side: int) -> list:
    return receptive_field_table(any_network(name), side)


@st.cache_data(max_entries=64, show_spinner=False)
def erf(name: str, layer: str, unit: tuple[int, int], image_hash: str, side: int, _x) -> object:
    """Keyed by (network, layer, unit, image hash, side); _x: the (3, S, S) input, not hashed."""
    return effective_field(any_network(name), layer, _x, unit)


def on_preset() -> None:
    st.session_state.rf_size = PRESETS[st.session_state.rf_preset][0]
    st.session_state.rf_unit = (0, 0)


def select_unit(i: int, j: int) -> None:
    st.session_state.rf_unit = (i, j)
    st.session_state.rf_version += 1  # a fresh chart key for the next click


def span_text(first: int, last: int, n: int) -> str:
    """'rows 2–5' plus a note on how much lies in the padding."""
    outside = max(0, -first) + max(0, last - (n - 1))
    note = f" ({outside} of them in the padding, outside the image)" if outside else ""
    return f"{first}–{last}{note}"


st.title("Receptive field")
st.markdown(
    "A unit of a feature map is computed from a small window of the map below it, which is "
    "computed from windows of the map below that… Its **receptive field** is the patch of the "
    "*input image* it can see. Seed 000: after a 3×3 convolution and a 2×2 max pool, *each "
    "feature of the max-pooled maps looks at 4 features of the pre-pooled maps and 16 features "
    "of the input*. Stacking layers, and above all pooling and strides, makes the field grow."
)
st.latex(
    r"n_l = \left\lfloor \frac{n_{l-1} + 2p_l - d_l(k_l-1) - 1}{s_l} \right\rfloor + 1,\quad "
    r"j_l = j_{l-1}\, s_l,\quad r_l = r_{l-1} + (k_l - 1)\, d_l\, j_{l-1},\quad "
    r"\text{start}_l = \text{start}_{l-1} - p_l\, j_{l-1}"
)
st.caption(
    "k kernel, s stride, p padding, d dilation; j the **jump** (input pixels between neighbouring "
    "units), r the field size; layer 0 is the input: j₀ = 1, r₀ = 1, start₀ = 0. **start** is the "
    "first input pixel that unit 0 sees (negative: in the padding); unit i sees pixels "
    "start + i·j … start + i·j + r − 1."
)


def stack_tab() -> None:
    c1, c2 = st.columns([2, 1])
    preset = c1.selectbox("Preset", list(PRESETS), key="rf_preset", on_change=on_preset)
    size = c2.number_input("Input side n₀ (pixels)", 1, 4096, key="rf_size")
    _, layers = PRESETS[preset]
    frame = pd.DataFrame([{c: getattr(spec, c) for c in COLUMNS} for spec in layers])
    st.caption("Edit the layers, add rows at the bottom, delete rows with the checkbox + bin.")
    edited = st.data_editor(
        frame,
        key=f"rf_layers_{preset}",
        num_rows="dynamic",
        hide_index=True,
        column_config={
            "kind": st.column_config.SelectboxColumn("layer", options=list(LAYER_KINDS)),
            "kernel": st.column_config.NumberColumn("kernel k", step=1),
            "stride": st.column_config.NumberColumn("stride s", step=1),
            "padding": st.column_config.NumberColumn("padding p", step=1),
            "dilation": st.column_config.NumberColumn("dilation d", step=1),
        },
    )
    try:
        rows = stack_table(parse_layers(edited.to_dict("records")), int(size))
    except LayerError as err:
        st.error(str(err), icon=":material/block:")
        return
    table = pd.DataFrame(
        {
            "layer": [r.layer for r in rows],
            "output size n": [f"{r.out_size}×{r.out_size}" for r in rows],
            "jump j": [r.jump for r in rows],
            "field r": [f"{r.size}×{r.size}" for r in rows],
            "start": [r.start for r in rows],
            "unit 0 sees pixels": [f"{r.start}…{r.start + r.size - 1}" for r in rows],
        }
    )
    st.dataframe(table, hide_index=True, key="rf_stack_table")
    last = rows[-1]
    prev = last.prev
    if len(rows) > 1:
        k, s, p, d = last.kernel, last.stride, last.padding, last.dilation
        st.latex(
            rf"\text{{last layer: }} r = {prev.size} + ({k}-1)\cdot {d}\cdot {prev.jump}"
            rf" = {last.size},\quad j = {prev.jump}\cdot {s} = {last.jump},\quad "
            rf"\text{{start}} = {prev.start} - {p}\cdot {prev.jump} = {last.start}"
        )
        st.markdown(
            f"One unit of the last layer sees **{last.size}×{last.size} = {last.size**2}** "
            f"input pixels; neighbouring units' fields are {last.jump} pixel(s) apart."
        )
    left, right = st.columns([1, 1])
    show_figure(
        field_growth_figure(
            [r.layer for r in rows], [r.size for r in rows], [r.jump for r in rows], "field size"
        ),
        "rf_growth",
        left,
    )
    with right:
        names = [r.layer for r in rows]
        pick = st.selectbox(
            "Layer whose unit to inspect", names, index=len(names) - 1, key="rf_pick_layer"
        )
        row = rows[names.index(pick)]
        n = row.out_size
        i, j = st.session_state.rf_unit
        i, j = min(i, n - 1), min(j, n - 1)
        if n <= MAX_GRID:
            clickable_grid(
                torch.zeros(n, n).numpy(),
                key=f"rf_units_{st.session_state.rf_version}_{pick}",
                on_click=select_unit,
                title=f"units of {pick}",
                hint="(click: show its field)",
                highlight=(i, j),
            )
        else:
            a, b = st.columns(2)
            i = a.number_input("unit row", 0, n - 1, i, key="rf_unit_r")
            j = b.number_input("unit column", 0, n - 1, j, key="rf_unit_c")
    r0, r1 = unit_span(row, i)
    c0, c1 = unit_span(row, j)
    st.markdown(
        f"**Receptive field of unit ({i}, {j})**: rows {span_text(r0, r1, int(size))}, "
        f"columns {span_text(c0, c1, int(size))}."
    )
    if int(size) <= 32:
        fig = grid_figure(torch.zeros(int(size), int(size)).numpy(), f"input {size}×{size}")
        rows_in = range(max(r0, 0), min(r1, int(size) - 1) + 1)
        cols_in = range(max(c0, 0), min(c1, int(size) - 1) + 1)
        if len(rows_in) and len(cols_in):
            add_box(fig, list(rows_in), list(cols_in), CELL_COLOUR)
        show_figure(fig, "rf_input_grid")


def network_tab() -> None:
    c1, c2 = st.columns([2, 1])
    name = c1.selectbox("Network (torchvision definition, random weights)", NETWORKS, key="rf_net")
    side = c2.selectbox("Input side", [32, 64, 128, 224, 320], index=3, key="rf_net_side")
    try:
        rows = network_table(name, side)
    except ValueError as err:
        st.error(f"{name} cannot run on a {side}×{side} input: {err}", icon=":material/block:")
        return
    final = max(r.size for r in rows)
    st.markdown(
        f"**{name}**: {len(rows)} convolution / pooling layers; one unit of its last feature map "
        f"sees **{final}×{final}** pixels (the theoretical field; {side}×{side} input, native "
        f"{INPUT_SIDE.get(name, 224)})."
        + (
            " Its field is **larger than the image**: most of it is padding."
            if final > side
            else ""
        )
    )
    st.caption(
        "Computed by following every tensor through a real forward pass (on the meta device: "
        "shapes only): convolutions and pools apply the recurrence, residual additions and "
        "concatenations take the union of their branches' fields. So ResNet shortcuts, inception "
        "branches and dense concatenations are handled, not only chains."
    )
    frame = pd.DataFrame([r.as_dict() for r in rows])
    st.dataframe(frame, hide_index=True, key="rf_net_table", height=320)
    show_figure(
        field_growth_figure(
            [r.name for r in rows],
            [r.size for r in rows],
            [r.jump for r in rows],
            f"{name}: field size per layer",
        ),
        "rf_net_growth",
    )


def image_tab() -> None:
    chosen = st.session_state.rf_net
    options = [f"{chosen} — random weights", LITE0_RANDOM, LITE0_TRAINED]
    pick_net = st.radio(
        "Network for this view",
        options,
        horizontal=True,
        key="rf_img_net",
        help="Random weights: the torchvision definition chosen in the Real network tab. "
        "EfficientNet-Lite0's ImageNet weights ship with the app: compare its effective field "
        "with the same network's at random weights.",
    )
    name = chosen if pick_net == options[0] else pick_net
    c1, c2 = st.columns([1, 2])
    with c1:
        picked = image_picker("rf_img", max_side=512, default="chelsea (cat)")
        show_notes(picked)
        side = st.selectbox("Input side", IMAGE_SIDES, key="rf_side")
    try:
        rows = network_table(name, side)
    except ValueError as err:
        st.error(f"{name} cannot run on a {side}×{side} input: {err}", icon=":material/block:")
        return
    labels = [
        f"{n}: {r.name} ({r.op} {r.kernel}×{r.kernel}/{r.stride}) — {r.out_size}×{r.out_size}, "
        f"field {r.size}"
        for n, r in enumerate(rows)
    ]
    with c2:
        st.markdown(f"Network: **{name}**.")
        pick = st.selectbox(
            "Layer", labels, index=min(len(labels) - 1, len(labels) // 2), key="rf_img_layer"
        )
        row = rows[labels.index(pick)]
        n = row.out_size
        a, b = st.columns(2)
        i = a.number_input("unit row", 0, n - 1, n // 2, key="rf_img_r")
        j = b.number_input("unit column", 0, n - 1, n // 2, key="rf_img_c")
    if name == LITE0_TRAINED:  # the model's own normalisation (mean = std = 0.5)
        spec = REGISTRY[DEFAULT_MODEL]
        picture, x = image_to_input(picked.pixels, side, spec.mean, spec.std)
    else:
        picture, x = image_to_input(picked.pixels, side)
    r0, r1 = unit_span(row, int(i))
    c0, c1 = unit_span(row, int(j))
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
                result = erf(name, row.name, (int(i), int(j)), digest, side, x)
            show_figure(
                erf_figure(result.grad, (r0, r1), (c0, c1), "effective field |∂unit/∂input|"),
                "rf_erf_fig",
            )
            if result.rows[0] < 0:
                st.warning("This unit's gradient is zero everywhere (a dead ReLU).")
            else:
                st.markdown(
                    f"Nonzero gradient: rows {result.rows[0]}–{result.rows[1]}, columns "
                    f"{result.cols[0]}–{result.cols[1]}. **{100 * result.share_in_center:.0f}%** "
                    "of the gradient falls in the central quarter of that area: the effective "
                    "field is concentrated in the middle of the theoretical one (Luo et al. 2016)."
                )
        else:
            st.caption("The gradient needs a forward and backward pass: press the button.")


def kernels_tab() -> None:
    st.markdown(
        "Seed 002: instead of one large kernel, stack 3×3 kernels. Each 3×3 layer adds 2 to the "
        "field, so n = (F − 1)/2 layers see F×F — with fewer weights and a nonlinearity between "
        "layers (C channels in and out, no bias)."
    )
    c1, c2 = st.columns(2)
    field = c1.number_input("Field F (odd)", 3, 99, 7, step=2, key="rf_F")
    channels = c2.number_input("Channels C", 1, 4096, 64, key="rf_C")
    try:
        s = stacked_3x3(int(field), int(channels))
    except ValueError as err:
        st.error(str(err), icon=":material/block:")
        return
    c = int(channels)

    def num(v: int) -> str:
        return f"{v:,}".replace(",", "{,}")

    st.latex(
        rf"n = \frac{{F-1}}{{2}} = \frac{{{s.field}-1}}{{2}} = {s.layers}\qquad "
        rf"n\cdot 9C^2 = {s.layers}\cdot 9\cdot {c}^2 = {num(s.weights_stack)}"
        rf"\quad\text{{vs}}\quad F^2C^2 = {s.field}^2\cdot {c}^2 = {num(s.weights_single)}"
    )
    st.markdown(
        f"**{s.weights_stack:,} vs {s.weights_single:,} weights**: the stack needs "
        f"{100 * s.weights_stack / s.weights_single:.0f}% of them, and has {s.layers} "
        f"nonlinearities instead of 1."
    )


tabs = st.tabs(["Stack of layers", "Real network", "On an image", "3×3 stacks"])
with tabs[0]:
    stack_tab()
with tabs[1]:
    network_tab()
with tabs[2]:
    image_tab()
with tabs[3]:
    kernels_tab()
