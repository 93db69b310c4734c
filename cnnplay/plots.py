"""Plotly figure builders. Colour scales, cell sizes and fonts live here, once.

Figures are written as plain specs and wrapped with ``go.Figure(spec, _validate=False)``:
plotly's per-property validation costs ~10 ms a grid and ~150 ms for an animation, which is
most of a page's rerun time; the specs below only use properties plotly.js knows.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale, hex_to_rgb

# Diverging scale for signed values (kernels, ±1 grids, feature maps): blue < 0 < red.
DIVERGING: list = get_colorscale("RdBu_r")
PAD_COLOUR = "rgba(160,160,160,0.45)"  # padding cells, drawn over the heatmap
WINDOW_COLOUR = "#ff8c00"  # the kernel's footprint on the input
CELL_COLOUR = "#2ca02c"  # the output cell being computed
CELL_PX = 38  # pixel size of one grid cell
MAX_SIDE_PX = 420  # cap on a grid figure's side
FONT_SIZE = 12
CHART_CONFIG = {"displayModeBar": False}  # grids are not for zooming; keep them clean


def fmt(value: float) -> str:
    """Compact number for a cell: integers without decimals, else up to 2 decimals."""
    if abs(value - round(value)) < 1e-9:
        return str(int(round(value)))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def signed(value: float) -> str:
    """Like :func:`fmt`, with negatives in parentheses, for use inside a sum: ``(-0.1)``."""
    return f"({fmt(value)})" if value < 0 else fmt(value)


def _side(n: int) -> int:
    return int(min(MAX_SIDE_PX, max(140, n * CELL_PX))) + 40


def _symmetric_range(values: np.ndarray) -> float:
    finite = np.abs(values[np.isfinite(values)])
    return float(finite.max()) if finite.size and finite.max() > 0 else 1.0


def _heatmap(z: np.ndarray, text: list | None, zmax: float, **extra) -> dict:
    """A heatmap trace with the value written in each cell, 0 white, signed colours."""
    h, w = np.shape(z)
    trace = {
        "type": "heatmap",
        "z": np.asarray(z, dtype=float),
        "colorscale": DIVERGING,
        "zmin": -zmax,
        "zmax": zmax,
        "xgap": 1,
        "ygap": 1,
        "showscale": False,
        "hovertemplate": "row %{y}, col %{x}: %{z:.3g}<extra></extra>",
        **extra,
    }
    if text is not None:
        trace.update(
            text=text,
            texttemplate="%{text}",
            textfont={"size": FONT_SIZE if max(h, w) <= 12 else 9},
        )
    return trace


def _rect(r0: float, r1: float, c0: float, c1: float, **style) -> dict:
    """A rectangle covering rows r0..r1 and columns c0..c1 (inclusive cell indices)."""
    return {
        "type": "rect",
        "x0": c0 - 0.5,
        "x1": c1 + 0.5,
        "y0": r0 - 0.5,
        "y1": r1 + 0.5,
        "layer": "above",
        **style,
    }


def _pad_rects(h: int, w: int, pads: tuple[int, int, int, int], x_offset: int = 0) -> list:
    """Grey bands over the padding rows/columns of an (h, w) padded grid."""
    top, bottom, left, right = pads
    bands = ((0, top, 0, w), (h - bottom, h, 0, w), (0, h, 0, left), (0, h, w - right, w))
    return [
        _rect(r0, r1 - 1, c0 + x_offset, c1 - 1 + x_offset, fillcolor=PAD_COLOUR, line={"width": 0})
        for r0, r1, c0, c1 in bands
        if r1 > r0 and c1 > c0
    ]


def _grid_axes(h: int, w: int, ticks: bool = True) -> dict:
    """Axes for an (h, w) grid of unit cells, row 0 at the top; fixed ranges, so shapes drawn
    on the grid's edge do not stretch the axes."""
    axis = {
        "showgrid": False,
        "zeroline": False,
        "showticklabels": ticks,
        "fixedrange": True,
        "constrain": "domain",
    }  # square cells shrink the plot area, never widen the range
    return {
        "yaxis": {
            **axis,
            "range": [h - 0.5, -0.5],
            "scaleanchor": "x",
            **({"dtick": 1} if h <= 12 else {}),
        },
        "xaxis": {
            **axis,
            "range": [-0.5, w - 0.5],
            "side": "top",
            **({"dtick": 1} if w <= 12 else {}),
        },
    }


