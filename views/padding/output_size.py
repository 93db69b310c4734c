"""The "Output size & sliding" tab of the Padding page: the output-size formula with its numbers,
the output grid (click a cell to see its footprint on the padded input), and an animation.

The selected output cell lives in session state (``pd_cell``; ``pd_click`` renews the chart's
key after each click, so the next click starts a fresh selection); the row and column inputs
under the grid choose it from the keyboard."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.ops.conv import (
    PADDING_MODES,
    conv2d_naive,
    conv_geometry,
    conv_output_size,
    pad2d,
    torch_conv2d,
)
from cnnplay.plots.grids import add_box, grid_figure, sliding_window_animation
from cnnplay.plots.style import WINDOW_COLOUR, fmt
from cnnplay.quiz import output_size_question
from cnnplay.snippets import conv as conv_code
from ui.code_panel import code_panel
from ui.figures import show_figure
from ui.inputs import clickable_grid
from ui.keyboard import cell_keys
from ui.links import LINK
from ui.page import KEEP, tab_body
from ui.quiz import predict_then_reveal
from views.padding.common import MODE_LABELS

SPEEDS = {"slow": 900, "normal": 500, "fast": 200}  # ms per frame


def axis_controls(suffix: str, container) -> dict[str, int]:
    """n, k, s, p, d for one axis (or both, when suffix is "")."""
    c = container.columns(5)
    return dict(
        n=c[0].number_input(
            "input n", 1, 12, 5, key=f"pd_n{suffix}", persist_state=KEEP, bind=LINK
        ),
        k=c[1].number_input(
            "kernel k", 1, 7, 3, key=f"pd_k{suffix}", persist_state=KEEP, bind=LINK
        ),
        s=c[2].number_input(
            "stride s", 1, 4, 2, key=f"pd_s{suffix}", persist_state=KEEP, bind=LINK
        ),
        p=c[3].number_input(
            "padding p", 0, 4, 1, key=f"pd_p{suffix}", persist_state=KEEP, bind=LINK
        ),
        d=c[4].number_input(
            "dilation d", 1, 4, 1, key=f"pd_d{suffix}", persist_state=KEEP, bind=LINK
        ),
    )


def size_latex(name: str, a: dict[str, int]) -> str:
    """The output-size formula for one axis with its numbers filled in."""
    top = a["n"] + 2 * a["p"] - a["d"] * (a["k"] - 1) - 1
    out = conv_output_size(a["n"], a["k"], a["s"], a["p"], a["d"])
    return (
        rf"{name} = \left\lfloor \frac{{n + 2p - d(k-1) - 1}}{{s}} \right\rfloor + 1"
        rf" = \left\lfloor \frac{{{a['n']} + 2\cdot{a['p']} - {a['d']}\cdot({a['k']}-1) - 1}}"
        rf"{{{a['s']}}} \right\rfloor + 1 = \left\lfloor \frac{{{top}}}{{{a['s']}}} \right\rfloor"
        rf" + 1 = {out}"
    )


def select_cell(i: int, j: int) -> None:
    st.session_state.pd_cell = (i, j)
    st.session_state.pd_click += 1  # a fresh chart key: the next click starts a new selection


def step_cell(delta: int, out_shape: tuple[int, int]) -> None:
    i, j = st.session_state.pd_cell
    n = (i * out_shape[1] + j + delta) % (out_shape[0] * out_shape[1])
    select_cell(*divmod(n, out_shape[1]))


def output_picker(values: np.ndarray) -> None:
    """The output grid; clicking a cell selects it (its footprint is drawn beside), and so does
    typing its row and column (the keyboard path)."""
    clickable_grid(
        values,
        key=f"pd_out_{st.session_state.pd_click}",
        on_click=select_cell,
        title="output (click a cell)",
        hint="(click: show its footprint)",
        highlight=st.session_state.pd_cell,
    )
    cell_keys(
        values.shape,
        "pd_cell",
        st.session_state.pd_cell,
        select_cell,
        names=("output row", "output column"),
    )


def footprint_view(x: np.ndarray, geo, mode: str, y: np.ndarray) -> None:
    """Padded input with the selected output cell's taps outlined, and the sum spelled out."""
    i, j = st.session_state.pd_cell
    padded = pad2d(x, geo.pads, mode)  # (Hp, Wp)
    rows, cols = geo.window(i, j)
    rows, cols = range(rows.start, rows.stop, rows.step), range(cols.start, cols.stop, cols.step)
    top, _, left, _ = geo.pads
    on_pad = sum(
        not (top <= r < top + x.shape[0] and left <= c < left + x.shape[1])
        for r in rows
        for c in cols
    )
    fig = add_box(
        grid_figure(padded, "input, padding in grey", pads=geo.pads), rows, cols, WINDOW_COLOUR
    )
    show_figure(fig, "pd_foot")
    st.markdown(
        f"**footprint of output cell ({i}, {j})**: padded rows {list(rows)}, columns "
        f"{list(cols)}; {on_pad} of its {len(rows) * len(cols)} taps fall on padding. "
        f"With every weight 1 the output is their sum: "
        f"{' + '.join(fmt(padded[r, c]) for r in rows for c in cols)} = **{fmt(y[i, j])}**."
    )


