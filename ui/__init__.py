"""Streamlit helpers shared by app.py and the pages (widgets, sidebar, page catalogue).

The computation lives in ``cnnplay/``; this package only turns it into widgets and layout, so
that no page re-declares the same controls.
"""
