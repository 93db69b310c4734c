"""Models shared by pages: one cached, read-only copy per backbone name for all sessions."""

from __future__ import annotations

import streamlit as st
import torch

from cnnplay.models.pretrained import load_pretrained
from ui.progress import progress_bar


@st.cache_resource(max_entries=2, show_spinner=False)
def shared_pretrained(name: str) -> torch.nn.Module:
    """``load_pretrained(name)`` with a progress bar, cached for every session: eval mode,
    frozen; never hook, train or change it (copy what a session changes). Every page that needs
    an ImageNet backbone calls this, so the weights are in memory once per server."""
    with progress_bar(f"Loading {name}:") as on_progress:
        return load_pretrained(name, on_progress)
