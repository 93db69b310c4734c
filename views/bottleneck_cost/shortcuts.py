"""The Shortcuts tab (seeds 001, 002 on ResNet): the gradient norm reaching each layer of a deep
plain stack against the same stack with identity shortcuts, on one batch of random inputs with
the same seeded weights, per layer on a log scale: vanishing gradients made visible."""

from __future__ import annotations

import streamlit as st

from cnnplay.shortcuts import StackSettings, gradient_norms
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body
from views.bottleneck_cost.common import show


@st.cache_data(max_entries=16, show_spinner="One forward and backward pass of each stack…")
def norms(s: StackSettings) -> tuple[list[float], list[float]]:
    return list(gradient_norms(s, False)), list(gradient_norms(s, True))


def norms_figure(plain: list[float], residual: list[float]):
    import plotly.graph_objects as go

    layers = list(range(1, len(plain) + 1))
    data = [
        {"type": "scatter", "mode": "lines+markers", "x": layers, "y": y, "name": name}
        for name, y in (("plain stack", plain), ("with identity shortcuts", residual))
    ]
    layout = {
        "height": 360,
        "margin": {"l": 60, "r": 10, "t": 30, "b": 50},
        "xaxis": {"title": {"text": "layer (1 = nearest the input)"}},
        "yaxis": {"title": {"text": "‖∂loss/∂weights‖"}, "type": "log", "exponentformat": "e"},
        "legend": {"orientation": "h", "y": 1.12},
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)


@tab_body
def render() -> None:
    st.markdown(
        "Why ResNet's shortcuts let networks go deep (as both "
        f"{notes_name('001')} and {notes_name('002')} explain): the gradient that trains "
        "a layer is a product of one factor per layer above it, and in a plain stack those "
        "factors are mostly below 1, so it **vanishes** on its way down. With an identity "
        "shortcut, x + f(x), each factor is 1 + something, and the gradient reaches the first "
        "layers. Both stacks below have the **same seeded weights** (3×3 conv + ReLU layers, "
        "no normalisation) and see the same batch of random images and labels."
    )
    from_the_notes(
        ("001", "ResNet (2016)"), ("002", "Case Study: ResNet (2016)", "Unraveled ResNet")
    )
    c1, c2, c3 = st.columns(3)
    depth = c1.slider("Layers", 2, 60, 30, key="bn_sc_depth", persist_state=KEEP, bind=LINK)
    width = c2.select_slider(
        "Channels", [4, 8, 16, 32], 16, key="bn_sc_width", persist_state=KEEP, bind=LINK
    )
    seed = c3.number_input("Seed", 0, 10_000, 0, key="bn_sc_seed", persist_state=KEEP, bind=LINK)
    s = StackSettings(depth=int(depth), width=int(width), seed=int(seed))
    plain, residual = norms(s)
    show(norms_figure(plain, residual), "bn_sc_chart")
    st.markdown(
        f"First layer: **{plain[0]:.1e}** in the plain stack, **{residual[0]:.1e}** with "
        f"shortcuts (**{residual[0] / max(plain[0], 1e-300):.1e}×** more). Last layer: "
        f"{plain[-1]:.1e} and {residual[-1]:.1e}. A plain stack's early layers get almost no "
        "signal to learn from; batch normalisation and careful initialisation help too, but "
        "the shortcut is what let ResNet train 152 layers."
    )
