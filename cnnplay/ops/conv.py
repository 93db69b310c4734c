"""2D convolution written as readable loops: the teaching code and the reference for tests.

Every function here works on numpy arrays in float64 and is checked against
``torch.nn.functional.conv2d`` in ``tests/ops/test_conv.py``. Real-sized work (photos, models)
uses torch instead; see ``cnnplay.filtering``.

Conventions, as in torch: ``x`` is (C, H, W) or (H, W); ``w`` is (K, C, kh, kw), (C, kh, kw) or
(kh, kw); the operation computed is cross-correlation,

    y[k, i, j] = b[k] + sum_{c, u, v} w[k, c, u, v] * xpad[c, i*s + u*d, j*s + v*d],

and ``flip=True`` turns it into true convolution by flipping the kernel on both spatial axes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
PADDING_MODES: tuple[str, ...] = ("zeros", "reflect", "replicate", "circular")
_NUMPY_PAD_MODE = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "edge",
    "circular": "wrap",
}

IntPair = int | tuple[int, int]
Padding = IntPair | Literal["valid", "same"]


def _pair(value: IntPair, name: str) -> tuple[int, int]:
    """``3 -> (3, 3)``; ``(1, 2) -> (1, 2)``; rejects negatives and non-integers."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def conv_output_size(n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length along one axis: ``floor((n + 2p - d(k-1) - 1) / s) + 1``.

    Returns 0 or less when the dilated kernel does not fit in the padded input (torch refuses
    such shapes; pages explain why instead of crashing).
    """
    if k < 1 or stride < 1 or dilation < 1 or padding < 0 or n < 0:
        raise ValueError("need n >= 0, k >= 1, stride >= 1, dilation >= 1, padding >= 0")
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def resolve_padding(
    padding: Padding, kernel: tuple[int, int], dilation: tuple[int, int]
) -> tuple[int, int, int, int]:
    """Padding as (top, bottom, left, right).

    ``"valid"`` is no padding; ``"same"`` keeps the size at stride 1 and, like torch, puts the
    odd extra cell (even kernels) at the bottom / right.
    """
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2
    ph, pw = _pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must be >= 0, got {padding!r}")
    return ph, ph, pw, pw


def pad2d(
    x: np.ndarray, pads: tuple[int, int, int, int], mode: PaddingMode = "zeros"
) -> np.ndarray:
    """Pad the last two axes of ``x`` (…, H, W) by (top, bottom, left, right).

    zeros: 0 outside; reflect: mirror without repeating the edge ("mirroring");
    replicate: repeat the edge value ("repetition"); circular: wrap around.
    """
    if mode not in _NUMPY_PAD_MODE:
        raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {mode!r}")
    top, bottom, left, right = pads
    h, w = x.shape[-2:]
    if mode == "reflect" and (max(top, bottom) >= h or max(left, right) >= w):
        raise ValueError(f"reflect padding must be smaller than the input ({h}×{w}), got {pads}")
    if mode == "circular" and (max(top, bottom) > h or max(left, right) > w):
        raise ValueError(f"circular padding cannot exceed the input size ({h}×{w}), got {pads}")
    widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    return np.pad(x, widths, mode=_NUMPY_PAD_MODE[mode])


def _as_kchw(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Bring x to (C, H, W) and w to (K, C, kh, kw); the flag says whether w had a K axis."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if x.ndim == 2:
        x = x[None]  # (1, H, W)
    if x.ndim != 3:
        raise ValueError(f"x must be (H, W) or (C, H, W), got shape {x.shape}")
    has_k = w.ndim == 4
    if w.ndim == 2:
        w = w[None]  # (1, kh, kw)
    if w.ndim == 3:
        w = w[None]  # (1, C, kh, kw)
    if w.ndim != 4:
        raise ValueError(f"w must be (kh, kw), (C, kh, kw) or (K, C, kh, kw), got {w.shape}")
    if w.shape[1] != x.shape[0]:
        raise ValueError(
            f"the kernel has {w.shape[1]} slice(s) but the input has {x.shape[0]} channel(s): "
            "a kernel needs one slice per input channel"
        )
    return x, w, has_k


@dataclass(frozen=True)
class ConvGeometry:
    """Everything about where a kernel lands, for given input and settings."""

    pads: tuple[int, int, int, int]  # (top, bottom, left, right) cells added around the input
    stride: tuple[int, int]  # step between neighbouring output cells, in input cells
    dilation: tuple[int, int]  # spacing between kernel taps
    kernel: tuple[int, int]  # (kh, kw)
    out_shape: tuple[int, int]  # (H', W')

    def window(self, i: int, j: int) -> tuple[slice, slice]:
        """Slices of the *padded* input that output cell (i, j) reads (with the dilation step)."""
        (sh, sw), (dh, dw), (kh, kw) = self.stride, self.dilation, self.kernel
        return (
            slice(i * sh, i * sh + dh * (kh - 1) + 1, dh),
            slice(j * sw, j * sw + dw * (kw - 1) + 1, dw),
        )


def conv_geometry(
    in_shape: tuple[int, int],
    kernel: tuple[int, int],
    stride: IntPair = 1,
    padding: Padding = 0,
    dilation: IntPair = 1,
) -> ConvGeometry:
    """Padding, stride, dilation and output shape for an (H, W) input and a (kh, kw) kernel.

    Raises ``ValueError`` with a readable reason when the kernel does not fit.
    """
    stride, dilation = _pair(stride, "stride"), _pair(dilation, "dilation")
    if min(stride) < 1 or min(dilation) < 1 or min(kernel) < 1:
        raise ValueError("stride, dilation and kernel size must be at least 1")
    if padding == "same" and stride != (1, 1):
        raise ValueError("padding='same' is only defined for stride 1")
    pads = resolve_padding(padding, kernel, dilation)
    out = []
    for axis in (0, 1):
        n_padded = in_shape[axis] + pads[2 * axis] + pads[2 * axis + 1]
        span = dilation[axis] * (kernel[axis] - 1) + 1
        if span > n_padded:
            raise ValueError(
                f"the kernel spans {span} cells but the padded input is only {n_padded} cells "
                f"{'tall' if axis == 0 else 'wide'}: add padding or use a smaller kernel"
            )
        out.append((n_padded - span) // stride[axis] + 1)
    return ConvGeometry(pads, stride, dilation, tuple(kernel), (out[0], out[1]))


def conv2d_naive(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | float | None = None,
    stride: IntPair = 1,
    padding: Padding = 0,
    dilation: IntPair = 1,
    padding_mode: PaddingMode = "zeros",
    flip: bool = False,
) -> np.ndarray:
    """Cross-correlation (``flip=False``, what CNN layers compute) or convolution (``flip=True``).

    x: (H, W) or (C, H, W). w: (kh, kw), (C, kh, kw) or (K, C, kh, kw). bias: scalar or (K,).
    Returns float64 (H', W') when w has no K axis, else (K, H', W'), with
    H' = floor((H + pad_top + pad_bottom - d(kh-1) - 1) / s) + 1 (W' likewise).
    """
    x, w, has_k = _as_kchw(x, w)
    if flip:
        w = w[..., ::-1, ::-1]  # true convolution: the kernel turned by 180°
    k_out = w.shape[0]
    geo = conv_geometry(x.shape[1:], w.shape[2:], stride, padding, dilation)
    xp = pad2d(x, geo.pads, padding_mode)  # (C, H + pads, W + pads)
    b = np.broadcast_to(np.asarray(0.0 if bias is None else bias, dtype=np.float64), (k_out,))
    y = np.empty((k_out, *geo.out_shape))
    for k in range(k_out):
        for i in range(geo.out_shape[0]):
            for j in range(geo.out_shape[1]):
                rows, cols = geo.window(i, j)
                y[k, i, j] = np.sum(w[k] * xp[:, rows, cols]) + b[k]
    return y if has_k else y[0]


@dataclass(frozen=True)
class ConvStep:
    """One output cell of a convolution, spelled out (what the step-through view shows)."""

    i: int  # output row
    j: int  # output column
    rows: np.ndarray  # (kh,) padded-input row of each kernel tap
    cols: np.ndarray  # (kw,) padded-input column of each kernel tap
    window: np.ndarray  # (C, kh, kw) the input values under the kernel
    kernel: np.ndarray  # (C, kh, kw) the kernel as applied (already flipped when flip=True)
    products: np.ndarray  # (C, kh, kw) window * kernel
    bias: float
    total: float  # products.sum() + bias, before the activation


def conv_step(
    x: np.ndarray,
    w: np.ndarray,
    i: int,
    j: int,
    bias: float = 0.0,
    stride: IntPair = 1,
    padding: Padding = 0,
    dilation: IntPair = 1,
    padding_mode: PaddingMode = "zeros",
    flip: bool = False,
) -> ConvStep:
    """Spell out output cell (i, j) for one kernel: x (H, W) or (C, H, W), w (kh, kw) or
    (C, kh, kw). ``total`` equals ``conv2d_naive(...)[i, j]``."""
    x3, w4, _ = _as_kchw(x, w)
    kernel = w4[0, :, ::-1, ::-1] if flip else w4[0]  # (C, kh, kw)
    geo = conv_geometry(x3.shape[1:], kernel.shape[1:], stride, padding, dilation)
    if not (0 <= i < geo.out_shape[0] and 0 <= j < geo.out_shape[1]):
        raise IndexError(f"output cell ({i}, {j}) is outside the {geo.out_shape} output")
    rows, cols = geo.window(i, j)
    window = pad2d(x3, geo.pads, padding_mode)[:, rows, cols]  # (C, kh, kw)
    products = window * kernel
    return ConvStep(
        i=i,
        j=j,
        rows=np.arange(rows.start, rows.stop, rows.step),
        cols=np.arange(cols.start, cols.stop, cols.step),
        window=window,
        kernel=np.ascontiguousarray(kernel),
        products=products,
        bias=float(bias),
        total=float(products.sum() + bias),
    )
