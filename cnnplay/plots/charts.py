"""Charts shared by several pages: cost bars, top-k predictions, training curves, confusion matrices, lines."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnplay.plots.style import (
    COST_COLOUR,
    COUNT_SCALE,
    FONT_SIZE,
    SELECTED_COLOUR,
    STRATEGY_COLOURS,
    TOPK_COLOUR,
    WINDOW_COLOUR,
    WINNER_COLOUR,
)


def cost_bar_figure(
    labels: Sequence[str],
    values: Sequence[float],
    title: str = "",
    selected: int | None = None,
    log: bool = False,
    hover: Sequence[str] | None = None,
    height: int = 320,
) -> go.Figure:
    """Clickable vertical bars, one per label (e.g. the MACs of each layer); bar ``selected`` is
    drawn in SELECTED_COLOUR. ``log``: a log y axis (zeros are drawn as empty bars)."""
    colours = [SELECTED_COLOUR if n == selected else COST_COLOUR for n in range(len(labels))]
    spec = {
        "data": [
            {
                "type": "bar",
                "x": list(labels),
                "y": [float(v) if (v > 0 or not log) else None for v in values],
                "marker": {"color": colours},
                "hovertext": list(hover) if hover is not None else None,
                "hoverinfo": "text" if hover is not None else "x+y",
            }
        ],
        "layout": {
            "title": {"text": title, "font": {"size": FONT_SIZE + 2}},
            "height": height,
            "margin": {"l": 60, "r": 10, "t": 40 if title else 10, "b": 80},
            "yaxis": {"type": "log" if log else "linear", "separatethousands": True},
            "xaxis": {"type": "category", "tickangle": -35},
            "font": {"size": FONT_SIZE},
            "clickmode": "event+select",
            "dragmode": False,
            "showlegend": False,
        },
    }
    return go.Figure(spec, _validate=False)


def grouped_bar_figure(
    categories: Sequence[str],
    series: dict[str, Sequence[float]],
    title: str = "",
    height: int = 300,
    text_format: str = "{:.2f}×",
) -> go.Figure:
    """Side-by-side bars: one group per category, one bar per series (e.g. count ratio vs time
    ratio of each block design), with the values printed on the bars (``text_format``)."""
    spec = {
        "data": [
            {
                "type": "bar",
                "name": name,
                "x": list(categories),
                "y": [float(v) for v in values],
                "text": [text_format.format(v) for v in values],
                "textposition": "outside",
            }
            for name, values in series.items()
        ],
        "layout": {
            "title": {"text": title, "font": {"size": FONT_SIZE + 2}},
            "barmode": "group",
            "height": height,
            "margin": {"l": 50, "r": 10, "t": 40 if title else 10, "b": 40},
            "font": {"size": FONT_SIZE},
            "legend": {"orientation": "h", "y": -0.2},
        },
    }
    return go.Figure(spec, _validate=False)


def topk_figure(labels: Sequence[str], probs: Sequence[float], title: str = "") -> go.Figure:
    """Horizontal bars of the top-k classes, best on top; probs in 0..1."""
    spec = {
        "data": [
            {
                "type": "bar",
                "orientation": "h",
                "x": [float(p) for p in probs][::-1],
                "y": list(labels)[::-1],
                "text": [f"{100 * float(p):.1f}%" for p in probs][::-1],
                "textposition": "auto",
                "marker": {"color": TOPK_COLOUR},
                "hovertemplate": "%{y}: %{x:.3f}<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": title, "font": {"size": FONT_SIZE + 2}},
            "height": 60 + 36 * len(labels),
            "margin": {"l": 10, "r": 10, "t": 40 if title else 10, "b": 30},
            "xaxis": {"range": [0, 1], "tickformat": ".0%"},
            "yaxis": {"automargin": True},
            "font": {"size": FONT_SIZE},
        },
    }
    return go.Figure(spec, _validate=False)


def training_curves_figure(
    histories: dict[str, list[dict]],
    labels: dict[str, str],
    height: int = 300,
    metric: str = "val_accuracy",
    metric_title: str = "validation accuracy",
    loss_title: str = "cross-entropy loss",
    colours: dict[str, str] | None = None,
) -> go.Figure:
    """Loss (solid: training, dotted: validation) and a validation metric in 0..1 per epoch,
    side by side, one colour per strategy (``colours``, default STRATEGY_COLOURS). histories:
    strategy -> per-epoch records with ``epoch``, ``train_loss`` and optionally ``val_loss`` /
    ``metric`` (e.g. "val_accuracy", "val_miou")."""
    data = []
    for key, epochs in histories.items():
        colour = (colours or STRATEGY_COLOURS).get(key, TOPK_COLOUR)
        x = [e["epoch"] for e in epochs]
        line = {"color": colour, "width": 2}
        for field, axis, dash, name in (
            ("train_loss", "", "solid", "train loss"),
            ("val_loss", "", "dot", "val loss"),
            (metric, "2", "solid", metric_title),
        ):
            y = [e.get(field) for e in epochs]
            if not any(v is not None for v in y):
                continue
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "x": x,
                    "y": y,
                    "xaxis": f"x{axis}",
                    "yaxis": f"y{axis}",
                    "name": f"{labels.get(key, key)}: {name}",
                    "legendgroup": key,
                    "line": {**line, "dash": dash},
                    "marker": {"size": 4, "color": colour},
                }
            )
    layout = {
        "height": height,
        "margin": {"l": 50, "r": 10, "t": 30, "b": 40},
        "font": {"size": FONT_SIZE},
        "xaxis": {"domain": [0, 0.45], "title": {"text": "epoch"}},
        "yaxis": {"title": {"text": loss_title}, "rangemode": "tozero"},
        "xaxis2": {"domain": [0.55, 1], "title": {"text": "epoch"}, "anchor": "y2"},
        "yaxis2": {
            "title": {"text": metric_title},
            "range": [0, 1.02],
            "tickformat": ".0%",
            "anchor": "x2",
        },
        "legend": {"orientation": "h", "y": -0.3, "font": {"size": 11}},
        "showlegend": len(histories) > 1,
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def confusion_figure(matrix: np.ndarray, classes: Sequence[str], title: str = "") -> go.Figure:
    """A clickable confusion matrix: one square marker per cell (row = true class, column =
    predicted), white → blue by count, the count written in it. Each point's ``x`` is the
    predicted class index and ``y`` the true one."""
    m = np.asarray(matrix)
    k = len(classes)
    cell = max(34, min(60, 520 // max(k, 1)))
    rows, cols = np.mgrid[0:k, 0:k]
    top = max(int(m.max()), 1)
    dark = m.ravel() > 0.55 * top
    names = list(classes)
    trace = {
        "type": "scatter",
        "mode": "markers+text",
        "x": cols.ravel(),
        "y": rows.ravel(),
        "text": [str(int(v)) for v in m.ravel()],
        "customdata": [
            [names[r], names[c]] for r, c in zip(rows.ravel(), cols.ravel(), strict=True)
        ],
        "textfont": {"size": FONT_SIZE, "color": np.where(dark, "white", "black").tolist()},
        "marker": {
            "symbol": "square",
            "size": cell - 3,
            "color": m.ravel().astype(float),
            "colorscale": COUNT_SCALE,
            "cmin": 0,
            "cmax": top,
            "line": {"width": 1, "color": "rgb(200,200,200)"},
        },
        "hovertemplate": "true %{customdata[0]}, predicted %{customdata[1]}: %{text} "
        "(click to see them)<extra></extra>",
    }
    axis = {"showgrid": False, "zeroline": False, "fixedrange": True, "tickmode": "array"}
    margin = {"l": 110, "r": 60, "t": 110, "b": 30}  # room for the slanted last label
    layout = {
        "title": {"text": title, "y": 0.02, "yanchor": "bottom", "font": {"size": 13}},
        "width": k * cell + margin["l"] + margin["r"],
        "height": k * cell + margin["t"] + margin["b"],
        "margin": margin,
        "plot_bgcolor": "white",
        "dragmode": False,
        "showlegend": False,
        "xaxis": {
            **axis,
            "range": [-0.5, k - 0.5],
            "side": "top",
            "tickvals": list(range(k)),
            "ticktext": names,
            "tickangle": -45,
            "title": {"text": "predicted"},
        },
        "yaxis": {
            **axis,
            "range": [k - 0.5, -0.5],
            "tickvals": list(range(k)),
            "ticktext": names,
            "title": {"text": "true"},
            "scaleanchor": "x",
        },
    }
    return go.Figure({"data": [trace], "layout": layout}, _validate=False)


def lines_figure(
    x: Sequence[float], series: dict[str, Sequence[float]], x_title: str, y_title: str
) -> go.Figure:
    """A few named lines over the same x (markers on the points), legend below."""
    palette = (WINDOW_COLOUR, WINNER_COLOUR, TOPK_COLOUR)
    data = [
        {
            "type": "scatter",
            "x": list(map(float, x)),
            "y": list(map(float, y)),
            "mode": "lines+markers",
            "line": {"color": palette[k % len(palette)], "shape": "linear"},
            "name": name,
        }
        for k, (name, y) in enumerate(series.items())
    ]
    layout = {
        "height": 300,
        "margin": {"l": 50, "r": 10, "t": 20, "b": 40},
        "xaxis": {"title": x_title},
        "yaxis": {"title": y_title, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.3},
        "font": {"size": FONT_SIZE},
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)
