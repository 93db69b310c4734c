"""The "± 1 grids" tab of the Kernels page: the notes' + and X, two kernels, padding, bias,
activation, the sums step by step and the sliding animation (seeds 000, 003, 004).

The edited input grid lives in session state (``kn_grid`` and its base, tag and version); a
click flips a cell, and so does the keyboard path under each grid (row, column, "Flip cell"; the
channel's cursor is ``kn_cursor_<c>``, outlined on the grid). Every
widget's value is seeded from :data:`DEFAULTS` when absent, so "Reset this page" and the worked
examples both come back to the notes' settings."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.grids import GRID_PRESETS, flip_pixels, grey_and_depth_image, shift, toggle_cell
from cnnplay.kernels import PATTERN_KERNELS
from cnnplay.ops.activations import ACTIVATION_FORMULAS, ACTIVATIONS
from cnnplay.ops.conv import conv2d_naive, conv_geometry, conv_step, pad2d
from cnnplay.plots.grids import add_box, grid_figure, sliding_window_animation
from cnnplay.plots.style import CELL_COLOUR, SELECTED_COLOUR, WINDOW_COLOUR, fmt, signed
from cnnplay.quiz import Question, feature_cell_question
from cnnplay.snippets import conv as conv_code
from ui.code_panel import code_panel
from ui.figures import show_figure
from ui.inputs import clickable_grid, matrix_editor
from ui.keyboard import cell_keys
from ui.links import LINK
from ui.notes import from_the_notes, notes_name, option_label
from ui.page import KEEP, tab_body
from ui.quiz import predict_then_reveal

PADDINGS = {"valid": "valid (no padding)", "same": 'zero-padded, same size ("wide")'}
SEED000 = "Seed 000: 6×6 with a + and an X"  # a GRID_PRESETS key, shown through option_label

# Worked examples of the notes: one click sets every control (and drops the user's cell edits).
EXAMPLES: dict[str, dict] = {
    "Find the + and the X": dict(
        kn_in_preset=SEED000,
        kn_in_two=False,
        kn_k1_preset="+ (cross)",
        kn_k2_preset="X",
        kn_padding="valid",
    ),
    "Wide (zero-padded)": dict(
        kn_in_preset=SEED000,
        kn_in_two=False,
        kn_k1_preset="+ (cross)",
        kn_k2_preset="X",
        kn_padding="same",
    ),
    "Grey + depth": dict(
        kn_in_two=True, kn_k1_preset="+ (cross)", kn_k2_preset="X", kn_padding="same"
    ),
    "A deformed X": dict(
        kn_in_preset="Seed 003: 9×9 deformed X",
        kn_in_two=False,
        kn_k1_preset="\\ diagonal",
        kn_k2_preset="X",
        kn_padding="valid",
    ),
    "5×5 image, 3×3 kernel": dict(
        kn_in_preset="Seed 004: 5×5 in [0, 1]",
        kn_in_two=False,
        kn_k1_preset="Seed 004 kernel (3×3)",
        kn_k2_preset="Identity",
        kn_padding="same",
    ),
}
EXAMPLE_HELP = {  # what each example is and which notes give it (the buttons' tooltips)
    "Find the + and the X": f"{notes_name('000', capital=True)}: a 6×6 image with a + and an "
    "X, searched by a + kernel and an X kernel.",
    "Wide (zero-padded)": f"{notes_name('000', capital=True)}: the same search with zero "
    "padding, so the feature maps keep the image's size.",
    "Grey + depth": f"{notes_name('000', capital=True)}: two input channels (grayscale and "
    "depth), each kernel with one slice per channel.",
    "A deformed X": f"{notes_name('003', capital=True)}: an X that a pixel-by-pixel "
    "comparison fails to match; small detectors (a diagonal, an X) still find its parts.",
    "5×5 image, 3×3 kernel": f"{notes_name('004', capital=True)}: a 5×5 image in [0, 1] and "
    "their 3×3 kernel, zero-padded.",
}
EXAMPLE_NOTES = (  # where the examples are in the notes (the teachers' caption)
    ("000", "Convolutions on images", "Wide convolutions on images", "Two input channels too"),
    ("003", "A Case Study"),
    ("004", "Discrete Convolution in 2D"),
)
DEFAULTS = dict(  # session-state defaults of the tab's widgets (set when absent)
    kn_in_preset=SEED000,
    kn_in_two=False,
    kn_in_dy=0,
    kn_in_dx=0,
    kn_in_flips=0,
    kn_k1_preset="+ (cross)",
    kn_k2_preset="X",
    kn_k1_size=3,
    kn_k2_size=3,
    kn_padding="valid",
    kn_bias=0.0,
    kn_act="none",
    kn_flip=False,
    kn_step_k="kernel 1",
    kn_step_i=0,
    kn_step_j=0,
)
EDITS = ("kn_ed_", "kn_grid_tag")  # session-state keys of the user's cell edits (prefixes)


def load_example(name: str) -> None:
    """Button callback: reset the controls to DEFAULTS updated by the example's settings."""
    for key in [k for k in st.session_state if str(k).startswith(EDITS)]:
        del st.session_state[key]  # forget cell edits, so the example shows as in the notes
    st.session_state.update({**DEFAULTS, **EXAMPLES[name]})