def grid_figure(
    values: np.ndarray,
    title: str = "",
    pads: tuple[int, int, int, int] = (0, 0, 0, 0),
    show_values: bool = True,
    zmax: float | None = None,
) -> go.Figure:
    """A 2D grid as a heatmap with each cell's value written in it.

    values: (H, W) numbers; 0 is white, negatives blue, positives red. pads: (top, bottom, left,
    right) rows/columns of ``values`` that are padding, shaded grey. Row 0 is drawn at the top.
    """
    values = np.asarray(values, dtype=np.float64)
    h, w = values.shape
    text = [[fmt(v) for v in row] for row in values] if show_values else None
    layout = {
        "title": {"text": title, "y": 0.02, "yanchor": "bottom", "font": {"size": 13}},
        "width": _side(w),
        "height": _side(h) + 30,
        "plot_bgcolor": "white",
        "margin": {"l": 30, "r": 10, "t": 30, "b": 40},
        "shapes": _pad_rects(h, w, pads),
        **_grid_axes(h, w),
    }
    trace = _heatmap(values, text, zmax or _symmetric_range(values))
    return go.Figure({"data": [trace], "layout": layout}, _validate=False)


def clickable_grid_figure(
    values: np.ndarray, title: str = "", hint: str = "(click to flip)"
) -> go.Figure:
    """The grid as one square marker per cell, so a click selects a cell (plotly heatmaps do not
    report clicks to Streamlit). values: (H, W); same colours as :func:`grid_figure`.

    Each point's ``x`` is its column and ``y`` its row; ``hint`` ends the hover text and says
    what a click does.
    """
    values = np.asarray(values, dtype=np.float64)
    h, w = values.shape
    zmax = _symmetric_range(values)
    rows, cols = np.mgrid[0:h, 0:w]
    margin = {"l": 30, "r": 10, "t": 30, "b": 40}
    dark = np.abs(values.ravel()) > 0.6 * zmax  # white text on strong colours
    trace = {
        "type": "scatter",
        "mode": "markers+text",
        "x": cols.ravel(),
        "y": rows.ravel(),
        "text": [fmt(v) for v in values.ravel()],
        "textfont": {"size": FONT_SIZE, "color": np.where(dark, "white", "black").tolist()},
        "marker": {
            "symbol": "square",
            "size": CELL_PX - 3,
            "color": values.ravel(),
            "colorscale": DIVERGING,
            "cmin": -zmax,
            "cmax": zmax,
            "line": {"width": 0},
        },
        "hovertemplate": f"row %{{y}}, col %{{x}}: %{{text}} {hint}<extra></extra>",
    }
    layout = {
        "title": {"text": title, "y": 0.02, "yanchor": "bottom", "font": {"size": 13}},
        "width": w * CELL_PX + margin["l"] + margin["r"],
        "height": h * CELL_PX + margin["t"] + margin["b"],
        "margin": margin,
        "plot_bgcolor": "white",
        "dragmode": False,
        "showlegend": False,
        **_grid_axes(h, w),
    }
    return go.Figure({"data": [trace], "layout": layout}, _validate=False)


def add_box(fig: go.Figure, rows: Sequence[int], cols: Sequence[int], colour: str) -> go.Figure:
    """Outline the cells at the given rows × cols (for dilation, each tap gets its own box)."""
    rows, cols = list(rows), list(cols)
    contiguous = np.all(np.diff(rows) == 1) and np.all(np.diff(cols) == 1)
    boxes = (
        [(rows[0], rows[-1], cols[0], cols[-1])]
        if contiguous
        else [(r, r, c, c) for r in rows for c in cols]
    )
    shapes = list(fig.layout.shapes) + [
        _rect(*box, line={"color": colour, "width": 4}) for box in boxes
    ]
    fig.layout.shapes = shapes
    return fig


