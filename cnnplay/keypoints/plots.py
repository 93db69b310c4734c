"""Figures of the keypoint regression: faces with their keypoints (true and predicted), the
training curves, and the error per keypoint."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnplay.keypoints.faces import KEYPOINT_TYPES, KEYPOINTS
from cnnplay.plots.images import image_source
from cnnplay.plots.style import FONT_SIZE, OKABE_GREY, SERIES_COLOURS

TYPES: tuple[str, ...] = tuple(dict.fromkeys(KEYPOINT_TYPES))  # the keypoint types, in order
TYPE_COLOURS: dict[str, str] = dict(zip(TYPES, SERIES_COLOURS, strict=False))  # one per type
RUN_COLOURS: tuple[str, ...] = SERIES_COLOURS[:2]  # the training curves of up to two runs
BASELINE_COLOUR = OKABE_GREY  # the mean-face baseline, in every chart
TRUE_SYMBOL, PRED_SYMBOL = "circle-open", "x"  # marker of a true and of a predicted keypoint
FACE_PX = 4  # screen pixels per image pixel in a face figure
GAP = 4  # image pixels between two faces of a figure
CAPTION_GAP = 9  # image pixels above each face of a figure (room for its caption)


def faces_figure(
    images: np.ndarray,
    points: np.ndarray,
    pred: np.ndarray | None = None,
    captions: Sequence[str] | None = None,
    cols: int = 4,
    sides: bool = False,
    names: Sequence[str] = KEYPOINTS,
    types: Sequence[str] = KEYPOINT_TYPES,
) -> go.Figure:
    """Faces side by side with their keypoints: true points as circles, ``pred`` (if given) as
    crosses, one colour per keypoint type, with a legend of the types (and of the two symbols).

    images: (N, 1, S, S) or (N, S, S) uint8; points, pred: (N, K, 2) pixels (x right, y down,
    pixel centres at integers). ``captions``: one line above each face. ``sides``: write L / R
    beside the points whose name starts with "left" / "right"."""
    images = np.asarray(images)
    if images.ndim == 4:
        images = images[:, 0]  # (N, S, S)
    n, side = len(images), images.shape[-1]
    cols = max(1, min(cols, n))
    rows = -(-n // cols)
    step_x, step_y = side + GAP, side + CAPTION_GAP
    top = CAPTION_GAP  # image pixels above the first row
    mosaic = np.full((top + rows * step_y - CAPTION_GAP, cols * step_x - GAP), 255, np.uint8)
    offsets = np.zeros((n, 2))  # (N, 2) where each face's pixel (0, 0) lands in the mosaic
    for k in range(n):
        r, c = divmod(k, cols)
        y0, x0 = top + r * step_y, c * step_x
        mosaic[y0 : y0 + side, x0 : x0 + side] = images[k]
        offsets[k] = (x0, y0)
    height, width = mosaic.shape
    data: list[dict] = [
        {
            "type": "image",
            "source": image_source(mosaic),
            "x0": 0,
            "y0": 0,
            "dx": 1,
            "dy": 1,
            "hoverinfo": "skip",
            "name": "faces",
        }
    ]
    sets = [("true", TRUE_SYMBOL, np.asarray(points, np.float64))]
    if pred is not None:
        sets.append(("predicted", PRED_SYMBOL, np.asarray(pred, np.float64)))
    for kind_name in TYPES:
        mine = [k for k, t in enumerate(types) if t == kind_name]
        for label, symbol, pts in sets:
            xy = pts[:, mine] + offsets[:, None, :]  # (N, m, 2) mosaic coordinates
            hover = [
                f"face {i + 1}, {names[j]} ({label}): x {pts[i, j, 0]:.1f}, y {pts[i, j, 1]:.1f} px"
                for i in range(n)
                for j in mine
            ]
            data.append(
                {
                    "type": "scatter",
                    "mode": "markers",
                    "x": xy[..., 0].ravel().tolist(),
                    "y": xy[..., 1].ravel().tolist(),
                    "name": kind_name,
                    "legendgroup": kind_name,
                    "showlegend": label == "true",
                    "marker": {
                        "symbol": symbol,
                        "size": 11 if symbol == TRUE_SYMBOL else 9,
                        "color": TYPE_COLOURS[kind_name],
                        # an open circle is its line; a cross gets a white edge to stand out
                        "line": {"color": TYPE_COLOURS[kind_name], "width": 2.5}
                        if symbol == TRUE_SYMBOL
                        else {"color": "white", "width": 1},
                    },
                    "text": hover,
                    "hovertemplate": "%{text}<extra></extra>",
                }
            )
    for label, symbol, _ in sets if pred is not None else []:  # what the two symbols mean
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "x": [None],
                "y": [None],
                "name": f"{label} ({'○' if symbol == TRUE_SYMBOL else '×'})",
                "marker": {
                    "symbol": symbol,
                    "size": 10,
                    "color": OKABE_GREY,
                    "line": {"color": OKABE_GREY, "width": 2},
                },
                "legendgroup": label,
            }
        )
    if sides:
        pts = sets[0][2]
        for j, name in enumerate(names):
            letter = "L" if name.startswith("left") else "R" if name.startswith("right") else ""
            if not letter:
                continue
            xy = pts[:, j] + offsets  # (N, 2)
            data.append(
                {
                    "type": "scatter",
                    "mode": "text",
                    "x": xy[:, 0].tolist(),
                    "y": (xy[:, 1] - 2.5).tolist(),
                    "text": [letter] * n,
                    "textfont": {"color": TYPE_COLOURS[types[j]], "size": FONT_SIZE + 1},
                    "showlegend": False,
                    "hoverinfo": "skip",
                }
            )
    annotations = [
        {
            "x": offsets[k, 0] + (side - 1) / 2,
            "y": offsets[k, 1] - 1.0,
            "xref": "x",
            "yref": "y",
            "text": text,
            "showarrow": False,
            "yanchor": "bottom",
            "font": {"size": FONT_SIZE - 1},
        }
        for k, text in enumerate(captions or [])
    ]
    axis = {"visible": False, "fixedrange": True, "showgrid": False, "zeroline": False}
    legend_px = 60
    layout = {
        "width": width * FACE_PX + 20,
        "height": height * FACE_PX + legend_px + 10,
        "margin": {"l": 10, "r": 10, "t": 10, "b": legend_px},
        "xaxis": {**axis, "range": [-0.5, width - 0.5], "constrain": "domain"},
        "yaxis": {**axis, "range": [height - 0.5, -0.5], "scaleanchor": "x"},
        "plot_bgcolor": "white",
        "annotations": annotations,
        "legend": {
            "orientation": "h",
            "x": 0,
            "y": 0,
            "yanchor": "top",
            "title": {"text": "keypoints:"},
            "itemclick": False,
            "itemdoubleclick": False,
        },
        "showlegend": True,
        "dragmode": False,
        "font": {"size": FONT_SIZE},
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def curves_figure(
    runs: dict[str, list[dict]],
    baseline_px: float,
    side: int,
    steps: dict[str, Sequence[tuple[float, float]]] | None = None,
    height: int = 300,
) -> go.Figure:
    """Training curves of up to two runs, side by side: the MSE loss (normalised coordinates,
    log axis; solid: training, dotted: held-out; ``steps``: (epoch, batch loss) points drawn
    thin) and the held-out mean pixel error per epoch, with the mean-face baseline dashed.
    runs: label -> per-epoch records with ``epoch``, ``train_loss``, ``val_loss``,
    ``val_error_px``."""
    data: list[dict] = []
    for k, (label, epochs) in enumerate(runs.items()):
        colour = RUN_COLOURS[k % len(RUN_COLOURS)]
        x = [e["epoch"] for e in epochs]
        for key, axis, dash, what in (
            ("train_loss", "", "solid", "training MSE"),
            ("val_loss", "", "dot", "held-out MSE"),
            ("val_error_px", "2", "solid", "held-out mean error"),
        ):
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "x": x,
                    "y": [e.get(key) for e in epochs],
                    "xaxis": f"x{axis}",
                    "yaxis": f"y{axis}",
                    "name": f"{label}: {what}",
                    "legendgroup": label,
                    "line": {"color": colour, "width": 2, "dash": dash},
                    "marker": {"size": 5, "color": colour},
                }
            )
        points = (steps or {}).get(label) or []
        if points:
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines",
                    "x": [p[0] for p in points],
                    "y": [p[1] for p in points],
                    "name": f"{label}: batch MSE",
                    "legendgroup": label,
                    "line": {"color": colour, "width": 1},
                    "opacity": 0.4,
                }
            )
    data.append(
        {
            "type": "scatter",
            "mode": "lines",
            "x": [0, max([len(e) for e in runs.values()] + [1])],
            "y": [baseline_px, baseline_px],
            "xaxis": "x2",
            "yaxis": "y2",
            "name": f"mean face (baseline): {baseline_px:.2f} px",
            "line": {"color": BASELINE_COLOUR, "width": 2, "dash": "dash"},
            "hovertemplate": "mean face: %{y:.2f} px<extra></extra>",
        }
    )
    layout = {
        "height": height,
        "margin": {"l": 60, "r": 10, "t": 20, "b": 40},
        "font": {"size": FONT_SIZE},
        "xaxis": {"domain": [0, 0.44], "title": {"text": "epoch"}, "rangemode": "tozero"},
        "yaxis": {"title": {"text": "loss (MSE)"}, "type": "log", "dtick": 1},
        "xaxis2": {
            "domain": [0.56, 1],
            "title": {"text": "epoch"},
            "anchor": "y2",
            "rangemode": "tozero",
        },
        "yaxis2": {
            "title": {"text": f"held-out error (px, {side}×{side})"},
            "anchor": "x2",
            "rangemode": "tozero",
        },
        "legend": {
            "orientation": "h",
            "y": -0.3,
            "yanchor": "top",
            "font": {"size": FONT_SIZE - 1},
        },
        "showlegend": True,
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def keypoint_error_figure(
    series: dict[str, Sequence[float]],
    side: int,
    names: Sequence[str] = KEYPOINTS,
    height: int = 300,
) -> go.Figure:
    """Bars of the held-out mean error per keypoint (px at ``side``), one bar per series
    (e.g. each run, and "mean face (baseline)" in grey), the value on each bar."""
    data = []
    colours = iter(RUN_COLOURS)
    for label, values in series.items():
        colour = BASELINE_COLOUR if label.startswith("mean face") else next(colours, OKABE_GREY)
        data.append(
            {
                "type": "bar",
                "name": label,
                "x": list(names),
                "y": [float(v) for v in values],
                "text": [f"{v:.2f}" for v in values],
                "textposition": "outside",
                "marker": {"color": colour},
                "hovertemplate": "%{x}: %{y:.2f} px<extra>" + label + "</extra>",
            }
        )
    layout = {
        "barmode": "group",
        "height": height,
        "margin": {"l": 60, "r": 10, "t": 20, "b": 40},
        "font": {"size": FONT_SIZE},
        "xaxis": {"title": {"text": "keypoint"}, "type": "category"},
        "yaxis": {"title": {"text": f"mean error (px, {side}×{side})"}, "rangemode": "tozero"},
        "legend": {"orientation": "h", "y": -0.3, "yanchor": "top"},
        "showlegend": True,
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)
