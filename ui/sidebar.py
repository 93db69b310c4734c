"""The sidebar every page shares."""

from __future__ import annotations

import streamlit as st
import torch

from cnnplay.device import device_label, get_device


@st.cache_resource
def _device_text() -> str:
    """Computed once per server process: the device does not change while it runs."""
    return device_label(get_device())


def device_badge() -> None:
    """Show which torch device computes (CPU, or the CUDA device's name)."""
    label = _device_text()
    icon = ":material/memory:" if label.startswith("CPU") else ":material/bolt:"
    st.sidebar.caption(f"{icon} **Computing on:** {label}  \ntorch {torch.__version__}")
