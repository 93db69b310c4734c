"""Padding, stride & dilation: output sizes, padding modes, shrinking stacks and transposed
convolution (seeds 000, 001, 002, 004)."""

import numpy as np
import streamlit as st

from cnnplay.ops.conv import (
    PADDING_MODES,
    border_zoom,
    conv2d_naive,
    conv_geometry,
    conv_matrix,
    conv_matrix_taps,
    conv_output_size,
    conv_transpose2d_naive,
    conv_transpose_output_size,
    conv_transpose_stamps,
    is_toeplitz,
    multiply_count,
    pad2d,
    stack_sizes,
    torch_conv2d,
    torch_conv_transpose2d,
)
from cnnplay.plots.grids import add_box, grid_figure, size_stack_figure, sliding_window_animation
from cnnplay.plots.style import CELL_COLOUR, WINDOW_COLOUR, fmt
from ui.figures import show_figure
from ui.inputs import clickable_grid, image_picker, matrix_editor, show_notes

MODE_LABELS = {
    "zeros": "zeros",
    "reflect": 'reflect ("mirroring")',
    "replicate": 'replicate ("repetition")',
    "circular": "circular (wrap around)",
}
MODE_INVENTS = {
    "zeros": "a dark frame of 0s: edges look like strong edges to a kernel.",
    "reflect": "the image mirrored at its border, without repeating the edge row.",
    "replicate": "the edge row and column stretched outwards: streaks.",
    "circular": "the opposite side of the image: the bottom shows up above the top.",
}
SPEEDS = {"slow": 900, "normal": 500, "fast": 200}  # ms per frame
AXES = ("rows (height)", "columns (width)")
TRANS_X = np.array([[0.0, 1.0], [2.0, 3.0]])  # seed 001's trans_conv example (as in d2l)
TRANS_K = np.array([[0.0, 1.0], [2.0, 3.0]])
MATRIX_VIEWS = {
    "seed 002: 1D, K = 3, stride 1, padding 1": 1,
    "seed 002: 1D, K = 3, stride 2, padding 1": 2,
}


st.title("Padding, stride & dilation")
st.markdown(
    "Where a kernel may go decides how big the output is. **Padding** adds cells around the "
    "input, **stride** jumps several cells between positions, **dilation** spreads the kernel's "
    "taps apart. A **transposed convolution** runs the arrow backwards and makes an image bigger."
)
size_tab, modes_tab, stack_tab, trans_tab = st.tabs(
    [
        "Output size & sliding",
        "Padding modes",
        "Shrinking, stride, dilation",
        "Transposed convolution",
    ]
)


# --- output size and the sliding kernel ------------------------------------------------------


