"""Figures of the DeconvNet tab: projections as pictures (grey = 0) with the unit's receptive
field drawn on them, crops of that field, and the step-through of the explicit DeconvNet (each
step's signal, one panel a step; one step's channels)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
from plotly.colors import hex_to_rgb

from cnnplay.learned.deconvnet import Span, Step
from cnnplay.plots.images import normalise_map
from cnnplay.plots.style import DIVERGING, FIELD_COLOUR, FONT_SIZE

GRAD_PERCENTILE = 99.5  # a projection's full brightness: this percentile of |value|
BOX_PX = 2  # line width of a receptive-field box drawn into a picture
CROP_PX = 192  # a crop of the field is magnified to about this side
MARGIN_CELLS = 2  # a step's panel shows this many cells around the unit's field
PANEL_PX = 150  # plot side of one panel of the step-through figures
PANEL_COLS = 4  # panels per row in the step-through figures
TITLE_PX = 22  # the band above each panel that holds its title
ROW_GAP_PX = 16  # between a row of panels and the next row's titles
MAX_CHANNELS = 12  # a step's channels kept for display (the hand-set network has 12 at most)


def signed_picture(values: np.ndarray, percentile: float = GRAD_PERCENTILE) -> np.ndarray:
    """A signed projection as a picture: (3, H, W) (colour) or (H, W) float -> (H, W, 3)
    uint8, grey where the value is 0, brighter / darker for positive / negative values, the
    ``percentile`` of |value| (over all channels) at full scale; all zeros give plain grey."""
    v = np.asarray(values, dtype=np.float32)
    v = v.transpose(1, 2, 0) if v.ndim == 3 else np.repeat(v[..., None], 3, axis=2)  # (H, W, 3)
    return np.rint(normalise_map(v, signed=True, percentile=percentile) * 255).astype(np.uint8)


def box_inside(rows: Span, cols: Span, h: int, w: int) -> tuple[Span, Span] | None:
    """The part of a (rows, cols) box (inclusive, may reach past the picture) inside an (h, w)
    picture, or None when none of it is."""
    r0, r1 = max(rows[0], 0), min(rows[1], h - 1)
    c0, c1 = max(cols[0], 0), min(cols[1], w - 1)
    return ((r0, r1), (c0, c1)) if r0 <= r1 and c0 <= c1 else None


def draw_box(
    image: np.ndarray, rows: Span, cols: Span, colour: str = FIELD_COLOUR, width: int = BOX_PX
) -> np.ndarray:
    """A copy of ``image`` (H, W, 3) uint8 with the outline of a box drawn in ``colour`` (hex):
    rows / cols are first and last pixels, inclusive. Sides that lie outside the picture (a
    field reaching into the padding) are not drawn; the part inside is."""
    out = image.copy()
    h, w = out.shape[:2]
    inside = box_inside(rows, cols, h, w)
    if inside is None:
        return out
    (r0, r1), (c0, c1) = inside
    rgb = np.array(hex_to_rgb(colour), np.uint8)
    if rows[0] >= 0:
        out[r0 : r0 + width, c0 : c1 + 1] = rgb
    if rows[1] < h:
        out[max(r1 - width + 1, 0) : r1 + 1, c0 : c1 + 1] = rgb
    if cols[0] >= 0:
        out[r0 : r1 + 1, c0 : c0 + width] = rgb
    if cols[1] < w:
        out[r0 : r1 + 1, max(c1 - width + 1, 0) : c1 + 1] = rgb
    return out


def crop_box(image: np.ndarray, rows: Span, cols: Span, side: int = CROP_PX) -> np.ndarray:
    """The part of ``image`` (H, W, 3) uint8 inside the box, magnified by a whole factor (nearest
    neighbour, so single pixels stay sharp) to at most ``side`` on its longer side (at least
    ×1). Raises ValueError when the box misses the picture."""
    inside = box_inside(rows, cols, *image.shape[:2])
    if inside is None:
        raise ValueError("the box lies outside the picture")
    (r0, r1), (c0, c1) = inside
    part = image[r0 : r1 + 1, c0 : c1 + 1]
    k = max(1, side // max(part.shape[:2]))
    return np.repeat(np.repeat(part, k, axis=0), k, axis=1)


# --- the step-through -------------------------------------------------------------------------


def _panel_layout(n: int, cols: int, titles: Sequence[str]) -> dict:
    """Axes for n square panels in rows of ``cols`` (row 0 of each at the top), each with its
    title in a band above it; returns the layout (size included)."""
    rows = -(-n // cols)
    band, gap_px, gap_x = TITLE_PX, ROW_GAP_PX, 0.03
    row_px = PANEL_PX + band + gap_px
    height = rows * row_px
    width_each = (1 - gap_x * (cols - 1)) / cols
    layout: dict = {
        "height": height + 10,
        "width": cols * (PANEL_PX + 30),
        "margin": {"l": 5, "r": 5, "t": 5, "b": 5},
        "plot_bgcolor": "white",
        "font": {"size": FONT_SIZE},
        "dragmode": False,
        "annotations": [],
    }
    base = {"showgrid": False, "zeroline": False, "showticklabels": False, "ticks": "",
            "showline": False, "fixedrange": True}  # fmt: skip
    for i in range(n):
        r, c = divmod(i, cols)
        s = "" if i == 0 else str(i + 1)
        top = 1 - (r * row_px + band) / height  # the panel starts below its title band
        bottom = 1 - (r * row_px + band + PANEL_PX) / height
        layout[f"xaxis{s}"] = {
            **base,
            "domain": [c * (width_each + gap_x), c * (width_each + gap_x) + width_each],
            "constrain": "domain",
        }
        layout[f"yaxis{s}"] = {**base, "domain": [max(bottom, 0), top], "scaleanchor": f"x{s}",
                               "constrain": "domain", "autorange": "reversed"}  # fmt: skip
        layout["annotations"].append(
            {
                "text": titles[i],
                "xref": f"x{s} domain",
                "yref": "paper",
                "x": 0.5,
                "y": top,
                "yanchor": "bottom",
                "yshift": 2,
                "showarrow": False,
                "font": {"size": FONT_SIZE - 1},
            }
        )
    return layout


@dataclass(frozen=True)
class StepView:
    """What the step-through figures show of one step, small enough to cache: the signal
    around the unit's field only, summed over channels and its strongest channels."""

    kind: str  # Step.kind: "start", "unpool", "relu" or "transposed conv"
    label: str  # Step.label
    layer: int  # Step.layer
    shape: tuple[int, int, int]  # (C, h, w) of the whole signal
    origin: tuple[int, int]  # (row, col) of the window's first cell in the whole signal
    total: np.ndarray  # (h', w') float32: the signal in the window, summed over channels
    channels: np.ndarray  # (k, h', w') float32: the k channels with the most signal in it
    which: tuple[int, ...]  # their indices, in the order shown


