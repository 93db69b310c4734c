"""Models shared by pages: one cached, read-only copy per backbone name for all sessions."""

from __future__ import annotations

import streamlit as st
import torch

from cnnplay.models.pretrained import load_pretrained


@st.cache_resource(max_entries=2, show_spinner=False)
def shared_pretrained(name: str) -> torch.nn.Module:
    """``load_pretrained(name)`` with a progress bar, cached for every session: eval mode,
    frozen; never hook, train or change it (copy what a session changes)."""
    bar = st.progress(0.0, text=f"Loading {name}…")

    def on_progress(step: int, total: int, metrics: dict) -> None:
        bar.progress(min(1.0, step / max(total, 1)), text=f"Loading {name}: {step}/{total}")

    try:
        return load_pretrained(name, on_progress)
    finally:
        bar.empty()
