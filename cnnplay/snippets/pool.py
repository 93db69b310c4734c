"""PyTorch code for pooling a grid: ``nn.MaxPool2d``, ``nn.AvgPool2d`` or global average
pooling (``nn.AdaptiveAvgPool2d(1)``) on the page's numbers, in float64."""

from __future__ import annotations

import numpy as np

from cnnplay.ops.conv import IntPair
from cnnplay.ops.pool import pool_geometry
from cnnplay.snippets.common import (
    Snippet,
    SnippetError,
    pair_source,
    program,
    shape_text,
    tensor_line,
)

LAYERS = {"max": "nn.MaxPool2d", "avg": "nn.AvgPool2d"}


def pool2d(x: np.ndarray, mode: str, size: IntPair = 2, stride: IntPair | None = None) -> Snippet:
    """Pool ``x`` as ``cnnplay.ops.pool.pool2d_naive`` does (no padding, stride defaults to the
    window), or take the mean of each channel (``mode="global"``).

    x: (H, W) or (C, H, W) grid. mode: "max", "avg" or "global". The result ``y`` is float64:
    the pooled maps, (H', W') or (C, H', W'); for "global" one number per channel, (C,)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (2, 3):
        raise SnippetError(f"x must be (H, W) or (C, H, W), got {x.shape}")
    if mode not in (*LAYERS, "global"):
        raise SnippetError('mode must be "max", "avg" or "global"')
    h, w = x.shape[-2:]
    channels = 1 if x.ndim == 2 else x.shape[0]
    plural = "channel" if channels == 1 else "channels"
    head = f"# the input: {channels} {plural}, {h}×{w}\n" + tensor_line(
        "x", x, comment=shape_text(x.shape)
    )
    if mode == "global":
        x3 = "x[None]" if x.ndim == 2 else "x"
        body = (
            "gap = nn.AdaptiveAvgPool2d(1)  # global average pooling: one number per channel\n"
            f"y = gap({x3}).flatten()  # ({channels},): the mean of each channel\n"
        )
    else:
        geo = pool_geometry((h, w), size, stride)  # checks that the window fits
        stride_arg = "" if stride is None else f", stride={pair_source(stride)}"
        call = "y = pool(x)"
        if x.ndim == 2:  # nn pooling layers read (C, H, W)
            call = "# pooling layers read (C, H, W): x[None] adds the channel axis\n"
            call += "y = pool(x[None])[0]"
        body = (
            f"pool = {LAYERS[mode]}(kernel_size={pair_source(size)}{stride_arg})\n"
            f"{call}  # {shape_text((*x.shape[:-2], *geo.out_shape))}\n"
        )
    return Snippet(
        program("import torch\nfrom torch import nn\n", head, body, "print(y)\n"),
        "y",
        "pool2d.py",
    )
