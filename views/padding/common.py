"""What several tabs of the Padding, stride & dilation page share: the padding modes' labels and
the defaults of settings that are kept in session state."""

import streamlit as st

DEFAULTS = {  # session-state defaults (set when absent; the widgets pass no default)
    "pd_s1_i": 3,  # worked-example tab: the output cell spelled out (row), a misprinted cell
    "pd_s1_j": 0,  # ... and its column
}

MODE_LABELS = {  # torch's padding_mode -> the name the notes use
    "zeros": "zeros",
    "reflect": 'reflect ("mirroring")',
    "replicate": 'replicate ("repetition")',
    "circular": "circular (wrap around)",
}


def set_defaults() -> None:
    """Give the page's settings their defaults unless the student has set them."""
    for key, value in DEFAULTS.items():
        st.session_state.setdefault(key, value)
