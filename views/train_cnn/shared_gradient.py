"""The "Shared weights" tab (seed 004): one first-layer kernel weight is used at every position of
its feature map, so its gradient is a sum of one term per position — shown as a map, its sum
beside autograd's gradient."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.convnets.models import Seed001CNN, build
from cnnplay.convnets.shared_gradient import signed_map_figure, weight_gradient
from cnnplay.plots.grids import add_box, grid_figure
from cnnplay.plots.style import WINDOW_COLOUR
from ui.figures import show_figure
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from views.train_cnn.common import need_training, trained

WEIGHTS = ["trained", "fresh (as initialised)"]


@st.cache_resource(max_entries=4, show_spinner=False)
def fresh_cnn(num_classes: int, seed: int) -> Seed001CNN:
    """A freshly initialised CNN (the training run's seed), shared read-only by every session:
    weight_gradient only reads copies of its weights."""
    return build("cnn", num_classes, seed=seed).eval()


def choices(count: int) -> tuple[str, int, int, int, int]:
    """(weights, test image, filter c, row u, column v) as the student sets them."""
    key = "cv_sg_image"
    if st.session_state.get(key, 0) >= count:  # a kept index that a new run lacks
        st.session_state[key] = count - 1
    c1, c2, c3, c4, c5 = st.columns([2, 1, 1, 1, 1])
    weights = c1.radio("Weights", WEIGHTS, key="cv_sg_weights", persist_state=KEEP, bind=LINK)
    image = c2.number_input(
        "Test image",
        0,
        count - 1,
        key=key,
        persist_state=KEEP,
        bind=LINK,
        help=f"0 to {count - 1:,}.",
    )
    channel = c3.number_input(
        "Filter c",
        0,
        31,
        key="cv_sg_channel",
        persist_state=KEEP,
        bind=LINK,
        help="One of 32 (0–31).",
    )
    u = c4.selectbox("Kernel row u", [0, 1, 2], key="cv_sg_u", persist_state=KEEP, bind=LINK)
    v = c5.selectbox("Kernel column v", [0, 1, 2], key="cv_sg_v", persist_state=KEEP, bind=LINK)
    return weights, int(image), int(channel), int(u), int(v)


def tex_number(value: float, digits: int = 6) -> str:
    """A number for LaTeX: ``-1.709877 \\times 10^{-2}`` (``digits`` after the point); 0 as 0."""
    if value == 0:
        return "0"
    mantissa, exponent = f"{value:.{digits}e}".split("e")
    return rf"{mantissa} \times 10^{{{int(exponent)}}}"


@tab_body
def render() -> None:
    run = trained()
    if run is None:
        need_training()
        return
    st.markdown(
        f"{notes_name('004', capital=True)}: a convolutional layer is *a feed-forward network "
        "with some shared "
        "connections* — the same kernel weight multiplies a different pixel at every position. "
        "Backpropagation treats each use as its own connection and then **adds up** their "
        "derivatives:"
    )
    from_the_notes(("004", "CNN: Image Classification & Backprop"))
    st.latex(
        r"z_{c,i,j} = b_c + \sum_{u,v} w_{c,u,v}\,x_{i+u,\,j+v}"
        r"\qquad\Longrightarrow\qquad"
        r"\frac{\partial L}{\partial w_{c,u,v}} = \sum_{i,j}"
        r"\frac{\partial L}{\partial z_{c,i,j}}\; x_{i+u,\,j+v}"
    )
    weights, image, c, u, v = choices(len(run.split.x_test))
    classes = run.split.classes
    model = run.models["cnn"] if weights == WEIGHTS[0] else fresh_cnn(len(classes), run.seed)
    label = int(run.split.y_test[image])
    g = weight_gradient(
        model, run.split.x_test[image : image + 1], run.split.y_test[image : image + 1], c, (u, v)
    )
    kernel = model.features[0].weight.detach()[c, 0].double().cpu().numpy()  # (3, 3)
    left, right = st.columns([1, 3])
    fig = grid_figure(kernel, f"filter {c}: w[{c}, u, v]")
    add_box(fig, [u], [v], WINDOW_COLOUR)
    show_figure(fig, "cv_sg_kernel", left)
    left.caption(
        f"Orange: w[{c}, {u}, {v}] = {kernel[u, v]:.4f}, the weight whose gradient is split "
        f"up. L: cross-entropy of test image {image} (class: {classes[label]}), {g.loss:.4f}."
    )
    show_figure(
        signed_map_figure(
            g.contributions[0],
            f"∂L/∂z[{c}, i, j] · x[i+{u}, j+{v}]: one term per position",
            "term",
            side_px=330,
        ),
        "cv_sg_terms",
        right,
    )
    terms = g.contributions[0]
    zero = float(np.mean(terms == 0))
    top_i, top_j = np.unravel_index(int(np.argmax(np.abs(terms))), terms.shape)
    st.latex(
        rf"\sum_{{i,j}} (\text{{{g.positions:,} terms}}) = {tex_number(g.total)}"
        rf"\qquad \text{{autograd: }} \frac{{\partial L}}{{\partial w_{{{c},{u},{v}}}}}"
        rf" = {tex_number(g.autograd)}"
        rf"\qquad |\Delta| = {tex_number(abs(g.total - g.autograd), 1)}"
    )
    st.markdown(
        f"The weight is used at all **{g.positions:,}** positions of the "
        f"{terms.shape[0]}×{terms.shape[1]} feature map, so its gradient collects "
        f"{g.positions:,} terms (computed in float64; autograd agrees to rounding). "
        f"**{100 * zero:.0f}%** of them are exactly 0: where the ReLU is off or the position "
        "lost its max-pooling window, no gradient comes back. The largest term is at "
        f"(i, j) = ({top_i}, {top_j}): {terms[top_i, top_j]:.3e}."
    )
    a, b = st.columns(2)
    show_figure(
        signed_map_figure(g.upstream[0], f"∂L/∂z[{c}, i, j] (from above)", "∂L/∂z"),
        "cv_sg_upstream",
        a,
    )
    show_figure(
        signed_map_figure(
            g.inputs[0], f"x[i+{u}, j+{v}]: the pixel w[{c},{u},{v}] multiplies", "pixel"
        ),
        "cv_sg_inputs",
        b,
    )
    st.caption(
        "Their product, position by position, is the map above. Pixels are as the network "
        "sees them: normalised to [-1, 1], so the black background is -1 and also counts. "
        "All three maps: blue < 0 < red, white = 0."
    )