def animation(x: np.ndarray, geo, mode: str, y: np.ndarray, frame_ms: int) -> None:
    """The kernel's taps sliding over the padded input, one frame per output cell."""
    windows = []
    for i in range(y.shape[0]):
        for j in range(y.shape[1]):
            r, c = geo.window(i, j)
            windows.append((range(r.start, r.stop, r.step), range(c.start, c.stop, c.step)))
    show_figure(
        sliding_window_animation(pad2d(x, geo.pads, mode), y, windows, geo.pads, frame_ms=frame_ms),
        "pd_animation",
    )


@tab_body
def render() -> None:
    st.session_state.setdefault("pd_cell", (0, 0))
    st.session_state.setdefault("pd_click", 0)
    per_axis = st.toggle(
        "Different values for rows and columns (rectangular)",
        key="pd_axes",
        persist_state=KEEP,
        bind=LINK,
    )
    if per_axis:
        rows_ax = axis_controls("h", st.container())
        st.caption("↑ rows (height) · ↓ columns (width)")
        cols_ax = axis_controls("w", st.container())
    else:
        rows_ax = cols_ax = axis_controls("", st.container())
    mode = st.selectbox(
        "Padding mode",
        PADDING_MODES,
        format_func=MODE_LABELS.get,
        key="pd_mode",
        persist_state=KEEP,
        bind=LINK,
    )
    if not predict_then_reveal("pd_size", lambda rng: output_size_question(**rows_ax, name="H'")):
        return  # quiz mode: the size, its formula and the grids wait for the answer
    st.latex(size_latex("H'", rows_ax))
    if per_axis:
        st.latex(size_latex("W'", cols_ax))
    in_shape = (rows_ax["n"], cols_ax["n"])
    kernel = np.ones((rows_ax["k"], cols_ax["k"]))
    settings = dict(
        stride=(rows_ax["s"], cols_ax["s"]),
        padding=(rows_ax["p"], cols_ax["p"]),
        dilation=(rows_ax["d"], cols_ax["d"]),
    )
    x = (np.arange(in_shape[0] * in_shape[1]) % 9 + 1.0).reshape(in_shape)  # values 1 … 9
    try:
        geo = conv_geometry(in_shape, kernel.shape, **settings)
        y = conv2d_naive(x, kernel, **settings, padding_mode=mode)
    except ValueError as err:
        st.error(f"This convolution cannot be computed: {err}.", icon=":material/block:")
        try:
            torch_conv2d(x, kernel, **settings, padding_mode=mode)
        except ValueError as torch_err:
            st.caption(f"PyTorch agrees: {torch_err}")
        return
    ref = torch_conv2d(x, kernel, **settings, padding_mode=mode)
    same = ref.shape == y.shape and np.allclose(ref, y)
    st.markdown(
        f"Output **{y.shape[0]}×{y.shape[1]}** "
        + (
            f"— checked against torch ✓ (`F.conv2d` gives {ref.shape[0]}×{ref.shape[1]}, "
            "same values)"
            if same
            else "— torch disagrees ✗"
        )
    )
    st.session_state.pd_cell = tuple(
        min(v, n - 1) for v, n in zip(st.session_state.pd_cell, y.shape, strict=True)
    )
    c_out, c_in = st.columns([1, 2])
    with c_out:
        output_picker(y)
        b1, b2 = st.columns(2)
        b1.button("◀ step", key="pd_prev", on_click=step_cell, args=(-1, y.shape))
        b2.button("step ▶", key="pd_next", on_click=step_cell, args=(1, y.shape))
    with c_in:
        footprint_view(x, geo, mode, y)
    st.caption(
        "Input values are 1 … 9 repeating and every kernel weight is 1, so each output cell "
        "is the sum of what its footprint covers (padding cells count as the mode fills them)."
    )
    code_panel(
        lambda: conv_code.conv2d(x, kernel, None, **settings, padding_mode=mode), "pd_code_size"
    )
    a1, a2 = st.columns([2, 1])
    animate = a1.toggle(
        "▶ Animate the sliding kernel (plays in your browser)",
        key="pd_anim",
        value=False,
        persist_state=KEEP,
        bind=LINK,
    )
    speed = a2.select_slider(
        "speed", list(SPEEDS), value="normal", key="pd_speed", persist_state=KEEP, bind=LINK
    )
    if animate:
        animation(x, geo, mode, y, SPEEDS[speed])
