"""Pooling: shrink a feature map window by window, keeping the max or the mean (seeds 000, 002)."""

import time

import numpy as np
import pandas as pd
import streamlit as st

from cnnplay.device import get_device
from cnnplay.grids import PLUS_3
from cnnplay.ops.pool import (
    POOL_GRIDS,
    SEED002_DETECTOR_ROW,
    SEED002_UNPOOL,
    global_avg_pool,
    max_pool_grad_autograd,
    max_pool_grad_rule,
    max_unpool2d,
    pool2d_naive,
    pool_geometry,
    pool_image,
    pooling_savings,
    translation_effect,
    unpool_bed_of_nails,
    unpool_nearest,
)
from cnnplay.plots.grids import add_box, grid_figure, mark_cells, pooling_animation
from cnnplay.plots.style import CHANGED_COLOUR, WINDOW_COLOUR, WINNER_COLOUR, fmt
from ui.figures import show_figure
from ui.inputs import clickable_grid, image_picker, matrix_editor, show_notes

MODES = {"max": "max pooling", "avg": "average pooling", "global": "global average pooling"}
INVARIANCE_INPUTS = {  # name -> (input, kernel or None, fill for vacated cells, window is a row)
    "Seed 002: one row of detector outputs": (SEED002_DETECTOR_ROW, None, 0.0, True),
    "9×9 + through the + kernel": (POOL_GRIDS["9×9 + (±1)"](), PLUS_3, -1.0, False),
    "Seed 003: 9×9 X, no kernel": (POOL_GRIDS["Seed 003: 9×9 X (±1)"](), None, -1.0, False),
}
DEFAULTS = dict(
    pl_mode="max",
    pl_size=2,
    pl_stride=2,
    pl_source=next(iter(POOL_GRIDS)),
    pl_sel=(0, 0, 0),
    pl_version=0,
)
for key, value in DEFAULTS.items():
    st.session_state.setdefault(key, value)


def cells_of(indices: np.ndarray, width: int) -> list[tuple[int, int]]:
    """Flattened per-plane indices (H', W') -> distinct (row, col) input cells."""
    return sorted({divmod(int(n), width) for n in np.ravel(indices)})


st.title("Pooling")
st.markdown(
    "A **pooling** layer slides a window over each feature map and keeps one number per place: "
    "the **max** (did the pattern appear here?) or the **average**. It has no weights to learn; "
    "it makes the maps smaller, so later layers have less to do and each of their cells sees "
    "more of the image. **Global average pooling** keeps one number per channel."
)
st.latex(
    r"y_{i,j} = \max_{0 \le u,v < k} x_{i s + u,\; j s + v}"
    r"\qquad\text{or}\qquad y_{i,j} = \frac{1}{k^2}\sum_{0 \le u,v < k} x_{i s + u,\; j s + v}"
)

c_mode, c_size, c_stride = st.columns([2, 1, 1])
mode = c_mode.radio("Pooling", list(MODES), format_func=MODES.get, horizontal=True, key="pl_mode")
size = c_size.number_input("Window size k", 1, 16, key="pl_size", disabled=mode == "global")
stride = c_stride.number_input(
    "Stride s",
    0,
    16,
    key="pl_stride",
    disabled=mode == "global",
    help="How far the window moves each step; smaller than k: the windows overlap.",
)


def explain_error(err: ValueError, shape: tuple[int, int]) -> None:
    fix = "Choose a smaller window." if "larger" in str(err) else "Choose a stride of at least 1."
    st.error(
        f"A {size}×{size} window with stride {stride} cannot pool this "
        f"{shape[0]}×{shape[1]} input: {err}. {fix}",
        icon=":material/block:",
    )


def select_cell(c: int, i: int, j: int) -> None:
    st.session_state.pl_sel = (c, i, j)
    st.session_state.pl_version += 1  # a fresh chart key: the next click starts a new selection


def clickable_output(values: np.ndarray, c: int, title: str, selected: tuple[int, int] | None):
    """The pooled map of channel c; a click on a cell shows its window."""
    clickable_grid(
        values,
        key=f"pl_out_{st.session_state.pl_version}_{c}",
        on_click=lambda i, j: select_cell(c, i, j),
        title=title,
        hint="(click: show its window)",
        highlight=selected,
    )


