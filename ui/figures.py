"""Showing cnnplay.plots figures the same way on every page."""

from __future__ import annotations

from typing import Literal

import plotly.graph_objects as go
import streamlit as st

from cnnplay.plots.style import CHART_CONFIG


def show_figure(
    fig: go.Figure,
    key: str,
    where=st,
    width: Literal["content", "stretch"] = "content",
) -> None:
    """``where.plotly_chart`` with the app's chart config (no mode bar); ``where`` is ``st`` or a
    container / column; grids keep their own size ("content"), wide charts "stretch"."""
    where.plotly_chart(fig, key=key, width=width, config=CHART_CONFIG)