def sliding_window_animation(
    padded_input: np.ndarray,
    output: np.ndarray,
    windows: Sequence[tuple[range, range]],
    pads: tuple[int, int, int, int],
    frame_ms: int = 500,
) -> go.Figure:
    """A client-side animation (Plotly frames; no server work while it plays) of a kernel
    sliding over ``padded_input`` (Hp, Wp) and filling ``output`` (H', W') cell by cell.

    windows[n] = (rows, cols) of padded-input cells read by output cell n in row-major order.
    """
    hp, wp = padded_input.shape
    ho, wo = output.shape
    offset = wp + 2  # the output grid is drawn two columns right of the input
    zout = _symmetric_range(output)
    values = output.ravel()
    cell_text = [fmt(v) for v in values]
    input_trace = _heatmap(
        padded_input / _symmetric_range(padded_input),
        [[fmt(v) for v in row] for row in padded_input],
        1.0,
        hoverinfo="skip",
    )
    input_trace.pop("hovertemplate")

    def output_trace(filled: int) -> dict:
        shown = np.full(values.size, np.nan)
        shown[:filled] = values[:filled] / zout
        text = cell_text[:filled] + [""] * (values.size - filled)
        trace = _heatmap(
            shown.reshape(ho, wo),
            np.reshape(text, (ho, wo)).tolist(),
            1.0,
            x=np.arange(wo) + offset,
            y=np.arange(ho),
            hoverinfo="skip",
        )
        trace.pop("hovertemplate")
        return trace

    background = _pad_rects(hp, wp, pads)

    def shapes(n: int) -> list[dict]:
        rows, cols = windows[n]
        i, j = divmod(n, wo)
        return background + [
            *_window_rects(rows, cols, {"color": WINDOW_COLOUR, "width": 4}),
            _rect(i, i, j + offset, j + offset, line={"color": CELL_COLOUR, "width": 4}),
        ]

    frames = [
        {
            "name": str(n),
            "data": [input_trace, output_trace(n + 1)],
            "layout": {"shapes": shapes(n)},
        }
        for n in range(len(windows))
    ]
    step_args = {
        "frame": {"duration": frame_ms, "redraw": True},
        "mode": "immediate",
        "transition": {"duration": 0},
    }
    layout = {
        "shapes": shapes(0),
        "plot_bgcolor": "white",
        "width": min(900, (offset + wo) * CELL_PX + 80),
        "height": max(hp, ho) * CELL_PX + 150,
        "margin": {"l": 20, "r": 20, "t": 20, "b": 90},
        **_grid_axes(max(hp, ho), offset + wo, ticks=False),
        "updatemenus": [
            {
                "type": "buttons",
                "direction": "left",
                "x": 0,
                "y": -0.08,
                "xanchor": "left",
                "buttons": [
                    {
                        "label": "▶ Play",
                        "method": "animate",
                        "args": [None, {**step_args, "fromcurrent": True}],
                    },
                    {
                        "label": "Pause",
                        "method": "animate",
                        "args": [[None], {**step_args, "frame": {"duration": 0, "redraw": False}}],
                    },
                ],
            }
        ],
        "sliders": [
            {
                "x": 0.25,
                "len": 0.75,
                "y": -0.05,
                "currentvalue": {"prefix": "output cell "},
                "steps": [
                    {
                        "label": f"{divmod(n, wo)}",
                        "method": "animate",
                        "args": [[str(n)], step_args],
                    }
                    for n in range(len(windows))
                ],
            }
        ],
    }
    data = [input_trace, output_trace(1)]
    return go.Figure({"data": data, "layout": layout, "frames": frames}, _validate=False)


