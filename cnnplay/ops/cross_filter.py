"""Cross-filter (cross-channel) max pooling: rotated copies of one kernel, pooled by a max (seed 002,
"Cross-Filter Feature Pooling").

A bank of K filters are rotated copies of one oriented base kernel w:

    w_k = rot(w, θ_k),   θ_k = k · period / K,   k = 0, …, K - 1

(period 180° for kernels that look the same turned by half a turn, such as a bar detector; 360°
for an edge detector, whose bright and dark sides swap). Each filter gives a response map, and
the pooled map keeps, at every position, the strongest of the K responses:

    y[i, j] = max_k (w_k * x)[i, j]          (* : cross-correlation, as CNN layers compute)

Rotating the input by one of the θ_k moves its strongest response from one filter to another, and
the max does not care which filter it came from: the pooled map is (approximately) invariant to
rotations of the input. Maxout units (Goodfellow et al. 2013) take the same max over a group of
linear pieces, learned instead of built by rotation.

:func:`rotate_grid` rotates by bilinear interpolation about the grid's centre (tested against
``scipy.ndimage.rotate`` and, for quarter turns, ``np.rot90``); :func:`filter_responses_naive`
and :func:`cross_filter_max_naive` are readable loops (tested against ``F.conv2d`` and
``torch.amax``); :func:`rotation_sweep` does the same with torch for a whole sweep of input
angles at once. Angles are in degrees, counter-clockwise as the grid is drawn (row 0 on top).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F

from cnnplay.device import get_device
from cnnplay.filtering import to_grayscale
from cnnplay.grids import x_image

ReadAt = Literal["centre", "anywhere"]
READ_AT: dict[str, str] = {  # where a response map is read for the angle chart
    "anywhere": "the strongest cell of the map (max over positions)",
    "centre": "the centre cell (where the pattern is turned about)",
}
KERNEL_SIZES: tuple[int, ...] = (5, 7, 9)  # sizes the base kernels come in
ROTATION_COUNTS: tuple[int, ...] = (1, 2, 3, 4, 6)  # how many rotated copies K a bank may hold
INPUT_SIDE = 21  # side of the ±1 input patterns (and of the photo patch)
WEAK_FRACTION = 0.25  # the winner map leaves blank the cells whose max is below this × its peak


# --- base kernels ---------------------------------------------------------------------------


def _disc_coords(size: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(size, size) arrays: x (right), y (up) of each cell from the centre, and the disc mask
    of cells at most (size - 1) / 2 from the centre (rotations keep the disc inside the square)."""
    if size < 3 or size % 2 == 0:
        raise ValueError(f"the kernel size must be odd and at least 3, got {size}")
    c = (size - 1) / 2
    rows, cols = np.mgrid[0:size, 0:size].astype(np.float64)
    x, y = cols - c, c - rows
    return x, y, np.hypot(x, y) <= c + 1e-9


def _zero_mean_on_disc(values: np.ndarray, disc: np.ndarray) -> np.ndarray:
    """Values on the disc minus their mean there, 0 outside: a flat input gives no response."""
    out = np.where(disc, values, 0.0)
    out[disc] -= out[disc].mean()
    return out


def bar_kernel(size: int = 7) -> np.ndarray:
    """A horizontal bar detector on a disc: a bright band three cells wide (|y| ≤ 1) on a darker
    ground, zero mean. Returns (size, size) float64; it looks the same turned by 180°."""
    _, y, disc = _disc_coords(size)
    return _zero_mean_on_disc((np.abs(y) <= 1).astype(np.float64), disc)


def edge_kernel(size: int = 7) -> np.ndarray:
    """A horizontal edge detector on a disc: +1 above the middle row, -1 below, 0 on it (bright
    above dark gives a positive response). Returns (size, size) float64, zero mean."""
    _, y, disc = _disc_coords(size)
    return _zero_mean_on_disc(np.sign(y), disc)


def gabor_kernel(size: int = 7) -> np.ndarray:
    """A smooth horizontal bar detector (a Gabor filter): a Gaussian window (σ = size / 5) times
    a cosine across the bar (wavelength 2 · size / 3), on a disc, zero mean. Returns (size, size)
    float64."""
    x, y, disc = _disc_coords(size)
    sigma, wavelength = size / 5, 2 * size / 3
    g = np.exp(-(x**2 + y**2) / (2 * sigma**2)) * np.cos(2 * np.pi * y / wavelength)
    return _zero_mean_on_disc(g, disc)


