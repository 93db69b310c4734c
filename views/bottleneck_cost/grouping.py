"""The channel-grouping part of the Bottleneck tab (seed 002): a connection diagram of which
input channels each output channel sees, for groups 1, 2, 4 and depthwise, beside the weights
each one needs with the tab's widths."""

from __future__ import annotations

import pandas as pd
import streamlit as st

from cnnplay.cost import BlockSettings
from cnnplay.grouping import grouped_weights, grouping_figure
from ui.figures import show_table
from ui.notes import from_the_notes, notes_name
from views.bottleneck_cost.common import show

DIAGRAM_CHANNELS = 8  # channels in and out of the drawn example (256 lines would be a blur)
DIAGRAM_GROUPS = [1, 2, 4, DIAGRAM_CHANNELS]  # the last one is depthwise
DIAGRAM_TITLES = ["groups = 1", "groups = 2", "groups = 4", "depthwise (8)"]


def counts_table(s: BlockSettings) -> pd.DataFrame:
    """Weights of a k×k convolution with the tab's widths for groups 1, 2, 4 and depthwise
    (groups = c_in); "—" where the groups do not divide both channel counts."""
    rows = []
    plain = grouped_weights(s.c_in, s.c_out, 1, s.kernel)
    choices = [("groups = 1", 1), ("groups = 2", 2), ("groups = 4", 4)]
    for name, g in choices + [(f"depthwise (groups = {s.c_in})", s.c_in)]:
        if s.c_in % g or s.c_out % g:
            seen, weights, saving = "—", "—", f"{g} does not divide {s.c_in} and {s.c_out}"
        else:
            w = grouped_weights(s.c_in, s.c_out, g, s.kernel)
            seen, weights = f"{s.c_in // g} input channels", f"{w:,}"
            saving = f"{plain / w:.0f}× fewer" if g > 1 else "—"
        rows.append(
            {
                "convolution": name,
                "each output sees": seen,
                "weights = MACs per position": weights,
                "vs groups = 1": saving,
            }
        )
    return pd.DataFrame(rows)


def render(s: BlockSettings) -> None:
    st.subheader("Which channels each filter sees")
    st.markdown(
        f"Channel grouping, as in {notes_name('002')}, drawn for {DIAGRAM_CHANNELS} channels in "
        "and out: a "
        "line joins an output channel to every input channel its filter reads; colours are "
        "groups. With **g** groups each output sees c_in / g inputs, so the weights and the "
        "multiply-adds fall by g; depthwise (g = c_in) keeps one input per output and leaves "
        "the mixing of channels to a 1×1 convolution after it."
    )
    from_the_notes(("002", "Channel Grouping"))
    figure = grouping_figure(DIAGRAM_CHANNELS, DIAGRAM_GROUPS, DIAGRAM_TITLES)
    show(figure, "bn_groups_chart")
    st.markdown(
        f"**The same four with your widths** ({s.c_in} → {s.c_out} channels, "
        f"{s.kernel}×{s.kernel} kernel):"
    )
    show_table(counts_table(s), hide_index=True, key="bn_groups_table")
