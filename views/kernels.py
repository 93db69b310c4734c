"""Kernels: slide a small pattern over an image and read the feature map (seeds 000, 003, 004)."""

import time

import numpy as np
import streamlit as st

from cnnplay.device import get_device
from cnnplay.filtering import filter_image, to_grayscale
from cnnplay.grids import GRID_PRESETS, flip_pixels, grey_and_depth_image, shift, toggle_cell
from cnnplay.kernels import PATTERN_KERNELS, PHOTO_KERNELS
from cnnplay.ops.activations import ACTIVATION_FORMULAS, ACTIVATIONS
from cnnplay.ops.conv import conv2d_naive, conv_geometry, conv_step, pad2d
from cnnplay.plots.grids import add_box, grid_figure, sliding_window_animation
from cnnplay.plots.images import DISPLAY_MODES, resolve_display_mode, to_uint8
from cnnplay.plots.style import CELL_COLOUR, WINDOW_COLOUR, fmt, signed
from ui.figures import show_figure
from ui.inputs import clickable_grid, image_picker, matrix_editor, show_notes

PADDINGS = {"valid": "valid (no padding)", "same": 'zero-padded, same size ("wide")'}
SEED000 = "Seed 000: 6×6 with a + and an X"

# Worked examples of the notes: one click sets every control (and drops the user's cell edits).
EXAMPLES: dict[str, dict] = {
    "000: find + and X": dict(
        in_preset=SEED000, in_two=False, k1_preset="+ (cross)", k2_preset="X", padding="valid"
    ),
    "000: wide": dict(
        in_preset=SEED000, in_two=False, k1_preset="+ (cross)", k2_preset="X", padding="same"
    ),
    "000: grey + depth": dict(in_two=True, k1_preset="+ (cross)", k2_preset="X", padding="same"),
    "003: deformed X": dict(
        in_preset="Seed 003: 9×9 deformed X",
        in_two=False,
        k1_preset="\\ diagonal",
        k2_preset="X",
        padding="valid",
    ),
    "004: 5×5 example": dict(
        in_preset="Seed 004: 5×5 in [0, 1]",
        in_two=False,
        k1_preset="Seed 004 kernel (3×3)",
        k2_preset="Identity",
        padding="same",
    ),
}
DEFAULTS = dict(
    in_preset=SEED000,
    in_two=False,
    in_dy=0,
    in_dx=0,
    in_flips=0,
    k1_preset="+ (cross)",
    k2_preset="X",
    k1_size=3,
    k2_size=3,
    padding="valid",
    bias=0.0,
    act="none",
    flip=False,
    step_k="kernel 1",
    step_i=0,
    step_j=0,
)


def load_example(name: str) -> None:
    """Button callback: reset the controls to DEFAULTS updated by the example's settings."""
    for key in [k for k in st.session_state if str(k).startswith(("ed_", "grid_tag"))]:
        del st.session_state[key]  # forget cell edits, so the example shows as in the notes
    st.session_state.update({**DEFAULTS, **EXAMPLES[name]})


for key, value in DEFAULTS.items():
    st.session_state.setdefault(key, value)

st.title("Kernels")
st.markdown(
    "A **kernel** (filter) is a small grid of weights. Slide it over the image; at each place, "
    "multiply the overlapping values and add them up. The grid of sums is the **feature map**: "
    "it is large where the image looks like the kernel. A CNN layer does exactly this, with a "
    "bias and an activation, and learns the weights."
)
st.latex(
    r"F_{i,j} = f\Big(\sum_{c=1}^{C}\sum_{u=0}^{k-1}\sum_{v=0}^{k-1}"
    r" W_{c,u,v}\, X_{c,\,i+u,\,j+v} + b\Big)"
)

grid_tab, photo_tab = st.tabs(["± 1 grids: the notes' + and X", "Photos"])


def flip_input_cell(channel: int, row: int, col: int) -> None:
    """Click callback: flip one cell of the input, then redraw the grids with fresh keys."""
    base = st.session_state.grid_base
    st.session_state.grid[channel] = toggle_cell(
        st.session_state.grid[channel], row, col, ink=base.max(), background=base.min()
    )
    st.session_state.grid_version += 1


