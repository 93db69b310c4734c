"""Receptive-field figures: field growth per layer, a unit's field on an image, the effective field."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnplay.plots.grids import _rect
from cnnplay.plots.style import ERF_SCALE, FIELD_BAR_COLOUR, FIELD_COLOUR, FIELD_PAD_DASH


def field_growth_figure(
    labels: Sequence[str], sizes: Sequence[int], jumps: Sequence[int], title: str = ""
) -> go.Figure:
    """Receptive-field size (bars) after each layer, with the jump in the hover text.

    labels, sizes, jumps: one entry per layer (input first), sizes and jumps in input pixels.
    """
    trace = {
        "type": "bar",
        "x": list(range(len(labels))),
        "y": list(sizes),
        "text": [str(v) for v in sizes],
        "textposition": "outside",
        "customdata": [[lab, j] for lab, j in zip(labels, jumps, strict=True)],
        "hovertemplate": "%{customdata[0]}<br>field %{y} px, jump %{customdata[1]} px"
        "<extra></extra>",
        "marker": {"color": FIELD_BAR_COLOUR},
    }
    n = len(labels)
    layout = {
        "title": {"text": title, "font": {"size": 13}},
        "height": 300,
        "margin": {"l": 50, "r": 10, "t": 40, "b": 90 if n <= 24 else 40},
        "yaxis": {"title": {"text": "receptive field (px)"}, "rangemode": "tozero"},
        "xaxis": {
            "tickmode": "array",
            "tickvals": list(range(n)),
            "ticktext": list(labels) if n <= 24 else [""] * n,
            "tickangle": -45,
        },
        "plot_bgcolor": "white",
        "dragmode": False,
    }
    return go.Figure({"data": [trace], "layout": layout}, _validate=False)


def _field_shapes(rows: tuple[int, int], cols: tuple[int, int], h: int, w: int) -> list[dict]:
    """The whole field dashed (it may reach past the image into padding), its part on the
    image solid. rows / cols: first and last pixel, inclusive; may be < 0 or >= h / w."""
    inside = (max(rows[0], 0), min(rows[1], h - 1), max(cols[0], 0), min(cols[1], w - 1))
    whole = _rect(rows[0], rows[1], cols[0], cols[1], line={"color": FIELD_COLOUR, "width": 2})
    whole["line"]["dash"] = FIELD_PAD_DASH
    part = _rect(*inside, line={"color": FIELD_COLOUR, "width": 3})
    return [whole, part] if inside[0] <= inside[1] and inside[2] <= inside[3] else [whole]


def _image_axes(rows: tuple[int, int], cols: tuple[int, int], h: int, w: int) -> dict:
    y0, y1 = min(rows[0], 0) - 2, max(rows[1], h - 1) + 2
    x0, x1 = min(cols[0], 0) - 2, max(cols[1], w - 1) + 2
    return {
        "xaxis": {"range": [x0, x1], "showgrid": False, "zeroline": False, "constrain": "domain"},
        "yaxis": {
            "range": [y1, y0],
            "showgrid": False,
            "zeroline": False,
            "scaleanchor": "x",
            "constrain": "domain",
        },
    }


def _field_layout(
    title: str, width: int, rows: tuple[int, int], cols: tuple[int, int], h: int, w: int
) -> dict:
    """Layout of a picture (h × w) with a field drawn on it, grey where the padding is."""
    return {
        "title": {"text": title, "font": {"size": 13}},
        "width": width,
        "height": 380,
        "margin": {"l": 30, "r": 10, "t": 40, "b": 30},
        "plot_bgcolor": "rgb(220,220,220)",
        "shapes": _field_shapes(rows, cols, h, w),
        "dragmode": False,
        **_image_axes(rows, cols, h, w),
    }


def field_on_image_figure(
    image: np.ndarray, rows: tuple[int, int], cols: tuple[int, int], title: str = ""
) -> go.Figure:
    """A photo with one unit's receptive field drawn on it.

    image: (H, W, 3) uint8. rows / cols: the field's first and last pixel (inclusive), which
    may lie outside the image (padding): that part is dashed, over a grey background.
    """
    h, w = image.shape[:2]
    trace = {"type": "image", "z": image, "hovertemplate": "row %{y}, col %{x}<extra></extra>"}
    layout = _field_layout(title, 360, rows, cols, h, w)
    return go.Figure({"data": [trace], "layout": layout}, _validate=False)


def erf_figure(
    grad: np.ndarray, rows: tuple[int, int], cols: tuple[int, int], title: str = ""
) -> go.Figure:
    """Gradient magnitude |d unit / d input| (the effective field) with the theoretical field.

    grad: (H, W) >= 0. rows / cols: the theoretical field, as in :func:`field_on_image_figure`.
    """
    h, w = grad.shape
    peak = float(grad.max()) or 1.0
    trace = {
        "type": "heatmap",
        "z": np.asarray(grad, dtype=float) / peak,
        "colorscale": ERF_SCALE,
        "zmin": 0,
        "zmax": 1,
        "colorbar": {"title": {"text": "|grad| / max"}, "thickness": 12},
        "hovertemplate": "row %{y}, col %{x}: %{z:.3f}<extra></extra>",
    }
    layout = _field_layout(title, 400, rows, cols, h, w)
    return go.Figure({"data": [trace], "layout": layout}, _validate=False)
