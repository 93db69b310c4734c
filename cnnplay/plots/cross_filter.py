"""Figures of cross-filter max pooling (the Pooling page's "Across filters" tab): a row of maps
with one shared colour bar (the filter bank, the response maps), one map, the map of the winning
filter (a colour per filter, named on its colour bar) and the response-vs-rotation chart.

Filter k is drawn in ``filter_colour(k)`` everywhere (its map titles, its curve, its cells of
the winner map); the cross-filter max in POOLED_COLOUR."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnplay.plots.style import DIVERGING, FONT_SIZE, OKABE_ORANGE, SERIES_COLOURS, fmt

POOLED_COLOUR = OKABE_ORANGE  # the cross-filter max (not one of SERIES_COLOURS)
MAX_FILTERS = len(SERIES_COLOURS)  # a bank has at most this many filters: one colour each
MAP_PX = 230  # side of one map's plot area in a single-map figure
ROW_HEIGHT_PX = 240  # height of a row of maps


def filter_colour(k: int) -> str:
    """The colour of filter k of a bank (k < MAX_FILTERS)."""
    if not 0 <= k < MAX_FILTERS:
        raise ValueError(f"a bank has at most {MAX_FILTERS} filters (one colour each), got {k}")
    return SERIES_COLOURS[k]


def _zmax(values: np.ndarray) -> float:
    finite = np.abs(np.asarray(values, dtype=np.float64))
    top = float(finite.max()) if finite.size else 0.0
    return top if top > 0 else 1.0


def _axes(h: int, w: int, n: int = 1, gap: float = 0.04, right: float = 1.0) -> dict:
    """Axes for n (h, w) grids side by side in [0, right] of the width, row 0 at the top,
    square cells."""
    width = (right - gap * (n - 1)) / n
    layout = {}
    for i in range(n):
        s = "" if i == 0 else str(i + 1)
        base = {"showgrid": False, "zeroline": False, "fixedrange": True, "showticklabels": False}
        layout[f"xaxis{s}"] = {
            **base,
            "domain": [i * (width + gap), i * (width + gap) + width],
            "range": [-0.5, w - 0.5],
            "constrain": "domain",
        }
        layout[f"yaxis{s}"] = {
            **base,
            "range": [h - 0.5, -0.5],
            "scaleanchor": f"x{s}",
            "constrain": "domain",
        }
    return layout


def _heatmap(z: np.ndarray, zmax: float, axis: str = "", **extra) -> dict:
    return {
        "type": "heatmap",
        "z": np.asarray(z, dtype=np.float64),
        "colorscale": DIVERGING,
        "zmin": -zmax,
        "zmax": zmax,
        "xaxis": f"x{axis}",
        "yaxis": f"y{axis}",
        "hovertemplate": "row %{y}, col %{x}: %{z:.3g}<extra></extra>",
        "showscale": False,
        **extra,
    }


def _colour_bar(title: str) -> dict:
    return {"title": {"text": title, "side": "right"}, "thickness": 12, "len": 0.9}


def maps_row_figure(
    maps: np.ndarray,
    titles: Sequence[str],
    colour_title: str,
    title_colours: Sequence[str] | None = None,
    zmax: float | None = None,
    height: int = ROW_HEIGHT_PX,
) -> go.Figure:
    """N maps (N, H, W) side by side on one signed colour scale (0 white, negatives blue,
    positives red, ±zmax: default the largest |value|), each titled below in its colour
    (``title_colours``), with one colour bar titled ``colour_title``."""
    maps = np.asarray(maps, dtype=np.float64)
    n, h, w = maps.shape
    zmax = zmax or _zmax(maps)
    data = []
    for i in range(n):
        extra = {"showscale": True, "colorbar": _colour_bar(colour_title)} if i == n - 1 else {}
        data.append(_heatmap(maps[i], zmax, "" if i == 0 else str(i + 1), **extra))
    layout = {
        "height": height,
        "margin": {"l": 5, "r": 5, "t": 5, "b": 40},
        "plot_bgcolor": "white",
        "font": {"size": FONT_SIZE},
        **_axes(h, w, n, right=0.9),
    }
    layout["annotations"] = [
        {
            "text": titles[i],
            "xref": f"x{'' if i == 0 else i + 1} domain",
            "yref": "paper",
            "x": 0.5,
            "y": 0,
            "yshift": -8,
            "yanchor": "top",
            "showarrow": False,
            "font": {"size": FONT_SIZE + 1, "color": title_colours[i] if title_colours else None},
        }
        for i in range(n)
    ]
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def map_figure(values: np.ndarray, title: str, colour_title: str) -> go.Figure:
    """One (H, W) map on the signed colour scale, with its colour bar and its title below."""
    values = np.asarray(values, dtype=np.float64)
    h, w = values.shape
    trace = _heatmap(values, _zmax(values), showscale=True, colorbar=_colour_bar(colour_title))
    return _single(trace, h, w, title)


def _single(trace: dict, h: int, w: int, title: str) -> go.Figure:
    layout = {
        "title": {"text": title, "y": 0.02, "yanchor": "bottom", "font": {"size": 13}},
        "width": MAP_PX + 110,
        "height": MAP_PX + 50,
        "margin": {"l": 5, "r": 5, "t": 5, "b": 45},
        "plot_bgcolor": "white",
        "font": {"size": FONT_SIZE},
        **_axes(h, w),
    }
    return go.Figure({"data": [trace], "layout": layout}, _validate=False)


def winner_figure(winner: np.ndarray, labels: Sequence[str], title: str) -> go.Figure:
    """Which filter won each cell: winner (H, W) float filter index 0..K-1 (NaN: no winner,
    drawn blank), one colour per filter (``filter_colour``), named by ``labels`` (K,) on the
    colour bar, which is the legend."""
    winner = np.asarray(winner, dtype=np.float64)
    h, w = winner.shape
    k = len(labels)
    scale = []
    for i in range(k):  # a flat band of each filter's colour
        scale += [[i / k, filter_colour(i)], [(i + 1) / k, filter_colour(i)]]
    names = np.array(list(labels), dtype=object)
    text = np.where(
        np.isnan(winner), "no filter responds", names[np.nan_to_num(winner).astype(int)]
    )
    trace = {
        "type": "heatmap",
        "z": winner,
        "text": text,
        "colorscale": scale,
        "zmin": -0.5,
        "zmax": k - 0.5,
        "hovertemplate": "row %{y}, col %{x}: %{text}<extra></extra>",
        "showscale": True,
        "colorbar": {
            **_colour_bar("winning filter"),
            "tickmode": "array",
            "tickvals": list(range(k)),
            "ticktext": list(labels),
        },
    }
    return _single(trace, h, w, title)


def angle_chart(
    angles: np.ndarray,
    per_filter: np.ndarray,
    pooled: np.ndarray,
    labels: Sequence[str],
    current: float,
    y_title: str,
) -> go.Figure:
    """Response vs input rotation: one line per filter (per_filter (A, K), named by ``labels``),
    the cross-filter max (pooled (A,)) as a thick line, and a marker on every line at the
    ``current`` angle (degrees; the nearest swept angle)."""
    angles = np.asarray(angles, dtype=np.float64)
    at = int(np.argmin(np.abs(angles - current)))
    data = []
    series = [(per_filter[:, i], labels[i], filter_colour(i), 2) for i in range(len(labels))]
    series.append((pooled, "max across filters", POOLED_COLOUR, 5))
    for values, name, colour, width in series:
        values = np.asarray(values, dtype=np.float64)
        data.append(
            {
                "type": "scatter",
                "mode": "lines",
                "x": angles,
                "y": values,
                "name": name,
                "legendgroup": name,
                "line": {"color": colour, "width": width},
                "hovertemplate": f"{name}<br>input turned %{{x:g}}°: %{{y:.2f}}<extra></extra>",
            }
        )
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [angles[at]],
                "y": [values[at]],
                "name": f"{name} at {fmt(angles[at])}°",
                "legendgroup": name,
                "showlegend": False,
                "marker": {"color": colour, "size": 11, "line": {"color": "white", "width": 1}},
                "hovertemplate": f"{name} now: %{{y:.2f}}<extra></extra>",
            }
        )
    step = 45 if angles.max() - angles.min() > 180 else 30
    layout = {
        "height": 340,
        "margin": {"l": 60, "r": 10, "t": 10, "b": 50},
        "font": {"size": FONT_SIZE},
        "xaxis": {"title": {"text": "input rotation (degrees)"}, "dtick": step, "ticksuffix": "°"},
        "yaxis": {"title": {"text": y_title}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.25},
        "hovermode": "closest",
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)
