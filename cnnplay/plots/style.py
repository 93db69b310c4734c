"""Colours, colour scales, sizes and number formats of every figure, in one place.

Colours that must be told apart come from the Okabe–Ito palette (Okabe & Ito 2008), chosen to
stay distinct under the common colour-vision deficiencies (tests/test_plots.py checks the pairs
under a simulated deuteranopia and protanopia); magnitudes use perceptually ordered scales
(viridis, inferno: lightness rises with the value) and signed values a diverging
blue–white–red scale. No rainbow ("jet") scales: their bright bands invent edges.

Figures are written as plain specs and wrapped with ``go.Figure(spec, _validate=False)``:
plotly's per-property validation costs ~10 ms a grid and ~150 ms for an animation, which is
most of a page's rerun time; the specs only use properties plotly.js knows.
"""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
from plotly.colors import get_colorscale, hex_to_rgb, sequential

# Okabe–Ito colours used below (names as in the palette).
OKABE_ORANGE = "#E69F00"
OKABE_BLUISH_GREEN = "#009E73"
OKABE_BLUE = "#0072B2"
OKABE_VERMILLION = "#D55E00"
OKABE_SKY_BLUE = "#56B4E9"
OKABE_REDDISH_PURPLE = "#CC79A7"
OKABE_GREY = "#999999"
# Lines that must be told apart (runs, curves, stacks), in this order.
SERIES_COLOURS: tuple[str, ...] = (
    OKABE_BLUE,
    OKABE_VERMILLION,
    OKABE_BLUISH_GREEN,
    OKABE_REDDISH_PURPLE,
    OKABE_SKY_BLUE,
    OKABE_GREY,
)

# Diverging scale for signed values (kernels, ±1 grids, feature maps): blue < 0 < red.
DIVERGING: list = get_colorscale("RdBu_r")
PAD_COLOUR = "rgba(160,160,160,0.45)"  # padding cells, drawn over the heatmap
# The window / output-cell pair: orange and blue differ in hue and lightness for every viewer
# (the former orange #ff8c00 and green #2ca02c nearly merge for protanopes and deuteranopes).
WINDOW_COLOUR = OKABE_ORANGE  # the kernel's footprint on the input
CELL_COLOUR = OKABE_BLUE  # the output cell being computed
MAP_OPEN_FILL = "#cfe8ff"  # home page concept map: a page that can be opened
MAP_PLANNED_FILL = "#f4f4f4"  # ... a planned page
MAP_SECTION_LINE = "#cccccc"  # ... the frame around a section
CELL_PX = 38  # pixel size of one grid cell
MAX_SIDE_PX = 420  # cap on a grid figure's side
FONT_SIZE = 12
# Every figure: one mode-bar button only, "Download plot as a PNG" (twice the screen's
# resolution, for slides), shown on hover; no zoom or pan tools (grids are not for zooming)
CHART_CONFIG = {
    "displaylogo": False,
    "modeBarButtons": [["toImage"]],
    "toImageButtonOptions": {"format": "png", "scale": 2},
}

INK = "#31333F"  # text drawn on a white plot area: the light theme's own text colour
WHITE = {"white", "#fff", "#ffffff", "rgb(255,255,255)"}  # spaces removed, lower case


