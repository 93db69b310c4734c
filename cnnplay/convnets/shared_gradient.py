"""The gradient of a shared weight is a sum over positions (seed 004, "CNN: Image Classification
& Backprop"): one kernel weight w[c, u, v] of the first convolution is used at every position
(i, j) of its feature map z[c] = w[c] ⋆ x + b[c], so backpropagation accumulates one term per
position::

    ∂L/∂w[c, u, v] = Σ_{i,j} ∂L/∂z[c, i, j] · x[i + u, j + v]

:func:`weight_gradient` computes the terms (the upstream gradient times the input pixel that the
weight multiplied at that position) and, beside their sum, autograd's own gradient of the weight.
It works in float64 on the CPU on copies of the weights: the model is never changed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cnnplay.convnets.models import Seed001CNN, normalise
from cnnplay.plots.style import DIVERGING, FONT_SIZE


@dataclass(frozen=True)
class SharedGradient:
    """One first-layer weight's gradient, position by position. Arrays are float64 on the CPU;
    (N, H', W') with N the images and H' = W' = 26 on 28×28 inputs."""

    channel: int  # c: which of the first layer's filters
    tap: tuple[int, int]  # (u, v): which of its kernel weights (row, column)
    upstream: np.ndarray  # (N, H', W') ∂L/∂z[c, i, j]
    inputs: np.ndarray  # (N, H', W') x[i + u, j + v], the normalised pixel the weight multiplied
    contributions: np.ndarray  # (N, H', W') upstream · inputs: one term per position
    autograd: float  # ∂L/∂w[c, u, v] from torch.autograd
    loss: float  # L: mean cross-entropy over the N images

    @property
    def total(self) -> float:
        """Σ over images and positions of the contributions: equals :attr:`autograd`."""
        return float(self.contributions.sum())

    @property
    def positions(self) -> int:
        """Terms in the sum: images × positions."""
        return int(self.contributions.size)


def _float64_layer(layer: nn.Module, h: Tensor) -> Tensor:
    """``layer`` applied to float64 ``h`` with float64 copies of its weights (conv and dense
    layers); weight-free layers (ReLU, pooling, flatten, dropout in eval mode) run as they are.
    The layer itself is never touched."""
    if isinstance(layer, nn.Conv2d):
        w, b = (t.detach().to("cpu", torch.float64) for t in (layer.weight, layer.bias))
        return F.conv2d(h, w, b, layer.stride, layer.padding, layer.dilation, layer.groups)
    if isinstance(layer, nn.Linear):
        w, b = (t.detach().to("cpu", torch.float64) for t in (layer.weight, layer.bias))
        return F.linear(h, w, b)
    if any(True for _ in layer.parameters()):
        raise TypeError(f"no float64 version of {type(layer).__name__}")
    return layer(h)


def weight_gradient(
    cnn: Seed001CNN, images: Tensor, labels: Tensor, channel: int, tap: tuple[int, int]
) -> SharedGradient:
    """∂L/∂w[channel, u, v] of the first convolution of ``cnn``, split into one term per
    position, and autograd's value of it.

    images: (N, 1, H, W) uint8 0..255 (normalised as in training); labels: (N,) int64 class
    indices; L is the mean cross-entropy of ``cnn``'s logits. ``cnn`` must be in eval mode
    (its dropout off) and is not changed: the forward pass runs in float64 on the CPU with
    copies of its weights."""
    if cnn.training:
        raise ValueError("put the model in eval mode first (its dropout would draw masks)")
    first = cnn.features[0]
    k = first.kernel_size[0]
    u, v = tap
    if not (0 <= channel < first.out_channels and 0 <= u < k and 0 <= v < k):
        raise ValueError(f"no weight [{channel}, {u}, {v}] in a {first.out_channels}×{k}×{k} layer")
    x = normalise(images).to("cpu", torch.float64)  # (N, 1, H, W) in [-1, 1]
    y = labels.to("cpu")
    weight = first.weight.detach().to("cpu", torch.float64).clone().requires_grad_(True)
    bias = first.bias.detach().to("cpu", torch.float64)
    z = F.conv2d(x, weight, bias)  # (N, C, H', W'): the first layer's pre-activation
    h = z
    for layer in [*list(cnn.features)[1:], *cnn.head]:
        h = _float64_layer(layer, h)  # ... -> (N, 64, 5, 5) -> (N, 1600) -> (N, K)
    logits = h  # (N, K)
    loss = F.cross_entropy(logits, y)
    grad_w, grad_z = torch.autograd.grad(loss, (weight, z))  # (C, 1, k, k), (N, C, H', W')
    ho, wo = z.shape[-2:]
    upstream = grad_z[:, channel]  # (N, H', W')
    shifted = x[:, 0, u : u + ho, v : v + wo]  # (N, H', W'): x[i + u, j + v]
    return SharedGradient(
        channel=channel,
        tap=(u, v),
        upstream=upstream.numpy(),
        inputs=shifted.numpy(),
        contributions=(upstream * shifted).numpy(),
        autograd=float(grad_w[channel, 0, u, v]),
        loss=float(loss.detach()),
    )


def signed_map_figure(
    values: np.ndarray, title: str, colour_title: str, side_px: int = 260
) -> go.Figure:
    """An (H, W) signed map on the diverging scale centred at 0 (blue < 0 < red, white = 0),
    with a colour bar titled ``colour_title``; row 0 on top, axes in map rows / columns."""
    v = np.asarray(values, dtype=float)
    h, w = v.shape
    top = float(np.abs(v).max()) or 1.0
    axis = {"showgrid": False, "zeroline": False, "fixedrange": True, "constrain": "domain"}
    spec = {
        "data": [
            {
                "type": "heatmap",
                "z": v,
                "colorscale": DIVERGING,
                "zmin": -top,
                "zmax": top,
                "zmid": 0,
                "colorbar": {
                    "title": {"text": colour_title, "side": "right"},
                    "thickness": 12,
                    "exponentformat": "e",
                },
                "hovertemplate": "i = %{y}, j = %{x}: %{z:.3g}<extra></extra>",
            }
        ],
        "layout": {
            "title": {"text": title, "font": {"size": FONT_SIZE + 1}},
            "width": side_px + 130,
            "height": side_px + 100,
            "margin": {"l": 50, "r": 10, "t": 40, "b": 50},
            "plot_bgcolor": "white",
            "xaxis": {**axis, "range": [-0.5, w - 0.5], "title": {"text": "position j"}},
            "yaxis": {
                **axis,
                "range": [h - 0.5, -0.5],
                "scaleanchor": "x",
                "title": {"text": "position i"},
            },
            "font": {"size": FONT_SIZE},
        },
    }
    return go.Figure(spec, _validate=False)
