"""The "Why 'convolution'?" tab of the Kernels page (seed 002): noisy GPS readings x(t) of a
car, smoothed by a weighting function w (its width on a slider), and x * w = w * x shown with
numbers."""

from __future__ import annotations

import numpy as np
import streamlit as st

from cnnplay.ops.conv1d import causal_weights, convolve_discrete, noisy_track
from cnnplay.plots.conv1d import track_figure
from ui.figures import show_figure
from ui.links import LINK
from ui.notes import from_the_notes, notes_name
from ui.page import KEEP, tab_body

N = 120  # seconds of readings
CHECK_T = 60  # the time whose two sums are written out


@tab_body
def render() -> None:
    st.markdown(
        f"Why is it called convolution? {notes_name('002', capital=True)} answer with a car: "
        "its GPS gives noisy readings x(t) of its position. Estimate the position by a "
        "**weighted average of the recent readings**, with a weighting function w (it sums to 1 "
        "and gives no weight to the future). That "
        "weighted average is the **convolution** of x with w; w is the **kernel**."
    )
    from_the_notes(("002", "Why Called Convolution?"))
    st.latex(r"y(t) \approx (x * w)(t) = \sum_s x(s)\, w(t - s)")
    c1, c2 = st.columns(2)
    width = int(
        c1.slider("width of w (readings)", 1, 25, key="kn_gps_width", persist_state=KEEP, bind=LINK)
    )
    noise = float(
        c2.slider(
            "GPS noise (m)", 0.0, 3.0, step=0.25, key="kn_gps_noise", persist_state=KEEP, bind=LINK
        )
    )
    truth, readings = noisy_track(N, noise)
    w = causal_weights(width)  # (width,)
    xw = convolve_discrete(readings, w)  # (N + width - 1,): ∑_s x(s) w(t - s)
    wx = convolve_discrete(w, readings)  # ∑_s w(s) x(t - s)
    show_figure(track_figure(truth, readings, xw[:N]), "kn_gps_track", width="stretch")
    err_raw = float(np.sqrt(np.mean((readings - truth)[width:] ** 2)))
    err_smooth = float(np.sqrt(np.mean((xw[:N] - truth)[width:] ** 2)))
    st.markdown(
        f"w = ({', '.join(f'{v:.3f}'.rstrip('0').rstrip('.') for v in w)}): the newest "
        "reading weighs most. "
        f"Root-mean-square error after the first {width} s: readings **{err_raw:.2f} m**, "
        f"estimate **{err_smooth:.2f} m**. A wider w averages away more noise but lags "
        "behind when the car changes speed."
    )
    st.markdown(
        "**Convolution commutes**, x ∗ w = w ∗ x: substitute s → t − s in the sum. "
        f"The two sums at t = {CHECK_T}:"
    )
    st.latex(
        rf"\sum_s x(s)\, w({CHECK_T} - s) = {xw[CHECK_T]:.6f}"
        rf"\qquad \sum_s w(s)\, x({CHECK_T} - s) = {wx[CHECK_T]:.6f}"
    )
    gap = float(np.max(np.abs(xw - wx)))
    st.markdown(
        f"Over all {xw.size} values of t: largest |x∗w − w∗x| = **{gap:.1e}** "
        f"({'equal' if gap < 1e-9 else 'not equal'}, up to rounding)."
    )