def grid_input() -> np.ndarray:
    """The grid to pool, (C, H, W): a preset, editable cell by cell."""
    source = st.selectbox("Input", list(POOL_GRIDS), key="pl_source")
    base = POOL_GRIDS[source]()
    base = base[None] if base.ndim == 2 else base
    with st.expander("Type exact values"):
        return np.stack(
            [
                matrix_editor(
                    base[c],
                    key=f"pl_ed_{source}_{c}",
                    step=0.1,
                    label=f"channel {c + 1}" if len(base) > 1 else None,
                )
                for c in range(len(base))
            ]
        )


def grid_global(x: np.ndarray) -> None:
    """Global average pooling: one number per channel."""
    means = global_avg_pool(x)  # (C,)
    h, w = x.shape[1:]
    for c, mean in enumerate(means):
        st.latex(
            rf"\text{{GAP}}_{{{c + 1}}} = \frac{{1}}{{{h}\cdot{w}}}\sum_{{r,c}} x_{{r,c}}"
            rf" = \frac{{{fmt(round(x[c].sum(), 4))}}}{{{h * w}}} = {fmt(round(mean, 4))}"
        )
    st.markdown(
        f"**{x.size} values → {len(means)}**: one per channel, whatever the input's size. "
        "That is why a CNN that ends in global average pooling accepts images of any size "
        "(the same numbers as `F.adaptive_avg_pool2d(x, 1)`)."
    )


def grid_tab() -> np.ndarray | None:
    """Pool the chosen grid; returns the input (C, H, W) for the other tabs."""
    x = grid_input()
    if mode == "global":
        grid_global(x)
        return x
    h, w = x.shape[1:]
    try:
        geo = pool_geometry((h, w), size, stride)
    except ValueError as err:
        explain_error(err, (h, w))
        return None
    (ho, wo) = geo.out_shape
    st.latex(
        rf"H' = \left\lfloor \frac{{H - k}}{{s}} \right\rfloor + 1"
        rf" = \left\lfloor \frac{{{h} - {size}}}{{{stride}}} \right\rfloor + 1 = {ho}"
        + (
            rf",\quad W' = \left\lfloor \frac{{{w} - {size}}}{{{stride}}} \right\rfloor + 1 = {wo}"
            if w != h
            else ""
        )
    )
    kept = ho * wo
    st.markdown(
        f"Each channel: **{h}×{w} = {h * w} values → {ho}×{wo} = {kept}** "
        f"({100 * (1 - kept / (h * w)):.0f}% fewer)."
        + (
            " The windows **overlap** (stride < size): one cell is read by several windows"
            + (" and can win several of them." if mode == "max" else ".")
            if geo.overlapping
            else ""
        )
        + (
            f" {h - (ho - 1) * stride - size} row(s) at the bottom are never read."
            if (h - size) % stride
            else ""
        )
    )
    y, idx = pool2d_naive(x, size, stride, mode="max", return_indices=True)
    if mode == "avg":
        y = pool2d_naive(x, size, stride, mode="avg")
    c_sel, i_sel, j_sel = st.session_state.pl_sel
    if c_sel >= len(x) or i_sel >= ho or j_sel >= wo:
        c_sel, i_sel, j_sel = st.session_state.pl_sel = (0, 0, 0)
    rows, cols = geo.window(i_sel, j_sel)
    for c in range(len(x)):
        label = f" (channel {c + 1})" if len(x) > 1 else ""
        left, right = st.columns([1.3, 1])
        fig = grid_figure(x[c], f"input{label}")
        if mode == "max":
            mark_cells(fig, cells_of(idx[c], w), WINNER_COLOUR)
        if c == c_sel:
            add_box(fig, rows, cols, WINDOW_COLOUR)
        show_figure(fig, f"pl_in_{c}", left)
        with right:
            clickable_output(
                y[c], c, f"{MODES[mode]}{label}", (i_sel, j_sel) if c == c_sel else None
            )
    if mode == "max":
        st.caption(
            "Purple outlines: the cells that won a max. Click an output cell to see its window."
        )
    window = x[c_sel, rows.start : rows.stop, cols.start : cols.stop]
    values = ", ".join(fmt(v) for v in window.ravel())
    where = f" (channel {c_sel + 1})" if len(x) > 1 else ""
    head = (
        f"**Window of output cell ({i_sel}, {j_sel})**{where}: rows {rows[0]}–{rows[-1]}, "
        f"columns {cols[0]}–{cols[-1]}, values {values}. "
    )
    if mode == "max":
        r, col = divmod(int(idx[c_sel, i_sel, j_sel]), w)
        ties = int(np.sum(window == window.max()))
        st.markdown(
            head
            + f"The max **{fmt(y[c_sel, i_sel, j_sel])}** is won by input cell **({r}, {col})**"
            + (
                f"; {ties} cells tie, and the first in row-major order wins (as in torch)."
                if ties > 1
                else "."
            )
        )
    else:
        st.markdown(
            head + f"Their mean: {fmt(round(window.sum(), 4))} / {window.size} = "
            f"**{fmt(round(y[c_sel, i_sel, j_sel], 4))}**."
        )
    if st.toggle(
        "▶ Watch the window slide (an animation that plays in your browser)", key="pl_animate"
    ):
        winners = [divmod(int(n), w) for n in idx[c_sel].ravel()] if mode == "max" else None
        show_figure(pooling_animation(x[c_sel], y[c_sel], geo.windows(), winners), "pl_animation")
    return x


