"""Make every page run inside app.py's navigation, even on a fresh server's first request."""

from __future__ import annotations

import streamlit as st
from streamlit.runtime.pages_manager import PagesManager


def ensure_navigation() -> None:
    """Call first in every page file.

    Streamlit 1.67 starts in its legacy multipage mode when a folder named ``pages/`` sits next
    to the entry script, and stays there until ``st.navigation`` has run once in the process.
    So if a fresh server's first request is a deep link (``/kernels``, shared by a teacher),
    the page file runs alone: no ``app.py``, no page config, no thread set-up, no sidebar.
    Here the page notices, switches the process to ``st.navigation`` mode (what ``app.py``'s
    call would do) and reruns, so that ``app.py`` runs and opens the same page.
    """
    if PagesManager.uses_pages_directory:
        PagesManager.uses_pages_directory = False
        st.rerun()