def input_grid() -> np.ndarray:
    """The input as (C, H, W): a preset, shifted/deformed, then edited by clicks or typing.

    The edited grid lives in session state; choosing another preset (or shift, deform, example)
    starts again from that preset.
    """
    two = st.toggle("Two input channels (seed 000: grayscale + depth)", key="in_two")
    if two:
        base = grey_and_depth_image()  # (2, 6, 6)
        st.caption(
            "Channel 1 is grayscale, channel 2 is depth; the X is fainter (0.9) in "
            "grayscale and the + in depth."
        )
    else:
        preset = st.selectbox("Input image", list(GRID_PRESETS), key="in_preset")
        with st.expander("Shift or deform it"):
            c1, c2, c3 = st.columns(3)
            dy = c1.number_input("down", -4, 4, key="in_dy")
            dx = c2.number_input("right", -4, 4, key="in_dx")
            flips = c3.number_input(
                "flip pixels",
                0,
                20,
                key="in_flips",
                help="Negate this many random cells (fixed seed).",
            )
        img = GRID_PRESETS[preset]()
        fill = -1.0 if img.min() < 0 else 0.0  # background: -1 for ±1 grids, 0 for [0, 1]
        base = flip_pixels(shift(img, dy, dx, fill), flips)[None]
    tag = repr(
        (
            two,
            st.session_state.in_preset,
            st.session_state.in_dy,
            st.session_state.in_dx,
            st.session_state.in_flips,
        )
    )
    if st.session_state.get("grid_tag") != tag:  # new starting point: forget the edits
        st.session_state.update(
            grid=base.copy(),
            grid_base=base,
            grid_tag=tag,
            grid_version=st.session_state.get("grid_version", 0) + 1,
        )
    grid, version = st.session_state.grid, st.session_state.grid_version
    st.caption("Click a cell to flip it between ink and background.")
    for c in range(len(grid)):
        clickable_grid(
            grid[c],
            key=f"click_{version}_{c}",
            on_click=lambda row, col, c=c: flip_input_cell(c, row, col),
            title=f"channel {c + 1}" if len(grid) > 1 else "",
        )
    with st.expander("Type exact values"):
        for c in range(len(grid)):
            grid[c] = matrix_editor(
                grid[c],
                key=f"ed_in_{version}_{c}",
                step=0.1,
                label=f"channel {c + 1}" if len(grid) > 1 else None,
            )
    return grid.copy()


def kernel_editor(n: int, channels: int) -> np.ndarray:
    """Kernel n as (C, k, k): a preset per size, every slice editable."""
    preset = st.selectbox(f"Kernel {n}", list(PATTERN_KERNELS), key=f"k{n}_preset")
    size = st.radio(
        "size", [3, 5], horizontal=True, key=f"k{n}_size", format_func=lambda s: f"{s}×{s}"
    )
    base = PATTERN_KERNELS[preset](size)
    return np.stack(
        [
            matrix_editor(
                base,
                key=f"ed_k{n}_{preset}_{size}_{channels}_{c}",
                step=0.1,
                label=f"slice {c + 1} (for channel {c + 1})" if channels > 1 else None,
            )
            for c in range(channels)
        ]
    )


