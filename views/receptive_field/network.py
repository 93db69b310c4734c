"""The "Real network" tab: the theoretical field after every convolution and pool of a
torchvision network, followed through a real forward pass (shapes only)."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnplay.models.zoo import INPUT_SIDE
from cnnplay.plots.receptive import field_growth_figure
from cnnplay.receptive import InputSizeError
from ui.figures import show_figure, show_table
from ui.hosting import profile
from ui.links import LINK
from ui.page import KEEP, tab_body
from views.receptive_field.common import (
    BLOCKED,
    DEFAULTS,
    NETWORKS,
    input_side,
    keep_option,
    network_table,
)

SIDES = [32, 64, 128, 224, 320]


@tab_body
def render() -> None:
    c1, c2 = st.columns([2, 1])
    offered = [n for n in NETWORKS if n not in profile().hidden_networks]  # hosted: no VGG-16
    keep_option("rf_net", offered, DEFAULTS["rf_net"])
    name = c1.selectbox(
        "Network (torchvision definition, random weights)",
        offered,
        key="rf_net",
        persist_state=KEEP,
        bind=LINK,
    )
    with c2:
        side = input_side(name, SIDES, "rf_net_side")
    try:
        rows = network_table(name, side)
    except InputSizeError as err:
        st.error(f"{name} cannot run on a {side}×{side} input: {err.reason}.", icon=BLOCKED)
        return
    final = max(r.size for r in rows)
    st.markdown(
        f"**{name}**: {len(rows)} convolution / pooling layers; one unit of its last feature map "
        f"sees **{final}×{final}** pixels (the theoretical field; {side}×{side} input, native "
        f"{INPUT_SIDE.get(name, 224)})."
        + (
            " Its field is **larger than the image**: most of it is padding."
            if final > side
            else ""
        )
    )
    st.caption(
        "Computed by following every tensor through a real forward pass (on the meta device: "
        "shapes only): convolutions and pools apply the recurrence, residual additions and "
        "concatenations take the union of their branches' fields. So ResNet shortcuts, inception "
        "branches and dense concatenations are handled, not only chains."
    )
    frame = pd.DataFrame([r.as_dict() for r in rows])
    show_table(frame, hide_index=True, key="rf_net_table", height=320)
    show_figure(
        field_growth_figure(
            [r.name for r in rows],
            [r.size for r in rows],
            [r.jump for r in rows],
            f"{name}: field size per layer",
        ),
        "rf_net_growth",
    )
