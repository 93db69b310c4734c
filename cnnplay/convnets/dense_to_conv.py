"""Dense layer = convolution (seed 001, "Fully Convolutional Networks"): seed 001's CNN with its
dense head turned into a convolution, run on a canvas larger than 28×28 — a sliding-window
classifier in one forward pass.

The dense head reads the flattened (C, h, w) = (64, 5, 5) feature map::

    y_k = b_k + Σ_n W[k, n] x_n,           n = c·h·w + i·w + j        (flatten order)
        = b_k + Σ_{c,i,j} W[k, c, i, j] x[c, i, j]                     (W reshaped to (K, C, h, w))

which is a convolution whose kernel is as large as its input: one output position on a 28×28
image, and on a larger image one output per position the kernel fits — the class scores of every
window the network would see, computed with the shared work of the convolution layers once.

The seed-001 stack (conv 3, pool 2, conv 3, pool 2) gives the class map a jump of 4 canvas pixels
between positions and a receptive field of 26 pixels: the two max-pools round down, so the CNN
never looks at the last 2 rows and columns of a 28×28 image. :func:`map_geometry` computes both
with :mod:`cnnplay.receptive`.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch
from torch import Tensor, nn

from cnnplay.convnets.models import SIDE, Seed001CNN, normalise
from cnnplay.models.copies import meta_copy
from cnnplay.plots.style import FONT_SIZE, HEAT_STOPS, OKABE_REDDISH_PURPLE, WINDOW_COLOUR
from cnnplay.receptive import receptive_field_table

HEAD_INPUT: tuple[int, int, int] = (64, 5, 5)  # (C, h, w) the CNN's dense head reads, flattened
ALIGNED_COLOUR = OKABE_REDDISH_PURPLE  # outline of a map position whose window is one image
# a plotly colour scale from the page-wide viridis stops (cnnplay.plots.style.HEAT_STOPS)
PROB_SCALE: list = [[float(s), f"rgb({r:.0f},{g:.0f},{b:.0f})"] for s, r, g, b in HEAT_STOPS]


def dense_as_conv(linear: nn.Linear, in_shape: tuple[int, int, int] = HEAD_INPUT) -> nn.Conv2d:
    """The Conv2d(C, K, (h, w)) that computes what ``linear`` (C·h·w -> K) computes on a
    flattened (C, h, w) map: its weight is the dense weight reshaped (K, C·h·w) -> (K, C, h, w)
    (PyTorch's flatten order), its bias the dense bias. The weights are copied; ``linear`` is
    not changed. On the device and dtype of ``linear``."""
    c, h, w = in_shape
    k = linear.out_features
    if linear.in_features != c * h * w:
        raise ValueError(
            f"the dense layer takes {linear.in_features:,} inputs, not {c}×{h}×{w} = {c * h * w:,}"
        )
    weight = linear.weight.detach()
    conv = nn.Conv2d(c, k, (h, w), device=weight.device, dtype=weight.dtype)
    with torch.no_grad():
        conv.weight.copy_(weight.reshape(k, c, h, w))  # (K, C·h·w) -> (K, C, h, w)
        conv.bias.copy_(linear.bias.detach())
    return conv


def dense_layer(cnn: Seed001CNN) -> nn.Linear:
    """The CNN's dense head layer (the last Linear of ``cnn.head``)."""
    linears = [m for m in cnn.head.modules() if isinstance(m, nn.Linear)]
    if len(linears) != 1:
        raise ValueError("the CNN's head should hold exactly one dense layer")
    return linears[0]


def fully_convolutional(cnn: Seed001CNN) -> nn.Sequential:
    """(N, 1, H, W) -> (N, K, H', W') class logits, H, W ≥ 26: a copy of ``cnn.features``
    followed by :func:`dense_as_conv` of its dense head, in eval mode (the head's dropout is the
    identity at test time, so it is left out). On a 28×28 input H' = W' = 1 and the logits are
    ``cnn``'s own. ``cnn`` is not changed (the copy shares nothing with it)."""
    features = copy.deepcopy(cnn.features)  # a few hundred kB: no weight is shared with cnn
    return nn.Sequential(features, dense_as_conv(dense_layer(cnn))).eval()


def _device(model: nn.Module) -> torch.device:
    return next(model.parameters()).device


def _dtype(model: nn.Module) -> torch.dtype:
    return next(model.parameters()).dtype


def max_difference(cnn: Seed001CNN, converted: nn.Module, images: Tensor) -> float:
    """Largest |CNN logit - converted logit| over ``images`` (N, 1, 28, 28) uint8, every class:
    0 up to float rounding when the conversion is right."""
    x = normalise(images).to(_device(cnn), _dtype(cnn))  # (N, 1, 28, 28)
    with torch.inference_mode():
        dense = cnn(x)  # (N, K)
        conv = converted(x)  # (N, K, 1, 1)
    return float((dense - conv.flatten(1)).abs().max())


@dataclass(frozen=True)
class Canvas:
    """Test images placed side by side on one larger image."""

    pixels: np.ndarray  # (H, W) uint8 0..255, white object on black, like the training images
    origins: tuple[tuple[int, int], ...]  # (row, col) of each image's top-left pixel, canvas px
    indices: tuple[int, ...]  # which test image each placed image is (same order as origins)


def make_canvas(
    images: np.ndarray, indices: tuple[int, ...], rows: int, cols: int, gap: int = 0
) -> Canvas:
    """Place ``images[indices[n]]`` row by row on a rows×cols grid of 28×28 slots with ``gap``
    black pixels between slots. images: (M, 28, 28) or (M, 1, 28, 28) uint8. The canvas is
    (rows·28 + (rows-1)·gap, cols·28 + (cols-1)·gap) uint8; unused slots stay black."""
    pics = np.asarray(images).reshape(-1, SIDE, SIDE)  # (M, 28, 28)
    if len(indices) > rows * cols:
        raise ValueError(f"{len(indices)} images do not fit {rows}×{cols} slots")
    if gap < 0:
        raise ValueError("the gap cannot be negative")
    height, width = rows * SIDE + (rows - 1) * gap, cols * SIDE + (cols - 1) * gap
    canvas = np.zeros((height, width), np.uint8)
    origins = []
    for n, index in enumerate(indices):
        r, c = divmod(n, cols)
        top, left = r * (SIDE + gap), c * (SIDE + gap)
        canvas[top : top + SIDE, left : left + SIDE] = pics[index]
        origins.append((top, left))
    return Canvas(canvas, tuple(origins), tuple(int(i) for i in indices))


def class_logits(converted: nn.Module, canvas: np.ndarray) -> Tensor:
    """The class logits at every position of the canvas, in ONE forward pass.

    canvas: (H, W) uint8, H, W ≥ 26. Returns (K, H', W') logits in the network's dtype on its
    device, H' = (H - 26) // 4 + 1 for seed 001's stack (see :func:`map_geometry`)."""
    x = normalise(torch.from_numpy(np.ascontiguousarray(canvas))[None, None])  # (1, 1, H, W)
    with torch.inference_mode():
        return converted(x.to(_device(converted), _dtype(converted)))[0]  # (K, H', W')


def class_map(converted: nn.Module, canvas: np.ndarray) -> Tensor:
    """:func:`class_logits` as probabilities: (K, H', W') float32 on the CPU, each position
    summing to 1 over the K classes."""
    with torch.inference_mode():
        return torch.softmax(class_logits(converted, canvas).float(), dim=0).cpu()


def median_seconds(fn: Callable[[], object], repeats: int = 20) -> float:
    """Median wall time (seconds) of ``fn()`` over ``repeats`` calls, after one warm-up call
    (CUDA work is waited for, so GPU timings are real)."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if torch.cuda.is_available():
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
    return float(np.median(times))


def time_class_map(converted: nn.Module, canvas: np.ndarray, repeats: int = 20) -> float:
    """Median wall time (seconds) of :func:`class_map` on ``canvas`` (the benchmark and the
    page report this; the issue asks ≤ 50 ms for a 4-image canvas)."""
    return median_seconds(lambda: class_map(converted, canvas), repeats)


@dataclass(frozen=True)
class MapGeometry:
    """Where the class map's positions sit on the canvas (one axis; the stack is square)."""

    jump: int  # canvas pixels between neighbouring positions (the product of the strides)
    field: int  # receptive field of one position, canvas pixels (one side)
    start: int  # first canvas pixel position 0 sees
    size: tuple[int, int]  # (H', W') positions of the map

    def span(self, i: int) -> tuple[int, int]:
        """First and last canvas pixel (inclusive) that position ``i`` sees, along one axis."""
        first = self.start + i * self.jump
        return first, first + self.field - 1


def map_geometry(converted: nn.Module, canvas_shape: tuple[int, int]) -> MapGeometry:
    """Jump, receptive field and map size of ``converted`` on an (H, W) canvas, from
    :func:`cnnplay.receptive.receptive_field_table` (the row of the last layer: the dense
    head's convolution). ``converted`` is not changed (a meta-device copy is traced)."""
    h, w = canvas_shape
    shapes_only = meta_copy(converted).float()  # the tracer feeds float32: any dtype works
    last = receptive_field_table(shapes_only, input_size=max(h, w))[-1]
    jump, field, start = last.jump, last.size, last.start
    out = ((h - field - start) // jump + 1, (w - field - start) // jump + 1)
    return MapGeometry(jump, field, start, out)


def sliding_windows(cnn: Seed001CNN, canvas: np.ndarray, jump: int = 4) -> Tensor:
    """The slow way, for comparison: the original CNN on every 28×28 window of the canvas at
    stride ``jump``, window (i, j) starting at canvas pixel (jump·i, jump·j), for every position
    whose 26-pixel field fits the canvas. A window may then overhang the canvas's bottom or right
    edge by up to 2 pixels, which the CNN never reads (see the module docstring): they are
    filled with black. canvas: (H, W) uint8. Returns (K, H', W') float32 probabilities on the
    CPU, H' = (H - 26) // jump + 1."""
    field = SIDE - 2
    h, w = canvas.shape
    ho, wo = (h - field) // jump + 1, (w - field) // jump + 1
    padded = np.zeros((max(h, (ho - 1) * jump + SIDE), max(w, (wo - 1) * jump + SIDE)), np.uint8)
    padded[:h, :w] = canvas
    windows = np.stack(
        [
            padded[i * jump : i * jump + SIDE, j * jump : j * jump + SIDE]
            for i in range(ho)
            for j in range(wo)
        ]
    )  # (H'·W', 28, 28)
    x = normalise(torch.from_numpy(windows)[:, None])  # (H'·W', 1, 28, 28)
    with torch.inference_mode():
        logits = cnn(x.to(_device(cnn), _dtype(cnn)))  # (H'·W', K)
    probs = torch.softmax(logits.float(), dim=1).cpu()  # (H'·W', K)
    return probs.T.reshape(-1, ho, wo)  # (K, H', W')


def aligned_positions(canvas: Canvas, jump: int) -> list[tuple[int, int] | None]:
    """For each placed image, the map position whose 28×28 window is exactly that image
    ((row, col) of the map), or None when its origin is not a multiple of ``jump``."""
    return [
        (top // jump, left // jump) if top % jump == 0 and left % jump == 0 else None
        for top, left in canvas.origins
    ]


# --- figures -----------------------------------------------------------------------------------


def canvas_figure(
    canvas: np.ndarray,
    title: str = "",
    box: tuple[tuple[int, int], tuple[int, int]] | None = None,
    side_px: int = 380,
) -> go.Figure:
    """The canvas as a grey picture (white on black), row 0 on top, axes in canvas pixels; ``box`` = ((r0, r1), (c0, c1))
    outlines a receptive field (inclusive pixels) in WINDOW_COLOUR."""
    h, w = canvas.shape
    scale = side_px / max(h, w)
    shapes = []
    if box is not None:
        (r0, r1), (c0, c1) = box
        shapes.append(
            {
                "type": "rect",
                "x0": c0 - 0.5,
                "x1": c1 + 0.5,
                "y0": r0 - 0.5,
                "y1": r1 + 0.5,
                "line": {"color": WINDOW_COLOUR, "width": 3},
            }
        )
    axis = {"showgrid": False, "zeroline": False, "fixedrange": True, "constrain": "domain"}
    spec = {
        "data": [
            {
                "type": "image",
                "z": np.repeat(np.asarray(canvas, np.uint8)[..., None], 3, axis=2),  # (H, W, 3)
                "hovertemplate": "canvas row %{y}, col %{x}: %{z[0]}<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": title, "font": {"size": FONT_SIZE + 1}},
            "width": int(w * scale) + 70,
            "height": int(h * scale) + 90,
            "margin": {"l": 50, "r": 10, "t": 40, "b": 40},
            "plot_bgcolor": "white",
            "shapes": shapes,
            "xaxis": {**axis, "range": [-0.5, w - 0.5], "title": {"text": "canvas column (px)"}},
            "yaxis": {
                **axis,
                "range": [h - 0.5, -0.5],
                "scaleanchor": "x",
                "title": {"text": "canvas row (px)"},
            },
            "font": {"size": FONT_SIZE},
        },
    }
    return go.Figure(spec, _validate=False)


def class_map_figure(
    probs: np.ndarray,
    classes: tuple[str, ...],
    geometry: MapGeometry,
    shown: int | None = None,
    marks: list[tuple[int, int]] | None = None,
    selected: tuple[int, int] | None = None,
    side_px: int = 380,
) -> go.Figure:
    """The class map as a grid of positions. probs: (K, H', W') probabilities.

    ``shown`` None: each cell is coloured by the probability of its top class and labelled with
    that class's index (the legend goes beside the figure); else the probability of class
    ``shown`` at every position. Colour: viridis 0..1 with a colour bar. ``marks``: positions
    outlined in ALIGNED_COLOUR (a window exactly on a placed image), ``selected``: one outlined in
    WINDOW_COLOUR. Hover gives the position's canvas pixels and class."""
    _, ho, wo = probs.shape
    top = probs.argmax(axis=0)  # (H', W')
    value = probs.max(axis=0) if shown is None else probs[shown]  # (H', W')
    rows = [geometry.span(i) for i in range(ho)]
    cols = [geometry.span(j) for j in range(wo)]
    custom = [
        [
            [f"{rows[i][0]}–{rows[i][1]}", f"{cols[j][0]}–{cols[j][1]}", classes[top[i, j]]]
            for j in range(wo)
        ]
        for i in range(ho)
    ]
    what = "top class" if shown is None else classes[shown]
    trace = {
        "type": "heatmap",
        "z": np.asarray(value, dtype=float),
        "colorscale": PROB_SCALE,
        "zmin": 0,
        "zmax": 1,
        "xgap": 1,
        "ygap": 1,
        "customdata": custom,
        "colorbar": {
            "title": {"text": f"P({what})" if shown is not None else "P(top class)"},
            "thickness": 12,
        },
        "hovertemplate": "position (%{y}, %{x}) · canvas rows %{customdata[0]}, "
        "cols %{customdata[1]}<br>top class: %{customdata[2]} · "
        f"P({what}) = %{{z:.3f}}<extra></extra>",
    }
    if shown is None:
        trace.update(
            text=[[str(int(c)) for c in row] for row in top],
            texttemplate="%{text}",
            textfont={"size": FONT_SIZE if max(ho, wo) <= 12 else 9},  # colour: by contrast
        )
    shapes = []
    for (i, j), colour in [(m, ALIGNED_COLOUR) for m in marks or []] + (
        [(selected, WINDOW_COLOUR)] if selected is not None else []
    ):
        shapes.append(
            {
                "type": "rect",
                "x0": j - 0.5,
                "x1": j + 0.5,
                "y0": i - 0.5,
                "y1": i + 0.5,
                "line": {"color": colour, "width": 3},
            }
        )
    cell = max(14, min(44, side_px // max(ho, wo)))
    axis = {"showgrid": False, "zeroline": False, "fixedrange": True, "constrain": "domain"}
    layout = {
        "width": wo * cell + 170,
        "height": ho * cell + 120,
        "margin": {"l": 60, "r": 10, "t": 40, "b": 50},
        "plot_bgcolor": "white",
        "shapes": shapes,
        "title": {
            "text": "top class at each position" if shown is None else f"P({classes[shown]})",
            "font": {"size": FONT_SIZE + 1},
        },
        "xaxis": {
            **axis,
            "range": [-0.5, wo - 0.5],
            "title": {"text": f"map column j (canvas x from {geometry.jump}·j)"},
            **({"dtick": 1} if wo <= 12 else {}),
        },
        "yaxis": {
            **axis,
            "range": [ho - 0.5, -0.5],
            "scaleanchor": "x",
            "title": {"text": f"map row i (canvas y from {geometry.jump}·i)"},
            **({"dtick": 1} if ho <= 12 else {}),
        },
        "font": {"size": FONT_SIZE},
    }
    return go.Figure({"data": [trace], "layout": layout}, _validate=False)