@dataclass(frozen=True)
class BaseKernel:
    build: Callable[[int], np.ndarray]  # size -> (size, size) float64 kernel
    period: int  # degrees after which the kernel looks the same again: 180 or 360
    note: str  # what it detects, for the page


BASE_KERNELS: dict[str, BaseKernel] = {
    "Bar (line) detector": BaseKernel(bar_kernel, 180, "a bright bar on a darker ground"),
    "Edge detector": BaseKernel(edge_kernel, 360, "bright on one side, dark on the other"),
    "Gabor (smooth bar)": BaseKernel(gabor_kernel, 180, "a smooth bright stripe"),
}


def rotation_angles(count: int, period: int) -> np.ndarray:
    """(count,) float64 angles θ_k = k · period / count in degrees, k = 0 … count - 1."""
    if count < 1:
        raise ValueError(f"a bank needs at least one filter, got {count}")
    return np.arange(count) * (period / count)


# --- rotation -------------------------------------------------------------------------------


def rotate_grid(x: np.ndarray, angle: float, fill: float = 0.0) -> np.ndarray:
    """Rotate an (H, W) grid counter-clockwise (as drawn) by ``angle`` degrees about its centre.

    Each output cell takes the value at the input position that the rotation brings onto it
    (rotated back by -angle), interpolated bilinearly from the four cells around it; positions
    outside the grid read ``fill``. A quarter turn equals ``np.rot90`` on a square grid. Returns
    (H, W) float64.
    """
    x = np.asarray(x, dtype=np.float64)
    h, w = x.shape
    cr, cc = (h - 1) / 2, (w - 1) / 2
    t = np.deg2rad(angle)
    rows, cols = np.mgrid[0:h, 0:w].astype(np.float64)  # (H, W) each
    u, v = cols - cc, cr - rows  # x right, y up, from the centre
    src_u = u * np.cos(t) + v * np.sin(t)  # the output position turned back by -angle
    src_v = -u * np.sin(t) + v * np.cos(t)
    src_r, src_c = cr - src_v, cc + src_u  # (H, W) fractional input rows and columns
    xp = np.pad(x, 1, constant_values=fill)  # one ring of fill: every neighbour is defined
    r0, c0 = np.floor(src_r), np.floor(src_c)
    fr, fc = src_r - r0, src_c - c0  # weights of the next row / column
    out = np.full((h, w), fill)
    inside = (src_r > -1) & (src_r < h) & (src_c > -1) & (src_c < w)
    r0, c0 = r0[inside].astype(int) + 1, c0[inside].astype(int) + 1  # +1: the fill ring
    fr, fc = fr[inside], fc[inside]
    out[inside] = (
        (1 - fr) * (1 - fc) * xp[r0, c0]
        + (1 - fr) * fc * xp[r0, c0 + 1]
        + fr * (1 - fc) * xp[r0 + 1, c0]
        + fr * fc * xp[r0 + 1, c0 + 1]
    )
    return out


def match_base(copy: np.ndarray, base: np.ndarray) -> np.ndarray:
    """A turned copy (k, k) made as strong as the base: zero mean on the disc, 0 outside it,
    and scaled to the base's length (L2 norm). Interpolation blurs an off-grid copy a little
    (its values spread and shrink); this keeps every filter of a bank equally strong."""
    _, _, disc = _disc_coords(base.shape[0])
    out = _zero_mean_on_disc(copy, disc)
    norm = np.linalg.norm(out)
    return out * (np.linalg.norm(base) / norm) if norm > 0 else out


def rotated_bank(base: np.ndarray, count: int, period: int) -> tuple[np.ndarray, np.ndarray]:
    """The filter bank: ``count`` copies of the (k, k) zero-mean ``base`` kernel turned by
    θ_k = k · period / count degrees (:func:`rotate_grid`, outside read as 0, then
    :func:`match_base`; quarter turns are exact). Returns (kernels (K, k, k) float64, angles
    (K,) degrees)."""
    angles = rotation_angles(count, period)
    copies = [match_base(rotate_grid(base, float(a), fill=0.0), base) for a in angles]
    return np.stack(copies), angles


