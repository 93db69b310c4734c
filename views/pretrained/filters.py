"""The Filters tab: the first convolution's kernels drawn as colour pictures, and why deeper
kernels cannot be drawn that way."""

from __future__ import annotations

import streamlit as st

from cnnplay.explain import first_conv_filters
from cnnplay.plots.images import tile_maps
from ui.page import tab_body
from views.pretrained.common import Seen


@tab_body
def render(seen: Seen) -> None:
    kernels = first_conv_filters(seen.model)  # (K, kh, kw, 3)
    k, kh, kw = kernels.shape[:3]
    st.image(
        tile_maps(kernels, cols=8, gap=2, upscale=max(1, 48 // kh)),
        caption=f"The {k} kernels of the first convolution, {kh}×{kw}×3 each, as colour pictures "
        "(grey = 0; each kernel scaled on its own)",
    )
    st.markdown(
        "A first-layer kernel has exactly three input channels — red, green, blue — so it can "
        "be drawn as a tiny colour picture: light-to-dark edges and colour blobs. A deeper "
        "kernel's inputs are the previous layer's *feature maps* (dozens or hundreds of "
        "channels, not colours), so its weights form no picture we can read. To see what deeper "
        "layers respond to, look at their **feature maps** and at **gradients** instead."
    )
    if kh <= 3:
        st.caption(
            f"This network's first kernels are only {kh}×{kw}: too small to show clear edges. "
            "Networks with larger first kernels (AlexNet 11×11, ResNet 7×7) show Gabor-like "
            "stripes and colour blobs."
        )