def photo_tab() -> None:
    left, right = st.columns([1, 2])
    with left:
        picked = image_picker("pl_ph", max_side=512, default="chelsea (cat)")
        show_notes(picked)
    image = picked.pixels
    with right:
        try:
            start = time.perf_counter()
            out = pool_image(image, size, stride, mode=mode)
            ms = (time.perf_counter() - start) * 1000
        except ValueError as err:
            explain_error(err, image.shape[:2])
            return
        c_in, c_out = st.columns(2)
        c_in.image(image, caption=f"input, {image.shape[1]}×{image.shape[0]}", width="stretch")
        what = MODES[mode] if mode == "global" else f"{MODES[mode]} {size}×{size}, stride {stride}"
        c_out.image(
            np.clip(out, 0, 255).astype(np.uint8),
            caption=f"{what} → {out.shape[1]}×{out.shape[0]}",
            width="stretch",
        )
        st.markdown(
            f"**{image.shape[0] * image.shape[1]:,} → {out.shape[0] * out.shape[1]:,} pixels** "
            f"per channel, computed with torch on {get_device().type.upper()} in {ms:.0f} ms. "
            "Both are drawn at the same width: max pooling keeps bright details (whiskers, "
            "highlights), average pooling blurs them."
        )


def unpool_tab() -> None:
    st.markdown(
        "Pooling throws cells away. To go back up (a decoder, a DeconvNet), seed 002 gives three "
        "ways. **Max unpooling** uses what max pooling remembered: *where* each max came from."
    )
    c1, c2 = st.columns(2)
    with c1:
        x = matrix_editor(SEED002_UNPOOL, key="pl_un_x", step=1.0, label="Input (4×4)")
    with c2:
        later = matrix_editor(
            np.array([[1.0, 2], [3, 4]]),
            key="pl_un_y",
            step=1.0,
            label="Values from the rest of the network (2×2), to put back",
        )
    y, idx = pool2d_naive(x, 2, return_indices=True)
    cols = st.columns(5)
    fig = mark_cells(grid_figure(x, "input"), cells_of(idx, 4), WINNER_COLOUR)
    show_figure(fig, "pl_un_in", cols[0])
    show_figure(grid_figure(y, "max pool 2×2"), "pl_un_pooled", cols[1])
    unpooled = max_unpool2d(later, idx, (4, 4))
    fig = mark_cells(grid_figure(unpooled, "max unpooling"), cells_of(idx, 4), WINNER_COLOUR)
    show_figure(fig, "pl_un_max", cols[2])
    show_figure(grid_figure(unpool_nearest(later, 2), "nearest neighbour"), "pl_un_nn", cols[3])
    show_figure(
        grid_figure(unpool_bed_of_nails(later, 2), '"bed of nails"'), "pl_un_nails", cols[4]
    )
    remembered = ", ".join(f"({r}, {c})" for r, c in (divmod(int(n), 4) for n in idx.ravel()))
    st.markdown(
        f"Remembered positions of the maxima: **{remembered}** (torch's flattened indices "
        f"{', '.join(str(int(n)) for n in idx.ravel())}). Max unpooling puts each value there; "
        "nearest neighbour copies it into the whole 2×2 block; bed of nails puts it in the "
        "block's top-left corner. Every other cell is 0."
    )


