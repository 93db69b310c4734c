"""The Layer list tab (seed 002's exercise): #weights, #units and MACs of each layer of an
editable stack, a per-layer chart whose bars can be clicked (or chosen from the keyboard in the
select box under it), and the chosen layer's arithmetic."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnplay.cost import LAYER_KINDS, SEED002_EXERCISE, LayerSpec, count_stack
from cnnplay.plots.charts import cost_bar_figure
from cnnplay.plots.style import CHART_CONFIG
from cnnplay.quiz import Question, param_count_question
from ui.figures import show_table
from ui.keyboard import option_keys
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from ui.quiz import predict_then_reveal
from views.bottleneck_cost.common import n

EDITOR_KEY = "bn_ex_layers"  # the data editor (its state lives only while it is shown)
BASE_KEY = "bn_ex_base"  # session state: the frame the shown editor was created from
KEPT_KEY = "bn_ex_kept"  # session state: the edited stack, kept when the tab or page is left


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


def stack_editor() -> pd.DataFrame:
    """The editable layer list. Streamlit forgets a data editor's edits once it is not shown
    (another tab, another page), so the edited stack is kept in session state and becomes the
    editor's starting frame when it is shown again. While it is shown it keeps the frame it was
    created from: its state holds added and deleted rows relative to that frame."""
    if EDITOR_KEY not in st.session_state or BASE_KEY not in st.session_state:
        kept = st.session_state.get(KEPT_KEY)
        st.session_state[BASE_KEY] = exercise_frame() if kept is None else kept
    edited = st.data_editor(
        st.session_state[BASE_KEY],
        key=EDITOR_KEY,
        num_rows="dynamic",
        column_config={
            "kind": st.column_config.SelectboxColumn("kind", options=LAYER_KINDS, required=True),
            "size": st.column_config.NumberColumn("size", help="filters (conv) or units (dense)"),
            "kernel": st.column_config.NumberColumn("kernel"),
            "stride": st.column_config.NumberColumn("stride"),
            "same padding": st.column_config.CheckboxColumn("same padding"),
        },
    )
    frame = pd.DataFrame(edited).reset_index(drop=True)
    st.session_state[KEPT_KEY] = frame
    return frame


def show_layer(i: int) -> None:
    """Show layer i's arithmetic (a bar click or the keyboard's choice); a fresh chart key next
    run, so no stale selection is left on the chart."""
    st.session_state.bn_ex_sel = i
    st.session_state.bn_ex_version += 1


def show_layer_asked(q: Question) -> None:
    """Quiz mode's reveal: show the arithmetic of the layer that was asked about."""
    show_layer(q.focus[0])


def select_layer(key: str) -> None:
    """A click on a bar of the exercise chart: show that layer."""
    points = st.session_state[key].selection.points
    if points:
        show_layer(int(points[0]["point_index"]))


@tab_body
def render() -> None:
    st.markdown(
        f"The exercise of {notes_name('002')}: **#weights and #neurons at each layer** of a "
        "256×256×3 image → "
        "conv 16 filters, K = 4, zero padding → max pool K = 4, stride 4 → conv 32 filters, "
        "K = 4, zero padding → max pool 4, stride 4 → flatten → dense 10. Edit, add or delete "
        "rows (kind: " + ", ".join(LAYER_KINDS) + "); click a bar for a layer's arithmetic."
    )
    from_the_notes(("002", "Exercise: #weights and #neurons at each layer?"))
    c1, c2 = st.columns(2)
    channels = c1.number_input(
        "Input channels", 0, 64, 3, key="bn_ex_channels", persist_state=KEEP, bind=LINK
    )
    side = c2.number_input(
        "Input side", 1, 2048, 256, key="bn_ex_side", persist_state=KEEP, bind=LINK
    )
    edited = stack_editor()
    try:
        specs = parse_specs(edited)
        report = count_stack(specs, channels, side)
    except ValueError as err:
        st.error(f"This stack cannot be built: {err}.", icon=":material/block:")
        return
    rows = report.rows
    if not rows:
        st.info("Add a layer to see its cost.")
        return
    if not predict_then_reveal(  # quiz mode: the parameters of one layer of the list
        "bn_params",
        lambda rng: param_count_question(specs, channels, side, rng=rng),
        show_layer_asked,
    ):
        return  # the table, the chart and the arithmetic wait for the answer
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
    show_table(table, key="bn_ex_table")
    weights = sum(r.params - r.biases for r in rows)
    st.markdown(
        f"**Total: {weights:,} weights + {report.params - weights:,} biases = "
        f"{report.params:,} parameters; {report.macs:,} multiply-accumulates.**"
    )
    sel = min(st.session_state.bn_ex_sel, len(rows) - 1)
    metric = st.radio(
        "Bars show",
        ["#units", "#weights", "MACs"],
        horizontal=True,
        key="bn_ex_metric",
        persist_state=KEEP,
        bind=LINK,
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
    option_keys(labels, "bn_ex_pick", sel, show_layer, "Layer whose arithmetic to show")
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
