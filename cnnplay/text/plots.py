"""Plotly figures of the Text CNN page: the sentence as a 1D image (words × channels) with the
filter's window, the feature map it produces, filter influences and accuracy per kind.

Colours and sizes come from :mod:`cnnplay.plots` (defined there, once).
"""

from __future__ import annotations

import re
from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnplay.plots.charts import training_curves_figure
from cnnplay.plots.grids import add_box, grid_figure
from cnnplay.plots.style import (
    CELL_COLOUR,
    DET_FP_COLOUR,
    FONT_SIZE,
    TOPK_COLOUR,
    WINDOW_COLOUR,
    WINNER_COLOUR,
    fmt,
)

SUPPORT_COLOUR = CELL_COLOUR  # a filter pushing towards the predicted class
OPPOSE_COLOUR = DET_FP_COLOUR  # a filter pushing away from it
BAR_COLOUR = "rgba(31,119,180,0.55)"  # feature-map positions not in focus
WORD_LABEL_PX = 110  # left margin for the word labels of a words × channels grid
MODEL_COLOURS: dict[str, str] = {  # one colour per model in curves and bars
    "bow": "#7f7f7f",
    "kim": WINDOW_COLOUR,
    "keras": TOPK_COLOUR,
}


def word_labels(tokens: Sequence[str]) -> list[str]:
    """``"0 the"``, ``"1 plot"``, ...: unique tick labels even when a word repeats."""
    return [f"{i} {t}" for i, t in enumerate(tokens)]


def ngram_labels(tokens: Sequence[str], width: int) -> list[str]:
    """One label per window start p: ``"p: w_p … w_{p+h-1}"``."""
    return [f"{p}: {' '.join(tokens[p : p + width])}" for p in range(len(tokens) - width + 1)]


def sentence_matrix_figure(
    tokens: Sequence[str],
    matrix: np.ndarray,
    start: int | None = None,
    width: int | None = None,
    title: str = "",
) -> go.Figure:
    """The sentence as a 1D image: one row per word, one column per embedding channel (values
    written when d ≤ 12), the filter's window (rows start..start+width-1) outlined.

    matrix: (L, d) float; tokens: L words."""
    matrix = np.asarray(matrix, dtype=np.float64)
    length, d = matrix.shape
    fig = grid_figure(matrix, title, show_values=d <= 12)
    fig.layout.yaxis.tickvals = list(range(length))
    fig.layout.yaxis.ticktext = word_labels(tokens)
    fig.layout.xaxis.title = {"text": "embedding channel k", "font": {"size": FONT_SIZE}}
    fig.layout.margin.l = WORD_LABEL_PX
    fig.layout.width = fig.layout.width + WORD_LABEL_PX
    if start is not None and width is not None:
        add_box(fig, range(start, start + width), range(d), WINDOW_COLOUR)
    return fig


def filter_figure(weights: np.ndarray, bias: float, title: str = "") -> go.Figure:
    """The filter W (h, d) as a grid, rows = the words of its window."""
    weights = np.asarray(weights, dtype=np.float64)
    fig = grid_figure(weights, title or f"filter W ({weights.shape[0]}×{weights.shape[1]}), "
                      f"b = {fmt(bias)}", show_values=weights.shape[1] <= 12)
    fig.layout.yaxis.tickvals = list(range(weights.shape[0]))
    fig.layout.yaxis.ticktext = [f"word p+{i}" for i in range(weights.shape[0])]
    fig.layout.margin.l = WORD_LABEL_PX
    fig.layout.width = fig.layout.width + WORD_LABEL_PX
    return fig


