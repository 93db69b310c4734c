"""Bottleneck & cost: parameters and multiply-adds of dense, local and convolutional layers, what a
1×1 bottleneck saves, measured on the device, and the cost of real networks (seeds 001, 002)."""

from __future__ import annotations

from functools import partial

import pandas as pd
import streamlit as st
import torch

from cnnplay.cost import (
    DESIGNS,
    LAYER_KINDS,
    SEED002_EXERCISE,
    BlockSettings,
    BlockTiming,
    CostReport,
    LayerSpec,
    block_terms,
    conv_layer,
    count,
    count_stack,
    dense_layer,
    local_layer,
    time_blocks,
)
from cnnplay.device import device_label, get_device
from cnnplay.models.zoo import (
    ARCHITECTURES,
    INPUT_CHANNELS,
    INPUT_SIDE,
    TORCHVISION_NAME,
)
from cnnplay.plots.charts import cost_bar_figure, grouped_bar_figure
from cnnplay.plots.style import CHART_CONFIG
from ui.figures import show_figure

DESIGN_NAMES = {
    "plain": "plain k×k",
    "bottleneck": "1×1 bottleneck",
    "separable": "depthwise separable",
    "grouped": "grouped",
}
CASE_STUDIES = {  # model -> (year, the idea it introduced; seed 002's case studies)
    "LeNet-5": ("1998", "Convolution → pooling → convolution → pooling: the template of CNNs."),
    "AlexNet": ("2012", "Scales LeNet up: ReLU, dropout, trained on GPUs, on ImageNet."),
    "VGG-16": ("2014", "Only 3×3 kernels, stacked: a large field from small, cheap filters."),
    "GoogLeNet": ("2015", "Inception modules (1×1, 3×3, 5×5 side by side); 1×1 bottlenecks."),
    "ResNet-50": ("2016", "Shortcuts past two or three layers (bottleneck blocks), very deep."),
    "DenseNet-121": (
        "2017",
        "Each layer sees the feature maps of all earlier layers in its block.",
    ),
}
EXERCISE_COLUMNS = ["kind", "size", "kernel", "stride", "same padding"]
TIMING_BATCH = 2  # images per timed forward pass: small, so a measurement takes ≲ 2 s on 2 cores
TIMING_REPEATS = 5  # timed passes per design (median shown)
DEFAULTS = dict(bn_ex_sel=0, bn_ex_version=0, bn_md_sel=0, bn_md_version=0)
for key, value in DEFAULTS.items():
    st.session_state.setdefault(key, value)


def n(value: int) -> str:
    """An integer with thousands separators, for LaTeX."""
    return f"{value:,}".replace(",", "{,}")


show = partial(show_figure, width="stretch")


@st.cache_data(max_entries=64, show_spinner=False)
def model_cost(name: str, side: int) -> CostReport:
    """count() of one architecture, built on the meta device (no weights, no memory)."""
    with torch.device("meta"):
        model = ARCHITECTURES[name]()
    return count(model, (1, INPUT_CHANNELS[name], side, side))


@st.cache_data(max_entries=16, show_spinner=False)
def published(name: str) -> dict:
    """torchvision's own figures for a model (weights metadata; nothing is downloaded)."""
    from torchvision.models import get_model_weights

    tv = TORCHVISION_NAME.get(name)
    if tv is None:
        return {}
    meta = get_model_weights(tv).DEFAULT.meta
    return {"params": meta["num_params"], "gflops": meta["_ops"]}


@st.cache_data(max_entries=32, show_spinner=False)
def measured(s: BlockSettings, side: int, device: str) -> list[BlockTiming]:
    return time_blocks(s, batch=TIMING_BATCH, side=side, repeats=TIMING_REPEATS, device=device)


st.title("Bottleneck & cost")
st.markdown(
    "What does a layer cost? **Parameters** (what must be learned and stored) and "
    "**multiply-accumulates** (MACs: one multiply and one add, the work of a forward pass). "
    "Convolutions were invented to cut the first; 1×1 bottlenecks cut the second."
)


# --------------------------------------------------------------------------- seed 001