def show_step(x: np.ndarray, kernels: list[np.ndarray], settings: dict, out_shape: tuple) -> None:
    """One output cell spelled out: window, kernel as applied, products, and the sum."""
    st.subheader("Step through the sums")
    ho, wo = out_shape
    st.session_state.step_i = min(st.session_state.step_i, ho - 1)
    st.session_state.step_j = min(st.session_state.step_j, wo - 1)

    def move(delta: int) -> None:
        n = (st.session_state.step_i * wo + st.session_state.step_j + delta) % (ho * wo)
        st.session_state.step_i, st.session_state.step_j = divmod(n, wo)

    c0, c1, c2, c3, c4 = st.columns([1.4, 1, 1, 0.8, 0.8], vertical_alignment="bottom")
    which = c0.radio("Feature map", ["kernel 1", "kernel 2"], horizontal=True, key="step_k")
    i = c1.number_input("output row i", 0, ho - 1, key="step_i")
    j = c2.number_input("output column j", 0, wo - 1, key="step_j")
    c3.button("◀ previous", on_click=move, args=(-1,), width="stretch")
    c4.button("next ▶", on_click=move, args=(1,), width="stretch")

    w = kernels[0 if which == "kernel 1" else 1]
    step = conv_step(x, w, i, j, **settings)
    geo = conv_geometry(x.shape[1:], w.shape[1:], padding=settings["padding"])
    padded = pad2d(x, geo.pads)
    for c in range(x.shape[0]):
        cols = st.columns(3)
        label = f" (channel {c + 1})" if x.shape[0] > 1 else ""
        fig = add_box(
            grid_figure(
                padded[c],
                f"input{label}, padded" if any(geo.pads) else f"input{label}",
                pads=geo.pads,
            ),
            step.rows,
            step.cols,
            WINDOW_COLOUR,
        )
        show_figure(fig, f"step_in_{c}", cols[0])
        show_figure(
            grid_figure(
                step.kernel[c], "kernel as applied" + (" (flipped)" if settings["flip"] else "")
            ),
            f"step_k_{c}",
            cols[1],
        )
        show_figure(grid_figure(step.products[c], "window × kernel"), f"step_p_{c}", cols[2])
    terms = " + ".join(
        f"({fmt(a)})({fmt(b)})"
        for a, b in zip(step.window.ravel(), step.kernel.ravel(), strict=True)
    )
    partial = " + ".join(signed(s) for s in step.products.sum(axis=(1, 2)))  # one per channel
    act = st.session_state.act
    value = float(ACTIVATIONS[act](np.array(step.total)))
    st.markdown(f"**F[{i}, {j}]** = {terms} + b")
    st.latex(
        rf"F_{{{i},{j}}} = f\big({partial} + {signed(step.bias)}\big) = f({fmt(step.total)})"
        rf" = {fmt(round(value, 4))} \quad\text{{with }} {ACTIVATION_FORMULAS[act]}"
    )


with grid_tab:
    st.caption(
        "Worked examples from the lecture notes, by seed number (each sets every control below):"
    )
    example_cols = st.columns(len(EXAMPLES))
    for col, name in zip(example_cols, EXAMPLES, strict=True):
        col.button(name, on_click=load_example, args=(name,), width="stretch")

    col_in, col_k1, col_k2 = st.columns([1.4, 1, 1])
    with col_in:
        x = input_grid()
    with col_k1:
        w1 = kernel_editor(1, x.shape[0])
    with col_k2:
        w2 = kernel_editor(2, x.shape[0])

    s1, s2, s3, s4 = st.columns(4)
    padding = s1.radio("Padding", list(PADDINGS), format_func=PADDINGS.get, key="padding")
    bias = s2.number_input("Bias b", -20.0, 20.0, step=0.5, key="bias")
    act = s3.selectbox("Activation f", list(ACTIVATIONS), key="act")
    flip = s4.toggle(
        "True convolution (flip the kernel)",
        key="flip",
        help="CNN layers compute cross-correlation: the kernel is not flipped.",
    )
    settings = dict(bias=bias, padding=padding, flip=flip)

    st.subheader("Feature maps")
    try:
        maps = [ACTIVATIONS[act](conv2d_naive(x, w, **settings)) for w in (w1, w2)]
    except ValueError as err:
        st.error(f"This convolution cannot be computed: {err}", icon=":material/block:")
        st.stop()
    h, wd = x.shape[1:]
    k = w1.shape[1]
    size_formula = (
        rf"H' = H - k + 1 = {h} - {k} + 1 = {maps[0].shape[0]}"
        if padding == "valid"
        else rf"H' = H + 2p - k + 1 = {h} + 2\cdot{(k - 1) // 2} - {k} + 1"
        rf" = {maps[0].shape[0]}"
    )
    st.latex(size_formula)
    map_cols = st.columns(2)
    for n, (col, fmap, w) in enumerate(zip(map_cols, maps, (w1, w2), strict=True), start=1):
        r, c = np.unravel_index(np.argmax(fmap), fmap.shape)
        fig = add_box(grid_figure(fmap, f"feature map of kernel {n}"), [r], [c], CELL_COLOUR)
        show_figure(fig, f"map{n}", col)
        best = (
            f" (a perfect match of ±1 pixels would give Σ|w| = {fmt(round(np.abs(w).sum(), 4))})"
            if np.isin(x, (-1, 1)).all()
            else ""
        )
        col.markdown(
            f"Strongest response **{fmt(round(fmap[r, c], 4))}** at row {r}, column {c}{best}."
        )
        symmetric = np.allclose(w, w[..., ::-1, ::-1])
        if flip and not symmetric:
            col.caption("Flipped kernel used by true convolution:")
            show_figure(
                grid_figure(
                    w[0, ::-1, ::-1], "kernel 1 turned 180°" if n == 1 else "kernel 2 turned 180°"
                ),
                f"flipped{n}",
                col,
            )
        elif symmetric:
            col.caption(
                f"Kernel {n} looks the same turned by 180°, so convolution and "
                "cross-correlation give the same map."
            )

    show_step(x, [w1, w2], settings, maps[0].shape)

    # Built only on request: the animation holds a frame per output cell.
    if st.toggle(
        "▶ Watch the kernel slide (an animation that plays in your browser)", key="animate"
    ):
        w = w1 if st.session_state.step_k == "kernel 1" else w2
        geo = conv_geometry(x.shape[1:], w.shape[1:], padding=padding)
        windows = [
            geo.window(i, j) for i in range(geo.out_shape[0]) for j in range(geo.out_shape[1])
        ]
        windows = [(range(r.start, r.stop), range(c.start, c.stop)) for r, c in windows]
        fmap = maps[0 if st.session_state.step_k == "kernel 1" else 1]
        if x.shape[0] > 1:
            st.caption("Showing channel 1; each sum also includes channel 2.")
        show_figure(
            sliding_window_animation(pad2d(x[0], geo.pads), fmap, windows, geo.pads), "animation"
        )


