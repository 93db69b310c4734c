"""Showing cnnplay.plots figures the same way on every page."""

from __future__ import annotations

from typing import Literal

import pandas as pd
import plotly.graph_objects as go
import streamlit as st

from cnnplay.plots.style import CHART_CONFIG, ink_on_white


def show_figure(
    fig: go.Figure,
    key: str,
    where=st,
    width: Literal["content", "stretch"] = "content",
) -> None:
    """``where.plotly_chart`` with the app's chart config (one mode-bar button: PNG download)
    and text on a white plot area kept dark in the dark theme (:func:`ink_on_white`);
    ``where`` is ``st`` or a container / column; grids keep their own size ("content"), wide
    charts "stretch"."""
    where.plotly_chart(ink_on_white(fig), key=key, width=width, config=CHART_CONFIG)


LONG_TEXT = 24  # characters: a text column holding longer cells gets the widest column
SEPARATED_FROM = 10_000  # integers from here up are shown with thousands separators


def table_columns(frame: pd.DataFrame) -> dict[str, st.column_config.Column]:
    """Column settings that keep a table readable: integer columns with thousands separators
    in the reader's locale (18,874,368), and text columns with long cells (a sentence per row)
    as wide as Streamlit allows. Column titles size their columns by themselves."""
    config: dict[str, st.column_config.Column] = {}
    for name in frame.columns:
        column, title = frame[name], str(name)
        if pd.api.types.is_bool_dtype(column) or not len(column):
            continue
        if pd.api.types.is_integer_dtype(column):
            if int(column.abs().max()) >= SEPARATED_FROM:
                config[title] = st.column_config.NumberColumn(title, format="localized")
        elif _is_text(column) and int(column.astype(str).str.len().max()) > LONG_TEXT:
            config[title] = st.column_config.TextColumn(title, width="large")
    return config


def _is_text(column: pd.Series) -> bool:
    return pd.api.types.is_object_dtype(column) or pd.api.types.is_string_dtype(column)


def show_table(frame: pd.DataFrame, key: str | None = None, where=st, **kwargs) -> None:
    """``where.dataframe`` without the index, with :func:`table_columns`'s settings; a
    ``column_config`` passed in wins for the columns it names."""
    config = {**table_columns(frame), **kwargs.pop("column_config", {})}
    kwargs.setdefault("hide_index", True)
    where.dataframe(frame, key=key, column_config=config, **kwargs)
