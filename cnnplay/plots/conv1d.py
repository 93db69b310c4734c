"""Figures of the 1D convolution view (seed 004's flip, shift, multiply, integrate; seed 002's
smoothed GPS track): plain plotly specs, as every figure of cnnplay.plots."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go

from cnnplay.ops.conv1d import PiecewiseLinear
from cnnplay.plots.style import CELL_COLOUR, FONT_SIZE, WINDOW_COLOUR

PRODUCT_FILL = "rgba(0,158,115,0.35)"  # the product f(t)·g(x - t), its area shaded
CURVE_COLOUR = "#555555"  # the output curve (f * g)(x)
_LAYOUT = {
    "height": 300,
    "margin": {"l": 40, "r": 10, "t": 40, "b": 40},
    "plot_bgcolor": "white",
    "font": {"size": FONT_SIZE},
    "legend": {"orientation": "h", "y": 1.12, "x": 0},
    "xaxis": {"title": {"text": "t"}, "showgrid": True, "gridcolor": "#eeeeee", "zeroline": False},
    "yaxis": {"showgrid": True, "gridcolor": "#eeeeee", "zeroline": True},
}


def _line(x: np.ndarray, y: np.ndarray, name: str, colour: str, **extra) -> dict:
    return {
        "type": "scatter",
        "mode": "lines",
        "x": x.tolist(),
        "y": y.tolist(),
        "name": name,
        "line": {"color": colour, "width": 2.5},
        **extra,
    }


def _dense(fn: PiecewiseLinear, lo: float, hi: float, n: int = 801) -> tuple[np.ndarray, ...]:
    """Samples of fn on [lo, hi] plus its breakpoints (jumps drawn vertical). -> (t, fn(t))."""
    t = np.unique(np.concatenate([np.linspace(lo, hi, n), fn.t]))
    t = t[(t >= lo) & (t <= hi)]
    jumps = [s for s, s2 in zip(fn.t[:-1], fn.t[1:], strict=True) if s == s2]
    values = fn(t)
    for s in jumps:  # a jump: draw both values at the same t
        k = int(np.searchsorted(t, s))
        left = fn(np.nextafter(s, -np.inf))
        t, values = np.insert(t, k, s), np.insert(values, k, left)
    return t, values


def overlap_figure(
    f: PiecewiseLinear, g: PiecewiseLinear, x: float, t_range: tuple[float, float]
) -> go.Figure:
    """f(t) and the flipped, shifted g(x - t) over t_range, the product's area shaded."""
    lo, hi = t_range
    h = g.flipped_shifted(x)
    tf, vf = _dense(f, lo, hi)
    th, vh = _dense(h, lo, hi)
    tp = np.unique(np.concatenate([tf, th]))
    product = f(tp) * h(tp)
    name = "f(t)·g(x − t): its area is (f∗g)(x)"
    data = [
        _line(tp, product, name, PRODUCT_FILL, fill="tozeroy", fillcolor=PRODUCT_FILL),
        _line(tf, vf, "f(t)", CELL_COLOUR),
        _line(th, vh, f"g({x:g} − t): g flipped, shifted by x", WINDOW_COLOUR),
    ]
    marker = {  # a dotted vertical line at t = x, where the flipped g is centred
        "type": "line",
        "x0": x,
        "x1": x,
        "y0": 0,
        "y1": 1,
        "yref": "paper",
        "line": {"color": WINDOW_COLOUR, "dash": "dot", "width": 1},
    }
    layout = {**_LAYOUT, "xaxis": {**_LAYOUT["xaxis"], "range": [lo, hi]}, "shapes": [marker]}
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def output_curve_figure(
    xs: np.ndarray, values: np.ndarray, x: float, value: float, title: str = "(f ∗ g)(x)"
) -> go.Figure:
    """The whole output curve over xs (n,) with the current x marked."""
    data = [
        _line(xs, values, title, CURVE_COLOUR),
        {
            "type": "scatter",
            "mode": "markers+text",
            "x": [x],
            "y": [value],
            "text": [f"  ({x:g}, {value:.4g})"],
            "textposition": "middle right",
            "marker": {"color": WINDOW_COLOUR, "size": 11},
            "name": "current x",
        },
    ]
    layout = {**_LAYOUT, "xaxis": {**_LAYOUT["xaxis"], "title": {"text": "x"}}}
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def track_figure(truth: np.ndarray, readings: np.ndarray, smooth: np.ndarray) -> go.Figure:
    """A GPS track: the true position, the noisy readings (dots) and their smoothing, (n,) each,
    against time t = 0..n-1."""
    t = np.arange(truth.size, dtype=np.float64)
    data = [
        {
            **_line(t, readings, "GPS readings x(t)", CELL_COLOUR),
            "mode": "markers",
            "marker": {"color": CELL_COLOUR, "size": 4},
        },
        _line(t, truth, "true position y(t)", CURVE_COLOUR, opacity=0.6),
        _line(t, smooth, "estimate (x ∗ w)(t)", WINDOW_COLOUR),
    ]
    layout = {
        **_LAYOUT,
        "height": 340,
        "xaxis": {**_LAYOUT["xaxis"], "title": {"text": "time t (s)"}},
        "yaxis": {**_LAYOUT["yaxis"], "title": {"text": "position (m)"}},
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)
