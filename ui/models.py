"""Models shared by pages: one cached, read-only copy per backbone name for all sessions."""

from __future__ import annotations

import streamlit as st
import torch

from cnnplay.models.pretrained import (
    DEFAULT_MODEL,
    REGISTRY,
    PretrainedUnavailable,
    load_pretrained,
)
from ui.links import LINK
from ui.page import KEEP
from ui.progress import progress_bar


@st.cache_resource(max_entries=2, show_spinner=False)
def shared_pretrained(name: str) -> torch.nn.Module:
    """``load_pretrained(name)`` with a progress bar, cached for every session: eval mode,
    frozen; never hook, train or change it (copy what a session changes). Every page that needs
    an ImageNet backbone calls this, so the weights are in memory once per server."""
    with progress_bar(f"Loading {name}:") as on_progress:
        return load_pretrained(name, on_progress)


def pick_network(prefix: str, where=st) -> tuple[str, torch.nn.Module]:
    """The "Network" select of a page that runs an ImageNet backbone (key ``{prefix}_model``),
    its one-line description, and the shared model. A network that cannot be loaded (no
    network to download it) falls back to the offline default: the page reruns once with the
    select showing what runs instead and, under it, why (kept until another network is chosen).
    Returns (REGISTRY name, shared read-only model)."""
    key, unavailable = f"{prefix}_model", f"{prefix}_unavailable"
    state = st.session_state
    if (fallback := state.get(unavailable)) is not None and fallback[0] == "pending":
        # set before the widget exists, the only time its value may be set
        state[key] = DEFAULT_MODEL
        state[unavailable] = ("shown", fallback[1])
    name = where.selectbox("Network", list(REGISTRY), key=key, persist_state=KEEP, bind=LINK)
    where.caption(REGISTRY[name].about)
    if (fallback := state.get(unavailable)) is not None:
        if name == DEFAULT_MODEL:
            where.warning(fallback[1], icon=":material/cloud_off:")
        else:  # the student chose another network: the note is old
            del state[unavailable]
    try:
        return name, shared_pretrained(name)
    except PretrainedUnavailable as err:
        state[unavailable] = ("pending", str(err))
        st.rerun()  # once more, with the offline network in the select and the note under it
        raise  # not reached: st.rerun() raises