def layers_tab() -> None:
    st.markdown(
        "Seed 001, on MNIST: a **fully connected** layer, a layer of **local receptive fields** "
        "(each unit sees a small window, with weights of its own) and the same layer with "
        "**shared** weights, which is a **convolution**. Change the sizes."
    )
    c = st.columns(6)
    side = c[0].number_input("Image side N", 1, 1024, 28, key="bn_side")
    channels = c[1].number_input("Input channels", 0, 512, 1, key="bn_channels")
    field = c[2].number_input("Field side M", 1, 64, 5, key="bn_field")
    maps = c[3].number_input("Fields per pixel (maps)", 0, 512, 1, key="bn_maps")
    stride = c[4].number_input("Stride", 1, 16, 1, key="bn_stride")
    units = c[5].number_input("Dense units", 0, 100_000, 100, key="bn_units")
    st.caption(
        "The notes' numbers: 28, 1, 5, 1, 1, 100 (78,500 / 14,976); "
        "then 3 channels and 5 maps for the colour version (218,880)."
    )
    inputs = side * side * channels
    try:
        dense = dense_layer(inputs, units)
    except ValueError as err:
        st.error(f"Fully connected layer: {err}.", icon=":material/block:")
        dense = None
    if dense is not None:
        st.latex(
            rf"\text{{fully connected: }} \underbrace{{{n(inputs)}}}_{{{side}\times{side}\times"
            rf"{channels}\text{{ inputs}}}} \times {n(units)} + \underbrace{{{n(units)}}}"
            rf"_{{\text{{biases}}}} = {n(dense.params)}"
        )
    try:
        local = local_layer(side, field, channels, maps, stride)
        shared = conv_layer(side, field, channels, maps, stride)
    except ValueError as err:
        st.error(
            f"Local and shared layers: {err}. Choose a field no larger than the image, "
            "and at least one channel and one map.",
            icon=":material/block:",
        )
        return
    o = local.out_side
    st.latex(
        rf"\text{{output side: }} \left\lfloor\frac{{{side} - {field}}}{{{stride}}}\right\rfloor"
        rf" + 1 = {o}"
    )
    st.latex(
        rf"\text{{local, not shared: }} \underbrace{{{field}\times{field}\times{channels}}}"
        rf"_{{\text{{weights per unit}}}} \times \underbrace{{{maps}\times{o}\times{o}}}"
        rf"_{{\text{{units}}}} + \underbrace{{{n(local.biases)}}}_{{\text{{biases}}}}"
        rf" = {n(local.weights)} + {n(local.biases)} = {n(local.params)}"
    )
    st.latex(
        rf"\text{{shared (convolution): }} {field}\times{field}\times{channels}\times{maps}"
        rf" + \underbrace{{{maps}}}_{{\text{{one bias per map}}}} = {n(shared.params)}"
    )
    labels = ["fully connected", "local, not shared", "shared (conv)"]
    values = [dense.params if dense else 0, local.params, shared.params]
    left, right = st.columns([3, 2])
    show(
        cost_bar_figure(labels, values, "parameters (log scale)", log=True), "bn_layers_chart", left
    )
    right.markdown(
        f"The local and the shared layer both have **{local.units:,} units**. "
        "Sharing divides the local layer's parameters by "
        f"**{local.params / shared.params:,.0f}**: the same few weights are used at all "
        f"{o * o:,} positions, so a pattern learned in one place is found everywhere. "
        "The local layer still beats the dense one, but it must learn each detector at "
        "every position separately."
    )


# --------------------------------------------------------------------------- seed 002 bottleneck


def block_settings() -> BlockSettings | None:
    c = st.columns(6)
    s = BlockSettings(
        c_in=c[0].number_input("Input channels", 0, 2048, 256, key="bn_cin"),
        c_out=c[1].number_input("Output channels", 0, 2048, 256, key="bn_cout"),
        mid=c[2].number_input("Bottleneck width", 0, 2048, 64, key="bn_mid"),
        kernel=c[3].number_input("Kernel k", 1, 11, 3, step=2, key="bn_k"),
        groups=c[4].number_input("Groups", 0, 2048, 32, key="bn_groups"),
    )
    side = c[5].number_input("Map side W = H", 1, 512, 28, key="bn_wh")
    st.session_state.bn_block_side = side
    try:
        block_terms("plain", s)
        block_terms("grouped", s)
    except ValueError as err:
        st.error(f"These widths do not make a block: {err}.", icon=":material/block:")
        return None
    return s


