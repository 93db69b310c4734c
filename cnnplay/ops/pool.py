"""Pooling written as readable loops: the teaching code and the reference for tests.

Every loop here works on numpy arrays in float64 and is checked against torch
(``F.max_pool2d``, ``F.avg_pool2d``, ``F.max_unpool2d``, ``F.adaptive_avg_pool2d``) in
``tests/ops/test_pool.py``. Photos go through torch instead: :func:`pool_image`.

Conventions, as in torch: ``x`` is (C, H, W) or (H, W); a window of ``size`` (kh, kw) moves by
``stride`` (sh, sw) with no padding, so the output is (H', W') with

    H' = floor((H - kh) / sh) + 1,    W' = floor((W - kw) / sw) + 1,

    max:  y[c, i, j] = max_{u < kh, v < kw} x[c, i*sh + u, j*sw + v]
    avg:  y[c, i, j] = mean_{u < kh, v < kw} x[c, i*sh + u, j*sw + v]

Indices of the max are flattened per channel plane, ``r * W + col``, as torch returns them.
Ties go to the first maximum in the window's row-major scan (numpy's argmax rule; torch documents
no order for ties, and its kernels may pick another of the tied cells); a NaN always wins.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from cnnplay.device import get_device
from cnnplay.grids import PLUS_3, X_3, grey_and_depth_image, plus_image, shift, x_image
from cnnplay.ops.conv import IntPair, as_pair, conv2d_naive

PoolMode = Literal["max", "avg"]
POOL_MODES: tuple[str, ...] = ("max", "avg")

# Seed 002's worked examples: 2×2 max pooling, stride 2 ...
SEED002_POOL = np.array([[1, 1, 2, 4], [5, 6, 7, 8], [3, 2, 1, 0], [1, 2, 3, 4]], dtype=np.float64)
# ... and the 4×4 input whose remembered maxima max unpooling uses ([[5, 6], [7, 8]]).
SEED002_UNPOOL = np.array(
    [[1, 2, 6, 3], [3, 5, 2, 1], [1, 2, 2, 1], [7, 3, 4, 8]], dtype=np.float64
)
# One row of detector outputs, in the spirit of seed 002's invariance figure: shifted by one
# cell every value changes, but after a 1×3 max pool (stride 1) most do not.
SEED002_DETECTOR_ROW = np.array([[0.1, 1.0, 0.2, 0.1, 0.3, 0.1, 0.9, 0.2]])


def seed000_feature_maps() -> np.ndarray:
    """Seed 000's two feature maps (2, 6, 6): the grayscale + depth input through the two-slice
    "+" and "X" kernels, zero-padded; the notes max-pool them 2×2 with stride 2."""
    w = np.stack([np.stack([PLUS_3, PLUS_3]), np.stack([X_3, X_3])])  # (2, 2, 3, 3)
    return conv2d_naive(grey_and_depth_image(), w, padding=1)  # (2, 6, 6)


POOL_GRIDS: dict[str, Callable[[], np.ndarray]] = {
    "Seed 000: the + and X feature maps (2 channels)": seed000_feature_maps,
    "Seed 002: 4×4, max pool → [[6, 8], [3, 4]]": SEED002_POOL.copy,
    "Seed 002: 4×4 with remembered maxima": SEED002_UNPOOL.copy,
    "Seed 003: 9×9 X (±1)": lambda: x_image(9),
    "9×9 + (±1)": lambda: plus_image(9),
    "Random 8×8 digits (ties!)": lambda: np.random.default_rng(0).integers(0, 6, (8, 8)) * 1.0,
}


def pool_output_size(n: int, k: int, stride: int) -> int:
    """Output length along one axis, ``floor((n - k) / s) + 1``; ValueError when the window
    (k cells) does not fit in the input (n cells) or the stride is below 1."""
    if k < 1 or stride < 1:
        raise ValueError(f"window size and stride must be at least 1, got {k} and {stride}")
    if k > n:
        raise ValueError(f"the window ({k} cells) is larger than the input ({n} cells)")
    return (n - k) // stride + 1


@dataclass(frozen=True)
class PoolGeometry:
    """Where each pooling window lands on an (H, W) input."""

    size: tuple[int, int]  # (kh, kw) window
    stride: tuple[int, int]  # (sh, sw) step between neighbouring windows
    in_shape: tuple[int, int]  # (H, W)
    out_shape: tuple[int, int]  # (H', W')

    def window(self, i: int, j: int) -> tuple[range, range]:
        """Input rows and columns read by output cell (i, j)."""
        (kh, kw), (sh, sw) = self.size, self.stride
        return range(i * sh, i * sh + kh), range(j * sw, j * sw + kw)

    def windows(self) -> list[tuple[range, range]]:
        """Every output cell's window, row-major (the order the animation plays)."""
        return [
            self.window(i, j) for i in range(self.out_shape[0]) for j in range(self.out_shape[1])
        ]

    @property
    def overlapping(self) -> bool:
        """True when neighbouring windows share cells (stride < size on some axis)."""
        return any(s < k for s, k in zip(self.stride, self.size, strict=True))


