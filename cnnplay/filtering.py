"""Convolving real photos with one kernel, in torch, on the device.

The pages use :func:`filter_image` for photos (up to a few megapixels) and the loop version
``cnnplay.ops.conv.conv2d_naive`` for the small grids whose steps they show. Both compute the
same cross-correlation (``flip=True``: true convolution); ``tests/test_filtering.py`` checks this
against ``conv2d_naive`` and against ``cv2.filter2D``.

Speed on the CPU. A photo is one kernel applied to 1 or 3 channels, and oneDNN, torch's CPU
convolution, is slow on so few channels (~60 ms for 5×5 on 1024×1024×3 on 2 cores, where
OpenCV takes ~5 ms). We rewrite the same sum as a convolution with many channels, which oneDNN
runs fast: split the columns into P interleaved phases (column j = P·j' + p). Output phase p,
tap v reads input phase (p + v) mod P at column offset (p + v) // P, so the image becomes a
(P·C)-channel input of width W/P and the kernel a (P·C, P·C, kh, O) weight with
O = ceil((P + kw - 1) / P) taps, zero where a phase pair is unused. On channels-last tensors this
regrouping is a free reshape of the (H, W, C) pixel buffer. It does ~P·O/kw times more
multiplications, in a form the hardware likes: measured in ``benchmarks/bench_kernels.py``.
On a GPU the plain grouped convolution is already fast and is used as is.
"""

from __future__ import annotations

from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from cnnplay.device import get_device

PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
_TORCH_PAD_MODE = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "circular": "circular",
}
LUMA_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601, as cv2.cvtColor(..., COLOR_RGB2GRAY)
PHASES_PER_CHANNELS = {1: 16, 3: 4}  # P for C input channels: P·C in 12..16 measured fastest