def cursor_key(channel: int) -> str:
    """Session state: the (row, col) of the channel's last clicked or typed cell."""
    return f"kn_cursor_{channel}"


def move_cursor(channel: int, row: int, col: int) -> None:
    st.session_state[cursor_key(channel)] = (row, col)


def flip_input_cell(channel: int, row: int, col: int) -> None:
    """Click (or "Flip cell") callback: flip one cell of the input, make it the channel's
    cursor, then redraw the grids with fresh keys."""
    base = st.session_state.kn_grid_base
    st.session_state.kn_grid[channel] = toggle_cell(
        st.session_state.kn_grid[channel], row, col, ink=base.max(), background=base.min()
    )
    move_cursor(channel, row, col)
    st.session_state.kn_grid_version += 1


def input_grid() -> np.ndarray:
    """The input as (C, H, W): a preset, shifted/deformed, then edited by clicks or typing.

    The edited grid lives in session state; choosing another preset (or shift, deform, example)
    starts again from that preset.
    """
    two = st.toggle(
        "Two channels: grayscale + depth",
        key="kn_in_two",
        help=f"{notes_name('000', capital=True)}' example: the image comes from a grayscale "
        "and a depth camera, so each kernel has two slices.",
        persist_state=KEEP,
        bind=LINK,
    )
    if two:
        base = grey_and_depth_image()  # (2, 6, 6)
        st.caption(
            "Channel 1 is grayscale, channel 2 is depth; the X is fainter (0.9) in "
            "grayscale and the + in depth."
        )
    else:
        preset = st.selectbox(
            "Input image",
            list(GRID_PRESETS),
            format_func=option_label,
            key="kn_in_preset",
            persist_state=KEEP,
            bind=LINK,
        )
        with st.expander("Shift or deform it"):
            c1, c2, c3 = st.columns(3)
            dy = c1.number_input("down", -4, 4, key="kn_in_dy", persist_state=KEEP, bind=LINK)
            dx = c2.number_input("right", -4, 4, key="kn_in_dx", persist_state=KEEP, bind=LINK)
            flips = c3.number_input(
                "flip pixels",
                0,
                20,
                key="kn_in_flips",
                help="Negate this many random cells (fixed seed).",
                persist_state=KEEP,
                bind=LINK,
            )
        img = GRID_PRESETS[preset]()
        fill = -1.0 if img.min() < 0 else 0.0  # background: -1 for ±1 grids, 0 for [0, 1]
        base = flip_pixels(shift(img, dy, dx, fill), flips)[None]
    state = st.session_state
    tag = repr((two, state.kn_in_preset, state.kn_in_dy, state.kn_in_dx, state.kn_in_flips))
    if state.get("kn_grid_tag") != tag:  # new starting point: forget the edits
        state.update(
            kn_grid=base.copy(),
            kn_grid_base=base,
            kn_grid_tag=tag,
            kn_grid_version=state.get("kn_grid_version", 0) + 1,
        )
    grid, version = state.kn_grid, state.kn_grid_version
    st.caption("Click a cell to flip it between ink and background.")
    slots = [st.container() for _ in grid]  # filled below, once the typed values are in
    with st.expander("Type exact values"):
        for c in range(len(grid)):
            grid[c] = matrix_editor(
                grid[c],
                key=f"kn_ed_in_{version}_{c}",
                step=0.1,
                label=f"channel {c + 1}" if len(grid) > 1 else None,
            )
    for c, slot in enumerate(slots):
        cursor = state.get(cursor_key(c), (0, 0))
        cursor = (min(cursor[0], grid.shape[1] - 1), min(cursor[1], grid.shape[2] - 1))
        which = f" (channel {c + 1})" if len(grid) > 1 else ""
        with slot:
            clickable_grid(
                grid[c],
                key=f"kn_click_{version}_{c}",
                on_click=lambda row, col, c=c: flip_input_cell(c, row, col),
                title=f"channel {c + 1}" if len(grid) > 1 else "",
                highlight=cursor,  # the cell the keyboard's "Flip cell" acts on
                highlight_colour=SELECTED_COLOUR,  # orange: seen on both dark blue and red
            )
            cell_keys(
                grid.shape[1:],
                f"kn_cell_{c}",
                cursor,
                on_change=lambda row, col, c=c: move_cursor(c, row, col),
                names=(f"row{which}", f"column{which}"),
                action=f"Flip cell{which}",
                on_action=lambda row, col, c=c: flip_input_cell(c, row, col),
            )
    return grid.copy()


