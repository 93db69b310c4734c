"""Number grids: heatmaps with values, padding, windows and output cells; sliding-window and
pooling animations (the Kernels, Padding and Pooling pages, and every grid elsewhere)."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnplay.plots.style import (
    CELL_COLOUR,
    CELL_PX,
    DIVERGING,
    FONT_SIZE,
    MAX_SIDE_PX,
    OKABE_REDDISH_PURPLE,
    OKABE_VERMILLION,
    PAD_COLOUR,
    WINDOW_COLOUR,
    WINNER_COLOUR,
    fmt,
)

MIN_PLOT_PX = 3 * CELL_PX  # a clickable grid's plot area is at least this wide or tall
TITLE_CHAR_PX = 8  # about one title character's width: the figure leaves room for its title


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
    # a tiny grid (a 1×1 output) gets bigger cells, and the figure room for its whole title
    cell_px = max(CELL_PX, MIN_PLOT_PX // max(h, w))  # the plot area is tiled by the cells
    plot_w, plot_h = w * cell_px, h * cell_px
    margin["r"] = max(margin["r"], TITLE_CHAR_PX * len(title) - plot_w - margin["l"])
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
            "size": cell_px - 3,
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
        "width": int(plot_w) + margin["l"] + margin["r"],
        "height": int(plot_h) + margin["t"] + margin["b"],
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
    colours = [WINDOW_COLOUR, CELL_COLOUR, OKABE_VERMILLION, OKABE_REDDISH_PURPLE]
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
