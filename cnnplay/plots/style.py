"""Colours, colour scales, sizes and number formats of every figure, in one place.

Figures are written as plain specs and wrapped with ``go.Figure(spec, _validate=False)``:
plotly's per-property validation costs ~10 ms a grid and ~150 ms for an animation, which is
most of a page's rerun time; the specs only use properties plotly.js knows.
"""

from __future__ import annotations

import numpy as np
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


FIELD_COLOUR = "#ff8c00"  # a unit's theoretical receptive field on the input
FIELD_PAD_DASH = "dash"  # the part of a field that lies in the padding, outside the image
# Gradient magnitude (effective field), 0 = black. Stops as "rgb(...)": plotly.js misread the
# scale's first hex stop ("#000004") and drew zero in the theme's colour instead of black.
ERF_SCALE: list = [
    [stop, "rgb({}, {}, {})".format(*hex_to_rgb(colour))]
    for stop, colour in get_colorscale("Inferno")
]
FIELD_BAR_COLOUR = "#1f77b4"  # bars of the field-growth chart


WINNER_COLOUR = "#8e24aa"  # the input cell that won a max-pooling window
CHANGED_COLOUR = "#000000"  # a value that changed (translation invariance view)


COST_COLOUR = "#1f77b4"  # bars of a cost chart
SELECTED_COLOUR = "#ff8c00"  # the bar whose details are shown


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


# --- Transfer learning ---------------------------------------------------------------------

STRATEGY_COLOURS: dict[str, str] = {  # one colour per training strategy, in every chart
    "scratch": "#7f7f7f",
    "head": "#1f77b4",
    "finetune": "#ff8c00",
}
COUNT_SCALE = [[0.0, "rgb(255,255,255)"], [1.0, "rgb(31,119,180)"]]  # confusion counts


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

# Object classes of the generated shape scenes (cnnplay.scenes.CLASSES: circle, square, triangle),
# for boxes (Detection) and masks (Segmentation) alike.
CLASS_COLOURS: tuple[str, ...] = ("#e45756", "#4c78a8", "#54a24b")