# --- input patterns -------------------------------------------------------------------------

_LETTERS = {  # 5×5 glyphs, '#' = ink, drawn with strokes two cells thick (10×10)
    "Letter T": ("#####", "..#..", "..#..", "..#..", "..#.."),
    "Letter L": ("#....", "#....", "#....", "#....", "#####"),
}


def _centred(glyph: np.ndarray, side: int) -> np.ndarray:
    """A ±1 glyph (h, w) drawn at the centre of a (side, side) background of -1."""
    img = -np.ones((side, side))
    h, w = glyph.shape
    r, c = (side - h) // 2, (side - w) // 2
    img[r : r + h, c : c + w] = glyph
    return img


def bar_image(side: int = INPUT_SIDE, length: int = 13, width: int = 2) -> np.ndarray:
    """A horizontal bar of ink (+1), ``width`` cells thick and ``length`` long, at the centre of
    a (side, side) background of -1. Returns (side, side) float64."""
    if not (1 <= width <= side and 1 <= length <= side):
        raise ValueError(f"a {width}×{length} bar does not fit a {side}×{side} grid")
    return _centred(np.ones((width, length)), side)


def letter_image(name: str, side: int = INPUT_SIDE) -> np.ndarray:
    """One of the letters ("Letter T", "Letter L"), strokes two cells thick, 10×10, at the
    centre of a (side, side) background of -1. Returns (side, side) float64."""
    glyph = np.array([[1.0 if ch == "#" else -1.0 for ch in row] for row in _LETTERS[name]])
    return _centred(np.kron(glyph, np.ones((2, 2))), side)


PATTERNS: dict[str, Callable[[], np.ndarray]] = {  # name -> (INPUT_SIDE, INPUT_SIDE) ±1 grid
    "Bar": bar_image,
    **{name: (lambda name=name: letter_image(name)) for name in _LETTERS},
    "Seed 003: 9×9 X": lambda: _centred(x_image(9), INPUT_SIDE),
}
PATTERN_BACKGROUND = -1.0  # the ±1 patterns' background: what rotation and padding bring in


