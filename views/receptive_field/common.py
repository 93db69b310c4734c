"""What several tabs of the Receptive field page share: the widgets' defaults, the cached
networks (random weights, or EfficientNet-Lite0's ImageNet weights) and their field tables, the
input-side control (fixed for a network built for one size), and small helpers that keep a
widget's stored value valid when its options change."""

from __future__ import annotations

from collections.abc import Sequence

import streamlit as st
import torch

from cnnplay.models.copies import random_without_linear
from cnnplay.models.pretrained import DEFAULT_MODEL, efficientnet_lite0_architecture
from cnnplay.models.zoo import (
    ARCHITECTURES,
    FIXED_INPUT_SIDE,
    INPUT_CHANNELS,
    fixed_side_note,
)
from cnnplay.receptive import PRESETS, receptive_field_table
from ui.links import LINK
from ui.models import shared_pretrained
from ui.page import KEEP
from ui.sessions import release_when_idle

NETWORKS = [  # display names in cnnplay.models.zoo.ARCHITECTURES
    n
    for n in (
        "AlexNet",
        "VGG-16",
        "ResNet-18",
        "ResNet-50",
        "MobileNetV2",
        "GoogLeNet",
        "DenseNet-121",
        "LeNet-5",
    )
    if n in ARCHITECTURES
]
LITE0_RANDOM = "EfficientNet-Lite0 — random weights"
LITE0_TRAINED = "EfficientNet-Lite0 — pretrained on ImageNet"
BLOCKED = ":material/block:"  # icon of an error that stops a tab
CHOSEN_NET = "chosen"  # the On an image tab's first network: the Real network tab's choice
FIRST_PRESET = next(iter(PRESETS))
DEFAULTS = {  # session-state defaults of the page's widgets and state (set when absent)
    "rf_preset": FIRST_PRESET,
    "rf_size": PRESETS[FIRST_PRESET][0],
    "rf_unit": (0, 0),  # the unit clicked in the Stack of layers tab
    "rf_version": 0,  # renews the unit grid's chart key after each click
    "rf_net": "ResNet-18",
    "rf_net_side": 224,
    "rf_img_net": CHOSEN_NET,
    "rf_side": 160,
    "rf_F": 7,
    "rf_C": 64,
}


def set_defaults() -> None:
    """Give every widget of the page its default unless the student has set it (a widget reads
    its value from session state, so none of them passes a default of its own)."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)


def keep_option(key: str, options: Sequence, default: object) -> None:
    """Before a selectbox is drawn: its stored value, or ``default`` where that is not one of
    ``options`` (yet, or any more: the options depend on another setting)."""
    if st.session_state.get(key) not in options:
        st.session_state[key] = default


def keep_in_range(key: str, low: int, high: int, default: int) -> None:
    """Before a number input is drawn: its stored value, or ``default`` where that is missing or
    outside low … high (the range depends on another setting)."""
    value = st.session_state.get(key)
    if value is None or not low <= value <= high:
        st.session_state[key] = default


def input_side(name: str, sides: Sequence[int], key: str) -> int:
    """The tab's "Input side" selectbox: one of ``sides``, kept under ``key``; for a network
    built for one input side (FIXED_INPUT_SIDE: LeNet-5's classifier needs 32×32), that side
    alone, disabled, with the sentence that says why. The student's choice under ``key`` is left
    as it was, so it is back when another network is chosen."""
    note = fixed_side_note(name)
    if note is None:
        return int(st.selectbox("Input side", sides, key=key, persist_state=KEEP, bind=LINK))
    side = FIXED_INPUT_SIDE[name]
    st.selectbox(
        "Input side",
        [side],
        key=f"{key}_fixed",
        disabled=True,
        help=note,
        persist_state=KEEP,
        bind=LINK,
    )
    st.caption(note)
    return side


def input_channels(name: str) -> int:
    """Channels of the network's input: 1 for LeNet-5 (grey digits), else 3 (RGB)."""
    return INPUT_CHANNELS.get(name, 3)


def span_text(first: int, last: int, n: int) -> str:
    """'2–5' plus a note on how much lies in the padding."""
    outside = max(0, -first) + max(0, last - (n - 1))
    note = f" ({outside} of them in the padding, outside the image)" if outside else ""
    return f"{first}–{last}{note}"


ERF_NET_TTL_S = 600  # an idle server lets go of the random network after ten minutes


@release_when_idle
@st.cache_resource(
    max_entries=1, ttl=ERF_NET_TTL_S, show_spinner="Building the network (random weights)…"
)
def network(name: str) -> torch.nn.Module:
    """Shared, read-only: fixed random weights (seed 0), for effective fields only (the tables
    need no weights: :func:`network_table`). One network at a time, for all sessions, built
    without its classifier's weights (a conv unit's field never reaches it): VGG-16 holds
    59 MB, not 528 MB. Only copied (module tree, weights shared), never hooked or trained."""
    return random_without_linear(ARCHITECTURES[name], seed=0)


@release_when_idle
@st.cache_resource(max_entries=1, show_spinner="Building EfficientNet-Lite0 (random weights)…")
def random_lite0() -> torch.nn.Module:
    """Shared, read-only, like network(): EfficientNet-Lite0 with random weights (seed 0), to
    compare its effective field with the pretrained one's (17 MB without its classifier)."""
    return random_without_linear(efficientnet_lite0_architecture, seed=0)


def any_network(name: str) -> torch.nn.Module:
    """A torchvision definition with random weights, or one of the two EfficientNet-Lite0s (the
    pretrained one is the app's shared copy, ui.models.shared_pretrained)."""
    if name == LITE0_TRAINED:
        return shared_pretrained(DEFAULT_MODEL)
    if name == LITE0_RANDOM:
        return random_lite0()
    return network(name)


def shapes_only(name: str) -> torch.nn.Module:
    """The network's architecture on the meta device: shapes, no weights, milliseconds."""
    with torch.device("meta"):
        if name in (LITE0_TRAINED, LITE0_RANDOM):
            return efficientnet_lite0_architecture().eval()
        return ARCHITECTURES[name]().eval()


@st.cache_data(max_entries=32, show_spinner="Following the fields through the network…")
def network_table(name: str, side: int) -> list:
    """receptive_field_table of a network at a side×side input (shapes only: meta device, so
    no network's weights are built for a table)."""
    return receptive_field_table(shapes_only(name), side)