def ink_on_white(fig: go.Figure) -> go.Figure:
    """Text drawn on a white plot area in :data:`INK`, in both themes.

    A figure with ``plot_bgcolor`` white keeps that white in the dark theme, while text without
    a colour of its own takes the theme's: light grey on white, unreadable. This gives such
    text (annotations placed in data coordinates, text of scatter traces, bar labels outside
    their bars) the light theme's
    colour, which changes nothing in the light theme. Text outside the plot area (titles, axis
    labels, legends, annotations placed on the paper) keeps the theme's colour. Changes ``fig``
    in place and returns it; a figure with another background is left as it is."""
    layout, traces = fig._layout, fig._data  # the raw specs: plotly's property objects
    # validate on every access (~20 ms per annotation); serialising reads these dicts
    if str(layout.get("plot_bgcolor", "")).replace(" ", "").lower() not in WHITE:
        return fig
    for note in layout.get("annotations", ()):
        refs = str(note.get("xref", "x")) + str(note.get("yref", "y"))
        if "paper" not in refs and "color" not in note.get("font", {}):
            note["font"] = {**note.get("font", {}), "color": INK}
    for trace in traces:
        kind = trace.get("type", "scatter")
        text = "text" in str(trace.get("mode", "")) and kind == "scatter"
        if text and "color" not in trace.get("textfont", {}):
            trace["textfont"] = {**trace.get("textfont", {}), "color": INK}
        bar_text = kind == "bar" and trace.get("text") is not None  # numbers past the bar's end
        if bar_text and "color" not in trace.get("textfont", {}):
            trace["outsidetextfont"] = {**trace.get("outsidetextfont", {}), "color": INK}
    return fig


def fmt(value: float) -> str:
    """Compact number for a cell: integers without decimals, else up to 2 decimals."""
    if abs(value - round(value)) < 1e-9:
        return str(int(round(value)))
    return f"{value:.2f}".rstrip("0").rstrip(".")


def signed(value: float) -> str:
    """Like :func:`fmt`, with negatives in parentheses, for use inside a sum: ``(-0.1)``."""
    return f"({fmt(value)})" if value < 0 else fmt(value)


FIELD_COLOUR = WINDOW_COLOUR  # a unit's theoretical receptive field on the input
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
SELECTED_COLOUR = OKABE_ORANGE  # the bar whose details are shown


TOPK_COLOUR = "#1f77b4"  # bars of a top-k prediction chart
# (value, r, g, b) stops of the heat colours (saliency, Grad-CAM, occlusion overlays): viridis,
# dark purple (0) -> yellow (1), lightness rising with the value; it replaced a jet-like
# black-blue-green-yellow-red ramp. (10, 4) float64.
HEAT_SCALE_NAME = "viridis"
HEAT_STOPS: np.ndarray = np.array(
    [
        [k / (len(sequential.Viridis) - 1), *hex_to_rgb(colour)]
        for k, colour in enumerate(sequential.Viridis)
    ],
    dtype=np.float64,
)


# --- Transfer learning ---------------------------------------------------------------------

STRATEGY_COLOURS: dict[str, str] = {  # one colour per training strategy, in every chart
    "scratch": "#7f7f7f",
    "head": "#1f77b4",
    "finetune": OKABE_ORANGE,
}
COUNT_SCALE = [[0.0, "rgb(255,255,255)"], [1.0, "rgb(31,119,180)"]]  # confusion counts


# --- Detection page ---

# The detection pages name these colours in captions (green, red, orange): keep the hue names.
DET_GT_COLOUR = OKABE_BLUISH_GREEN  # ground-truth boxes (and true positives)
DET_FP_COLOUR = OKABE_VERMILLION  # false positives
DET_MISS_COLOUR = OKABE_ORANGE  # missed ground-truth boxes; also the box kept at an NMS step
DET_CANDIDATE_COLOUR = "rgba(31,119,180,0.45)"  # boxes still in play
DET_SUPPRESSED_COLOUR = "rgba(120,120,120,0.8)"  # boxes an NMS step discards
DET_A_COLOUR = "#1f77b4"  # IoU demo: box A
DET_B_COLOUR = "#d62728"  # IoU demo: box B
DET_INTER_FILL = "rgba(148,103,189,0.55)"  # IoU demo: the intersection
DET_UNION_FILL = "rgba(255,187,120,0.35)"  # IoU demo: the union
DET_IMAGE_PX = 460  # longest side of an image-with-boxes figure on screen

# Object classes of the generated shape scenes (cnnplay.scenes.CLASSES: circle, square, triangle),
# for boxes (Detection) and masks (Segmentation) alike.
# Okabe–Ito orange, bluish green and blue: the former red and green merged under deuteranopia.
CLASS_COLOURS: tuple[str, ...] = (OKABE_ORANGE, OKABE_BLUISH_GREEN, OKABE_BLUE)
