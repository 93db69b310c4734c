"""The DeconvNet tab (being built)."""

from __future__ import annotations

import streamlit as st

from ui.page import tab_body
from views.learned.common import Net


@tab_body
def render(net: Net) -> None:
    st.info("This tab is being built.")
