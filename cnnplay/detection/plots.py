"""Detection figures: images with boxes, IoU, objectness, NMS counts, precision-recall, RoI pool
vs align."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnplay.plots.grids import _heatmap, _symmetric_range
from cnnplay.plots.images import image_source
from cnnplay.plots.style import (
    DET_A_COLOUR,
    DET_B_COLOUR,
    DET_IMAGE_PX,
    DET_INTER_FILL,
    DET_UNION_FILL,
    FONT_SIZE,
    MAX_SIDE_PX,
    SERIES_COLOURS,
    TOPK_COLOUR,
    WINDOW_COLOUR,
    WINNER_COLOUR,
)


def box_layer(
    boxes: np.ndarray,
    colour: str | Sequence[str],
    texts: Sequence[str] | None = None,
    width: float = 2.0,
    dash: str = "solid",
    fill: str = "rgba(0,0,0,0)",
    name: str = "",
) -> dict:
    """One group of (N, 4) xyxy boxes drawn alike (or one colour per box), with optional hover /
    label texts per box."""
    return {
        "boxes": np.asarray(boxes, np.float64).reshape(-1, 4),
        "colour": colour,
        "texts": list(texts) if texts is not None else None,
        "width": width,
        "dash": dash,
        "fill": fill,
        "name": name,
    }


def _outline_trace(boxes: np.ndarray, colour: str, width: float, dash: str) -> dict:
    """All (N, 4) boxes' outlines as ONE scatter path (corners, None between boxes): plotly
    validates a shape per box, which made a figure of 200 boxes cost ~50 ms; one trace does not."""
    x0, y0, x1, y1 = (boxes[:, k, None] for k in range(4))  # (N, 1) each
    gap = np.full_like(x0, np.nan)
    xs = np.concatenate([x0, x1, x1, x0, x0, gap], axis=1).ravel()  # (N * 6,)
    ys = np.concatenate([y0, y0, y1, y1, y0, gap], axis=1).ravel()
    return {
        "type": "scatter",
        "x": xs,
        "y": ys,
        "mode": "lines",
        "line": {"color": colour, "width": width, "dash": dash},
        "hoverinfo": "skip",
        "showlegend": False,
    }


def boxes_figure(
    image: np.ndarray | None,
    layers: Sequence[dict],
    size: tuple[int, int] | None = None,
    title: str = "",
    px: int = DET_IMAGE_PX,
    labels: bool = True,
    source: str | None = None,
) -> go.Figure:
    """An image (or a blank (height, width) canvas) with groups of boxes from :func:`box_layer`
    drawn over it, y downwards in pixels. ``labels`` writes each box's text at its top-left
    corner (else only on hover). ``source``: the image's :func:`image_source`, when the caller
    has it cached (encoding a PNG is most of a small figure's cost)."""
    h, w = image.shape[:2] if image is not None else size
    scale = px / max(h, w)
    shapes, data = [], []
    for layer in layers:
        boxes, colours = layer["boxes"], layer["colour"]
        if isinstance(colours, str):
            colours = [colours] * len(boxes)
        filled = layer["fill"] != "rgba(0,0,0,0)"
        for colour in dict.fromkeys(colours):  # one outline trace per distinct colour
            mine = boxes[[c == colour for c in colours]]
            if len(mine) and not filled:
                data.append(_outline_trace(mine, colour, layer["width"], layer["dash"]))
        for b in boxes if filled else []:  # few filled boxes (the IoU demo): shapes
            shapes.append(
                {
                    "type": "rect",
                    "x0": b[0],
                    "y0": b[1],
                    "x1": b[2],
                    "y1": b[3],
                    "line": {"width": 0},
                    "fillcolor": layer["fill"],
                    "layer": "below",
                }
            )
        if layer["texts"] and len(boxes):
            data.append(
                {
                    "type": "scatter",
                    "x": boxes[:, 0],
                    "y": boxes[:, 1],
                    "mode": "text" if labels else "markers",
                    "text": layer["texts"],
                    "textposition": "top right",
                    "textfont": {"color": colours, "size": FONT_SIZE - 1},
                    "marker": {"size": 6, "color": colours},
                    "hovertemplate": "%{text}<extra></extra>",
                    "name": layer["name"],
                    "showlegend": False,
                }
            )
    axis = {"showgrid": False, "zeroline": False, "fixedrange": True, "constrain": "domain"}
    layout = {
        "title": {"text": title, "font": {"size": FONT_SIZE + 1}, "y": 0.99},
        "width": int(w * scale) + 50,
        "height": int(h * scale) + (60 if title else 40),
        "margin": {"l": 30, "r": 10, "t": 40 if title else 20, "b": 10},
        "xaxis": {**axis, "range": [0, w], "side": "top"},
        "yaxis": {**axis, "range": [h, 0], "scaleanchor": "x"},
        "plot_bgcolor": "white",
        "shapes": shapes,
        "font": {"size": FONT_SIZE},
    }
    if image is not None:
        layout["images"] = [
            {
                "source": source or image_source(image),
                "xref": "x",
                "yref": "y",
                "x": 0,
                "y": 0,
                "sizex": w,
                "sizey": h,
                "sizing": "stretch",
                "layer": "below",
            }
        ]
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def iou_figure(a: np.ndarray, b: np.ndarray, inter: np.ndarray | None, size: int) -> go.Figure:
    """Boxes A and B (xyxy) on a blank size×size canvas, the union shaded under both and the
    intersection ``inter`` (xyxy, or None when they do not overlap) shaded on top."""
    layers = [
        box_layer(a, "rgba(0,0,0,0)", fill=DET_UNION_FILL, width=0),
        box_layer(b, "rgba(0,0,0,0)", fill=DET_UNION_FILL, width=0),
    ]
    if inter is not None:
        layers.append(box_layer(inter, DET_INTER_FILL, fill=DET_INTER_FILL, width=0))
    layers += [box_layer(a, DET_A_COLOUR, ["A"], 3), box_layer(b, DET_B_COLOUR, ["B"], 3)]
    fig = boxes_figure(None, layers, size=(size, size), px=360)
    fig.layout.xaxis.showgrid = True
    fig.layout.yaxis.showgrid = True
    return fig


def objectness_figure(
    image: np.ndarray, objectness: np.ndarray, stride: int, source: str | None = None
) -> go.Figure:
    """The (S, S) objectness map (0..1) as a see-through heatmap over its (H, W, 3) image, one
    cell per stride×stride pixels, the value written in each cell."""
    s = objectness.shape[0]
    centres = ((np.arange(s) + 0.5) * stride).tolist()
    fig = boxes_figure(image, [], title="objectness: best anchor per cell", source=source)
    fig.add_trace(
        go.Heatmap(
            {
                "z": np.asarray(objectness, np.float64),
                "x": centres,
                "y": centres,
                "zmin": 0,
                "zmax": 1,
                "colorscale": [[0, "rgb(255,255,255)"], [1, "rgb(214,39,40)"]],
                "opacity": 0.55,
                "xgap": 1,
                "ygap": 1,
                "text": [[f"{v:.2f}"[1:] if v < 1 else "1" for v in row] for row in objectness],
                "texttemplate": "%{text}" if s <= 12 else "",
                "textfont": {"size": 10},
                "hovertemplate": "cell (%{y:.0f}, %{x:.0f}) px: %{z:.3f}<extra></extra>",
                "showscale": True,
                "colorbar": {"thickness": 10, "len": 0.8},
            },
            _validate=False,
        )
    )
    return fig


def counts_figure(counts: dict[str, int]) -> go.Figure:
    """Boxes left after each stage of the test-time pipeline, as a bar per stage (log scale)."""
    names, values = list(counts), [int(v) for v in counts.values()]
    spec = {
        "data": [
            {
                "type": "bar",
                "x": names,
                "y": [max(v, 0.8) for v in values],
                "text": [str(v) for v in values],
                "textposition": "outside",
                "marker": {"color": TOPK_COLOUR},
                "hovertemplate": "%{x}: %{text} boxes<extra></extra>",
            }
        ],
        "layout": {
            "height": 260,
            "margin": {"l": 40, "r": 10, "t": 20, "b": 40},
            "yaxis": {
                "type": "log",
                "title": {"text": "boxes"},
                "range": [-0.2, np.log10(max(values + [1])) + 0.5],
                "dtick": 1,  # one tick per decade: 1, 10, 100
            },
            "font": {"size": FONT_SIZE},
        },
    }
    return go.Figure(spec, _validate=False)


def pr_figure(
    curves: dict[str, tuple[np.ndarray, np.ndarray]], point: tuple[float, float] | None = None
) -> go.Figure:
    """Precision-recall curves by name, and the operating point (recall, precision). Axis titles
    are ``{"text": ...}`` objects (plotly.js 3 ignores plain-string titles); the legend is always
    shown, below the plot."""
    palette = SERIES_COLOURS
    data = [
        {
            "type": "scatter",
            "x": np.concatenate([[0.0], r]).tolist(),
            "y": np.concatenate([[1.0], p]).tolist(),
            "mode": "lines",
            "line": {"shape": "hv", "color": palette[k % len(palette)]},
            "name": name,
        }
        for k, (name, (r, p)) in enumerate(curves.items())
    ]
    if point is not None:
        data.append(
            {
                "type": "scatter",
                "x": [point[0]],
                "y": [point[1]],
                "mode": "markers",
                "marker": {"size": 12, "color": "black", "symbol": "x"},
                "name": "your thresholds",
            }
        )
    spec = {
        "data": data,
        "layout": {
            "height": 360,
            "margin": {"l": 60, "r": 10, "t": 20, "b": 90},
            "xaxis": {"title": {"text": "recall"}, "range": [0, 1.02]},
            "yaxis": {"title": {"text": "precision"}, "range": [0, 1.05]},
            "showlegend": True,
            "legend": {"orientation": "h", "y": -0.3, "yanchor": "top"},
            "font": {"size": FONT_SIZE},
        },
    }
    return go.Figure(spec, _validate=False)


def roi_shift_figure(
    shifts: np.ndarray, series: dict[str, list[float]], out: int = 7
) -> go.Figure:
    """The RoI tab's "slide the box" chart: for each method (name -> (S,) largest change of its
    out×out output), the change against the shift (S,) of the box, in feature-map cells. Titled axes
    and a legend naming each line."""
    palette = ("#e45756", "#4c78a8")  # RoI pooling, RoI align
    data = [
        {
            "type": "scatter",
            "x": np.asarray(shifts, float).tolist(),
            "y": np.asarray(y, float).tolist(),
            "mode": "lines+markers",
            "line": {"color": palette[k % len(palette)]},
            "name": name,
        }
        for k, (name, y) in enumerate(series.items())
    ]
    layout = {
        "height": 340,
        "margin": {"l": 60, "r": 10, "t": 20, "b": 90},
        "xaxis": {"title": {"text": "box moved right by (feature-map cells)"}},
        "yaxis": {
            "title": {"text": f"largest change of the {out}×{out} output"},
            "rangemode": "tozero",
        },
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.3, "yanchor": "top"},
        "font": {"size": FONT_SIZE},
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def roi_figure(feature: np.ndarray, box: np.ndarray, bins: np.ndarray | None, points) -> go.Figure:
    """An (H, W) feature map with an RoI (xyxy, cell units, cell i spanning [i, i + 1]) and
    either RoI pooling's quantised bins ((o, o, 4) row0, row1, col0, col1) or RoI align's
    bilinear sample points ((o, o, n, n, 2) x, y) with its exact bin grid."""
    h, w = feature.shape
    zmax = _symmetric_range(feature)
    trace = _heatmap(
        feature, None, zmax, x=(np.arange(w) + 0.5).tolist(), y=(np.arange(h) + 0.5).tolist()
    )
    shapes = [
        {
            "type": "rect",
            "x0": box[0],
            "y0": box[1],
            "x1": box[2],
            "y1": box[3],
            "line": {"color": "black", "width": 2, "dash": "dash"},
            "layer": "above",
        }
    ]
    data = [trace]
    if bins is not None:
        tints = ("rgba(255,140,0,0.35)", "rgba(142,36,170,0.35)")
        o = bins.shape[0]
        for i in range(o):
            for j in range(o):
                r0, r1, c0, c1 = (int(v) for v in bins[i, j])
                shapes.append(
                    {
                        "type": "rect",
                        "x0": c0,
                        "y0": r0,
                        "x1": c1,
                        "y1": r1,
                        "fillcolor": tints[(i + j) % 2],
                        "line": {"color": WINDOW_COLOUR, "width": 2},
                        "layer": "above",
                    }
                )
    if points is not None:
        o = points.shape[0]
        x0, y0, x1, y1 = box
        for k in range(o + 1):
            x = x0 + (x1 - x0) * k / o
            y = y0 + (y1 - y0) * k / o
            line = {"color": WINNER_COLOUR, "width": 2}
            shapes.append(
                {
                    "type": "line",
                    "x0": x,
                    "x1": x,
                    "y0": y0,
                    "y1": y1,
                    "line": line,
                    "layer": "above",
                }
            )
            shapes.append(
                {
                    "type": "line",
                    "x0": x0,
                    "x1": x1,
                    "y0": y,
                    "y1": y,
                    "line": line,
                    "layer": "above",
                }
            )
        flat = points.reshape(-1, 2)
        data.append(
            {
                "type": "scatter",
                "x": flat[:, 0].tolist(),
                "y": flat[:, 1].tolist(),
                "mode": "markers",
                "marker": {
                    "size": 7,
                    "color": WINNER_COLOUR,
                    "line": {"color": "white", "width": 1},
                },
                "hovertemplate": "sample (%{x:.2f}, %{y:.2f})<extra></extra>",
                "showlegend": False,
            }
        )
    side = min(MAX_SIDE_PX, 26 * max(h, w))
    axis = {"showgrid": False, "zeroline": False, "fixedrange": True, "constrain": "domain"}
    layout = {
        "width": side + 50,
        "height": side + 40,
        "margin": {"l": 30, "r": 10, "t": 30, "b": 10},
        "xaxis": {**axis, "range": [0, w], "side": "top"},
        "yaxis": {**axis, "range": [h, 0], "scaleanchor": "x"},
        "plot_bgcolor": "white",
        "shapes": shapes,
        "font": {"size": FONT_SIZE},
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)
