"""What the first layer learned: the CNN's first-layer kernels and the feature maps they make of
one image, and — for contrast — the MLP's first-layer weights, one 28×28 image per hidden unit
(what a dense unit "looks at": the whole image at once, a weight per pixel)."""

from __future__ import annotations

import numpy as np
import plotly.graph_objects as go
import torch
import torch.nn.functional as F
from torch import Tensor

from cnnplay.convnets.models import MLP, SIDE, Seed001CNN, normalise
from cnnplay.plots.style import DIVERGING, FONT_SIZE


def first_filters(cnn: Seed001CNN) -> np.ndarray:
    """(32, 3, 3) float32: the first convolution's kernels (one input channel)."""
    return cnn.features[0].weight.detach()[:, 0].float().cpu().numpy()


def first_feature_maps(cnn: Seed001CNN, image: Tensor, relu: bool = True) -> np.ndarray:
    """The first layer's 32 feature maps of one image. image: (1, 28, 28) or (28, 28) uint8.
    Returns (32, 26, 26) float32: conv + bias, then ReLU when ``relu`` (what the next layer
    reads). Runs under inference mode; ``cnn`` is not changed."""
    conv = cnn.features[0]
    x = normalise(image.reshape(1, 1, SIDE, SIDE))  # (1, 1, 28, 28) in [-1, 1]
    with torch.inference_mode():
        z = F.conv2d(x.to(conv.weight.device, conv.weight.dtype), conv.weight, conv.bias)
        z = F.relu(z) if relu else z  # (1, 32, 26, 26)
    return z[0].float().cpu().numpy()


def dense_unit_images(mlp: MLP) -> np.ndarray:
    """(hidden, 28, 28) float32: each hidden unit's 784 input weights laid back on the image."""
    w = mlp.hidden.weight.detach().float().cpu()  # (hidden, 784)
    return w.reshape(-1, mlp.side, mlp.side).numpy()


def mosaic(maps: np.ndarray, cols: int, gap: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """(N, h, w) maps -> ((R, C) float64 mosaic with NaN in the gaps, (R, C) float64 map index
    of each cell, NaN in the gaps), R = rows·(h + gap) - gap, rows = ceil(N / cols)."""
    maps = np.asarray(maps, dtype=np.float64)
    n, h, w = maps.shape
    rows = max(1, -(-n // cols))
    out = np.full((rows * (h + gap) - gap, cols * (w + gap) - gap), np.nan)
    index = np.full_like(out, np.nan)
    for k in range(n):
        r, c = divmod(k, cols)
        top, left = r * (h + gap), c * (w + gap)
        out[top : top + h, left : left + w] = maps[k]
        index[top : top + h, left : left + w] = k
    return out, index


def shared_scale_figure(
    maps: np.ndarray,
    cols: int,
    title: str,
    colour_title: str,
    what: str = "filter",
    cell_px: int = 10,
    gap: int = 1,
) -> go.Figure:
    """(N, h, w) maps tiled ``cols`` to a row on ONE diverging colour scale centred at 0
    (symmetric: ±max |value| over all maps, white = 0, blue < 0 < red) with a colour bar, so
    the maps can be compared with each other. Hover names the map (``what`` n) and the value."""
    grid, index = mosaic(maps, cols, gap)
    top = float(np.nanmax(np.abs(grid))) or 1.0
    rows_px, cols_px = grid.shape
    axis = {
        "showgrid": False,
        "zeroline": False,
        "fixedrange": True,
        "showticklabels": False,
        "constrain": "domain",
    }
    spec = {
        "data": [
            {
                "type": "heatmap",
                "z": grid,
                "customdata": index,
                "colorscale": DIVERGING,
                "zmin": -top,
                "zmax": top,
                "zmid": 0,
                "hoverongaps": False,
                "colorbar": {"title": {"text": colour_title, "side": "right"}, "thickness": 12},
                "hovertemplate": f"{what} %{{customdata}}: %{{z:.3f}}<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": title, "font": {"size": FONT_SIZE + 1}},
            "width": cols_px * cell_px + 140,
            "height": rows_px * cell_px + 70,
            "margin": {"l": 10, "r": 10, "t": 40, "b": 20},
            "plot_bgcolor": "white",
            "xaxis": {**axis, "range": [-0.5, cols_px - 0.5]},
            "yaxis": {**axis, "range": [rows_px - 0.5, -0.5], "scaleanchor": "x"},
            "font": {"size": FONT_SIZE},
        },
    }
    return go.Figure(spec, _validate=False)