def term_latex(design: str, s: BlockSettings) -> str:
    terms = block_terms(design, s)
    parts = [
        rf"({t.kernel}\times{t.kernel}\times{t.c_in // t.groups})\times{t.c_out}" for t in terms
    ]
    total = sum(t.macs_per_position for t in terms)
    values = " + ".join(n(t.macs_per_position) for t in terms)
    middle = rf" = (W\times H)\times[{values}]" if len(terms) > 1 else ""
    # Two lines: a three-layer block's terms do not fit beside their sum on a laptop screen.
    return (
        rf"\begin{{aligned}}\text{{{design}: }}&(W\times H)\times[{' + '.join(parts)}]\\"
        rf"&{middle} = (W\times H)\times {n(total)}\end{{aligned}}"
    )


def bottleneck_tab() -> None:
    st.markdown(
        "Seed 002: a 3×3 convolution from 256 to 256 channels, against a **bottleneck**: a 1×1 "
        "convolution down to 64 channels, the 3×3 on 64, and a 1×1 back up to 256. Same input "
        "and output shapes; the 1×1 layers *combine the features at each position* first. "
        "Two further steps: a **depthwise separable** convolution (one k×k filter per channel, "
        "then a 1×1) and a **grouped** convolution (each filter sees c_in / groups channels)."
    )
    s = block_settings()
    if s is None:
        return
    side = st.session_state.bn_block_side
    for design in DESIGNS:
        st.latex(term_latex(design, s))
    plain = sum(t.macs_per_position for t in block_terms("plain", s))
    rows = []
    for design in DESIGNS:
        per_pos = sum(t.macs_per_position for t in block_terms(design, s))
        rows.append(
            {
                "design": DESIGN_NAMES[design],
                "layers": " → ".join(t.label for t in block_terms(design, s)),
                "MACs per position": f"{per_pos:,}",
                "weights": f"{per_pos:,}",
                f"MACs on {side}×{side}": f"{per_pos * side * side:,}",
                "vs plain": f"{plain / per_pos:.1f}× fewer" if design != "plain" else "—",
            }
        )
    st.dataframe(pd.DataFrame(rows), hide_index=True, key="bn_block_table")
    st.caption(
        "With bias-free convolutions the weights equal the multiplies at one position: each "
        "weight is used once per output position."
    )
    measure_section(s)


def measure_section(s: BlockSettings) -> None:
    st.subheader("Measured, not only counted")
    device = get_device()
    devices = ["cpu"] + ([str(device)] if device.type != "cpu" else [])
    c1, c2 = st.columns([1, 3])
    side = c1.number_input("Timed map side", 4, 64, 28, key="bn_time_side")
    c2.markdown(
        f"Builds the four blocks in torch and times a forward pass of a batch of "
        f"{TIMING_BATCH} × {s.c_in} × {side} × {side} (median of {TIMING_REPEATS}) on "
        + " and ".join(device_label(torch.device(d)) for d in devices)
        + "."
    )
    key = (s, side)
    if st.button("Measure the blocks", key="bn_measure"):
        with st.spinner("Timing the four blocks…"):
            st.session_state.setdefault("bn_timings", {})[key] = {
                d: measured(s, side, d) for d in devices
            }
    results = st.session_state.get("bn_timings", {}).get(key)
    if results is None:
        st.info("Press **Measure the blocks** to time them with these settings.")
        return
    for dev, timings in results.items():
        base = timings[0]
        table = pd.DataFrame(
            {
                "design": [DESIGN_NAMES[t.design] for t in timings],
                "MACs": [f"{t.macs:,}" for t in timings],
                "median ms": [round(t.median_ms, 2) for t in timings],
                "count ratio (plain / this)": [round(base.macs / t.macs, 2) for t in timings],
                "time ratio (plain / this)": [
                    round(base.median_ms / t.median_ms, 2) for t in timings
                ],
            }
        )
        st.markdown(f"**{dev.upper()}**")
        left, right = st.columns([3, 2])
        left.dataframe(table, hide_index=True, key=f"bn_time_table_{dev}")
        show(
            grouped_bar_figure(
                list(table["design"]),
                {
                    "count ratio": list(table["count ratio (plain / this)"]),
                    "time ratio": list(table["time ratio (plain / this)"]),
                },
                f"savings vs plain on {dev.upper()}",
            ),
            f"bn_time_chart_{dev}",
            right,
        )
        sep = next(t for t in timings if t.design == "separable")
        st.markdown(
            f"Counted, the depthwise separable block does **{base.macs / sep.macs:.1f}×** less "
            f"work than the plain one; measured on {dev.upper()} it is "
            f"**{base.median_ms / sep.median_ms:.1f}×** faster. Depthwise and grouped "
            "convolutions do few MACs per byte of memory they read, so they often gain less "
            "time than their counts promise; small maps and batches also leave fixed per-layer "
            "overheads that counts ignore."
        )