def photo_patch(pixels: np.ndarray, side: int = INPUT_SIDE) -> np.ndarray:
    """A small grey patch of a photo for the rotation demo: the photo's central square, reduced
    to (side, side) by averaging blocks of pixels, scaled to [-1, 1], with its mean on the disc
    of radius (side - 1) / 2 taken away and 0 outside that disc (so turning it brings no corner
    in or out). pixels: (H, W, 3) uint8 RGB. Returns (side, side) float64; fill with 0."""
    pixels = np.asarray(pixels)
    if pixels.ndim != 3 or pixels.shape[2] != 3 or min(pixels.shape[:2]) < side:
        raise ValueError(f"the photo must be RGB and at least {side}×{side} pixels")
    grey = to_grayscale(pixels).astype(np.float64) / 127.5 - 1.0  # (H, W) in [-1, 1]
    h, w = grey.shape
    n = min(h, w) // side * side  # the central square, a whole number of blocks
    top, left = (h - n) // 2, (w - n) // 2
    blocks = grey[top : top + n, left : left + n].reshape(side, n // side, side, n // side)
    patch = blocks.mean(axis=(1, 3))  # (side, side)
    _, _, disc = _disc_coords(side)
    return _zero_mean_on_disc(patch, disc)


# --- responses and the cross-filter max (loops) ---------------------------------------------


def filter_responses_naive(x: np.ndarray, kernels: np.ndarray, fill: float = 0.0) -> np.ndarray:
    """The response map of each filter: x (H, W), kernels (K, k, k) with k odd. The input is
    padded with k // 2 cells of ``fill`` (its background), so each map has the input's size.

        r[k, i, j] = sum_{u, v} kernels[k, u, v] · x_padded[i + u, j + v]

    Returns (K, H, W) float64."""
    x = np.asarray(x, dtype=np.float64)
    kernels = np.asarray(kernels, dtype=np.float64)
    n_k, kh, kw = kernels.shape
    if kh % 2 == 0 or kw % 2 == 0:
        raise ValueError(f"kernels must have odd sides, got {kh}×{kw}")
    xp = np.pad(x, ((kh // 2, kh // 2), (kw // 2, kw // 2)), constant_values=fill)
    h, w = x.shape
    out = np.empty((n_k, h, w))
    for k in range(n_k):
        for i in range(h):
            for j in range(w):
                out[k, i, j] = np.sum(kernels[k] * xp[i : i + kh, j : j + kw])
    return out


def cross_filter_max_naive(responses: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Max pooling across filters: responses (K, H, W) -> (pooled (H, W) float64, winner (H, W)
    int64), pooled[i, j] = max_k responses[k, i, j] and winner[i, j] the k that gave it (the
    first such k on a tie)."""
    responses = np.asarray(responses, dtype=np.float64)
    n_k, h, w = responses.shape
    pooled = np.empty((h, w))
    winner = np.zeros((h, w), dtype=np.int64)
    for i in range(h):
        for j in range(w):
            best = responses[0, i, j]
            for k in range(1, n_k):
                if responses[k, i, j] > best:
                    best, winner[i, j] = responses[k, i, j], k
            pooled[i, j] = best
    return pooled, winner


def winner_shown(pooled: np.ndarray, winner: np.ndarray, weak: float = WEAK_FRACTION) -> np.ndarray:
    """The winner map as drawn: (H, W) float64 filter index, NaN where the pooled response is
    below ``weak`` × its largest value (there no filter finds its pattern, and the winner is
    only noise). An all-weak map (largest value ≤ 0) is all NaN."""
    peak = float(np.max(pooled))
    strong = (pooled >= weak * peak) & (peak > 0)
    return np.where(strong, winner.astype(np.float64), np.nan)


def read_response(maps: np.ndarray, read: ReadAt) -> np.ndarray:
    """One number per map: maps (..., H, W) -> (...), the centre cell or the max over cells."""
    maps = np.asarray(maps)
    h, w = maps.shape[-2:]
    if read == "centre":
        return maps[..., h // 2, w // 2]
    if read == "anywhere":
        return maps.max(axis=(-2, -1))
    raise ValueError(f"read must be one of {tuple(READ_AT)}, got {read!r}")


# --- a sweep of input angles with torch -----------------------------------------------------


@dataclass(frozen=True)
class RotationSweep:
    """The responses to one input turned through a range of angles."""

    angles: np.ndarray  # (A,) input rotation in degrees
    per_filter: np.ndarray  # (A, K) each filter's response, read at READ_AT[read]
    pooled: np.ndarray  # (A,) the cross-filter max read the same way

    def swing(self) -> tuple[np.ndarray, float]:
        """How much each response changes over the sweep: ((K,) max - min per filter, the
        pooled response's max - min)."""
        per = self.per_filter.max(axis=0) - self.per_filter.min(axis=0)
        return per, float(self.pooled.max() - self.pooled.min())


def rotation_sweep(
    x: np.ndarray,
    kernels: np.ndarray,
    angles: np.ndarray,
    fill: float = 0.0,
    read: ReadAt = "anywhere",
    device: torch.device | None = None,
) -> RotationSweep:
    """Turn the (H, W) input ``x`` by each of ``angles`` (degrees; :func:`rotate_grid`, fill
    ``fill``), filter every turned copy with the (K, k, k) ``kernels`` (``F.conv2d`` on the
    device, float32, input padded with ``fill``), pool across the filters (``amax``) and read
    each map with :func:`read_response`. Same numbers as the loops, for all angles at once."""
    angles = np.asarray(angles, dtype=np.float64)
    kernels = np.asarray(kernels, dtype=np.float64)
    _, kh, kw = kernels.shape
    device = device or get_device()
    turned = np.stack([rotate_grid(x, float(a), fill) for a in angles])  # (A, H, W)
    with torch.inference_mode():
        xt = torch.from_numpy(turned).float().to(device)[:, None]  # (A, 1, H, W)
        xt = F.pad(xt, (kw // 2, kw // 2, kh // 2, kh // 2), value=fill)  # (A, 1, H+kh-1, ...)
        wt = torch.from_numpy(kernels).float().to(device)[:, None]  # (K, 1, kh, kw)
        responses = F.conv2d(xt, wt)  # (A, K, H, W)
        pooled = responses.amax(dim=1)  # (A, H, W)
        responses, pooled = responses.double().cpu().numpy(), pooled.double().cpu().numpy()
    return RotationSweep(angles, read_response(responses, read), read_response(pooled, read))
