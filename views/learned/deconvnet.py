"""The DeconvNet tab (seed 002, "Deconvolution Network (DeconvNet)", "Undoing ReLU", "Undoing
Convolution", "Guided Backprop"): one deep unit projected back to the pixels in the three ways
through a ReLU (the gradient, Zeiler & Fergus' DeconvNet, guided backprop), with its receptive
field; then the explicit DeconvNet stepped through layer by layer (unpool → ReLU → transposed
conv) on a small Conv/ReLU/MaxPool network: VGG-16's first two blocks when VGG-16 is the
network, else two layers of hand-set edge, line and corner filters (EfficientNet-Lite0 and the
other backbones have no plain Conv/ReLU/MaxPool start to undo; autograd's rules project them).

Computations are cached for every session: the stage's maps and each projection by (network,
photo hash, stage, channel, what, rule), the rule copies of the network (module trees sharing
the shared model's weights, used only for gradients with respect to the input) by network.
"""

from __future__ import annotations

import hashlib

import numpy as np
import streamlit as st
import torch
from streamlit.errors import StreamlitPageNotFoundError

from cnnplay.learned.deconvnet import (
    RULE_NAMES,
    RULES,
    TEACHING_SIDE,
    Unit,
    box_of,
    deconvnet_ignores_photo,
    deconvnet_prefix,
    deconvnet_steps,
    edge_bar_net,
    field_row,
    project,
    project_map,
    project_through,
    rule_model,
    stage_maps,
    step_fields,
    strongest_units,
)
from cnnplay.learned.deconvnet_plots import (
    StepView,
    box_inside,
    channels_figure,
    crop_box,
    draw_box,
    signed_picture,
    steps_figure,
    view_steps,
)
from cnnplay.models.pretrained import REGISTRY, Preprocessed, preprocess
from cnnplay.models.stages import Stage, truncated
from cnnplay.plots.images import heat_colours, normalise_map
from cnnplay.receptive import FieldRow, image_to_input
from ui.catalog import SECTIONS
from ui.inputs import image_picker, show_notes
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from views.learned.common import Net, show, stages

PHOTO_SIDE = 512  # photos are read at most this large (the networks see 224 or 132 pixels)
TOP = 8  # channels offered: the ones whose strongest unit is strongest on this photo
DEFAULT_DEPTH = 0.4  # the default stage: this far down the list of stages
MAP_PX = 224  # the channel's map is shown magnified to about this side
WHAT = {"unit": "its strongest unit", "map": "its whole map"}
FORMULAS = {  # the signal g sent back through a ReLU whose forward input was x
    "backprop": r"g \cdot \mathbb{1}[x > 0]",
    "deconvnet": r"\max(g,\, 0)",
    "guided": r"g \cdot \mathbb{1}[x > 0] \cdot \mathbb{1}[g > 0]",
}
READS = {
    "backprop": "The gradient: the signal passes where the forward ReLU was on, with its sign. "
    "Positive and negative evidence mix, so it looks noisy.",
    "deconvnet": "Zeiler & Fergus: an ordinary ReLU on the signal itself, whatever the forward "
    "pass did. The photo enters only through the pooling switches.",
    "guided": "Both: where the forward ReLU was on *and* the signal is positive. Usually the "
    "crispest of the three.",
}
RELU_STEP = {  # the same three rules, written for the step-through's signal s
    "backprop": r"s \cdot \mathbb{1}[x > 0]",
    "deconvnet": r"\max(s,\, 0)",
    "guided": r"s \cdot \mathbb{1}[x > 0] \cdot \mathbb{1}[s > 0]",
}
HAND_SET = "hand-set edges, lines and corners"  # the step-through's network offline
STEP_FORMULAS = {
    "start": r"s^{(L)}_{k,i,j} = \begin{cases} a_{k,i,j} & (k,i,j) \text{ kept} \\ 0 & "
    r"\text{otherwise}\end{cases}",
    "unpool": r"s_{\text{switch}(i,j)} \mathrel{+}= y_{i,j}\quad\text{(every other cell } 0)",
    "transposed conv": r"s^{(l-1)} = W^\top s^{(l)}:\ \ s^{(l-1)}_c = \sum_k "
    r"\operatorname{flip}(w_{k,c}) * s^{(l)}_k",
}


# --- cached work ---------------------------------------------------------------------------