# --------------------------------------------------------------------------- seed 002 exercise


def exercise_frame() -> pd.DataFrame:
    return pd.DataFrame(
        [
            {
                "kind": spec.kind,
                "size": spec.size,
                "kernel": spec.kernel,
                "stride": spec.stride,
                "same padding": spec.same,
            }
            for spec in SEED002_EXERCISE
        ]
    )


def parse_specs(frame: pd.DataFrame) -> list[LayerSpec]:
    specs = []
    for i, row in enumerate(frame.to_dict("records"), start=1):
        kind = row.get("kind")
        if kind is None or (isinstance(kind, float) and pd.isna(kind)):
            continue  # an empty new row
        try:
            size, kernel, stride = (
                int(0 if pd.isna(row.get(c)) else row.get(c)) for c in ("size", "kernel", "stride")
            )
        except (TypeError, ValueError) as err:
            raise ValueError(f"layer {i}: size, kernel and stride must be whole numbers") from err
        specs.append(LayerSpec(str(kind), size, kernel, stride, bool(row.get("same padding"))))
    return specs


def select_layer(key: str) -> None:
    """A click on a bar of the exercise chart: show that layer; a fresh chart key next run."""
    points = st.session_state[key].selection.points
    if points:
        st.session_state.bn_ex_sel = int(points[0]["point_index"])
        st.session_state.bn_ex_version += 1


def exercise_tab() -> None:
    st.markdown(
        "Seed 002's exercise: **#weights and #neurons at each layer** of a 256×256×3 image → "
        "conv 16 filters, K = 4, zero padding → max pool K = 4, stride 4 → conv 32 filters, "
        "K = 4, zero padding → max pool 4, stride 4 → flatten → dense 10. Edit, add or delete "
        "rows (kind: " + ", ".join(LAYER_KINDS) + "); click a bar for a layer's arithmetic."
    )
    c1, c2 = st.columns(2)
    channels = c1.number_input("Input channels", 0, 64, 3, key="bn_ex_channels")
    side = c2.number_input("Input side", 1, 2048, 256, key="bn_ex_side")
    edited = st.data_editor(
        exercise_frame(),
        key="bn_ex_layers",
        num_rows="dynamic",
        column_config={
            "kind": st.column_config.SelectboxColumn("kind", options=LAYER_KINDS, required=True),
            "size": st.column_config.NumberColumn("size", help="filters (conv) or units (dense)"),
            "kernel": st.column_config.NumberColumn("kernel"),
            "stride": st.column_config.NumberColumn("stride"),
            "same padding": st.column_config.CheckboxColumn("same padding"),
        },
    )
    try:
        specs = parse_specs(pd.DataFrame(edited))
        report = count_stack(specs, channels, side)
    except ValueError as err:
        st.error(f"This stack cannot be built: {err}.", icon=":material/block:")
        return
    rows = report.rows
    if not rows:
        st.info("Add a layer to see its cost.")
        return
    labels = [f"{i + 1}. {r.kind}" for i, r in enumerate(rows)]
    table = pd.DataFrame(
        {
            "layer": labels,
            "output": [" × ".join(map(str, r.output_shape)) for r in rows],
            "#units": [f"{r.units:,}" for r in rows],
            "#weights": [f"{r.params - r.biases:,}" for r in rows],
            "#biases": [f"{r.biases:,}" for r in rows],
            "MACs": [f"{r.macs:,}" for r in rows],
        }
    )
    st.dataframe(table, hide_index=True, key="bn_ex_table")
    weights = sum(r.params - r.biases for r in rows)
    st.markdown(
        f"**Total: {weights:,} weights + {report.params - weights:,} biases = "
        f"{report.params:,} parameters; {report.macs:,} multiply-accumulates.**"
    )
    sel = min(st.session_state.bn_ex_sel, len(rows) - 1)
    metric = st.radio(
        "Bars show", ["#units", "#weights", "MACs"], horizontal=True, key="bn_ex_metric"
    )
    values = {
        "#units": [r.units for r in rows],
        "#weights": [r.params - r.biases for r in rows],
        "MACs": [r.macs for r in rows],
    }[metric]
    chart_key = f"bn_ex_chart_{st.session_state.bn_ex_version}"
    st.plotly_chart(
        cost_bar_figure(labels, values, f"{metric} per layer (log scale)", selected=sel, log=True),
        key=chart_key,
        on_select=lambda: select_layer(chart_key),
        selection_mode="points",
        width="stretch",
        config=CHART_CONFIG,
    )
    layer_detail(sel, specs, rows, channels, side)