def pool_geometry(
    in_shape: tuple[int, int], size: IntPair, stride: IntPair | None = None
) -> PoolGeometry:
    """Validated window geometry; ``stride`` defaults to ``size`` (windows that tile the input).

    Raises ``ValueError`` with a readable reason (window larger than the input, stride 0, ...).
    """
    size = as_pair(size, "size")
    stride = size if stride is None else as_pair(stride, "stride")
    out = tuple(
        pool_output_size(n, k, s) for n, k, s in zip(in_shape[-2:], size, stride, strict=True)
    )
    return PoolGeometry(size, stride, tuple(in_shape[-2:]), out)


def _as_chw(x: np.ndarray) -> tuple[np.ndarray, bool]:
    """x as float64 (C, H, W); the flag says whether it came as (H, W)."""
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (2, 3):
        raise ValueError(f"x must be (H, W) or (C, H, W), got shape {x.shape}")
    return (x[None], True) if x.ndim == 2 else (x, False)


def pool2d_naive(
    x: np.ndarray,
    size: IntPair,
    stride: IntPair | None = None,
    mode: PoolMode = "max",
    return_indices: bool = False,
) -> np.ndarray | tuple[np.ndarray, np.ndarray]:
    """Max or average pooling of each channel plane, no padding.

    x: (H, W) or (C, H, W) numbers. size, stride: int or (rows, cols); stride defaults to size.
    Returns float64 y of shape (H', W') or (C, H', W'), and with ``return_indices`` (max only)
    also int64 indices of the same shape: the flattened position ``r * W + col`` of each max in
    its channel plane, as ``F.max_pool2d(..., return_indices=True)`` gives.
    """
    if mode not in POOL_MODES:
        raise ValueError(f"mode must be one of {POOL_MODES}, got {mode!r}")
    if return_indices and mode != "max":
        raise ValueError("only max pooling has indices (an average has no single winner)")
    x3, squeeze = _as_chw(x)
    channels, _, width = x3.shape
    geo = pool_geometry(x3.shape[1:], size, stride)
    y = np.empty((channels, *geo.out_shape))
    indices = np.zeros((channels, *geo.out_shape), dtype=np.int64)
    for c in range(channels):
        for i in range(geo.out_shape[0]):
            for j in range(geo.out_shape[1]):
                rows, cols = geo.window(i, j)
                if mode == "avg":
                    y[c, i, j] = x3[c, rows.start : rows.stop, cols.start : cols.stop].mean()
                    continue
                best, best_at = -np.inf, rows.start * width + cols.start
                for r in rows:  # row-major scan; strictly greater keeps the first of equal maxima
                    for col in cols:
                        value = x3[c, r, col]
                        if value > best or np.isnan(value):
                            best, best_at = value, r * width + col
                y[c, i, j], indices[c, i, j] = best, best_at
    if squeeze:
        y, indices = y[0], indices[0]
    return (y, indices) if return_indices else y