@st.cache_data(max_entries=16, show_spinner=False)
def prepared(name: str, digest: str, _pixels: np.ndarray) -> Preprocessed:
    return preprocess(_pixels, REGISTRY[name])


@st.cache_data(max_entries=16, show_spinner="Computing the feature maps…")
def maps(name: str, digest: str, stage: int, _model: torch.nn.Module, _x) -> np.ndarray:
    """(C, h, w) float32 maps of the stage for the photo."""
    return stage_maps(_model, stage, _x)


@st.cache_resource(max_entries=8, show_spinner=False)
def ruled(name: str, rule: str, _model: torch.nn.Module) -> torch.nn.Module:
    """The network whose ReLUs follow ``rule`` on the way back, built once per network and
    rule and shared read-only like the network (its weights are the network's): it is only
    used for gradients with respect to the input."""
    return rule_model(_model, rule)


@st.cache_data(max_entries=36, show_spinner=False)
def projection(name: str, digest: str, stage: int, channel: int, what: str, rule: str,
               unit: tuple[int, int], _model, _x) -> np.ndarray:  # fmt: skip
    """(3, H, W) float32: the unit (or the channel's map) passed back to the input."""
    copy = ruled(name, rule, _model)
    if what == "map":
        return project_map(_model, stage, channel, _x, rule, ruled=copy)
    return project(_model, stage, channel, _x, rule, position=unit, ruled=copy)


@st.cache_data(max_entries=64, show_spinner=False)
def field(name: str, stage: int, side: int, _model) -> FieldRow:
    """The stage's receptive-field arithmetic for a side × side input (a trace of 0.1 to 1 s,
    once per network and stage)."""
    return field_row(truncated(_model, stage), side)


@st.cache_resource(max_entries=1, show_spinner=False)
def hand_set():
    """The small network with hand-set weights (built once for every session, read-only)."""
    return edge_bar_net()


@st.cache_data(max_entries=8, show_spinner=False)
def teaching_input(digest: str, _pixels: np.ndarray) -> tuple[np.ndarray, torch.Tensor]:
    """The photo for the hand-set network: a (S, S, 3) uint8 centre square and its (3, S, S)
    float32 pixels in 0..1, S = TEACHING_SIDE."""
    return image_to_input(_pixels, TEACHING_SIDE, (0.0, 0.0, 0.0), (1.0, 1.0, 1.0))


@st.cache_data(max_entries=6, show_spinner="Running the DeconvNet step by step…")
def stepped(which: str, digest: str, rank: int, rule: str, what: str, _net, _x) -> dict:
    """The explicit DeconvNet on ``_net`` (a Conv/ReLU/MaxPool stack named ``which``) for the
    channel ranked ``rank`` on the photo: its strongest unit, each step cut to the unit's field
    (StepView: small, whatever the network), and the largest difference between the loop's
    projection and autograd's with the same rule."""
    first = next(_net.parameters())
    with torch.inference_mode():
        top = _net(_x[None].to(first.device, first.dtype))[0].float().cpu().numpy()  # (C, h, w)
    units = strongest_units(top, TOP)
    unit = units[min(rank, len(units) - 1)]
    where, whole = (unit.row, unit.col), what == "map"
    steps = deconvnet_steps(_net, _x, unit.channel, where, rule, whole)
    boxes = [None] * len(steps) if whole else step_fields(_net, steps, where)
    auto = project_through(ruled_stack(which, rule, _net), _x, unit.channel, where, whole)
    gap = float((auto.cpu() - steps[-1].signal).abs().max())
    return {"unit": unit, "views": view_steps(steps, boxes), "gap": gap}


@st.cache_resource(max_entries=6, show_spinner=False)
def ruled_stack(which: str, rule: str, _net: torch.nn.Module) -> torch.nn.Module:
    """The step-through network with ReLUs that follow ``rule``, for autograd's check."""
    return rule_model(_net, rule)


# --- the tab ---------------------------------------------------------------------------------