def to_grayscale(image: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 RGB -> (H, W) float32 luminance in [0, 255]."""
    return (image.astype(np.float32) @ np.asarray(LUMA_WEIGHTS, dtype=np.float32)).astype(
        np.float32
    )


def _check(image: np.ndarray, kernel: np.ndarray, padding_mode: str) -> None:
    if image.ndim not in (2, 3) or (image.ndim == 3 and image.shape[2] not in (1, 3)):
        raise ValueError(f"image must be (H, W) or (H, W, 3), got {image.shape}")
    if kernel.ndim != 2 or min(kernel.shape) < 1:
        raise ValueError(f"kernel must be a non-empty (kh, kw) array, got {kernel.shape}")
    if not np.all(np.isfinite(kernel)):
        raise ValueError("kernel values must be finite numbers")
    if padding_mode not in _TORCH_PAD_MODE:
        raise ValueError(f"padding_mode must be one of {tuple(_TORCH_PAD_MODE)}")
    h, w = image.shape[:2]
    kh, kw = kernel.shape
    if padding_mode == "reflect" and (kh // 2 >= h or kw // 2 >= w):
        raise ValueError(f"a {kh}×{kw} kernel is too large to mirror the edges of a {h}×{w} image")


def _phase_weight(kernel: torch.Tensor, phases: int, channels: int) -> torch.Tensor:
    """The (P·C, P·C, kh, O) weight of the phase-split convolution (see module docstring).

    Channel index = p·C + c (phase-major, colour-minor), matching a reshape of (…, W, C) pixels
    to (…, W/P, P·C). Colours never mix: the weight is block-diagonal in c.
    """
    kh, kw = kernel.shape
    taps = (phases + kw - 2) // phases + 1  # O: column offsets a phase can reach
    weight = kernel.new_zeros(phases, channels, phases, channels, kh, taps)
    eye = torch.eye(channels, dtype=kernel.dtype, device=kernel.device)  # (C, C)
    for p in range(phases):  # output phase
        for v in range(kw):  # kernel column
            q, o = (p + v) % phases, (p + v) // phases  # input phase and column offset
            weight[p, :, q, :, :, o] = eye[:, :, None] * kernel[:, v]  # (C, C, kh)
    return weight.reshape(phases * channels, phases * channels, kh, taps)


def _conv_phase_split(xp: torch.Tensor, kernel: torch.Tensor, out_w: int) -> torch.Tensor:
    """xp: (1, C, Hp, Wp) channels-last padded input -> (H', out_w, C) float32."""
    _, c, hp, wp = xp.shape
    kh, kw = kernel.shape
    phases = PHASES_PER_CHANNELS.get(c, 4)
    weight = _phase_weight(kernel, phases, c).contiguous(memory_format=torch.channels_last)
    taps = weight.shape[-1]
    cols = -(-out_w // phases)  # output columns per phase
    need = (cols + taps - 1) * phases  # input columns the regrouped view must hold
    if need > wp:
        xp = F.pad(xp, (0, need - wp))  # zeros; they only feed outputs past out_w (cropped)
    pixels = xp.permute(0, 2, 3, 1)[:, :, :need]  # (1, Hp, need, C), a view
    grouped = pixels.reshape(1, hp, need // phases, phases * c).permute(0, 3, 1, 2)
    y = F.conv2d(grouped, weight)  # (1, P·C, H', cols) channels-last
    return y.permute(0, 2, 3, 1).reshape(hp - kh + 1, cols * phases, c)[:, :out_w]


def _conv_grouped(xp: torch.Tensor, kernel: torch.Tensor) -> torch.Tensor:
    """xp: (1, C, Hp, Wp) -> (H', W', C): one depthwise convolution (fast on GPUs)."""
    c = xp.shape[1]
    weight = kernel.expand(c, 1, *kernel.shape)  # (C, 1, kh, kw)
    return F.conv2d(xp, weight, groups=c)[0].permute(1, 2, 0)


def filter_image(
    image: np.ndarray,
    kernel: np.ndarray,
    padding_mode: PaddingMode = "reflect",
    flip: bool = False,
    device: torch.device | None = None,
    method: Literal["auto", "phase_split", "grouped"] = "auto",
) -> np.ndarray:
    """Apply one kernel to every channel of a photo; the output keeps the input's size.

    image: (H, W, 3) or (H, W) numbers (uint8 0..255 photos, or float). kernel: (kh, kw).
    The border is padded by (kh-1)//2 above, kh//2 below (likewise for columns) in
    ``padding_mode``; "reflect" mirrors without repeating the edge (OpenCV's default border).
    Returns float32 (H, W, 3) or (H, W): raw responses, not clipped (Sobel gives negatives).
    """
    image = np.asarray(image)
    kernel = np.asarray(kernel, dtype=np.float32)
    _check(image, kernel, padding_mode)
    device = device or get_device()
    squeeze = image.ndim == 2
    k = torch.from_numpy(np.ascontiguousarray(kernel[::-1, ::-1] if flip else kernel)).to(device)
    x = torch.from_numpy(np.ascontiguousarray(image)).to(device)
    x = x[..., None] if squeeze else x  # (H, W, C)
    h, w, _ = x.shape
    x = x.permute(2, 0, 1)[None].float()  # (1, C, H, W), channels-last in memory
    kh, kw = k.shape
    pads = ((kw - 1) // 2, kw // 2, (kh - 1) // 2, kh // 2)  # left, right, top, bottom
    with torch.inference_mode():
        xp = F.pad(x, pads, mode=_TORCH_PAD_MODE[padding_mode])
        xp = xp.contiguous(memory_format=torch.channels_last)
        use_split = method == "phase_split" or (method == "auto" and device.type == "cpu")
        y = _conv_phase_split(xp, k, w) if use_split else _conv_grouped(xp, k)  # (H, W, C)
        y = y[..., 0] if squeeze else y
        return y.contiguous().cpu().numpy()


def conv_layer_image(
    image: np.ndarray,
    weight: np.ndarray,
    bias: float = 0.0,
    padding_mode: PaddingMode = "reflect",
    device: torch.device | None = None,
) -> np.ndarray:
    """What one filter of a CNN layer does to a colour photo: one map, summed over the channels.

    image: (H, W, C) numbers (uint8 0..255 photos, or float). weight: (C, kh, kw), one slice per
    input channel. Returns float32 (H, W): ``sum_c image[..., c] * weight[c] + bias`` (each ``*``
    a cross-correlation padded like :func:`filter_image`), the same as ``F.conv2d`` with a
    (1, C, kh, kw) weight: 3D input * 3D filter -> 2D map (seed 002). :func:`filter_image` on a
    colour photo is image filtering instead: one 2D kernel per channel, C maps, no sum.
    """
    image = np.asarray(image)
    weight = np.asarray(weight, dtype=np.float32)
    if image.ndim != 3 or weight.ndim != 3 or weight.shape[0] != image.shape[2]:
        raise ValueError(
            f"need an (H, W, C) image and a (C, kh, kw) weight, got {image.shape} and "
            f"{weight.shape}"
        )
    if not np.isfinite(bias):
        raise ValueError("the bias must be a finite number")
    maps = [  # one (H, W) map per channel: x_c * w_c
        filter_image(image[..., c], weight[c], padding_mode=padding_mode, device=device)
        for c in range(image.shape[2])
    ]
    return (np.sum(maps, axis=0) + np.float32(bias)).astype(np.float32)  # (H, W)