def backprop_tab(x: np.ndarray | None) -> None:
    st.markdown(
        "Max pooling has no weights, but gradients must pass through it. The max is "
        "non-differentiable only at ties; elsewhere it is 1 for the winner and 0 for the rest. "
        "So: **remember the index of each max in the forward pass, and send each output's "
        "gradient back to that cell only** (cells that win several overlapping windows add up)."
    )
    st.latex(
        r"\frac{\partial L}{\partial x_{r,c}} = \sum_{(i,j)\,:\;\arg\max(i,j) = (r,c)}"
        r" \frac{\partial L}{\partial y_{i,j}}"
    )
    if x is None or mode == "global":
        st.info("Choose a window that fits the grid (and max or average pooling) above.")
        return
    c = st.session_state.pl_sel[0]
    plane = x[c]
    upstream_kind = st.radio(
        "Gradient arriving from the next layer, ∂L/∂y",
        ["all ones", "1, 2, 3, … (one number per output cell)"],
        horizontal=True,
        key="pl_upstream",
    )
    _, idx = pool2d_naive(plane, size, stride, return_indices=True)
    ho, wo = idx.shape
    upstream = (
        np.ones((ho, wo))
        if upstream_kind == "all ones"
        else np.arange(1.0, ho * wo + 1).reshape(ho, wo)
    )
    rule = max_pool_grad_rule(idx, upstream, plane.shape)
    auto = max_pool_grad_autograd(plane, size, stride, upstream)
    cols = st.columns(4)
    winners = cells_of(idx, plane.shape[1])
    show_figure(
        mark_cells(grid_figure(plane, "input x"), winners, WINNER_COLOUR), "pl_bp_x", cols[0]
    )
    show_figure(grid_figure(upstream, "∂L/∂y"), "pl_bp_up", cols[1])
    show_figure(
        mark_cells(grid_figure(rule, "rule: to the argmax"), winners, WINNER_COLOUR),
        "pl_bp_rule",
        cols[2],
    )
    show_figure(grid_figure(auto, "autograd (torch)"), "pl_bp_auto", cols[3])
    diff = float(np.abs(rule - auto).max())
    zero = int(np.sum(auto == 0))
    multi = int(np.sum(np.bincount(idx.ravel()) > 1))
    st.markdown(
        f"Autograd and the rule **{'agree' if diff < 1e-12 else 'differ'}** (largest difference "
        f"{diff:.3g}). **{zero} of {plane.size}** input cells get no gradient at all"
        + (f"; **{multi}** cell(s) won more than one window and collect the sum." if multi else ".")
    )
    if mode == "avg":
        st.caption(
            "You chose average pooling above: its gradient is spread evenly instead, "
            f"1/{size * size} of each output's gradient to every cell of its window."
        )


