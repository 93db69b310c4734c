"""What several tabs of the Bottleneck & cost page share: the widgets' defaults, LaTeX number
formatting, and the cached counts of real networks (built on the meta device)."""

from __future__ import annotations

from functools import partial

import streamlit as st
import torch

from cnnplay.cost import CostReport, count
from cnnplay.models.zoo import ARCHITECTURES, INPUT_CHANNELS, INPUT_SIDE, TORCHVISION_NAME
from ui.figures import show_figure

DEFAULTS = dict(  # session-state defaults of values the page keeps itself (set when absent)
    bn_ex_sel=0,  # the exercise layer whose arithmetic is shown (a click on a bar)
    bn_ex_version=0,  # bumped after each bar click: a fresh chart key, a fresh selection
    bn_md_sel=0,  # the row of the real network whose details are shown
    bn_md_version=0,  # bumped after each bar click on the real network's chart
)

show = partial(show_figure, width="stretch")


def set_defaults() -> None:
    """Give the page's own state its defaults unless the student has changed it."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)


def n(value: int) -> str:
    """An integer with thousands separators, for LaTeX."""
    return f"{value:,}".replace(",", "{,}")


@st.cache_data(max_entries=64, show_spinner=False)
def model_cost(name: str, side: int) -> CostReport:
    """count() of one architecture, built on the meta device (no weights, no memory)."""
    with torch.device("meta"):
        model = ARCHITECTURES[name]()
    return count(model, (1, INPUT_CHANNELS[name], side, side))


@st.cache_data(max_entries=16, show_spinner=False)
def published(name: str) -> dict:
    """torchvision's own figures for a model (weights metadata; nothing is downloaded)."""
    from torchvision.models import get_model_weights

    tv = TORCHVISION_NAME.get(name)
    if tv is None:
        return {}
    meta = get_model_weights(tv).DEFAULT.meta
    return {"params": meta["num_params"], "gflops": meta["_ops"]}


@st.cache_data(max_entries=16, show_spinner=False)
def field_of(name: str) -> int:
    """The theoretical receptive field (pixels, one side) of one output unit of a network."""
    from cnnplay.receptive import receptive_field

    with torch.device("meta"):
        model = ARCHITECTURES[name]()
    return receptive_field(model, INPUT_SIDE[name])