@tab_body
def render(net: Net) -> None:
    st.markdown(
        "Pick a unit deep in the network and ask: *which pixels made it fire?* A "
        "**DeconvNet** answers by running the network backwards from that unit alone: keep "
        "one activation, set every other one to zero, and undo each layer on the way down — "
        "**max pooling** by putting each value back where the maximum came from (the "
        "*switches*), **convolution** by the *transposed* convolution (the same filters, "
        "flipped), and **ReLU** by… that is where the methods differ."
    )
    from_the_notes(
        ("002", "Deconvolution Network (DeconvNet)", "Undoing ReLU", "Undoing Convolution (1/2)"),
        ("002", "Guided Backprop (1/2)"),
    )
    left, right = st.columns([1, 2])
    with left:
        picked = image_picker("wl_dc_img", max_side=PHOTO_SIDE, default="chelsea (cat)")
        show_notes(picked)
    digest = hashlib.sha1(picked.pixels.tobytes() + str(picked.pixels.shape).encode()).hexdigest()
    prep = prepared(net.name, digest, picked.pixels)
    listed = stages(net.name, net.model)
    with right:
        stage, unit, what = _choose(net, listed, digest, prep)
    _three_ways(net, stage, unit, what, digest, prep)
    st.divider()
    _step_through(net, what, digest, picked.pixels, prep)


def _choose(net: Net, listed: list[Stage], digest: str, prep: Preprocessed
            ) -> tuple[Stage, Unit, str]:  # fmt: skip
    """The stage, channel and what to project; returns the stage, the channel's strongest unit
    and "unit" or "map"."""
    by_index = {s.index: s for s in listed}
    default = listed[int(DEFAULT_DEPTH * (len(listed) - 1))].index
    index = st.selectbox(
        "Stage (deeper: larger, more abstract patterns)",
        list(by_index),
        index=list(by_index).index(default),
        format_func=lambda i: by_index[i].label,
        key="wl_dc_stage",
        persist_state=KEEP,
        bind=LINK,
    )
    stage = by_index[index]
    units = strongest_units(maps(net.name, digest, index, net.model, prep.tensor), TOP)
    rank = st.selectbox(
        "Channel (the ones that fire most on this photo)",
        list(range(len(units))),
        format_func=lambda r: (
            f"channel {units[r].channel} — peak {units[r].value:.3g}"
            + (" (the strongest)" if r == 0 else "")
        ),
        key="wl_dc_rank",
        persist_state=KEEP,
        bind=LINK,
    )
    what = st.radio(
        "Project",
        list(WHAT),
        format_func=WHAT.get,
        horizontal=True,
        key="wl_dc_what",
        persist_state=KEEP,
        bind=LINK,
        help="Zeiler & Fergus keep one activation: the unit's strongest response. Keeping the "
        "channel's whole map (its positive part) shows everything it fires on in this photo.",
    )
    return stage, units[min(rank, len(units) - 1)], what


def _three_ways(net: Net, stage: Stage, unit: Unit, what: str, digest: str,
                prep: Preprocessed) -> None:  # fmt: skip
    st.subheader("Three ways back through a ReLU")
    x, side = prep.tensor, prep.cropped.shape[0]
    where = (unit.row, unit.col)
    with st.spinner("Passing the unit back to the pixels, three ways…"):
        projected = {
            rule: projection(
                net.name, digest, stage.index, unit.channel, what, rule, where, net.model, x
            )  # fmt: skip
            for rule in RULES
        }
    std = np.asarray(net.spec.std, np.float32).reshape(3, 1, 1)  # back to pixel units
    pictures = {rule: signed_picture(p / std) for rule, p in projected.items()}
    photo = prep.cropped
    box = None
    if what == "unit":
        box = box_of(field(net.name, stage.index, side, net.model), where)
        (r0, r1), (c0, c1) = box
        st.markdown(
            f"**Channel {unit.channel}** of {stage.label} fires most at **row {unit.row}, "
            f"column {unit.col}** of its {stage.side}×{stage.side} map (activation "
            f"{unit.value:.3g}). That unit sees pixels **{r0}–{r1} × {c0}–{c1}** of the "
            f"{side}×{side} crop, its receptive field ({r1 - r0 + 1} pixels on a side), drawn "
            "in orange: nothing outside it can reach the unit, so every projection is zero "
            "there."
            + (
                " The field reaches past the photo into the padding."
                if min(r0, c0) < 0 or max(r1, c1) >= side
                else ""
            )  # fmt: skip
        )
        photo = draw_box(photo, *box)
        pictures = {rule: draw_box(p, *box) for rule, p in pictures.items()}
    else:
        st.markdown(
            f"**Channel {unit.channel}** of {stage.label}, its whole map kept (the positive "
            "part): every place in the photo where this unit fires, projected at once."
        )
    columns = st.columns(4)
    columns[0].image(photo, caption="the photo (centre crop)", width="stretch")
    for column, rule in zip(columns[1:], RULES, strict=True):
        column.image(pictures[rule], caption=RULE_NAMES[rule], width="stretch")
        column.latex(FORMULAS[rule])
        column.caption(READS[rule])
    if not np.any(projected["backprop"]) and np.any(projected["deconvnet"]):
        why = (
            "its stage ends with a ReLU6 that clipped it at 6, and a clipped unit passes no "
            "gradient, like one below zero"
            if what == "unit" and abs(unit.value - 6.0) < 1e-6
            else "on every way down to the pixels some ReLU was off"
        )
        st.info(
            f"The gradient is zero here: {why}. So backprop and guided backprop have nothing "
            "to show; the DeconvNet rule ignores the forward pass's masks and still projects "
            "it. Pick another channel or stage.",
            icon=":material/info:",
        )
    if box is not None and box_inside(*box, side, side) is not None:
        _zoom(pictures, box, prep)
    elif what == "map":
        _channel_map(net, stage, unit, digest, prep)
    fixed = deconvnet_ignores_photo(net.model)
    st.markdown(
        "Each picture is on its own scale: grey is 0, brighter and darker show the signal's "
        "sign in each colour. All three undo pooling and convolution the same way; only the "
        "ReLU differs. The **gradient** keeps the forward pass's masks and the sign: faithful, "
        "but positive and negative evidence mix. The **DeconvNet** ignores the masks, so it "
        "shows what the unit's filters respond to more than what this photo holds"
        + (
            f" — {net.short} has no max pooling and no other kind of nonlinearity, so here the "
            "DeconvNet's picture does not depend on the photo at all beyond which unit is kept "
            "(try another photo: the same unit at the same place gives the same picture, only "
            "brighter or dimmer)"
            if fixed
            else ""
        )
        + ". **Guided backprop** keeps only what is positive on both passes: the crispest "
        "picture. Deeper stages have larger fields and more object-like patterns, as in "
        "Zeiler & Fergus' pictures of layers 4 and 5."
    )