def invariance_tab() -> None:
    st.markdown(
        "Seed 002: a convolution's feature map is **equivariant** to translation (shift the input "
        "and the map shifts: almost every value changes), the max-pooled map is (partly) "
        "**invariant** (many values stay the same). Use max pooling when you care more about "
        "*whether* a feature is present than exactly where."
    )
    c1, c2, c3, c4 = st.columns([2, 1, 1, 1])
    name = c1.selectbox("Input", list(INVARIANCE_INPUTS), key="pl_inv_src")
    source, kernel, fill, is_row = INVARIANCE_INPUTS[name]
    dx = c2.number_input("shift right by", 0, 4, 1, key="pl_inv_dx")
    dy = c3.number_input("shift down by", 0, 4, 0, key="pl_inv_dy", disabled=is_row)
    k = c4.number_input("max-pool window", 1, 9, 3, key="pl_inv_k")
    window = (1, k) if is_row else (k, k)
    inv_stride = 1 if is_row else k
    try:
        effect = translation_effect(
            source, 0 if is_row else dy, dx, window, inv_stride, kernel, fill
        )
    except ValueError as err:
        st.error(f"This window does not fit the feature map: {err}.", icon=":material/block:")
        return
    what = "the row itself" if kernel is None else "the + kernel's valid feature map"
    st.caption(
        f"Feature map: {what}; pooled with a {window[0]}×{window[1]} max pool, "
        f"stride {inv_stride}. Black outlines: values that changed."
    )
    figs = [
        (effect.raw, None, "feature map"),
        (effect.raw_shifted, effect.raw_changed, "feature map, input shifted"),
        (effect.pooled, None, "max-pooled"),
        (effect.pooled_shifted, effect.pooled_changed, "max-pooled, input shifted"),
    ]
    cols = st.columns(2 if is_row else 4)
    for n, (values, changed, title) in enumerate(figs):
        fig = grid_figure(values, title)
        if changed is not None:
            mark_cells(fig, list(zip(*np.nonzero(changed), strict=True)), CHANGED_COLOUR)
        show_figure(fig, f"pl_inv_{n}", cols[n % len(cols)])
    raw_n, pool_n = int(effect.raw_changed.sum()), int(effect.pooled_changed.sum())
    st.markdown(
        f"Raw feature map: **{raw_n} of {effect.raw.size}** values changed "
        f"({100 * raw_n / effect.raw.size:.0f}%).  \n"
        f"Max-pooled map: **{pool_n} of {effect.pooled.size}** values changed "
        f"({100 * pool_n / effect.pooled.size:.0f}%)."
    )


def savings_tab() -> None:
    st.markdown(
        "A small stack of zero-padded 3×3 convolutions (3 → 16 → 32 → 64 channels), with a max "
        "pool after each, against the same stack without pooling."
    )
    c1, c2 = st.columns(2)
    side = c1.number_input("Input side (pixels)", 8, 1024, 64, key="pl_sv_side")
    pool = c2.number_input("Pool window (= stride)", 2, 4, 2, key="pl_sv_pool")
    rows = pooling_savings(side, (3, 16, 32, 64), 3, pool)
    table = pd.DataFrame(
        {
            "layer": [r.layer for r in rows],
            "map with pooling": [f"{r.side_pooled}×{r.side_pooled}" for r in rows],
            "map without": [f"{r.side_plain}×{r.side_plain}" for r in rows],
            "values with pooling": [r.values_pooled for r in rows],
            "values without": [r.values_plain for r in rows],
            "multiply-adds with pooling": [r.macs_pooled for r in rows],
            "multiply-adds without": [r.macs_plain for r in rows],
        }
    )
    st.dataframe(table, hide_index=True, key="pl_sv_table")
    with_pool = sum(r.macs_pooled for r in rows)
    without = sum(r.macs_plain for r in rows)
    sides = r" \to ".join(str(r.side_pooled) for r in rows if r.layer.startswith(("input", "max")))
    st.latex(
        rf"\text{{sides: }} {sides};\quad \text{{multiply-adds: }} {with_pool:,}"
        rf" \text{{ vs }} {without:,} \;(\times {without / max(with_pool, 1):.1f})".replace(
            ",", "{,}"
        )
    )


tabs = st.tabs(["Pool a grid", "Photo", "Undo pooling", "Backprop", "Invariance", "Saving work"])
with tabs[0]:
    grid = grid_tab()
with tabs[1]:
    photo_tab()
with tabs[2]:
    unpool_tab()
with tabs[3]:
    backprop_tab(grid)
with tabs[4]:
    invariance_tab()
with tabs[5]:
    savings_tab()