def layer_detail(i: int, specs: list[LayerSpec], rows: list, channels: int, side: int) -> None:
    """The arithmetic of layer i of the exercise stack."""
    spec, row = specs[i], rows[i]
    before = rows[i - 1].output_shape if i else (channels, side, side)
    shape = " × ".join(map(str, row.output_shape))
    st.markdown(
        f"**Layer {i + 1} ({spec.kind})**: input {' × '.join(map(str, before))} → "
        f"output {shape}, **{row.units:,} units**, **{row.params - row.biases:,} weights**, "
        f"{row.biases:,} biases, {row.macs:,} MACs."
    )
    if spec.kind == "conv":
        c_in, (c_out, h, w) = before[0], row.output_shape
        st.latex(
            rf"\#\text{{weights}} = {spec.kernel}\times{spec.kernel}\times{c_in}\times{c_out}"
            rf" = {n(row.params - row.biases)},\quad \#\text{{units}} = {h}\times{w}\times"
            rf"{c_out} = {n(row.units)},\quad \text{{MACs}} = \#\text{{units}}\times"
            rf"{spec.kernel * spec.kernel * c_in} = {n(row.macs)}"
        )
    elif spec.kind == "dense":
        st.latex(
            rf"\#\text{{weights}} = {n(before[0])}\times{row.output_shape[0]} = "
            rf"{n(row.params - row.biases)}"
        )
    elif spec.kind == "pool":
        c, h, w = row.output_shape
        st.latex(
            rf"\#\text{{units}} = {h}\times{w}\times{c} = {n(row.units)},\quad"
            rf"\#\text{{weights}} = 0"
        )


# --------------------------------------------------------------------------- real networks


def models_tab() -> None:
    st.markdown(
        "`cnnplay.cost.count` runs one forward pass of a network on PyTorch's *meta* device "
        "(shapes only: no weights, no arithmetic) and records every layer. Torchvision's models "
        "are definitions only: nothing is downloaded. Click a row (or a bar) for its details."
    )
    c1, c2 = st.columns([2, 1])
    names = list(ARCHITECTURES)
    name = c1.selectbox("Network", names, index=names.index("ResNet-50"), key="bn_md_name")
    side = c2.number_input("Image side", 1, 1024, INPUT_SIDE[name], key=f"bn_md_side_{name}")
    try:
        with st.spinner(f"Counting {name}…"):
            report = model_cost(name, side)
    except ValueError as err:
        st.error(f"{name} cannot run on a {side}×{side} image: {err}", icon=":material/block:")
        return
    ref = published(name)
    convs = sum(r.kind.startswith("Conv") for r in report.rows)
    linears = sum(r.kind == "Linear" for r in report.rows)
    c = st.columns(4)
    c[0].metric("Parameters", f"{report.params:,}")
    c[1].metric("Multiply-accumulates", f"{report.macs / 1e9:.3f} G")
    c[2].metric("Conv / linear layers", f"{convs} / {linears}")
    c[3].metric("Output", " × ".join(map(str, report.rows[-1].output_shape)))
    if ref:
        agree = ref["params"] == report.params and (
            side != INPUT_SIDE[name] or round(report.macs / 1e9, 3) == ref["gflops"]
        )
        st.markdown(
            f"torchvision publishes **{ref['params']:,} parameters** and **{ref['gflops']} "
            f"GFLOPS** at {INPUT_SIDE[name]}×{INPUT_SIDE[name]} (what it calls FLOPS are "
            "multiply-adds of conv and linear layers): "
            + (
                "**our count agrees**."
                if agree
                else "the operations differ because the image side differs."
            )
        )
    rows = report.rows
    frame = pd.DataFrame(
        {
            "layer": [r.name for r in rows],
            "type": [r.kind for r in rows],
            "output": [" × ".join(map(str, r.output_shape)) for r in rows],
            "units": [r.units for r in rows],
            "params": [r.params for r in rows],
            "MACs": [r.macs for r in rows],
        }
    )
    sel = min(st.session_state.bn_md_sel, len(rows) - 1)
    table_key = f"bn_md_table_{st.session_state.bn_md_version}"
    st.dataframe(
        frame,
        hide_index=True,
        key=table_key,
        on_select=lambda: select_row(table_key),
        selection_mode="single-row",
        height=300,
        column_config={c: st.column_config.NumberColumn(format="localized") for c in frame},
    )
    costly = [i for i, r in enumerate(rows) if r.macs > 0]
    if costly:
        chart_key = f"bn_md_chart_{st.session_state.bn_md_version}"
        st.plotly_chart(
            cost_bar_figure(
                [f"{i}" for i in costly],
                [rows[i].macs for i in costly],
                "MACs of each conv / linear layer (by row number)",
                selected=costly.index(sel) if sel in costly else None,
                hover=[f"{rows[i].name}: {rows[i].macs:,} MACs" for i in costly],
            ),
            key=chart_key,
            on_select=lambda: select_costly(chart_key, costly),
            selection_mode="points",
            width="stretch",
            config=CHART_CONFIG,
        )
    r = rows[sel]
    st.markdown(
        f"**Row {sel}: `{r.name}`** ({r.kind}) → output {' × '.join(map(str, r.output_shape))}: "
        f"{r.units:,} units, {r.params:,} parameters, {r.macs:,} MACs"
        + (f" ({100 * r.macs / report.macs:.1f}% of the network's)." if report.macs else ".")
    )