def _window(box: tuple[Span, Span] | None, h: int, w: int) -> tuple[slice, slice]:
    """Rows and columns of an (h, w) map to show: the box with a margin, clipped."""
    if box is None:
        return slice(0, h), slice(0, w)
    (r0, r1), (c0, c1) = box
    r0, c0 = min(max(r0 - MARGIN_CELLS, 0), h - 1), min(max(c0 - MARGIN_CELLS, 0), w - 1)
    r1, c1 = max(min(r1 + MARGIN_CELLS, h - 1), r0), max(min(c1 + MARGIN_CELLS, w - 1), c0)
    return slice(r0, r1 + 1), slice(c0, c1 + 1)


def view_steps(
    steps: Sequence[Step], boxes: Sequence[tuple[Span, Span] | None], limit: int = MAX_CHANNELS
) -> list[StepView]:
    """Each step's signal cut to its box (with a margin of MARGIN_CELLS; None: the whole map),
    summed over channels, and its ``limit`` channels with the most signal (sum of |value|; all
    of them, in order, when there are no more than ``limit``; the pixels' 3 colours always)."""
    views = []
    for step, box in zip(steps, boxes, strict=True):
        signal = step.signal.float()  # (C, h, w)
        rows, cols = _window(box, *signal.shape[1:])
        part = signal[:, rows, cols].numpy()  # (C, h', w')
        if len(part) <= limit:
            which = list(range(len(part)))
        else:
            which = [int(k) for k in np.argsort(-np.abs(part).sum(axis=(1, 2)), kind="stable")]
            which = which[:limit]
        views.append(StepView(step.kind, step.label, step.layer, tuple(signal.shape),
                              (rows.start, cols.start), part.sum(0), part[which],
                              tuple(which)))  # fmt: skip
    return views


def _signed_heatmap(z: np.ndarray, axis: str, origin: tuple[int, int],
                    zmax: float | None = None) -> dict:  # fmt: skip
    z = np.asarray(z, dtype=np.float64)
    top = zmax if zmax is not None else float(np.abs(z).max())
    h, w = z.shape
    return {
        "type": "heatmap",
        "z": z,
        "x": list(range(origin[1], origin[1] + w)),
        "y": list(range(origin[0], origin[0] + h)),
        "colorscale": DIVERGING,
        "zmin": -(top or 1.0),
        "zmax": top or 1.0,
        "showscale": False,
        "xaxis": f"x{axis}",
        "yaxis": f"y{axis}",
        "hovertemplate": "row %{y}, col %{x}: %{z:.3g}<extra></extra>",
    }


def steps_figure(
    views: Sequence[StepView], titles: Sequence[str], grey_pixels: bool = False
) -> go.Figure:
    """One panel per step of the explicit DeconvNet: the step's signal summed over its
    channels (red > 0, blue < 0, white 0, each panel on its own symmetric scale) around the
    unit's field at that layer; the last step, when it is the 3 colour channels of the pixels,
    as a picture (grey = 0; ``grey_pixels``: summed over the colours, for a network that only
    sees brightness). ``titles``: one per step."""
    data = []
    for i, view in enumerate(views):
        axis = "" if i == 0 else str(i + 1)
        if i == len(views) - 1 and view.shape[0] == 3:  # the pixels, as the colour picture
            pixels = view.channels.sum(0) if grey_pixels else view.channels
            data.append({"type": "image", "z": signed_picture(pixels),
                         "x0": view.origin[1], "y0": view.origin[0],
                         "xaxis": f"x{axis}", "yaxis": f"y{axis}",
                         "hovertemplate": "row %{y}, col %{x}<extra></extra>"})  # fmt: skip
        else:
            data.append(_signed_heatmap(view.total, axis, view.origin))
    layout = _panel_layout(len(views), min(PANEL_COLS, len(views)), titles)
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def channels_figure(view: StepView, names: Sequence[str]) -> go.Figure:
    """One step's channels (those the view kept), one panel each, on one shared symmetric
    scale, so the channels that carry the signal stand out. names: one per channel of the
    whole signal."""
    zmax = float(np.abs(view.channels).max()) or 1.0
    data = [
        _signed_heatmap(view.channels[i], "" if i == 0 else str(i + 1), view.origin, zmax)
        for i in range(len(view.which))
    ]
    titles = [names[k] for k in view.which]
    layout = _panel_layout(len(titles), min(PANEL_COLS + 2, len(titles)), titles)
    return go.Figure({"data": data, "layout": layout}, _validate=False)
