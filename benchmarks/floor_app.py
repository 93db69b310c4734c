"""The floor of benchmarks/browser_rerun.py: two trivial pages served the same way as the app,
so its figures can be read against what Streamlit and the browser cost with (almost) no work.

- ``/text``: a number input and one line of text;
- ``/chart``: the same and one small plotly heatmap that changes with the number (what drawing
  one changed chart costs the browser).

Like the app (ui.server.prepare_process), it freezes the start-up objects out of the garbage
collector once, so Streamlit's collection after every run does not walk them."""

import gc

import plotly.graph_objects as go
import streamlit as st

if not gc.get_freeze_count():  # as ui.server.prepare_process does for the app
    gc.collect()
    gc.freeze()


def text() -> None:
    st.title("Floor: text")
    value = st.number_input("Value", 0, 1000, 5, key="floor_text")
    st.write(f"value = {value}")


def chart() -> None:
    st.title("Floor: one chart")
    value = st.number_input("Value", 0, 1000, 5, key="floor_chart")
    st.write(f"value = {value}")
    st.plotly_chart(go.Figure(go.Heatmap(z=[[value, 1], [2, 3]])), key="floor_heatmap")


def home() -> None:
    st.title("Floor")


st.navigation(
    [st.Page(home, default=True), st.Page(text, url_path="text"), st.Page(chart, url_path="chart")]
).run()