def kernel_editor(n: int, channels: int) -> np.ndarray:
    """Kernel n as (C, k, k): a preset per size, every slice editable."""
    preset = st.selectbox(
        f"Kernel {n}",
        list(PATTERN_KERNELS),
        format_func=option_label,
        key=f"kn_k{n}_preset",
        persist_state=KEEP,
        bind=LINK,
    )
    size = st.radio(
        "size",
        [3, 5],
        horizontal=True,
        key=f"kn_k{n}_size",
        format_func=lambda s: f"{s}×{s}",
        persist_state=KEEP,
        bind=LINK,
    )
    base = PATTERN_KERNELS[preset](size)
    return np.stack(
        [
            matrix_editor(
                base,
                key=f"kn_ed_k{n}_{preset}_{size}_{channels}_{c}",
                step=0.1,
                label=f"slice {c + 1} (for channel {c + 1})" if channels > 1 else None,
            )
            for c in range(channels)
        ]
    )


def show_asked_cell(q: Question) -> None:
    """Quiz mode's reveal: the step-through shows the cell of kernel 1's map that was asked."""
    st.session_state.update(kn_step_k="kernel 1", kn_step_i=q.focus[0], kn_step_j=q.focus[1])


def show_step(
    x: np.ndarray, kernels: list[np.ndarray], settings: dict, out_shapes: list[tuple]
) -> None:
    """One output cell spelled out: window, kernel as applied, products, and the sum.
    out_shapes: (H', W') of each kernel's feature map (the two kernels may differ in size)."""
    st.subheader("Step through the sums")
    state = st.session_state
    c0, c1, c2, c3, c4 = st.columns([1.4, 1, 1, 0.8, 0.8], vertical_alignment="bottom")
    which = c0.radio(
        "Feature map",
        ["kernel 1", "kernel 2"],
        horizontal=True,
        key="kn_step_k",
        persist_state=KEEP,
        bind=LINK,
    )
    ho, wo = out_shapes[0 if which == "kernel 1" else 1]  # the chosen map's own size
    state.kn_step_i = min(state.kn_step_i, ho - 1)
    state.kn_step_j = min(state.kn_step_j, wo - 1)

    def move(delta: int) -> None:
        n = (state.kn_step_i * wo + state.kn_step_j + delta) % (ho * wo)
        state.kn_step_i, state.kn_step_j = divmod(n, wo)

    i = c1.number_input("output row i", 0, ho - 1, key="kn_step_i", persist_state=KEEP, bind=LINK)
    j = c2.number_input(
        "output column j", 0, wo - 1, key="kn_step_j", persist_state=KEEP, bind=LINK
    )
    c3.button("◀ previous", key="kn_prev", on_click=move, args=(-1,), width="stretch")
    c4.button("next ▶", key="kn_next", on_click=move, args=(1,), width="stretch")

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
        show_figure(fig, f"kn_step_in_{c}", cols[0])
        show_figure(
            grid_figure(
                step.kernel[c], "kernel as applied" + (" (flipped)" if settings["flip"] else "")
            ),
            f"kn_step_kernel_{c}",
            cols[1],
        )
        show_figure(grid_figure(step.products[c], "window × kernel"), f"kn_step_prod_{c}", cols[2])
    terms = " + ".join(
        f"({fmt(a)})({fmt(b)})"
        for a, b in zip(step.window.ravel(), step.kernel.ravel(), strict=True)
    )
    partial = " + ".join(signed(s) for s in step.products.sum(axis=(1, 2)))  # one per channel
    act = state.kn_act
    value = float(ACTIVATIONS[act](np.array(step.total)))
    st.markdown(f"**F[{i}, {j}]** = {terms} + b")
    st.latex(
        rf"F_{{{i},{j}}} = f\big({partial} + {signed(step.bias)}\big) = f({fmt(step.total)})"
        rf" = {fmt(round(value, 4))} \quad\text{{with }} {ACTIVATION_FORMULAS[act]}"
    )


def feature_maps(x: np.ndarray, kernels: list[np.ndarray], maps: list[np.ndarray], flip: bool):
    """The two feature maps side by side, each with its strongest response (and its kernel
    turned 180° when true convolution flips it)."""
    for n, (col, fmap, w) in enumerate(zip(st.columns(2), maps, kernels, strict=True), start=1):
        r, c = np.unravel_index(np.argmax(fmap), fmap.shape)
        fig = add_box(grid_figure(fmap, f"feature map of kernel {n}"), [r], [c], CELL_COLOUR)
        show_figure(fig, f"kn_map{n}", col)
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
                grid_figure(w[0, ::-1, ::-1], f"kernel {n} turned 180°"), f"kn_flipped{n}", col
            )
        elif symmetric:
            col.caption(
                f"Kernel {n} looks the same turned by 180°, so convolution and "
                "cross-correlation give the same map."
            )


