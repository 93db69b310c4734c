"""Pictures and figures of the Segmentation page: class masks as colours, instance maps, error
maps and the U-Net diagram with the tensor shape at every stage."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import plotly.graph_objects as go

from cnnplay.plots.style import (
    CLASS_COLOURS,
    FONT_SIZE,
    OKABE_BLUE,
    OKABE_BLUISH_GREEN,
    OKABE_GREY,
    OKABE_ORANGE,
    OKABE_REDDISH_PURPLE,
    OKABE_VERMILLION,
)
from cnnplay.segmentation.unet import Stage, UNetConfig

BACKGROUND_RGB = (40, 40, 40)  # class 0 in a mask picture
ERROR_RGB = (230, 30, 30)  # wrongly classified pixels
PART_COLOURS: dict[str, str] = {  # diagram boxes, one colour per part of the network
    "encoder": OKABE_BLUE,
    "bottleneck": OKABE_REDDISH_PURPLE,
    "up": OKABE_ORANGE,
    "decoder": OKABE_BLUISH_GREEN,
    "head": OKABE_GREY,
}
SKIP_COLOUR = OKABE_VERMILLION  # skip-connection arrows


def _rgb(hex_colour: str) -> tuple[int, int, int]:
    h = hex_colour.lstrip("#")
    return tuple(int(h[i : i + 2], 16) for i in (0, 2, 4))  # type: ignore[return-value]


CLASS_RGB = np.array([BACKGROUND_RGB, *(_rgb(c) for c in CLASS_COLOURS)], np.uint8)  # (K, 3)


def mask_colours(semantic: np.ndarray) -> np.ndarray:
    """(H, W) class ids 0..K-1 -> (H, W, 3) uint8 picture (dark background, class colours)."""
    return CLASS_RGB[np.clip(semantic, 0, len(CLASS_RGB) - 1)]


def class_legend_figure(names: Sequence[str]) -> go.Figure:
    """A one-line legend of the mask colours: a coloured square and the class name for each of
    ``names`` (K class names, index = class id, as in :data:`CLASS_RGB`). Axes hidden; each
    class is a trace named after it, so the legend lists them in class order."""
    data = [
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "marker": {"symbol": "square", "size": 14, "color": "rgb({},{},{})".format(*rgb)},
            "name": name,
        }
        for name, rgb in zip(names, CLASS_RGB.tolist(), strict=True)
    ]
    hidden = {"visible": False, "range": [0, 1]}
    layout = {
        "height": 50,
        "margin": {"l": 0, "r": 0, "t": 0, "b": 0},
        "xaxis": hidden,
        "yaxis": hidden,
        "showlegend": True,
        "legend": {
            "orientation": "h",
            "x": 0,
            "y": 0.5,
            "yanchor": "middle",
            "title": {"text": "Mask colours:"},
            "itemclick": False,
            "itemdoubleclick": False,
        },
        "font": {"size": FONT_SIZE},
        "plot_bgcolor": "rgba(0,0,0,0)",
        "paper_bgcolor": "rgba(0,0,0,0)",
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def mask_overlay(
    image: np.ndarray,
    semantic: np.ndarray,
    alpha: float = 0.55,
    colours: np.ndarray | None = None,
) -> np.ndarray:
    """Colours blended over a (H, W, 3) uint8 image where ``semantic`` (H, W) is not 0: the
    scene classes' colours, or ``colours`` (an (H, W, 3) picture, e.g. ``instance_colours`` of
    another label map). Returns (H, W, 3) uint8."""
    colours = (mask_colours(semantic) if colours is None else colours).astype(np.float32)
    weight = np.where(semantic[..., None] > 0, alpha, 0.0)
    mixed = (1 - weight) * image.astype(np.float32) + weight * colours
    return np.rint(mixed).astype(np.uint8)


def error_map(pred: np.ndarray, target: np.ndarray, image: np.ndarray) -> np.ndarray:
    """The image greyed out with the wrongly classified pixels in red: (H, W, 3) uint8."""
    grey = image.astype(np.float32).mean(axis=2, keepdims=True) * 0.5 + 64
    out = np.repeat(grey, 3, axis=2)
    out[pred != target] = ERROR_RGB
    return np.rint(out).astype(np.uint8)


def instance_colours(ids: np.ndarray, seed: int = 3) -> np.ndarray:
    """(H, W) instance numbers (0 = background) -> (H, W, 3) uint8, one random bright colour per
    instance (the same number always gets the same colour)."""
    n = int(ids.max()) if ids.size else 0
    rng = np.random.default_rng(seed)
    palette = np.vstack([BACKGROUND_RGB, rng.integers(70, 256, (max(n, 1), 3))]).astype(np.uint8)
    return palette[ids]


def upscale(image: np.ndarray, factor: int) -> np.ndarray:
    """Nearest-neighbour enlargement of an (H, W) or (H, W, 3) picture, for crisp pixels."""
    return np.repeat(np.repeat(image, factor, axis=0), factor, axis=1)


def _box(x: float, y: float, w: float, h: float, colour: str) -> dict:
    return {
        "type": "rect",
        "x0": x - w / 2,
        "x1": x + w / 2,
        "y0": y - h / 2,
        "y1": y + h / 2,
        "fillcolor": colour,
        "opacity": 0.85,
        "line": {"color": "white", "width": 1},
        "layer": "below",
    }


LINE_PX = 16  # one line of the diagram's small label text; a staggered label sits as many
# lines lower as its left neighbour's label has


def label_rows(stages: Sequence[Stage]) -> list[int]:
    """0 or 1 per stage: the row of its label under the box. Consecutive stages on one level
    (up, dec, head side by side) alternate rows, so that their labels never overlap, even when
    the columns are narrower than a label (a phone's 390 px)."""
    rows: list[int] = []
    for i, s in enumerate(stages):
        beside = i > 0 and stages[i - 1].level == s.level
        rows.append(1 - rows[-1] if beside else 0)
    return rows


def unet_diagram(stages: Sequence[Stage], config: UNetConfig, size: int) -> go.Figure:
    """The network as a "U": stages left to right in forward order, each a box placed at its
    resolution level (down = smaller maps), box height growing with the map side and width with
    the channels; skip connections as arrows from each encoder stage to its decoder stage.
    Hover a box for its output shape (C × H × W)."""
    xs = {s.name: float(i) for i, s in enumerate(stages)}
    max_c = max(s.shape[0] for s in stages)
    shapes_, annotations = [], []
    hover_x, hover_y, hover_text = [], [], []
    sized_levels: set[int] = set()
    lines_before = 0  # lines in the label of the stage before
    deepest = max(s.level for s in stages)
    lowest_shift = 0  # px: the largest stagger on the deepest level
    for s, row in zip(stages, label_rows(stages), strict=True):
        c, h, w = s.shape
        x, y = xs[s.name], -float(s.level)
        bw = 0.25 + 0.55 * np.sqrt(c / max_c)
        bh = 0.25 + 0.6 * h / size
        shapes_.append(_box(x, y, bw, bh, PART_COLOURS[s.part]))
        # the name and channels under each box; a level's map size once, under its first box
        text = f"<b>{s.label}</b><br>{c} ch"
        if s.level not in sized_levels:
            sized_levels.add(s.level)
            text += f"<br>{h}×{w}"
        shift = LINE_PX * lines_before * row  # neighbours on a level alternate rows
        if s.level == deepest:
            lowest_shift = max(lowest_shift, shift)
        annotations.append(
            {
                "x": x,
                "y": y - bh / 2 - 0.05,
                "yshift": -shift,
                "text": text,
                "showarrow": False,
                "yanchor": "top",
                "font": {"size": FONT_SIZE - 2},
            }
        )
        hover_x.append(x)
        hover_y.append(y)
        hover_text.append(f"{s.label} ({s.part}): {c} channels × {h} × {w}")
        lines_before = text.count("<br>") + 1
    if config.decoder == "unet" and config.skips:
        for i in range(config.depth):
            a, b = xs[f"encoders.{i}"], xs[f"decoders.{i}"]
            annotations.append(
                {
                    "x": b - 0.3,
                    "y": -i + 0.42,
                    "ax": a + 0.45,
                    "ay": -i + 0.42,
                    "xref": "x",
                    "yref": "y",
                    "axref": "x",
                    "ayref": "y",
                    "showarrow": True,
                    "arrowhead": 2,
                    "arrowwidth": 2,
                    "arrowcolor": SKIP_COLOUR,
                    "text": "",
                }
            )
            annotations.append(
                {
                    "x": (a + b) / 2,
                    "y": -i + 0.42,
                    "text": f"skip: {config.width(i)} ch",  # short: it fits a phone's width
                    "hovertext": f"skip: concatenate enc {i + 1}'s {config.width(i)} channels "
                    f"onto up {i + 1}'s",
                    "showarrow": False,
                    "yanchor": "bottom",
                    "font": {"size": FONT_SIZE - 2, "color": SKIP_COLOUR},
                }
            )
    legend = [
        {
            "type": "scatter",
            "x": [None],
            "y": [None],
            "mode": "markers",
            "marker": {"size": 12, "symbol": "square", "color": colour},
            "name": part,
        }
        for part, colour in PART_COLOURS.items()
        if any(s.part == part for s in stages)
    ]
    data = [
        {
            "type": "scatter",
            "x": hover_x,
            "y": hover_y,
            "mode": "markers",
            "marker": {"size": 30, "opacity": 0},
            "hovertext": hover_text,
            "hoverinfo": "text",
            "showlegend": False,
        },
        *legend,
    ]
    layout = {
        "height": 200 + 100 * (config.depth + 1),
        # room below for a staggered label on the deepest level (the FCN's head)
        "margin": {"l": 10, "r": 10, "t": 10, "b": 10 + lowest_shift},
        "xaxis": {"visible": False, "range": [-0.7, len(stages) - 0.3]},
        "yaxis": {"visible": False, "range": [-config.depth - 0.9, 0.75]},
        "shapes": shapes_,
        "annotations": annotations,
        "font": {"size": FONT_SIZE},
        "legend": {"orientation": "h", "y": 1.02, "yanchor": "bottom"},
        "plot_bgcolor": "white",
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)
