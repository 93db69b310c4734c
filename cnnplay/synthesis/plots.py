"""Figures of the Gradient ascent and DeepDream tabs: the objective per step (one line per image
or run, or per octave), in the app's colours and sizes (cnnplay.plots.style). Class
probabilities use cnnplay.plots.charts.topk_figure."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

import numpy as np
import plotly.graph_objects as go

from cnnplay.plots.style import FONT_SIZE, SERIES_COLOURS


def _line(x: Sequence[float], y: Sequence[float], name: str, colour: str, dash: str) -> dict:
    return {
        "type": "scatter",
        "mode": "lines",
        "x": [float(v) for v in x],
        "y": [float(v) for v in y],
        "name": name,
        "line": {"color": colour, "width": 2, "dash": dash},
        "hovertemplate": f"{name}<br>step %{{x}}: %{{y:.3f}}<extra></extra>",
    }


def _layout(y_title: str, height: int, legend: bool) -> dict:
    return {
        "height": height,
        "margin": {"l": 55, "r": 10, "t": 20, "b": 40},
        "font": {"size": FONT_SIZE},
        "xaxis": {"title": {"text": "step"}},
        "yaxis": {"title": {"text": y_title}},
        "legend": {"orientation": "h", "y": -0.28},
        "showlegend": legend,
    }


def objective_figure(
    series: Mapping[str, Sequence[float]],
    y_title: str = "objective J = f − Ω",
    dotted: Mapping[str, Sequence[float]] | None = None,
    height: int = 280,
) -> go.Figure:
    """The objective per step (steps 1, 2, ...), one solid line per named series (an image of
    the batch, or a run), each in its own colour; ``dotted`` lines (e.g. the score f alone)
    take the colour of the solid line at the same position."""
    data = []
    for k, (name, y) in enumerate(series.items()):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        data.append(_line(range(1, len(y) + 1), y, name, colour, "solid"))
    for k, (name, y) in enumerate((dotted or {}).items()):
        colour = SERIES_COLOURS[k % len(SERIES_COLOURS)]
        data.append(_line(range(1, len(y) + 1), y, name, colour, "dot"))
    return go.Figure({"data": data, "layout": _layout(y_title, height, len(data) > 1)},
                     _validate=False)  # fmt: skip


def octave_figure(
    objective: np.ndarray,
    octave_of_step: np.ndarray,
    sizes: Sequence[tuple[int, int]],
    y_title: str = "L = ½ mean(a²)",
    height: int = 280,
) -> go.Figure:
    """DeepDream's objective per step (counted over all octaves), one colour per octave, each
    named by its size: objective (T,) float, octave_of_step (T,) int 0..octaves−1."""
    steps = np.arange(1, len(objective) + 1)
    data = []
    for o, (h, w) in enumerate(sizes):
        mask = np.asarray(octave_of_step) == o
        if mask.any():
            name = f"octave {o + 1}: {w}×{h}"
            colour = SERIES_COLOURS[o % len(SERIES_COLOURS)]
            data.append(_line(steps[mask], np.asarray(objective)[mask], name, colour, "solid"))
    return go.Figure({"data": data, "layout": _layout(y_title, height, len(data) > 1)},
                     _validate=False)  # fmt: skip