def animation(x: np.ndarray, w: np.ndarray, fmap: np.ndarray, padding: str) -> None:
    """The kernel sliding over channel 1 of the (padded) input, one frame per output cell."""
    geo = conv_geometry(x.shape[1:], w.shape[1:], padding=padding)
    windows = [geo.window(i, j) for i in range(geo.out_shape[0]) for j in range(geo.out_shape[1])]
    windows = [(range(r.start, r.stop), range(c.start, c.stop)) for r, c in windows]
    if x.shape[0] > 1:
        st.caption("Showing channel 1; each sum also includes channel 2.")
    show_figure(
        sliding_window_animation(pad2d(x[0], geo.pads), fmap, windows, geo.pads), "kn_animation"
    )


@tab_body
def render() -> None:
    """The tab: worked examples, input and kernels, settings, feature maps, one sum, animation."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
    st.caption("Worked examples from the lecture notes (each sets every control below):")
    for n, (col, name) in enumerate(zip(st.columns(len(EXAMPLES)), EXAMPLES, strict=True)):
        col.button(
            name,
            key=f"kn_example_{n}",
            on_click=load_example,
            args=(name,),
            help=EXAMPLE_HELP[name],
            width="stretch",
        )
    from_the_notes(*EXAMPLE_NOTES)

    col_in, col_k1, col_k2 = st.columns([1.4, 1, 1])
    with col_in:
        x = input_grid()
    with col_k1:
        w1 = kernel_editor(1, x.shape[0])
    with col_k2:
        w2 = kernel_editor(2, x.shape[0])
    results(x, w1, w2)


@tab_body
def results(x: np.ndarray, w1: np.ndarray, w2: np.ndarray) -> None:
    """Settings, feature maps, one sum and the animation for input ``x`` (C, H, W) and kernels
    (C, k, k): a fragment inside the tab's, so a bias, padding or activation change (or a step)
    reruns this part alone; the input and kernel editors above are not sent again."""
    s1, s2, s3, s4 = st.columns([1.3, 1, 1, 1.8])  # the flip label fits on one line
    padding = s1.radio(
        "Padding",
        list(PADDINGS),
        format_func=PADDINGS.get,
        key="kn_padding",
        persist_state=KEEP,
        bind=LINK,
    )
    bias = s2.number_input(
        "Bias b", -20.0, 20.0, step=0.5, key="kn_bias", persist_state=KEEP, bind=LINK
    )
    act = s3.selectbox(
        "Activation f", list(ACTIVATIONS), key="kn_act", persist_state=KEEP, bind=LINK
    )
    flip = s4.toggle(
        "True convolution (flip the kernel)",
        key="kn_flip",
        help="CNN layers compute cross-correlation: the kernel is not flipped.",
        persist_state=KEEP,
        bind=LINK,
    )
    settings = dict(bias=bias, padding=padding, flip=flip)

    st.subheader("Feature maps")
    try:
        maps = [ACTIVATIONS[act](conv2d_naive(x, w, **settings)) for w in (w1, w2)]
    except ValueError as err:
        st.error(f"This convolution cannot be computed: {err}", icon=":material/block:")
        return

    def cell(rng) -> Question:  # quiz mode: one cell of kernel 1's feature map
        return feature_cell_question(
            x, w1, bias, padding, flip=flip, activation=act, rng=rng, name="kernel 1's map"
        )

    if not predict_then_reveal("kn_cell", cell, on_reveal=show_asked_cell):
        return  # the feature maps and the step-through wait for the answer
    h, k = x.shape[1], w1.shape[1]
    st.latex(
        rf"H' = H - k + 1 = {h} - {k} + 1 = {maps[0].shape[0]}"
        if padding == "valid"
        else rf"H' = H + 2p - k + 1 = {h} + 2\cdot{(k - 1) // 2} - {k} + 1"
        rf" = {maps[0].shape[0]}"
    )
    feature_maps(x, [w1, w2], maps, flip)
    show_step(x, [w1, w2], settings, [m.shape for m in maps])
    code_panel(  # the two kernels as one nn.Conv2d with two output channels
        lambda: conv_code.conv2d(x, [w1, w2], bias, padding=padding, flip=flip, activation=act),
        "kn_code_grid",
    )

    # Built only on request: the animation holds a frame per output cell.
    if st.toggle(
        "▶ Watch the kernel slide (an animation that plays in your browser)",
        key="kn_animate",
        persist_state=KEEP,
        bind=LINK,
    ):
        first = st.session_state.kn_step_k == "kernel 1"
        animation(x, w1 if first else w2, maps[0 if first else 1], padding)