def _window_rects(rows: Sequence[int], cols: Sequence[int], line: dict) -> list[dict]:
    """One box around a contiguous window; with dilation (a range with step > 1), a box per tap."""
    rows, cols = list(rows), list(cols)
    if np.all(np.diff(rows) == 1) and np.all(np.diff(cols) == 1):
        return [_rect(rows[0], rows[-1], cols[0], cols[-1], line=line)]
    return [_rect(r, r, c, c, line=line) for r in rows for c in cols]


def size_stack_figure(sizes: dict[str, Sequence[int]], title: str = "") -> go.Figure:
    """Side length after each layer, one line per named stack (e.g. "valid", "same").

    sizes: name -> [n, n_1, n_2, …] (a stack that ran out of pixels ends with 0)."""
    colours = [WINDOW_COLOUR, CELL_COLOUR, "#1f77b4", "#9467bd"]
    data = [
        {
            "type": "scatter",
            "mode": "lines+markers+text",
            "name": name,
            "x": list(range(len(values))),
            "y": list(values),
            "text": [str(v) for v in values],
            "textposition": "top center",
            "line": {"color": colours[n % len(colours)]},
            "hovertemplate": f"{name}: after %{{x}} layers, %{{y}} pixels<extra></extra>",
        }
        for n, (name, values) in enumerate(sizes.items())
    ]
    top = max((max(v) for v in sizes.values() if len(v)), default=1)
    layout = {
        "title": {"text": title, "font": {"size": 13}},
        "height": 300,
        "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
        "plot_bgcolor": "white",
        "xaxis": {"title": {"text": "layers"}, "dtick": 1, "gridcolor": "#eee", "fixedrange": True},
        "yaxis": {
            "title": {"text": "side (pixels)"},
            "range": [-1, top * 1.15 + 1],
            "gridcolor": "#eee",
            "fixedrange": True,
        },
        "legend": {"orientation": "h", "y": 1.12, "x": 1, "xanchor": "right"},
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)


FIELD_COLOUR = "#ff8c00"  # a unit's theoretical receptive field on the input
FIELD_PAD_DASH = "dash"  # the part of a field that lies in the padding, outside the image
# Gradient magnitude (effective field), 0 = black. Stops as "rgb(...)": plotly.js misread the
# scale's first hex stop ("#000004") and drew zero in the theme's colour instead of black.
ERF_SCALE: list = [
    [stop, "rgb({}, {}, {})".format(*hex_to_rgb(colour))]
    for stop, colour in get_colorscale("Inferno")
]
FIELD_BAR_COLOUR = "#1f77b4"  # bars of the field-growth chart


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


def to_uint8(values: np.ndarray, mode: str = "clip") -> np.ndarray:
    """Filter responses (float, any range) -> uint8 for display.

    mode: "clip" (values outside 0..255 saturate, as a saved photo would), "rescale" (min..max
    stretched to 0..255) or "absolute" (|v| with its maximum stretched to 255: edge strength of
    either sign).
    """
    v = np.asarray(values, dtype=np.float32)
    if mode == "absolute":
        v = np.abs(v)
        top = float(v.max())
        v = v * (255.0 / top) if top > 0 else v
    elif mode == "rescale":
        lo, hi = float(v.min()), float(v.max())
        v = (v - lo) * (255.0 / (hi - lo)) if hi > lo else np.zeros_like(v)
    elif mode != "clip":
        raise ValueError(f"unknown display mode {mode!r}")
    return np.clip(np.rint(v), 0, 255).astype(np.uint8)


DISPLAY_MODES: dict[str, str] = {
    "auto": "auto (|y| for edge kernels, else clip)",
    "clip": "clip to 0–255 (as saved)",
    "rescale": "stretch min–max to 0–255",
    "absolute": "|y|, stretched to 0–255",
}


def resolve_display_mode(mode: str, kernel: np.ndarray) -> str:
    """ "auto" -> "absolute" for kernels whose weights sum to ~0 (edge detectors: their output
    is signed and centred on 0), else "clip"; any other mode is returned as is."""
    if mode != "auto":
        return mode
    return "absolute" if abs(float(np.sum(kernel))) < 1e-3 else "clip"