def _zoom(pictures: dict, box: tuple, prep: Preprocessed) -> None:
    st.caption("Zoomed into the receptive field:")
    columns = st.columns(4)
    columns[0].image(crop_box(prep.cropped, *box), caption="the photo, the field only",
                     width="stretch")  # fmt: skip
    for column, rule in zip(columns[1:], RULES, strict=True):
        column.image(crop_box(pictures[rule], *box), caption=f"{RULE_NAMES[rule]}, the field",
                     width="stretch")  # fmt: skip


def _channel_map(net: Net, stage: Stage, unit: Unit, digest: str, prep: Preprocessed) -> None:
    plane = maps(net.name, digest, stage.index, net.model, prep.tensor)[unit.channel]  # (h, w)
    k = max(1, MAP_PX // plane.shape[0])
    heat = heat_colours(normalise_map(np.maximum(plane, 0)))
    heat = np.repeat(np.repeat(heat, k, axis=0), k, axis=1)
    st.image(heat, caption=f"channel {unit.channel}'s map (positive part; bright = strong)",
             width=MAP_PX)  # fmt: skip


# --- the step-through ------------------------------------------------------------------------


def _pooling_link() -> None:
    pooling = next(p for pages in SECTIONS.values() for p in pages if p.title == "Pooling")
    label = "Max unpooling on the notes' 4×4 example: the Pooling page, tab **Undo pooling**"
    try:
        st.page_link(pooling.file, label=label, icon=":material/filter_center_focus:")
    except StreamlitPageNotFoundError:  # the page run on its own, outside the app
        st.markdown(f"{label} (open it from the sidebar).")


def _step_through(net: Net, what: str, digest: str, pixels: np.ndarray,
                  prep: Preprocessed) -> None:  # fmt: skip
    st.subheader("Step by step: the DeconvNet of the notes")
    intro = (
        f"{notes_name('002', capital=True)} undo a stack of convolutions, ReLUs and max "
        "poolings, one layer at a time. "
    )
    prefix = deconvnet_prefix(net.model)
    if prefix is not None:
        which, stack, x, picture = net.name, prefix, prep.tensor, prep.cropped
        parts = edges = None
        st.markdown(
            intro + f"**{net.short}** starts with exactly such a stack: here are its first two "
            "blocks (four 3×3 convolutions with their ReLUs, two 2×2 max poolings), trained on "
            "ImageNet, undone on your photo."
        )
    else:
        teaching = hand_set()
        which, stack, parts, edges = HAND_SET, teaching.net, teaching.parts, teaching.edges
        picture, x = teaching_input(digest, pixels)
        st.markdown(
            intro + f"{net.short} has no such stack (no max pooling at all: strided "
            "convolutions, batch norm and residual blocks), which is why the projections above "
            "take autograd's route. To watch every step, here is a small DeconvNet whose "
            "filters are **set by hand**, so that each channel means something: layer 1 has 8 "
            "oriented **edges** (5×5; brighter towards →, ↘, ↓, …), layer 2 builds **bright "
            "and dark lines** in four orientations and the four **corners** of a bright "
            "region out of them (5×5 over the edge maps); each layer is followed by a ReLU "
            f"and a 2×2 max pooling. It sees your photo at {TEACHING_SIDE}×{TEACHING_SIDE}. "
            "Choose VGG-16 above the tabs to step through a trained network's first blocks."
        )
    _pooling_link()
    c1, c2 = st.columns(2)
    rank = int(
        c1.selectbox(
            "Channel to project (ranked by how strongly it fires on this photo)",
            list(range(TOP)),
            format_func=lambda r: f"#{r + 1}" + (" (the strongest)" if r == 0 else ""),
            key="wl_dc_step_rank",
            persist_state=KEEP,
            bind=LINK,
        )
    )
    rule = c2.radio(
        "Back through each ReLU",
        list(RULES),
        index=RULES.index("deconvnet"),
        format_func=RULE_NAMES.get,
        horizontal=True,
        key="wl_dc_step_rule",
        persist_state=KEEP,
        bind=LINK,
    )
    result = stepped(which, digest, rank, rule, what, stack, x)
    chosen: Unit = result["unit"]
    name = parts[chosen.channel] if parts else f"channel {chosen.channel}"
    st.markdown(
        f"Projecting **{name}** ({WHAT[what]}; peak {chosen.value:.3g} at row {chosen.row}, "
        f"column {chosen.col} of the top map) with the **{RULE_NAMES[rule]}** rule."
    )
    views: list[StepView] = result["views"]
    titles = [_short(v) for v in views]
    show(steps_figure(views, titles, grey_pixels=parts is not None), "wl_dc_steps_fig")
    st.caption(
        "Each panel: the signal after undoing one more layer, summed over its channels (red "
        "positive, blue negative, white 0; each panel on its own scale), around the unit's "
        "field at that layer; the last one is the pixels (grey = 0). Undoing a pooling puts "
        "each value on its switch; a transposed convolution spreads it over the filter."
    )
    pick = int(
        st.select_slider(
            "Look at one step",
            list(range(len(views))),
            value=len(views) - 1,
            format_func=lambda i: titles[i],
            key="wl_dc_step",
            persist_state=KEEP,
            bind=LINK,
        )
    )
    view = views[min(pick, len(views) - 1)]
    st.latex(_step_formula(view.kind, rule))
    c, h, w = view.shape
    st.markdown(f"**{view.label}**: a signal of {c} channels of {h}×{w}.")
    if view is views[-1] and c == 3:
        a, b = st.columns(2)
        a.image(picture, caption="what the network saw")
        pixels = view.channels.sum(0) if parts else view.channels  # the hand-set net: grey
        around = "" if what == "map" else ", around the unit's field"
        b.image(signed_picture(pixels), caption=f"the projection{around}",
                width=min(360, 8 * view.channels.shape[-1]))  # fmt: skip
    else:
        labels = list(parts if parts and c == len(parts) else edges if edges and c == len(edges)
                      else [f"channel {k}" for k in range(c)])  # fmt: skip
        show(channels_figure(view, labels), "wl_dc_channels_fig")
        if len(view.which) < c:
            st.caption(f"The {len(view.which)} of {c} channels that carry the most signal here.")
    st.caption(
        f"This loop is checked against autograd's {RULE_NAMES[rule]} on the same network: "
        f"the largest difference is {result['gap']:.1e}."
    )


def _step_formula(kind: str, rule: str) -> str:
    if kind == "relu":
        return r"s \leftarrow " + RELU_STEP[rule]
    return STEP_FORMULAS[kind]


def _short(view: StepView) -> str:
    return {
        "start": "the kept unit",
        "unpool": f"{view.layer}: unpool",
        "relu": f"{view.layer}: ReLU",
        "transposed conv": f"{view.layer}: convᵀ",
    }[view.kind]
