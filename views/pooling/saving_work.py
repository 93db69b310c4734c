"""The "Saving work" tab: a small conv stack with a max pool after each convolution against the
same stack without pooling: map sizes, values held and multiply-adds, layer by layer."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnplay.ops.pool import pooling_savings
from ui.figures import show_table
from ui.links import LINK
from ui.page import KEEP, tab_body

CHANNELS = (3, 16, 32, 64)  # the stack's channels, input first
KERNEL = 3  # its zero-padded convolutions are KERNEL×KERNEL


@tab_body
def render() -> None:
    st.markdown(
        "A small stack of zero-padded 3×3 convolutions (3 → 16 → 32 → 64 channels), with a max "
        "pool after each, against the same stack without pooling."
    )
    c1, c2 = st.columns(2)
    side = c1.number_input(
        "Input side (pixels)", 8, 1024, key="pl_sv_side", persist_state=KEEP, bind=LINK
    )
    pool = c2.number_input(
        "Pool window (= stride)", 2, 4, key="pl_sv_pool", persist_state=KEEP, bind=LINK
    )
    rows = pooling_savings(side, CHANNELS, KERNEL, pool)
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
    show_table(table, hide_index=True, key="pl_sv_table")
    with_pool = sum(r.macs_pooled for r in rows)
    without = sum(r.macs_plain for r in rows)
    sides = r" \to ".join(str(r.side_pooled) for r in rows if r.layer.startswith(("input", "max")))
    st.latex(
        rf"\text{{sides: }} {sides};\quad \text{{multiply-adds: }} {with_pool:,}"
        rf" \text{{ vs }} {without:,} \;(\times {without / max(with_pool, 1):.1f})".replace(
            ",", "{,}"
        )
    )