WINNER_COLOUR = "#8e24aa"  # the input cell that won a max-pooling window
CHANGED_COLOUR = "#000000"  # a value that changed (translation invariance view)


def mark_cells(
    fig: go.Figure, cells: Sequence[tuple[int, int]], colour: str, width: int = 3
) -> go.Figure:
    """Outline single cells (row, col) of a grid figure, all in one layout update."""
    fig.layout.shapes = list(fig.layout.shapes) + [
        _rect(r, r, c, c, line={"color": colour, "width": width}) for r, c in cells
    ]
    return fig


def pooling_animation(
    values: np.ndarray,
    output: np.ndarray,
    windows: Sequence[tuple[range, range]],
    winners: Sequence[tuple[int, int]] | None = None,
    frame_ms: int = 600,
) -> go.Figure:
    """A pooling window sliding over ``values`` (H, W) and filling ``output`` (H', W'),
    played in the browser (Plotly frames). windows[n] = (rows, cols) of output cell n
    (row-major); winners[n] = (row, col) of the cell that won its max, outlined in each frame.
    """
    fig = sliding_window_animation(values, output, windows, (0, 0, 0, 0), frame_ms)
    spec = fig.to_plotly_json()  # plain dicts: adding shapes to every frame stays cheap
    if winners is not None:
        boxes = [
            _rect(r, r, c, c, line={"color": WINNER_COLOUR, "width": 3}, fillcolor="rgba(0,0,0,0)")
            for r, c in winners
        ]
        for n, frame in enumerate(spec["frames"]):
            frame["layout"]["shapes"] = [*frame["layout"]["shapes"], boxes[n]]
        spec["layout"]["shapes"] = [*spec["layout"]["shapes"], boxes[0]]
    return go.Figure(spec, _validate=False)


COST_COLOUR = "#1f77b4"  # bars of a cost chart
SELECTED_COLOUR = "#ff8c00"  # the bar whose details are shown


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


TOPK_COLOUR = "#1f77b4"  # bars of a top-k prediction chart
HEAT_STOPS: np.ndarray = np.array(  # (value, r, g, b) stops of the overlay heat colours
    [
        [0.0, 0, 0, 0],
        [0.35, 40, 40, 200],
        [0.6, 40, 200, 80],
        [0.8, 250, 220, 30],
        [1.0, 240, 30, 30],
    ]
)


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


def heat_colours(heat: np.ndarray) -> np.ndarray:
    """(H, W) values in 0..1 -> (H, W, 3) uint8 colours (black, blue, green, yellow, red)."""
    v = np.clip(np.asarray(heat, dtype=np.float32), 0, 1)
    channels = [np.interp(v, HEAT_STOPS[:, 0], HEAT_STOPS[:, k]) for k in (1, 2, 3)]
    return np.rint(np.stack(channels, axis=-1)).astype(np.uint8)


def heat_overlay(image: np.ndarray, heat: np.ndarray, alpha: float = 0.5) -> np.ndarray:
    """Blend a (H, W) 0..1 heat map over a (H, W, 3) uint8 picture; weak heat stays see-through.
    Returns (H, W, 3) uint8."""
    v = np.clip(np.asarray(heat, dtype=np.float32), 0, 1)[..., None]  # (H, W, 1)
    weight = alpha * np.sqrt(v)
    mixed = (1 - weight) * image.astype(np.float32) + weight * heat_colours(v[..., 0])
    return np.rint(mixed).astype(np.uint8)


def normalise_map(
    values: np.ndarray, signed: bool = False, percentile: float = 100.0
) -> np.ndarray:
    """Any float map -> 0..1 for display: v / top (signed=False, values >= 0) or
    0.5 + v / (2 top) clipped (signed=True: grey is 0), where top is the given percentile of
    |v| (100: the maximum; 99 lets sparse gradient maps show more than a few bright dots).
    All-zero input gives zeros (or 0.5)."""
    v = np.asarray(values, dtype=np.float32)
    top = float(np.percentile(np.abs(v), percentile))
    if top <= 0:
        top = float(np.abs(v).max())
    if signed:
        return np.clip(0.5 + v / (2 * top), 0, 1) if top > 0 else np.full_like(v, 0.5)
    return np.clip(v / top, 0, 1) if top > 0 else np.zeros_like(v)


