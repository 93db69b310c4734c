"""Channel grouping (seed 002): which input channels each output channel of a grouped
convolution sees, and what that saves.

A convolution with ``groups = g`` splits the c_in input channels and the c_out output channels
into g groups of consecutive channels; each output channel is connected to the c_in / g input
channels of its own group only. g = 1 is an ordinary convolution (every output sees every
input); g = c_in = c_out is *depthwise* (each output sees one input channel). The weights per
output position fall by the factor g: k·k·(c_in / g)·c_out.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import qualitative

GROUP_COLOURS: list[str] = qualitative.Plotly  # one colour per group, cycled
PANEL_GAP = 0.6  # horizontal gap between two diagrams, in units of a diagram's width (1)


def connections(c_in: int, c_out: int, groups: int) -> np.ndarray:
    """(c_out, c_in) bool: True where output channel o sees input channel i, i.e. both lie in
    the same group. Raises ValueError unless groups ≥ 1 divides c_in and c_out."""
    if groups < 1 or c_in % groups or c_out % groups:
        raise ValueError(f"{groups} groups need channel counts divisible by it ({c_in}, {c_out})")
    group_in = np.arange(c_in) // (c_in // groups)  # (c_in,) group of each input channel
    group_out = np.arange(c_out) // (c_out // groups)  # (c_out,) group of each output channel
    return group_out[:, None] == group_in[None, :]  # (c_out, c_in)


def grouped_weights(c_in: int, c_out: int, groups: int, kernel: int = 3) -> int:
    """Weights (= multiplies per output position) of a bias-free grouped k×k convolution."""
    return kernel * kernel * (c_in // groups) * c_out


def grouping_figure(channels: int, groups: list[int], titles: list[str]) -> go.Figure:
    """Side-by-side connection diagrams of a channels → channels convolution, one per entry of
    ``groups``: input channels as dots on the left of each diagram, output channels on the
    right, a line for every input an output sees, coloured by group (y: channel index, 0 at
    the top). ``titles`` labels each diagram (same length as ``groups``)."""
    data: list[dict] = []
    annotations: list[dict] = []
    for panel, (g, title) in enumerate(zip(groups, titles, strict=True)):
        x0 = panel * (1 + PANEL_GAP)  # left edge (the inputs) of this diagram
        links = connections(channels, channels, g)  # (out, in)
        for group in range(g):
            xs: list[float | None] = []
            ys: list[float | None] = []
            for o, i in zip(*np.nonzero(links), strict=True):
                if o // (channels // g) == group:
                    xs += [x0, x0 + 1, None]
                    ys += [int(i), int(o), None]
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": xs,
                    "y": ys,
                    "line": {"color": GROUP_COLOURS[group % len(GROUP_COLOURS)], "width": 1.5},
                    "hoverinfo": "skip",
                    "showlegend": False,
                }
            )
        for side, label in ((0, "in"), (1, "out")):
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": [x0 + side] * channels,
                    "y": list(range(channels)),
                    "marker": {"size": 9, "color": "#333333"},
                    "hovertemplate": f"{label} channel %{{y}}<extra></extra>",
                    "showlegend": False,
                }
            )
        annotations.append(
            {
                "x": x0 + 0.5,
                "y": channels + 0.6,
                "text": title,
                "showarrow": False,
                "font": {"size": 13},
                "xanchor": "center",
            }
        )
        for side, label in ((0, "inputs"), (1, "outputs")):
            annotations.append(
                {
                    "x": x0 + side,
                    "y": -0.9,
                    "text": label,
                    "showarrow": False,
                    "font": {"size": 11, "color": "#555555"},
                }
            )
    width = len(groups) * (1 + PANEL_GAP)
    layout = {
        "height": 70 + 26 * channels,
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10},
        "plot_bgcolor": "white",
        "dragmode": False,
        "xaxis": {"visible": False, "range": [-0.3, width - PANEL_GAP + 0.3]},
        "yaxis": {"visible": False, "range": [channels + 1.2, -1.5]},  # channel 0 at the top
        "annotations": annotations,
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)
