"""The "Transposed convolution" tab of the Padding page: seed 001's stamps (a small input made
bigger), the same result as a matrix, and seed 002's matrix view of why it is "transposed"."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.ops.conv import (
    conv_matrix,
    conv_matrix_taps,
    conv_transpose2d_naive,
    conv_transpose_output_size,
    conv_transpose_stamps,
    is_toeplitz,
    torch_conv_transpose2d,
)
from cnnplay.plots.grids import add_box, grid_figure
from cnnplay.plots.style import CELL_COLOUR, WINDOW_COLOUR, fmt
from ui.figures import show_figure
from ui.inputs import matrix_editor
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body

TRANS_X = np.array([[0.0, 1.0], [2.0, 3.0]])  # seed 001's trans_conv example (as in d2l)
TRANS_K = np.array([[0.0, 1.0], [2.0, 3.0]])
MATRIX_VIEWS = {
    "1D, K = 3, stride 1, padding 1": 1,
    "1D, K = 3, stride 2, padding 1": 2,
}


def symbol_matrix(taps: np.ndarray, names: list[str]) -> str:
    """A bmatrix with the kernel's symbol where a tap sits and 0 elsewhere."""
    rows = [" & ".join(names[t] if t >= 0 else "0" for t in row) for row in taps]
    return r"\begin{bmatrix}" + r"\\".join(rows) + r"\end{bmatrix}"


def vector(entries: list[str]) -> str:
    return r"\begin{bmatrix}" + r"\\".join(entries) + r"\end{bmatrix}"


def stamps_view() -> None:
    """Seed 001: X and K editable, the stamps added one by one, the result checked."""
    st.markdown(
        f"The `trans_conv` loop of {notes_name('001')}: every input value **stamps** a scaled "
        "copy of the kernel into the output, `Y[i:i+h, j:j+w] += X[i, j] * K`; overlapping "
        "stamps add up. With stride s the stamps land s cells apart; padding p then crops p rows "
        "and columns from each side."
    )
    from_the_notes(("001", "Deconvolution"))
    c1, c2, c3, c4 = st.columns([1, 1, 0.7, 0.7])
    with c1:
        tx = matrix_editor(TRANS_X, key="pd_tx", step=1.0, label="input X")
    with c2:
        tk = matrix_editor(TRANS_K, key="pd_tk", step=1.0, label="kernel K")
    ts = c3.number_input("stride", 1, 3, 1, key="pd_ts", persist_state=KEEP, bind=LINK)
    tp = c4.number_input("padding", 0, 3, 0, key="pd_tp", persist_state=KEEP, bind=LINK)
    sizes = [conv_transpose_output_size(tx.shape[a], tk.shape[a], ts, tp) for a in (0, 1)]
    st.latex(
        rf"H' = (n-1)s - 2p + k = ({tx.shape[0]}-1)\cdot{ts} - 2\cdot{tp} + {tk.shape[0]}"
        rf" = {sizes[0]}"
    )
    stamps = conv_transpose_stamps(tx, tk, ts)
    n_stamps = len(stamps)
    step = st.slider(
        "stamps added", 1, n_stamps, n_stamps, key="pd_tstep", persist_state=KEEP, bind=LINK
    )
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
        return
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


def matrix_view() -> None:
    """Seed 002: a 1D convolution as a matrix W, and its transpose as the way back."""
    st.subheader("Why “transposed”? The matrix view")
    view = st.radio(
        "Example", list(MATRIX_VIEWS), key="pd_mx", horizontal=True, persist_state=KEEP, bind=LINK
    )
    stride = MATRIX_VIEWS[view]
    taps = conv_matrix_taps((1, 4), (1, 3), stride=stride, padding=(0, 1), on_padded=True)
    names = ["x", "y", "z"]
    outs = ["a'", "b'", "c'", "d'"][: taps.shape[0]]
    st.markdown(
        f"The example of {notes_name('002')}: a 1D convolution with K = 3 (weights x, y, z), "
        f"stride {stride}, padding 1 is a matrix W acting on the padded input (0, a, b, c, d, 0):"
    )
    from_the_notes(("002", "Why Called Transposed Convolution?"))
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


@tab_body
def render() -> None:
    stamps_view()
    matrix_view()