def tile_maps(maps: np.ndarray, cols: int, gap: int = 2, upscale: int = 1) -> np.ndarray:
    """(N, h, w) float maps -> one (rows*(h*upscale+gap), cols*(w*upscale+gap)) uint8 mosaic,
    each map stretched min..max on its own; white gaps between tiles. (N, h, w, 3) float 0..1
    colour tiles give an (.., .., 3) mosaic."""
    maps = np.asarray(maps, dtype=np.float32)
    colour = maps.ndim == 4
    n, h, w = maps.shape[:3]
    rows = max(1, -(-n // cols))
    th, tw = h * upscale + gap, w * upscale + gap
    shape = (rows * th, cols * tw) + ((3,) if colour else ())
    mosaic = np.full(shape, 255, np.uint8)
    for k in range(n):
        m = maps[k]
        if colour:
            tile = np.clip(m, 0, 1) * 255
        else:
            lo, hi = float(m.min()), float(m.max())
            tile = (m - lo) * (255 / (hi - lo)) if hi > lo else np.zeros_like(m)
        tile = np.repeat(np.repeat(tile, upscale, axis=0), upscale, axis=1)
        r, c = divmod(k, cols)
        mosaic[r * th : r * th + h * upscale, c * tw : c * tw + w * upscale] = np.rint(tile)
    return mosaic


# --- Transfer learning ---------------------------------------------------------------------

STRATEGY_COLOURS: dict[str, str] = {  # one colour per training strategy, in every chart
    "scratch": "#7f7f7f",
    "head": "#1f77b4",
    "finetune": "#ff8c00",
}
COUNT_SCALE = [[0.0, "rgb(255,255,255)"], [1.0, "rgb(31,119,180)"]]  # confusion counts


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


# --- Detection page ---

DET_GT_COLOUR = "#2ca02c"  # ground-truth boxes (and true positives)
DET_FP_COLOUR = "#d62728"  # false positives
DET_MISS_COLOUR = "#ff8c00"  # missed ground-truth boxes; also the box kept at an NMS step
DET_CANDIDATE_COLOUR = "rgba(31,119,180,0.45)"  # boxes still in play
DET_SUPPRESSED_COLOUR = "rgba(120,120,120,0.8)"  # boxes an NMS step discards
DET_A_COLOUR = "#1f77b4"  # IoU demo: box A
DET_B_COLOUR = "#d62728"  # IoU demo: box B
DET_INTER_FILL = "rgba(148,103,189,0.55)"  # IoU demo: the intersection
DET_UNION_FILL = "rgba(255,187,120,0.35)"  # IoU demo: the union
DET_IMAGE_PX = 460  # longest side of an image-with-boxes figure on screen


def image_source(image: np.ndarray) -> str:
    """(H, W, 3) uint8 -> a PNG data URI for a plotly layout image."""
    import base64
    import io

    from PIL import Image

    buf = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(image)).save(buf, format="PNG", compress_level=1)
    return "data:image/png;base64," + base64.b64encode(buf.getvalue()).decode()


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
                "title": "boxes",
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
    """Precision-recall curves by name, and the operating point (recall, precision)."""
    palette = ("#e45756", "#4c78a8", "#54a24b", "#b279a2", "#f58518")
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
            "height": 320,
            "margin": {"l": 50, "r": 10, "t": 20, "b": 40},
            "xaxis": {"title": "recall", "range": [0, 1.02]},
            "yaxis": {"title": "precision", "range": [0, 1.05]},
            "legend": {"orientation": "h", "y": -0.25},
            "font": {"size": FONT_SIZE},
        },
    }
    return go.Figure(spec, _validate=False)


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