def axis_controls(suffix: str, container) -> dict[str, int]:
    """n, k, s, p, d for one axis (or both, when suffix is "")."""
    c = container.columns(5)
    return dict(
        n=c[0].number_input("input n", 1, 12, 5, key=f"pd_n{suffix}"),
        k=c[1].number_input("kernel k", 1, 7, 3, key=f"pd_k{suffix}"),
        s=c[2].number_input("stride s", 1, 4, 2, key=f"pd_s{suffix}"),
        p=c[3].number_input("padding p", 0, 4, 1, key=f"pd_p{suffix}"),
        d=c[4].number_input("dilation d", 1, 4, 1, key=f"pd_d{suffix}"),
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
    """The output grid; clicking a cell selects it (its footprint is drawn beside)."""
    clickable_grid(
        values,
        key=f"pd_out_{st.session_state.pd_click}",
        on_click=select_cell,
        title="output (click a cell)",
        hint="(click: show its footprint)",
        highlight=st.session_state.pd_cell,
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


with size_tab:
    st.session_state.setdefault("pd_cell", (0, 0))
    st.session_state.setdefault("pd_click", 0)
    per_axis = st.toggle("Different values for rows and columns (rectangular)", key="pd_axes")
    if per_axis:
        rows_ax = axis_controls("h", st.container())
        st.caption("↑ rows (height) · ↓ columns (width)")
        cols_ax = axis_controls("w", st.container())
    else:
        rows_ax = cols_ax = axis_controls("", st.container())
    mode = st.selectbox("Padding mode", PADDING_MODES, format_func=MODE_LABELS.get, key="pd_mode")
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
        geo = None
    if geo is not None:
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
        a1, a2 = st.columns([2, 1])
        animate = a1.toggle(
            "▶ Animate the sliding kernel (plays in your browser)", key="pd_anim", value=False
        )
        speed = a2.select_slider("speed", list(SPEEDS), value="normal", key="pd_speed")
        if animate:
            windows = []
            for i in range(y.shape[0]):
                for j in range(y.shape[1]):
                    r, c = geo.window(i, j)
                    windows.append((range(r.start, r.stop, r.step), range(c.start, c.stop, c.step)))
            show_figure(
                sliding_window_animation(
                    pad2d(x, geo.pads, mode), y, windows, geo.pads, frame_ms=SPEEDS[speed]
                ),
                "pd_animation",
            )


# --- padding modes -----------------------------------------------------------------------------

with modes_tab:
    st.markdown(
        "Near the border the kernel needs cells that do not exist. The notes list the choices: "
        "skip those positions (valid: the output shrinks), **zero padding**, **mirroring** "
        "(reflect) and **repetition** (replicate); torch adds **circular**. Here is what each "
        "one invents."
    )
    pad = st.slider("Pad by", 1, 4, 2, key="pd_mpad")
    grid = matrix_editor(
        np.arange(1.0, 17.0).reshape(4, 4), key="pd_grid", step=1.0, label="A 4×4 grid (editable)"
    )
    for col, name in zip(st.columns(4), PADDING_MODES, strict=True):
        try:
            padded = pad2d(grid, (pad,) * 4, name)
        except ValueError as err:
            col.warning(f"{MODE_LABELS[name]}: {err}", icon=":material/warning:")
            continue
        show_figure(grid_figure(padded, MODE_LABELS[name], pads=(pad,) * 4), f"pd_mode_{name}", col)
        col.caption(f"Invents {MODE_INVENTS[name]}")

    st.subheader("On a photo's corner")
    left, right = st.columns([1, 3])
    with left:
        picked = image_picker("pd_ph", max_side=256, default="astronaut")
        show_notes(picked)
        crop = st.slider("corner size (pixels)", 8, 48, 24, key="pd_crop")
        photo_pad = st.slider("padding (pixels)", 1, 24, 8, key="pd_ppad")
    with right:
        for col, name in zip(st.columns(2) * 2, PADDING_MODES, strict=True):
            try:
                zoom = border_zoom(picked.pixels, photo_pad, name, crop, scale=6)
            except ValueError as err:
                col.warning(f"{MODE_LABELS[name]}: {err}", icon=":material/warning:")
                continue
            col.image(
                zoom,
                caption=f"{MODE_LABELS[name]}: the top-left {crop}×{crop} pixels start "
                f"{photo_pad} pixels in",
                width=300,
            )


# --- shrinking stacks, stride, dilation --------------------------------------------------------

with stack_tab:
    c1, c2, c3 = st.columns(3)
    n = c1.number_input("image side n", 4, 256, 32, key="pd_sn")
    f = c2.select_slider("kernel f", [1, 3, 5, 7], value=5, key="pd_sf")
    layers = c3.slider("layers L", 1, 20, 10, key="pd_sl")
    valid, same = stack_sizes(n, f, layers), stack_sizes(n, f, layers, same=True)
    st.markdown(
        "Each **valid** convolution keeps only the positions where the whole kernel fits: "
        f"n − f + 1 = {n} − {f} + 1 = **{n - f + 1}**. After L layers the side is "
        "n − L(f − 1), so a deep stack runs out of pixels; **same** padding, (f − 1)/2 on each "
        "side, keeps the size."
    )
    gone = len(valid) - 1 if valid[-1] == 0 else None
    st.latex(
        rf"n_L = n - L(f-1) = {n} - {layers}\cdot({f}-1) = {n - layers * (f - 1)}"
        + (r"\ \le 0" if gone else "")
    )
    if gone:
        st.warning(
            f"Valid convolutions: no pixels left after layer {gone} (only {valid[-2]} "
            f"pixel(s) wide before it, and the kernel is {f} wide).",
            icon=":material/warning:",
        )
    show_figure(
        size_stack_figure({"valid": valid, '"same" padding': same}, "side after each layer"),
        "pd_stack",
    )

    st.subheader("Stride skips positions and saves work")
    sd = st.slider("stride", 1, 4, 2, key="pd_sst")
    counts = {s: multiply_count((n, n), (f, f), stride=s, padding=(f - 1) // 2) for s in (1, sd)}
    out_s = conv_output_size(n, f, sd, (f - 1) // 2)
    st.markdown(
        f"With padding {(f - 1) // 2}, a {f}×{f} kernel on {n}×{n}: stride 1 computes "
        f"{conv_output_size(n, f, 1, (f - 1) // 2)}² positions, **{counts[1]:,}** multiplications; "
        f"stride {sd} computes {out_s}² positions, **{counts[sd]:,}** multiplications "
        f"({counts[1] / counts[sd]:.1f}× fewer)."
    )

    st.subheader("Dilation widens the view without more weights")
    dil = st.slider("dilation", 1, 4, 2, key="pd_sd")
    span = dil * (f - 1) + 1
    st.markdown(
        "| dilation d | span d(k−1)+1 | weights |\n|---|---|---|\n"
        + "\n".join(
            f"| {d}{' ←' if d == dil else ''} | {d * (f - 1) + 1}×{d * (f - 1) + 1} | {f * f} |"
            for d in range(1, 5)
        )
    )
    taps = range(0, span, dil)
    show_figure(
        add_box(
            grid_figure(
                np.zeros((span, span)),
                f"{f}×{f} kernel, d = {dil}: {f * f} taps over {span}×{span}",
                show_values=False,
            ),
            taps,
            taps,
            WINDOW_COLOUR,
        ),
        "pd_dil",
    )


# --- transposed convolution --------------------------------------------------------------------


def symbol_matrix(taps: np.ndarray, names: list[str]) -> str:
    """A bmatrix with the kernel's symbol where a tap sits and 0 elsewhere."""
    rows = [" & ".join(names[t] if t >= 0 else "0" for t in row) for row in taps]
    return r"\begin{bmatrix}" + r"\\".join(rows) + r"\end{bmatrix}"


def vector(entries: list[str]) -> str:
    return r"\begin{bmatrix}" + r"\\".join(entries) + r"\end{bmatrix}"


with trans_tab:
    st.markdown(
        "Seed 001's `trans_conv`: every input value **stamps** a scaled copy of the kernel into "
        "the output, `Y[i:i+h, j:j+w] += X[i, j] * K`; overlapping stamps add up. With stride s "
        "the stamps land s cells apart; padding p then crops p rows and columns from each side."
    )
    c1, c2, c3, c4 = st.columns([1, 1, 0.7, 0.7])
    with c1:
        tx = matrix_editor(TRANS_X, key="pd_tx", step=1.0, label="input X")
    with c2:
        tk = matrix_editor(TRANS_K, key="pd_tk", step=1.0, label="kernel K")
    ts = c3.number_input("stride", 1, 3, 1, key="pd_ts")
    tp = c4.number_input("padding", 0, 3, 0, key="pd_tp")
    sizes = [conv_transpose_output_size(tx.shape[a], tk.shape[a], ts, tp) for a in (0, 1)]
    st.latex(
        rf"H' = (n-1)s - 2p + k = ({tx.shape[0]}-1)\cdot{ts} - 2\cdot{tp} + {tk.shape[0]}"
        rf" = {sizes[0]}"
    )
    stamps = conv_transpose_stamps(tx, tk, ts)
    n_stamps = len(stamps)
    step = st.slider("stamps added", 1, n_stamps, n_stamps, key="pd_tstep")
    s_now = stamps[step - 1]
    full = s_now.total
    crop = (tp, tp, tp, tp)
    cols = st.columns(3)
    show_figure(
        add_box(grid_figure(tx, "input X"), [s_now.i], [s_now.j], CELL_COLOUR), "pd_tin", cols[0]
    )
    show_figure(
        grid_figure(s_now.stamp, f"X[{s_now.i}, {s_now.j}] × K = {fmt(s_now.value)} × K"),
        "pd_tstamp",
        cols[1],
    )
    show_figure(
        add_box(
            grid_figure(
                full,
                f"output after {step} stamp(s)" + (", cropped in grey" if tp else ""),
                pads=crop if min(full.shape) > 2 * tp else (0, 0, 0, 0),
            ),
            s_now.rows,
            s_now.cols,
            WINDOW_COLOUR,
        ),
        "pd_tout",
        cols[2],
    )
    try:
        ty = conv_transpose2d_naive(tx, tk, ts, tp)
    except ValueError as err:
        st.error(f"This transposed convolution cannot be computed: {err}.", icon=":material/block:")
    else:
        w_big = conv_matrix(ty.shape, tk, ts, tp)  # (n·n, H'·W'): the convolution going back
        st.markdown(
            f"The same result as a matrix: the {ty.shape[0]}×{ty.shape[1]} → "
            f"{tx.shape[0]}×{tx.shape[1]} convolution with K (stride {ts}, padding {tp}) is a "
            f"{w_big.shape[0]}×{w_big.shape[1]} matrix W, and Wᵀ·vec(X) gives the output "
            + ("✓" if np.allclose(w_big.T @ tx.ravel(), ty.ravel()) else "✗")
        )
        ref = torch_conv_transpose2d(tx, tk, ts, tp)
        st.markdown(
            f"Result {ty.shape[0]}×{ty.shape[1]}: "
            + ", ".join("[" + ", ".join(fmt(v) for v in row) + "]" for row in ty)
            + (
                " — checked against torch ✓ (`F.conv_transpose2d`)"
                if ref.shape == ty.shape and np.allclose(ref, ty)
                else " — torch disagrees ✗"
            )
        )

    st.subheader("Why “transposed”? The matrix view (seed 002)")
    view = st.radio("Example", list(MATRIX_VIEWS), key="pd_mx", horizontal=True)
    stride = MATRIX_VIEWS[view]
    taps = conv_matrix_taps((1, 4), (1, 3), stride=stride, padding=(0, 1), on_padded=True)
    names = ["x", "y", "z"]
    outs = ["a'", "b'", "c'", "d'"][: taps.shape[0]]
    st.markdown(
        f"A 1D convolution with K = 3 (weights x, y, z), stride {stride}, padding 1 is a matrix "
        "W acting on the padded input (0, a, b, c, d, 0):"
    )
    st.latex(
        r"\mathbf{W}\mathbf{a} = "
        + symbol_matrix(taps, names)
        + vector(["0", "a", "b", "c", "d", "0"])
    )
    st.markdown("The transposed convolution multiplies by Wᵀ instead: small in, big out.")
    products = [
        " + ".join(f"{outs[c]}{names[t]}" for c, t in enumerate(row) if t >= 0) or "0"
        for row in taps.T
    ]
    st.latex(
        r"\mathbf{W}^\top\mathbf{a}' = "
        + symbol_matrix(taps.T, names)
        + vector(outs)
        + " = "
        + vector(products)
    )
    if is_toeplitz(taps.T):
        st.success(
            "Every row of Wᵀ is the row above shifted by one: Wᵀ is itself a convolution, with the "
            "kernel reversed (z, y, x).",
            icon=":material/check:",
        )
    else:
        st.info(
            "The rows of Wᵀ are *not* shifted copies of one pattern: with stride 2, Wᵀ is no "
            "longer a convolution (it becomes one only after inserting a zero between a' and b').",
            icon=":material/info:",
        )
    xyz, a_prime = np.array([[1.0, 2.0, -1.0]]), np.arange(1.0, taps.shape[0] + 1)
    m = conv_matrix((1, 4), xyz, stride=stride, padding=(0, 1), on_padded=True)
    ours = m.T @ a_prime  # (6,)
    torch_out = torch_conv_transpose2d(
        a_prime[None],
        xyz,
        stride=stride,
        output_padding=(0, len(ours) - conv_transpose_output_size(len(a_prime), 3, stride)),
    )[0]
    st.markdown(
        f"With x, y, z = 1, 2, −1 and a' = ({', '.join(fmt(v) for v in a_prime)}): "
        f"Wᵀa' = ({', '.join(fmt(v) for v in ours)})"
        + (" — checked against torch ✓" if np.allclose(torch_out, ours) else " — torch disagrees ✗")
    )
