"""What the Kernels page's tabs keep in session state: the defaults of their settings."""

from __future__ import annotations

import streamlit as st

DEFAULTS = {  # session-state defaults (set when absent; these widgets pass no default)
    "kn_ph_size": 5,  # Photos: kernel size
    "kn_1d_x": 11.5,  # 1D convolution: the shift x (seed 004's point)
    "kn_gps_width": 5,  # GPS smoothing: width of the weighting function w (samples)
    "kn_gps_noise": 1.0,  # GPS smoothing: noise of the readings (metres)
}


def set_defaults() -> None:
    """Give the page's settings their defaults unless the student has set them."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
