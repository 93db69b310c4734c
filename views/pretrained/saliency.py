"""The Saliency tab (seed 002): the gradient, guided backprop and Grad-CAM for one class."""

from __future__ import annotations

import streamlit as st

from cnnplay.plots.images import heat_colours, heat_overlay, normalise_map
from cnnplay.snippets import pretrained as code
from ui.code_panel import code_panel
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.pretrained.common import Seen, explanations, layers, session_copy

GRAD_PERCENTILE = 99.5  # gradient maps: this percentile of |grad| is full brightness
CLASS_KEY = "pt_class"  # the class to explain; the Occlusion tab reads it too


@tab_body
def render(seen: Seen) -> None:
    private = session_copy(seen.name, seen.model)  # layer_table and grad_cam hook it
    table = layers(seen.name, private)
    names = [r.name for r in table]
    c1, c2 = st.columns(2)
    target = c1.selectbox(
        "Class to explain",
        seen.classes,
        format_func=seen.class_label,
        key=CLASS_KEY,
        index=0,
        persist_state=KEEP,
        bind=LINK,
    )
    layer = c2.selectbox(
        "Grad-CAM layer",
        names,
        index=len(names) - 1,
        key="pt_cam_layer",
        persist_state=KEEP,
        bind=LINK,
    )
    if st.button("Explain this class", key="pt_explain"):
        st.session_state.pt_explain_on = True

    def panel() -> None:  # the code is there before the button is pressed, and below the maps
        code_panel(
            lambda: code.explanations(seen.name, seen.prep.cropped, int(target), layer),
            "pt_code_explain",
        )

    if not st.session_state.get("pt_explain_on"):
        st.caption("Gradients need a backward pass through the network: press the button.")
        panel()
        return
    with st.spinner("Back-propagating to the pixels…"):
        maps = explanations(seen.name, layer, int(target), seen.digest, seen.model, private, seen.x)
    picture = seen.prep.cropped
    a, b, c, d = st.columns(4)
    a.image(picture, caption="input (centre crop)")
    b.image(
        heat_colours(normalise_map(maps["saliency"], percentile=GRAD_PERCENTILE)),
        caption="saliency |∂logit/∂pixel| (max over RGB)",
    )
    guided = normalise_map(maps["guided"].transpose(1, 2, 0), True, GRAD_PERCENTILE)
    c.image(guided, caption="guided backprop (grey = 0)")
    d.image(heat_overlay(picture, maps["cam"]), caption=f"Grad-CAM on {layer}")
    st.markdown(
        f"All three explain **{seen.cats[int(target)]}**. The *gradient* says which pixels would "
        "change the class score most if nudged; *guided backprop* keeps only positive signals "
        "through each ReLU, which gives sharper, edge-like pictures; *Grad-CAM* weights the "
        "chosen layer's maps by their average gradient — coarse (that layer's resolution) but "
        "class-specific. Pick another class to see where the network finds *its* evidence."
    )
    panel()