with photo_tab:
    left, right = st.columns([1, 2])
    with left:
        picked = image_picker("ph", default="chelsea (cat)")
        show_notes(picked)
        choice = st.selectbox(
            "Kernel",
            [*PHOTO_KERNELS, "Custom"],
            key="ph_kernel",
            index=list(PHOTO_KERNELS).index("Sobel x (vertical edges)"),
        )
        size = st.select_slider("Kernel size", [3, 5, 7, 9, 11, 15], value=5, key="ph_size")
        sigma = st.slider(
            "Gaussian σ", 0.3, 5.0, 1.0, 0.1, key="ph_sigma", disabled=choice != "Gaussian blur"
        )
        base = np.zeros((size, size)) if choice == "Custom" else PHOTO_KERNELS[choice](size, sigma)
        kernel = matrix_editor(
            np.round(base, 4),
            key=f"ed_ph_{choice}_{size}_{sigma}",
            step=0.0001,
            label="Weights (editable)",
        )
        gray = (
            st.radio("Channels", ["grayscale", "per channel (RGB)"], horizontal=True, key="ph_gray")
            == "grayscale"
        )
        pad_mode = st.selectbox(
            "Border (padding mode)", ["reflect", "replicate", "zeros", "circular"], key="ph_pad"
        )
        display = st.radio(
            "Show the output as",
            list(DISPLAY_MODES),
            format_func=DISPLAY_MODES.get,
            key="ph_display",
        )
    with right:
        image = to_grayscale(picked.pixels) if gray else picked.pixels
        start = time.perf_counter()
        try:
            out = filter_image(image, kernel, padding_mode=pad_mode)
        except ValueError as err:
            st.error(f"This kernel cannot be applied: {err}", icon=":material/block:")
            st.stop()
        ms = (time.perf_counter() - start) * 1000
        c_in, c_out = st.columns(2)
        c_in.image(
            np.clip(image, 0, 255).astype(np.uint8),
            caption=f"input ({picked.label}), {image.shape[1]}×{image.shape[0]}, values 0 … 255",
            width="stretch",
        )
        shown_as = resolve_display_mode(display, kernel)
        c_out.image(
            to_uint8(out, shown_as),
            width="stretch",
            caption=f"output, values {out.min():.1f} … {out.max():.1f}, "
            f"shown as: {DISPLAY_MODES[shown_as]}",
        )
        total = kernel.sum()
        st.markdown(
            f"The weights sum to **{fmt(round(total, 4))}**: "
            + (
                "flat areas keep their brightness."
                if abs(total - 1) < 1e-3
                else "flat areas become 0, so only changes (edges) remain."
                if abs(total) < 1e-3
                else f"flat areas are scaled by {fmt(round(total, 3))}."
            )
            + f" Computed with torch on {get_device().type.upper()} in {ms:.0f} ms."
        )
