"""The Real networks tab: cost.count of a whole architecture on the meta device, checked against
torchvision's published figures, with a clickable per-layer table and chart (and a select box
of the rows, their keyboard path)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnplay.models.zoo import ARCHITECTURES, FIXED_INPUT_SIDE, INPUT_SIDE, fixed_side_note
from cnnplay.plots.charts import cost_bar_figure
from cnnplay.plots.style import CHART_CONFIG
from ui.figures import show_table
from ui.keyboard import option_keys
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.bottleneck_cost.common import model_cost, published


def show_row(i: int) -> None:
    """Show row i's details (a bar click or the keyboard's choice): fresh keys for the table,
    which then starts with row i selected, and for the chart, which marks it."""
    st.session_state.bn_md_sel = i
    st.session_state.bn_md_version += 1


def select_row(key: str) -> None:
    """A click on a row of the table (which keeps showing it selected)."""
    chosen = st.session_state[key].selection.rows
    if chosen:
        st.session_state.bn_md_sel = int(chosen[0])


def select_costly(key: str, costly: list[int]) -> None:
    """A click on a bar of the chart of conv / linear layers (``costly``: their row numbers)."""
    points = st.session_state[key].selection.points
    if points:
        show_row(costly[int(points[0]["point_index"])])


@tab_body
def render() -> None:
    st.markdown(
        "The counts come from one forward pass of a network on PyTorch's *meta* device "
        "(shapes only: no weights, no arithmetic) that records every layer. Torchvision's models "
        "are definitions only: nothing is downloaded. Click a row (or a bar) for its details."
    )
    c1, c2 = st.columns([2, 1])
    names = list(ARCHITECTURES)
    name = c1.selectbox(
        "Network",
        names,
        index=names.index("ResNet-50"),
        key="bn_md_name",
        persist_state=KEEP,
        bind=LINK,
    )
    note = fixed_side_note(name)
    if note is None:
        side = c2.number_input(
            "Image side",
            1,
            1024,
            INPUT_SIDE[name],
            key=f"bn_md_side_{name}",
            persist_state=KEEP,
            bind=LINK,
        )
    else:  # a classifier built for one input size
        side = FIXED_INPUT_SIDE[name]
        c2.number_input(
            "Image side",
            side,
            side,
            side,
            key="bn_md_side_fixed",
            disabled=True,
            persist_state=KEEP,
            bind=LINK,
        )
        c2.caption(note)
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
    show_table(
        frame,
        key=table_key,
        on_select=lambda: select_row(table_key),
        selection_mode="single-row",
        selection_default={"selection": {"rows": [sel]}},  # a fresh table shows the choice
        height=300,
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
    option_keys(
        [f"{i}: {r.name} ({r.kind})" for i, r in enumerate(rows)],
        "bn_md_pick",
        sel,
        show_row,
        "Row whose details to show",
        what="row or bar",
    )
    r = rows[sel]
    st.markdown(
        f"**Row {sel}: `{r.name}`** ({r.kind}) → output {' × '.join(map(str, r.output_shape))}: "
        f"{r.units:,} units, {r.params:,} parameters, {r.macs:,} MACs"
        + (f" ({100 * r.macs / report.macs:.1f}% of the network's)." if report.macs else ".")
    )
