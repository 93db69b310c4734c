"""The Feature maps tab (seed 000): the strongest maps of one layer for the photo; deeper layers
have smaller, more numerous maps."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnplay.explain import strongest_channels
from cnnplay.plots.images import tile_maps
from cnnplay.snippets import pretrained as code
from ui.code_panel import code_panel
from ui.figures import show_table
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.pretrained.common import Seen, feature_maps, layers, session_copy

TILE_PX = 64  # feature-map tiles are magnified to about this side


@tab_body
def render(seen: Seen) -> None:
    private = session_copy(seen.name, seen.model)  # layer_table and activations hook it
    table = layers(seen.name, private)
    labels = [
        f"{r.name} ({r.kind}) — {r.shape[0]} maps of {r.shape[1]}×{r.shape[2]}" for r in table
    ]
    c1, c2 = st.columns([3, 1])
    pick = c1.selectbox(
        "Layer", labels, index=len(labels) // 3, key="pt_layer", persist_state=KEEP, bind=LINK
    )
    count = c2.slider("Maps shown", 4, 64, 32, step=4, key="pt_maps", persist_state=KEEP, bind=LINK)
    row = table[labels.index(pick)]
    maps = feature_maps(seen.name, row.name, seen.digest, private, seen.x)  # (C, h, w)
    order = strongest_channels(maps, count)
    upscale = max(1, TILE_PX // row.shape[1])
    st.image(
        tile_maps(maps[order], cols=8, upscale=upscale),
        caption=f"{row.name}: the {len(order)} strongest of {row.shape[0]} maps (highest mean "
        "activation first), each stretched to its own min–max; bright = strong",
    )
    means = maps.mean(axis=(1, 2))
    st.markdown(
        f"Strongest channel: **{int(order[0])}** (mean {means[order[0]]:.3f}); "
        f"{int((maps.max(axis=(1, 2)) <= 0).sum())} of {row.shape[0]} maps are all zero or "
        "negative here."
    )
    code_panel(
        lambda: code.feature_maps(seen.name, seen.prep.cropped, row.name, count), "pt_code_maps"
    )
    first, last = table[0], table[-1]
    st.markdown(
        f"Going deeper, the maps get **smaller** and **more numerous**: from {first.shape[0]} "
        f"maps of {first.shape[1]}×{first.shape[2]} at `{first.name}` to {last.shape[0]} maps "
        f"of {last.shape[1]}×{last.shape[2]} at `{last.name}`. Each deep unit sees a larger "
        "part of the image and stands for a more abstract pattern."
    )
    with st.expander("All layers and their output shapes"):
        frame = pd.DataFrame(
            {
                "layer": [r.name for r in table],
                "kind": [r.kind for r in table],
                "channels": [r.shape[0] for r in table],
                "size": [f"{r.shape[1]}×{r.shape[2]}" for r in table],
            }
        )
        show_table(frame, hide_index=True, key="pt_layer_table")
