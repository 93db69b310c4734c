"""Small ±1 pixel images from the lecture notes, and ways to shift and deform them.

Pixel values follow seed 000/003: +1 is "ink", -1 is background. Each builder returns a new
float64 array, so callers may edit it freely.
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

PLUS_3 = np.array([[-1, 1, -1], [1, 1, 1], [-1, 1, -1]], dtype=np.float64)  # seed 000's "+"
X_3 = np.array([[1, -1, 1], [-1, 1, -1], [1, -1, 1]], dtype=np.float64)  # seed 000's "X"

# Seed 003's deformed 9×9 "X" (shifted, broken and thickened strokes), copied from the notes.
_DEFORMED_X_9_ROWS = (
    "---------",
    "------+--",
    "-+---+---",
    "--++-+---",
    "----+----",
    "---+-++--",
    "---+---+-",
    "--+------",
    "---------",
)

# Seed 004's 5×5 image with pixel intensities in [0, 1], used with SEED004_KERNEL.
SEED004_IMAGE = np.array(
    [[0, 1, 1, 1, 0], [0, 0, 1, 0, 0], [0, 1, 0, 1, 0], [0, 1, 1, 1, 0], [0, 1, 1, 1, 0]],
    dtype=np.float64,
)

# Seed 001's 6×6 image (before its zero padding) and the 6×6 output its slide prints for the
# vertical-edge filter (cnnplay.kernels.VERTICAL_EDGE_3) with zero padding 1. The printed table
# has two misprints: row 3, column 0 is -11 (printed 11) and row 4, column 4 is 11 (printed
# 10); tests/test_grids.py checks the correct values against torch.
SEED001_IMAGE = np.array(
    [
        [1, 2, 3, 1, 3, 5],
        [2, 2, 5, 4, 2, 5],
        [0, 6, 9, 6, 2, 2],
        [2, 0, 1, 9, 4, 0],
        [5, 5, 4, 6, 7, 6],
        [6, 1, 3, 7, 1, 5],
    ],
    dtype=np.float64,
)
SEED001_SLIDE_OUTPUT = np.array(
    [
        [-4, -5, -1, 3, -5, 5],
        [-10, -14, -1, 10, -1, 7],
        [-8, -11, -11, 7, 12, 8],
        [11, -7, -10, 1, 13, 13],
        [-6, 5, -16, -4, 10, 12],
        [-6, 4, -7, -1, 2, 8],
    ],
    dtype=np.float64,
)


def _from_rows(rows: tuple[str, ...]) -> np.ndarray:
    """'+' -> 1, anything else -> -1; returns (len(rows), len(rows[0]))."""
    return np.array([[1.0 if ch == "+" else -1.0 for ch in row] for row in rows])


def plus_image(size: int = 9, arm: int | None = None) -> np.ndarray:
    """A centred "+" of ink on a (size, size) background; arm: half-length (size//2 - 1)."""
    if size < 3:
        raise ValueError("size must be at least 3")
    arm = size // 2 - 1 if arm is None else arm
    img = -np.ones((size, size))
    c = size // 2
    img[c, max(c - arm, 0) : c + arm + 1] = 1
    img[max(c - arm, 0) : c + arm + 1, c] = 1
    return img


def x_image(size: int = 9, margin: int = 1) -> np.ndarray:
    """A centred "X" (both diagonals) on a (size, size) background, ``margin`` cells from the edge.

    ``x_image(9)`` is seed 003's 9×9 X.
    """
    if size < 3:
        raise ValueError("size must be at least 3")
    img = -np.ones((size, size))
    idx = np.arange(margin, size - margin)
    img[idx, idx] = 1
    img[idx, size - 1 - idx] = 1
    return img


def plus_and_x_image() -> np.ndarray:
    """Seed 000's 6×6 input: a "+" in the top-left 3×3 corner and an "X" in the bottom-right."""
    img = -np.ones((6, 6))
    img[0:3, 0:3] = PLUS_3
    img[3:6, 3:6] = X_3
    return img


def grey_and_depth_image() -> np.ndarray:
    """Seed 000's two-channel input (2, 6, 6): channel 0 is grayscale, channel 1 is depth.

    Same shapes as :func:`plus_and_x_image`; in grayscale the "X" ink is 0.9, in depth the
    "+" ink is 0.9, so each object is slightly weaker in one channel.
    """
    grey, depth = plus_and_x_image(), plus_and_x_image()
    grey[3:6, 3:6][X_3 > 0] = 0.9
    depth[0:3, 0:3][PLUS_3 > 0] = 0.9
    return np.stack([grey, depth])


def deformed_x_image() -> np.ndarray:
    """Seed 003's deformed 9×9 "X": what a literal pixel-by-pixel comparison fails to match."""
    return _from_rows(_DEFORMED_X_9_ROWS)


def shift(img: np.ndarray, dy: int, dx: int, fill: float = -1.0) -> np.ndarray:
    """Move the picture down by dy and right by dx cells (negative: up/left); vacated cells get
    ``fill``; ink pushed past the edge is lost (no wrap-around). img: (H, W)."""
    h, w = img.shape
    out = np.full_like(img, fill, dtype=np.float64)
    src_r = slice(max(0, -dy), min(h, h - dy))
    src_c = slice(max(0, -dx), min(w, w - dx))
    dst_r = slice(max(0, dy), min(h, h + dy))
    dst_c = slice(max(0, dx), min(w, w + dx))
    out[dst_r, dst_c] = img[src_r, src_c]
    return out


def flip_pixels(img: np.ndarray, count: int, seed: int = 0) -> np.ndarray:
    """Deform by negating ``count`` distinct random cells (deterministic by seed). img: (H, W)."""
    out = np.array(img, dtype=np.float64)
    count = int(np.clip(count, 0, out.size))
    cells = np.random.default_rng(seed).choice(out.size, size=count, replace=False)
    out.flat[cells] *= -1
    return out


def toggle_cell(
    img: np.ndarray, row: int, col: int, ink: float = 1.0, background: float = -1.0
) -> np.ndarray:
    """A copy of img (H, W) with one cell flipped: ink becomes background and anything else
    (background, or a value in between) becomes ink."""
    out = np.array(img, dtype=np.float64)
    out[row, col] = background if out[row, col] == ink else ink
    return out


GRID_PRESETS: dict[str, Callable[[], np.ndarray]] = {
    "Seed 000: 6×6 with a + and an X": plus_and_x_image,
    "Seed 003: 9×9 X": lambda: x_image(9),
    "Seed 003: 9×9 deformed X": deformed_x_image,
    "9×9 +": lambda: plus_image(9),
    "Seed 004: 5×5 in [0, 1]": lambda: SEED004_IMAGE.copy(),
    "Blank 7×7": lambda: -np.ones((7, 7)),
}