def global_avg_pool(x: np.ndarray) -> np.ndarray:
    """Global average pooling: one number per channel, the mean of its whole plane.

    x: (H, W) or (C, H, W) -> float64 (C,) (a (1,) array for (H, W)); the same numbers as
    ``F.adaptive_avg_pool2d(x, 1)``, which a CNN uses before its classifier.
    """
    x3, _ = _as_chw(x)
    out = np.empty(x3.shape[0])
    for c in range(x3.shape[0]):
        total = 0.0
        for value in x3[c].ravel():
            total += value
        out[c] = total / x3[c].size
    return out


def max_unpool2d(y: np.ndarray, indices: np.ndarray, output_shape: tuple[int, ...]) -> np.ndarray:
    """Put each value of ``y`` back where its max came from; every other cell is 0.

    y, indices: (H', W') or (C, H', W'), indices as :func:`pool2d_naive` returns them (flattened
    per channel plane). output_shape: the pooled input's (H, W) (a leading C is allowed).
    Returns float64 (H, W) or (C, H, W), like ``F.max_unpool2d``.
    """
    y3, squeeze = _as_chw(y)
    idx3 = np.asarray(indices, dtype=np.int64).reshape(y3.shape)
    height, width = output_shape[-2:]
    out = np.zeros((y3.shape[0], height, width))
    for c in range(y3.shape[0]):
        for i in range(y3.shape[1]):
            for j in range(y3.shape[2]):
                flat = int(idx3[c, i, j])
                if not 0 <= flat < height * width:
                    raise ValueError(f"index {flat} is outside a {height}×{width} plane")
                out[c, flat // width, flat % width] = y3[c, i, j]
    return out[0] if squeeze else out


def unpool_nearest(y: np.ndarray, size: IntPair) -> np.ndarray:
    """ "Nearest neighbour" unpooling: copy each value into a (kh, kw) block.

    y: (H', W') or (C, H', W') -> (kh·H', kw·W') or (C, kh·H', kw·W'), as
    ``F.interpolate(y, scale_factor=size, mode="nearest")``.
    """
    y3, squeeze = _as_chw(y)
    kh, kw = as_pair(size, "size")
    out = np.empty((y3.shape[0], y3.shape[1] * kh, y3.shape[2] * kw))
    for r in range(out.shape[1]):
        for col in range(out.shape[2]):
            out[:, r, col] = y3[:, r // kh, col // kw]
    return out[0] if squeeze else out


def unpool_bed_of_nails(y: np.ndarray, size: IntPair) -> np.ndarray:
    """ "Bed of nails" unpooling: each value at the top-left corner of its (kh, kw) block, zeros
    elsewhere. y: (H', W') or (C, H', W') -> (kh·H', kw·W') or (C, kh·H', kw·W')."""
    y3, squeeze = _as_chw(y)
    kh, kw = as_pair(size, "size")
    out = np.zeros((y3.shape[0], y3.shape[1] * kh, y3.shape[2] * kw))
    for i in range(y3.shape[1]):
        for j in range(y3.shape[2]):
            out[:, i * kh, j * kw] = y3[:, i, j]
    return out[0] if squeeze else out


def max_pool_grad_rule(
    indices: np.ndarray, upstream: np.ndarray, in_shape: tuple[int, int]
) -> np.ndarray:
    """Backprop through max pooling by the rule: each output's gradient goes to the cell that
    won its max, and nowhere else; a cell that wins several (overlapping) windows gets the sum.

    indices, upstream: (H', W') (indices flattened as torch's); in_shape: (H, W).
    Returns float64 dL/dx of shape (H, W).
    """
    height, width = in_shape
    grad = np.zeros((height, width))
    for i in range(indices.shape[0]):
        for j in range(indices.shape[1]):
            flat = int(indices[i, j])
            grad[flat // width, flat % width] += upstream[i, j]  # += : overlaps add up
    return grad


def max_pool_grad_autograd(
    x: np.ndarray, size: IntPair, stride: IntPair | None, upstream: np.ndarray
) -> np.ndarray:
    """dL/dx for L = sum(upstream * max_pool2d(x)), computed by torch's autograd.

    x: (H, W); upstream: (H', W') = dL/dy. Returns float64 (H, W), on the CPU in float64 (grids
    are tiny). Compare with :func:`max_pool_grad_rule`.
    """
    pool_geometry(np.shape(x), size, stride)  # readable error before torch's
    xt = torch.tensor(np.asarray(x, dtype=np.float64), requires_grad=True)
    y = F.max_pool2d(xt[None, None], size, stride if stride is not None else size)[0, 0]  # (H', W')
    (y * torch.from_numpy(np.asarray(upstream, dtype=np.float64))).sum().backward()
    return xt.grad.numpy()


def pool_image(
    image: np.ndarray,
    size: IntPair,
    stride: IntPair | None = None,
    mode: PoolMode | Literal["global"] = "max",
    device: torch.device | None = None,
) -> np.ndarray:
    """Pool a photo with torch on the device (``F.max_pool2d`` / ``F.avg_pool2d``).

    image: (H, W) or (H, W, C) numbers (uint8 0..255 photos). mode "global" averages every
    channel to one value. Returns float32 (H', W') or (H', W', C) (global: (1, 1[, C])).
    """
    image = np.asarray(image)
    if mode not in (*POOL_MODES, "global"):
        raise ValueError(f"mode must be one of {(*POOL_MODES, 'global')}, got {mode!r}")
    if mode != "global":
        pool_geometry(image.shape[:2], size, stride)  # readable error before torch's
    device = device or get_device()
    squeeze = image.ndim == 2
    x = torch.from_numpy(np.ascontiguousarray(image)).to(device)
    x = (x[..., None] if squeeze else x).permute(2, 0, 1)[None].float()  # (1, C, H, W)
    stride = size if stride is None else stride
    with torch.inference_mode():
        if mode == "global":
            y = F.adaptive_avg_pool2d(x, 1)  # (1, C, 1, 1)
        elif mode == "max":
            y = F.max_pool2d(x, size, stride)  # (1, C, H', W')
        else:
            y = F.avg_pool2d(x, size, stride)
        y = y[0].permute(1, 2, 0)  # (H', W', C)
        return (y[..., 0] if squeeze else y).contiguous().cpu().numpy()


@dataclass(frozen=True)
class TranslationEffect:
    """A feature map and its max-pooled map, before and after shifting the input."""

    raw: np.ndarray  # (H1, W1) feature map of the input
    raw_shifted: np.ndarray  # (H1, W1) feature map of the shifted input
    pooled: np.ndarray  # (H2, W2) max-pooled raw
    pooled_shifted: np.ndarray  # (H2, W2) max-pooled raw_shifted
    raw_changed: np.ndarray  # (H1, W1) bool: values that differ
    pooled_changed: np.ndarray  # (H2, W2) bool


def translation_effect(
    x: np.ndarray,
    dy: int,
    dx: int,
    size: IntPair,
    stride: IntPair | None = None,
    kernel: np.ndarray | None = None,
    fill: float = 0.0,
    atol: float = 1e-9,
) -> TranslationEffect:
    """Shift the input (H, W) down by dy and right by dx (vacated cells get ``fill``), and see
    which values of the feature map (``x`` itself when ``kernel`` is None, else the valid
    cross-correlation with ``kernel``) and of its max-pooled map changed.

    Seed 002's point: the raw map is equivariant (it moves with the input: most values change),
    the max-pooled map is (partly) invariant (many values stay the same).
    """
    moved = shift(x, dy, dx, fill)

    def feature_map(img: np.ndarray) -> np.ndarray:
        return np.asarray(img, dtype=np.float64) if kernel is None else conv2d_naive(img, kernel)

    raw, raw_shifted = feature_map(x), feature_map(moved)
    pooled = pool2d_naive(raw, size, stride)
    pooled_shifted = pool2d_naive(raw_shifted, size, stride)
    return TranslationEffect(
        raw,
        raw_shifted,
        pooled,
        pooled_shifted,
        ~np.isclose(raw, raw_shifted, atol=atol, rtol=0),
        ~np.isclose(pooled, pooled_shifted, atol=atol, rtol=0),
    )


@dataclass(frozen=True)
class StackRow:
    """One layer of a small conv stack, with and without pooling."""

    layer: str  # e.g. "conv 3×3, 16 channels"
    side_pooled: int  # map side (pixels) when each conv is followed by pooling
    side_plain: int  # map side without any pooling
    values_pooled: int  # numbers in this layer's output, with pooling (C·H·W)
    values_plain: int
    macs_pooled: int  # multiply-accumulates of this layer, with pooling (0 for pooling layers)
    macs_plain: int


def pooling_savings(
    side: int = 64, channels: tuple[int, ...] = (3, 16, 32, 64), kernel: int = 3, pool: int = 2
) -> list[StackRow]:
    """Sizes and work of a stack of zero-padded (same-size) k×k convolutions, each followed by
    a pool×pool max pool (stride pool), against the same convolutions without pooling.

    side: the input's height = width; channels: input channels then each conv's outputs.
    A conv costs H·W·C_out·C_in·k² multiply-accumulates on an H×W map; pooling costs none.
    """
    rows = [
        StackRow(f"input, {channels[0]} channels", side, side, *[side**2 * channels[0]] * 2, 0, 0)
    ]
    pooled, plain = side, side
    for c_in, c_out in zip(channels, channels[1:], strict=False):
        per_cell = c_out * c_in * kernel**2
        rows.append(
            StackRow(
                f"conv {kernel}×{kernel}, {c_out} channels",
                pooled,
                plain,
                pooled**2 * c_out,
                plain**2 * c_out,
                pooled**2 * per_cell,
                plain**2 * per_cell,
            )
        )
        if pooled < pool:
            break
        pooled = pool_output_size(pooled, pool, pool)
        rows.append(
            StackRow(
                f"max pool {pool}×{pool}", pooled, plain, pooled**2 * c_out, plain**2 * c_out, 0, 0
            )
        )
    return rows


@dataclass(frozen=True)
class EquivarianceCheck:
    """Seed 002's equivariance, checked: f(g(x)) against g(f(x)) for a shift g and a
    convolution f (padded with the background, so the map has the input's size)."""

    shifted_input: np.ndarray  # (H, W) g(x): the input moved, vacated cells = background
    map_of_shifted: np.ndarray  # (H, W) f(g(x)): the feature map of the shifted input
    shifted_map: np.ndarray  # (H, W) g(f(x)): the feature map, moved the same way
    differ: np.ndarray  # (H, W) bool: cells where the two maps differ
    content_lost: bool  # the shift pushed input content (≠ background) out of the frame

    @property
    def equal(self) -> bool:
        return not bool(self.differ.any())


def equivariance_check(
    x: np.ndarray, kernel: np.ndarray, dy: int, dx: int, fill: float = 0.0, atol: float = 1e-9
) -> EquivarianceCheck:
    """Compare the map of the shifted input, f(g(x)), with the shifted map, g(f(x)).

    x: (H, W) on a constant background ``fill``; kernel: (kh, kw). f is the cross-correlation
    with ``kernel``, the border padded with ``fill`` ((kh-1)//2 before, kh//2 after: output
    (H, W)); g moves a grid down by dy and right by dx (negative: up/left). On maps, g fills the
    vacated cells with f(background) = fill · sum(kernel), the map of an empty patch. The two
    maps are equal whenever the shift keeps the input's content inside the frame.
    """
    x = np.asarray(x, dtype=np.float64)
    kernel = np.asarray(kernel, dtype=np.float64)
    kh, kw = kernel.shape
    pads = (((kh - 1) // 2, kh // 2), ((kw - 1) // 2, kw // 2))

    def f(img: np.ndarray) -> np.ndarray:  # (H, W) -> (H, W)
        return conv2d_naive(np.pad(img, pads, constant_values=fill), kernel)

    moved = shift(x, dy, dx, fill)  # g(x)
    map_of_shifted = f(moved)  # f(g(x))
    shifted_map = shift(f(x), dy, dx, fill * float(kernel.sum()))  # g(f(x))
    lost = not np.array_equal(shift(moved, -dy, -dx, fill), x)  # content fell off the edge
    differ = ~np.isclose(map_of_shifted, shifted_map, atol=atol, rtol=0)
    return EquivarianceCheck(moved, map_of_shifted, shifted_map, differ, lost)