def feature_map_figure(
    tokens: Sequence[str], responses: np.ndarray, width: int, current: int | None, best: int
) -> go.Figure:
    """Bars of the feature map y_p, one per window start p (labelled with its n-gram): the
    current step in the window colour, the 1-max-pooling winner in the winner colour."""
    responses = np.asarray(responses, dtype=np.float64)
    colours = [BAR_COLOUR] * len(responses)
    if current is not None:
        colours[current] = WINDOW_COLOUR
    colours[best] = WINNER_COLOUR
    spec = {
        "data": [
            {
                "type": "bar",
                "x": ngram_labels(tokens, width),
                "y": responses,
                "text": [fmt(round(v, 2)) for v in responses],
                "textposition": "outside",
                "marker": {"color": colours},
                "hovertemplate": "%{x}: y = %{y:.3f}<extra></extra>",
            }
        ],
        "layout": {
            "height": 300,
            "margin": {"l": 50, "r": 10, "t": 30, "b": 90},
            "font": {"size": FONT_SIZE},
            "xaxis": {"tickangle": -35, "type": "category"},
            "yaxis": {"title": {"text": "response y_p"}, "zeroline": True},
            "title": {"text": f"feature map: {len(responses)} positions", "x": 0.01},
        },
    }
    return go.Figure(spec, _validate=False)


def influence_figure(labels: Sequence[str], influences: Sequence[float]) -> go.Figure:
    """Horizontal bars of filter influences m_j · w_cj (largest |value| on top), blue when
    the filter supports the predicted class, vermillion when it opposes it."""
    values = [float(v) for v in influences][::-1]
    spec = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": values,
                "y": list(labels)[::-1],
                "text": [f"{v:+.2f}" for v in values],
                "textposition": "auto",
                "marker": {"color": [SUPPORT_COLOUR if v >= 0 else OPPOSE_COLOUR for v in values]},
                "hovertemplate": "%{y}: %{x:.3f}<extra></extra>",
            }
        ],
        "layout": {
            "height": 60 + 30 * len(values),
            "margin": {"l": 10, "r": 10, "t": 10, "b": 40},
            "font": {"size": FONT_SIZE},
            "xaxis": {"title": {"text": "influence m_j · w_cj"}, "zeroline": True},
            "yaxis": {"automargin": True, "type": "category"},
        },
    }
    return go.Figure(spec, _validate=False)


def kind_accuracy_figure(
    kinds: Sequence[str], series: dict[str, Sequence[float]], labels: dict[str, str]
) -> go.Figure:
    """Grouped bars of accuracy (0..1) per kind, one bar per model (series: model key ->
    accuracies in kind order; labels: model key -> legend name)."""
    spec = {
        "data": [
            {
                "type": "bar",
                "name": labels.get(key, key),
                "x": list(kinds),
                "y": [float(v) for v in values],
                "text": [f"{100 * float(v):.0f}%" for v in values],
                "textposition": "outside",
                "marker": {"color": MODEL_COLOURS.get(key, TOPK_COLOUR)},
            }
            for key, values in series.items()
        ],
        "layout": {
            "barmode": "group",
            "height": 300,
            "margin": {"l": 50, "r": 10, "t": 20, "b": 40},
            "font": {"size": FONT_SIZE},
            "yaxis": {"range": [0, 1.1], "tickformat": ".0%", "title": {"text": "test accuracy"}},
            "legend": {"orientation": "h", "y": -0.2},
        },
    }
    return go.Figure(spec, _validate=False)


def model_curves_figure(
    histories: dict[str, list[dict]], labels: dict[str, str], height: int = 300
) -> go.Figure:
    """:func:`cnnplay.plots.charts.training_curves_figure` (loss and test accuracy per epoch) with one
    colour per model of MODEL_COLOURS. histories: model key -> per-epoch records."""
    fig = training_curves_figure(histories, labels, height)
    for trace in fig.data:
        trace.name = re.sub(r"\bval(idation)? ", "test ", trace.name)  # our held-out split
        colour = MODEL_COLOURS.get(trace.legendgroup)
        if colour:
            trace.line.color = colour
            trace.marker.color = colour
    fig.layout.yaxis2.title.text = "test accuracy"
    return fig
