"""Figures of the feature-space tabs: a grid of labelled thumbnails (top patches, neighbours),
the neighbours of a query by features and by pixels, and a 2D map of a gallery with its
thumbnails. Plain plotly specs (see cnnplay.plots.style); pictures go in as small PNG data URIs
(cnnplay.detection.plots.image_source), which is far lighter than numbers per pixel."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go
from PIL import Image

from cnnplay.plots.images import image_source
from cnnplay.plots.style import (
    FONT_SIZE,
    OKABE_BLUE,
    OKABE_ORANGE,
    OKABE_VERMILLION,
    SERIES_COLOURS,
)

SAME_COLOUR = OKABE_BLUE  # frame of a neighbour of the query's class
OTHER_COLOUR = OKABE_VERMILLION  # frame of a neighbour of another class
QUERY_COLOUR = OKABE_ORANGE  # frame of the query / the picked point on a map
# Classes on a map: Okabe–Ito colours (with black and yellow) and, because ten classes cannot
# all be told apart by colour alone, a marker shape that changes with the class as well.
CLASS_COLOURS: tuple[str, ...] = (*SERIES_COLOURS[:5], "#000000", OKABE_ORANGE, "#F0E442")
CLASS_SYMBOLS: tuple[str, ...] = ("circle", "square", "diamond", "triangle-up", "cross")
LABEL_PX = 34  # height of the two text lines above each tile
FRAME_PX = 3  # width of a tile's coloured frame
GAP_PX = 6  # white space between tiles
FRAMES = {True: SAME_COLOUR, False: OTHER_COLOUR, None: None}  # neighbour's class vs query's


def class_style(k: int) -> tuple[str, str]:
    """(colour, marker symbol) of class number k on a map (distinct pairs for k < 40)."""
    return CLASS_COLOURS[k % len(CLASS_COLOURS)], CLASS_SYMBOLS[k % len(CLASS_SYMBOLS)]


def fit_tile(tile: np.ndarray, px: int) -> np.ndarray:
    """(h, w, 3) uint8 -> (px, px, 3) uint8, the longer side scaled to px (NEAREST when
    enlarging a lot, so a small patch's pixels stay visible; else BILINEAR), centred on white."""
    h, w = tile.shape[:2]
    scale = px / max(h, w, 1)
    size = (max(1, round(w * scale)), max(1, round(h * scale)))
    resample = Image.Resampling.NEAREST if scale >= 3 else Image.Resampling.BILINEAR
    picture = np.asarray(Image.fromarray(np.ascontiguousarray(tile)).resize(size, resample))
    out = np.full((px, px, 3), 255, np.uint8)
    top, left = (px - size[1]) // 2, (px - size[0]) // 2
    out[top : top + size[1], left : left + size[0]] = picture
    return out


def framed(picture: np.ndarray, colour: str, width: int = FRAME_PX) -> np.ndarray:
    """A copy of a (h, w, 3) uint8 picture with a ``width``-pixel frame of ``colour``
    ("#rrggbb")."""
    rgb = np.array([int(colour[i : i + 2], 16) for i in (1, 3, 5)], np.uint8)
    out = picture.copy()
    out[:width], out[-width:], out[:, :width], out[:, -width:] = rgb, rgb, rgb, rgb
    return out


def tile_figure(
    tiles: Sequence[np.ndarray],
    texts: Sequence[str],
    cols: int,
    tile_px: int = 96,
    frames: Sequence[str | None] | None = None,
    title: str = "",
) -> go.Figure:
    """Tiles in a grid, each with one or two lines of text above it ("<br>" between lines)
    and an optional coloured frame.

    tiles: (h, w, 3) uint8 pictures of any size (each fitted into tile_px × tile_px).
    texts: one per tile. frames: a colour per tile (None: no frame). The figure is one image
    trace of the mosaic (a PNG) and one annotation per text, in mosaic pixel coordinates."""
    n = len(tiles)
    cols = max(1, min(cols, n))
    rows = max(1, -(-n // cols))
    cell_w, cell_h = tile_px + GAP_PX, LABEL_PX + tile_px + GAP_PX
    mosaic = np.full((rows * cell_h, cols * cell_w, 3), 255, np.uint8)
    annotations = []
    for k, (tile, text) in enumerate(zip(tiles, texts, strict=True)):
        r, c = divmod(k, cols)
        top, left = r * cell_h + LABEL_PX, c * cell_w
        picture = fit_tile(tile, tile_px)
        colour = frames[k] if frames is not None else None
        if colour is not None:
            picture = framed(picture, colour)
        mosaic[top : top + tile_px, left : left + tile_px] = picture
        annotations.append(
            {
                "x": left + tile_px / 2,
                "y": top - 2,
                "text": text,
                "showarrow": False,
                "xanchor": "center",
                "yanchor": "bottom",
                "font": {"size": FONT_SIZE - 1},
            }
        )
    h, w = mosaic.shape[:2]
    axis = {"visible": False, "fixedrange": True}
    layout = {
        "title": {"text": title, "font": {"size": FONT_SIZE + 1}},
        "width": w + 20,
        "height": h + (40 if title else 10),
        "margin": {"l": 10, "r": 10, "t": 40 if title else 5, "b": 5},
        "xaxis": {**axis, "range": [0, w]},
        "yaxis": {**axis, "range": [h, 0], "scaleanchor": "x"},
        "annotations": annotations,
        "plot_bgcolor": "white",
        "dragmode": False,
    }
    trace = {"type": "image", "source": image_source(mosaic), "hoverinfo": "skip"}
    return go.Figure({"data": [trace], "layout": layout}, _validate=False)


def neighbours_figure(
    query: np.ndarray,
    query_text: str,
    rows: Sequence[tuple[str, Sequence[np.ndarray], Sequence[str], Sequence[bool | None]]],
    tile_px: int = 88,
) -> go.Figure:
    """The query, then one row per space: (row title, neighbour pictures, their texts, whether
    each has the query's class). The query is framed orange; a neighbour of the query's class
    blue, of another class vermillion (its text should say so too: colour is not the only
    cue), of an unknown relation (None: a query with no class) not at all."""
    k = max(len(r[1]) for r in rows)
    tiles, texts, frames = [], [], []
    for title, pictures, labels, same in rows:
        tiles.append(query)
        texts.append(f"<b>{title}</b><br>{query_text}")
        frames.append(QUERY_COLOUR)
        for n in range(k):
            if n < len(pictures):
                tiles.append(pictures[n])
                texts.append(labels[n])
                frames.append(FRAMES[same[n]])
            else:
                tiles.append(np.full((4, 4, 3), 255, np.uint8))
                texts.append("")
                frames.append(None)
    return tile_figure(tiles, texts, cols=k + 1, tile_px=tile_px, frames=frames)


def thumbnail_sources(
    images: np.ndarray, px: int = 32, frames: Sequence[str] | None = None
) -> list[str]:
    """(N, S, S, 3) uint8 -> N PNG data URIs of px × px thumbnails (for a map's pictures),
    each framed (2 px) in its colour of ``frames`` when given."""
    tiles = [fit_tile(im, px) for im in images]
    if frames is not None:
        tiles = [framed(t, c, 2) for t, c in zip(tiles, frames, strict=True)]
    return [image_source(t) for t in tiles]


def map_figure(
    points: np.ndarray,
    labels: Sequence[str],
    title: str,
    thumbnails: Sequence[str] | None = None,
    selected: int | None = None,
    height: int = 460,
) -> go.Figure:
    """A 2D map of a gallery: one scatter trace per class (colour and shape by class, in order
    of first appearance), hover text "#index · class", the image index in each point's
    ``customdata`` (for a click). thumbnails: one data URI per point to draw the images at
    their points, under small markers. selected: an index to ring in orange.
    points: (N, 2) float."""
    points = np.asarray(points, np.float64)
    classes = list(dict.fromkeys(labels))
    labels_arr = np.asarray(labels)
    data = []
    for k, name in enumerate(classes):
        idx = np.flatnonzero(labels_arr == name)
        colour, symbol = class_style(k)
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": name,
                "x": points[idx, 0],
                "y": points[idx, 1],
                "customdata": idx,
                "hovertemplate": "#%{customdata} · " + name + "<extra></extra>",
                "marker": {
                    "color": colour,
                    "symbol": symbol,
                    "size": 5 if thumbnails is not None else 8,
                    "opacity": 0.9,
                    "line": {"width": 0.5, "color": "white"},
                },
            }
        )
    if selected is not None and 0 <= selected < len(points):
        data.append(
            {
                "type": "scatter",
                "mode": "markers",
                "name": f"#{selected}",
                "x": [points[selected, 0]],
                "y": [points[selected, 1]],
                "hoverinfo": "skip",
                "showlegend": False,
                "marker": {
                    "size": 22,
                    "color": "rgba(0,0,0,0)",
                    "line": {"width": 3, "color": QUERY_COLOUR},
                },
            }
        )
    lo, hi = points.min(axis=0), points.max(axis=0)
    span = np.maximum(hi - lo, 1e-9)
    pad = 0.06 * span
    layout = {
        "title": {"text": title, "font": {"size": FONT_SIZE + 1}},
        "height": height,
        "margin": {"l": 10, "r": 10, "t": 40, "b": 10},
        "xaxis": {"visible": False, "range": [lo[0] - pad[0], hi[0] + pad[0]]},
        "yaxis": {"visible": False, "range": [lo[1] - pad[1], hi[1] + pad[1]]},
        "legend": {"orientation": "h", "y": -0.02, "yanchor": "top", "font": {"size": 11}},
        "plot_bgcolor": "white",
        "clickmode": "event+select",
        "dragmode": "pan",
        "font": {"size": FONT_SIZE},
    }
    if thumbnails is not None:
        size = 0.045 * span  # each picture 4.5 % of the map's width / height
        layout["images"] = [
            {
                "source": src,
                "xref": "x",
                "yref": "y",
                "x": float(points[n, 0]),
                "y": float(points[n, 1]),
                "sizex": float(size[0]),
                "sizey": float(size[1]),
                "xanchor": "center",
                "yanchor": "middle",
                "sizing": "stretch",
                "layer": "below",  # under the markers: a point stays clickable and ringed
            }
            for n, src in enumerate(thumbnails)
        ]
    return go.Figure({"data": data, "layout": layout}, _validate=False)
