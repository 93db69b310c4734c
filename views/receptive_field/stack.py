"""The "Stack of layers" tab: a preset or your own table of layers, the field after each layer
(size, jump, start, the recurrence with its numbers) and the field of a unit you click.

The clicked (or typed: the row and column inputs are the keyboard path) unit lives in session
state (``rf_unit``; ``rf_version`` renews the grid's chart key after each choice). The edited
layer table of each preset is kept under ``rf_kept_<preset>``, so the edits are still there when
the student leaves the tab or the page and comes back."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnplay.plots.grids import add_box, grid_figure
from cnnplay.plots.receptive import field_growth_figure
from cnnplay.plots.style import CELL_COLOUR
from cnnplay.quiz import receptive_field_question
from cnnplay.receptive import (
    LAYER_KINDS,
    PRESETS,
    LayerError,
    StackRow,
    coverage,
    parse_layers,
    pixels_seen,
    stack_table,
    unit_span,
)
from cnnplay.snippets import receptive as rf_code
from ui.code_panel import code_panel
from ui.figures import show_figure, show_table
from ui.inputs import clickable_grid
from ui.keyboard import cell_keys
from ui.links import LINK
from ui.notes import option_label
from ui.page import KEEP, tab_body
from ui.quiz import predict_then_reveal
from views.receptive_field.common import keep_option, span_text

MAX_GRID = 16  # output maps up to this side are shown as a clickable grid
MAX_INPUT_GRID = 32  # inputs up to this side are drawn with the field outlined
COLUMNS = ["kind", "kernel", "stride", "padding", "dilation"]
COLUMN_CONFIG = {
    "kind": st.column_config.SelectboxColumn("layer", options=list(LAYER_KINDS)),
    "kernel": st.column_config.NumberColumn("kernel k", step=1),
    "stride": st.column_config.NumberColumn("stride s", step=1),
    "padding": st.column_config.NumberColumn("padding p", step=1),
    "dilation": st.column_config.NumberColumn("dilation d", step=1),
}


def on_preset() -> None:
    st.session_state.rf_size = PRESETS[st.session_state.rf_preset][0]
    st.session_state.rf_unit = (0, 0)


def select_unit(i: int, j: int) -> None:
    st.session_state.rf_unit = (i, j)
    st.session_state.rf_version += 1  # a fresh chart key for the next click


def layer_editor(preset: str) -> list[dict]:
    """The preset's layers in an editable table; returns the edited rows.

    The data editor's state holds its edits relative to the table it was first drawn with
    (``rf_base_<preset>``); while it lives, that table stays its base. When it comes back (the
    tab or the page was left), it starts from the last edited table (``rf_kept_<preset>``)."""
    key, base, kept = f"rf_layers_{preset}", f"rf_base_{preset}", f"rf_kept_{preset}"
    if key not in st.session_state or base not in st.session_state:
        layers = PRESETS[preset][1]
        fresh = pd.DataFrame([{c: getattr(spec, c) for c in COLUMNS} for spec in layers])
        st.session_state[base] = st.session_state.get(kept, fresh)
    st.caption("Edit the layers, add rows at the bottom, delete rows with the checkbox + bin.")
    edited = st.data_editor(
        st.session_state[base],
        key=key,
        num_rows="dynamic",
        hide_index=True,
        column_config=COLUMN_CONFIG,
    )
    st.session_state[kept] = edited
    return edited.to_dict("records")


def field_table(rows: list[StackRow]) -> None:
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
    show_table(table, hide_index=True, key="rf_stack_table")
    last, prev = rows[-1], rows[-1].prev
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


def unit_picker(rows: list[StackRow], size: int) -> tuple[StackRow, int, int]:
    """A layer and one of its units: a clickable grid of units (maps up to MAX_GRID a side)
    and, for every map, row and column inputs (the keyboard path). Returns the layer's row and
    the unit."""
    names = [r.layer for r in rows]
    keep_option("rf_pick_layer", names, names[-1])
    pick = st.selectbox(
        "Layer whose unit to inspect", names, key="rf_pick_layer", persist_state=KEEP, bind=LINK
    )
    row = rows[names.index(pick)]
    n = row.out_size
    i, j = (min(v, n - 1) for v in st.session_state.rf_unit)
    if n <= MAX_GRID:
        clickable_grid(
            pixels_seen(row, size),  # (n, n)
            key=f"rf_units_{st.session_state.rf_version}_{pick}",
            on_click=select_unit,
            title=f"units of {pick}",
            hint="input pixels in its field (click: show the field)",
            highlight=(i, j),
        )
        st.caption(
            f"Each cell is one unit of {pick}; its number is how many real input pixels its "
            "field covers (padding excluded): border units, whose fields reach into the "
            "padding, see fewer. Click a unit to outline its field on the input."
        )
    cell_keys((n, n), "rf_unit", (i, j), select_unit, names=("unit row", "unit column"))
    return row, i, j


def field_on_input(row: StackRow, i: int, j: int, size: int) -> None:
    """The unit's field in words and, for a small input, outlined on the input grid."""
    r0, r1 = unit_span(row, i)
    c0, c1 = unit_span(row, j)
    st.markdown(
        f"**Receptive field of unit ({i}, {j})**: rows {span_text(r0, r1, size)}, "
        f"columns {span_text(c0, c1, size)}."
    )
    if size <= MAX_INPUT_GRID:
        fig = grid_figure(coverage(row, size), f"input {size}×{size}")  # (size, size)
        rows_in = range(max(r0, 0), min(r1, size - 1) + 1)
        cols_in = range(max(c0, 0), min(c1, size - 1) + 1)
        if len(rows_in) and len(cols_in):
            add_box(fig, list(rows_in), list(cols_in), CELL_COLOUR)
        show_figure(fig, "rf_input_grid")
        st.caption(
            f"Each cell is one input pixel; its number is how many units of {row.layer} have it "
            "in their field (0: no unit sees it). Centre pixels are seen by more units than "
            "border ones; the outline is the clicked unit's field."
        )


@tab_body
def render() -> None:
    c1, c2 = st.columns([2, 1])
    preset = c1.selectbox(
        "Preset",
        list(PRESETS),
        format_func=option_label,
        key="rf_preset",
        on_change=on_preset,
        persist_state=KEEP,
        bind=LINK,
    )
    size = int(
        c2.number_input(
            "Input side n₀ (pixels)", 1, 4096, key="rf_size", persist_state=KEEP, bind=LINK
        )
    )
    records = layer_editor(preset)
    try:
        rows = stack_table(parse_layers(records), size)
    except LayerError as err:
        st.error(str(err), icon=":material/block:")
        return
    if not predict_then_reveal(  # quiz mode: the field after a layer of the stack
        "rf_field", lambda rng: receptive_field_question(parse_layers(records), size, rng=rng)
    ):
        return  # the table, the growth chart and the units wait for the answer
    field_table(rows)
    code_panel(lambda: rf_code.layer_stack(parse_layers(records), size), "rf_code_stack")
    left, right = st.columns([1, 1])
    show_figure(
        field_growth_figure(
            [r.layer for r in rows], [r.size for r in rows], [r.jump for r in rows], "field size"
        ),
        "rf_growth",
        left,
    )
    with right:
        row, i, j = unit_picker(rows, size)
    field_on_input(row, i, j, size)