def select_row(key: str) -> None:
    chosen = st.session_state[key].selection.rows
    if chosen:
        st.session_state.bn_md_sel = int(chosen[0])


def select_costly(key: str, costly: list[int]) -> None:
    points = st.session_state[key].selection.points
    if points:
        st.session_state.bn_md_sel = costly[int(points[0]["point_index"])]
        st.session_state.bn_md_version += 1


# --------------------------------------------------------------------------- case studies


@st.cache_data(max_entries=16, show_spinner=False)
def field_of(name: str) -> int:
    from cnnplay.receptive import receptive_field

    with torch.device("meta"):
        model = ARCHITECTURES[name]()
    return receptive_field(model, INPUT_SIDE[name])


def case_tab() -> None:
    st.markdown(
        "Seed 002's case studies, each with its own numbers: parameters and multiply-adds from "
        "`cost.count`, and the theoretical receptive field of one output unit (pixels, one side) "
        "from `receptive.receptive_field` (it can exceed the image: the field is the span the "
        "weights could reach, padding included)."
    )
    rows = []
    with st.spinner("Counting the case studies…"):
        for name, (year, idea) in CASE_STUDIES.items():
            report = model_cost(name, INPUT_SIDE[name])
            try:
                rf = f"{field_of(name):,}"
            except Exception as err:  # noqa: BLE001 - one model's failure must not hide the rest
                rf = f"n/a ({type(err).__name__})"
            side = INPUT_SIDE[name]
            rows.append(
                {
                    "network": f"{name} ({year})",
                    "idea": idea,
                    "parameters": f"{report.params:,}",
                    "MACs": f"{report.macs:,}",
                    "receptive field": rf,
                    "layers": sum(
                        r.kind.startswith("Conv") or r.kind == "Linear" for r in report.rows
                    ),
                    "input": f"{side}×{side}",
                }
            )
    st.dataframe(
        pd.DataFrame(rows),
        hide_index=True,
        key="bn_case_table",
        column_config={
            "idea": st.column_config.TextColumn(width="large"),
            "receptive field": st.column_config.TextColumn(help="pixels, one side"),
            "layers": st.column_config.NumberColumn(help="convolution and linear layers"),
        },
    )
    st.caption(
        "LeNet-5 is defined in cnnplay/models/lenet.py (32×32 grayscale digits); the others are "
        "torchvision's definitions."
    )


tabs = st.tabs(
    ["Dense, local, shared", "Bottleneck", "Layer list", "Real networks", "Case studies"]
)
with tabs[0]:
    layers_tab()
with tabs[1]:
    bottleneck_tab()
with tabs[2]:
    exercise_tab()
with tabs[3]:
    models_tab()
with tabs[4]:
    case_tab()
