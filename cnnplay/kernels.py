"""Named kernels: the notes' pattern detectors and classic photo filters.

All builders return new float64 arrays of shape (k, k).
"""

from __future__ import annotations

from collections.abc import Callable

import numpy as np

VERTICAL_EDGE_3 = np.array([[1.0, 0, -1]] * 3)  # seed 001: bright left, dark right -> positive
SEED004_KERNEL = np.array([[0.2, 0.5, 1.0], [-1.5, 2.0, 0.0], [0.0, -1.0, -0.2]])


def plus_kernel(size: int = 3) -> np.ndarray:
    """A "+" detector: +1 on the middle row and column, -1 elsewhere (seed 000 for size 3)."""
    k = -np.ones((size, size))
    k[size // 2, :] = 1
    k[:, size // 2] = 1
    return k


def x_kernel(size: int = 3) -> np.ndarray:
    """An "X" detector: +1 on both diagonals, -1 elsewhere (seed 000 / 003 for size 3)."""
    k = -np.ones((size, size))
    idx = np.arange(size)
    k[idx, idx] = 1
    k[idx, size - 1 - idx] = 1
    return k


def diagonal_kernel(size: int = 3, anti: bool = False) -> np.ndarray:
    """Seed 003's stroke detectors: +1 on the main (or anti-) diagonal, -1 elsewhere."""
    k = -np.ones((size, size))
    idx = np.arange(size)
    k[idx, size - 1 - idx if anti else idx] = 1
    return k


def box_kernel(size: int = 3) -> np.ndarray:
    """Mean of the size×size neighbourhood (blur); sums to 1."""
    return np.full((size, size), 1.0 / size**2)


def gaussian_kernel(size: int = 5, sigma: float = 1.0) -> np.ndarray:
    """Sampled 2D Gaussian exp(-(u²+v²) / 2σ²), normalised to sum to 1."""
    if sigma <= 0:
        raise ValueError("sigma must be positive")
    r = np.arange(size) - (size - 1) / 2
    g = np.exp(-(r**2) / (2 * sigma**2))
    k = np.outer(g, g)
    return k / k.sum()


def sharpen_kernel(size: int = 3) -> np.ndarray:
    """Identity plus (identity - box blur): boosts what differs from the neighbourhood."""
    k = -box_kernel(size)
    k[size // 2, size // 2] += 2.0
    return k if size != 3 else np.array([[0.0, -1, 0], [-1, 5, -1], [0, -1, 0]])


def sobel_kernel(axis: str = "x", size: int = 3) -> np.ndarray:
    """Sobel derivative: smoothing across, central difference along ``axis`` ("x" or "y")."""
    if size == 3:
        smooth, diff = np.array([1.0, 2, 1]), np.array([-1.0, 0, 1])
    elif size == 5:
        smooth, diff = np.array([1.0, 4, 6, 4, 1]), np.array([-1.0, -2, 0, 2, 1])
    else:
        raise ValueError("Sobel kernels come in sizes 3 and 5")
    return np.outer(smooth, diff) if axis == "x" else np.outer(diff, smooth)


def laplacian_kernel(size: int = 3) -> np.ndarray:
    """Discrete Laplacian (sum of second derivatives); zero response on flat regions."""
    if size == 3:
        return np.array([[0.0, 1, 0], [1, -4, 1], [0, 1, 0]])
    k = np.ones((size, size))
    k[size // 2, size // 2] = 1 - size**2
    return k


def emboss_kernel(size: int = 3) -> np.ndarray:
    """Directional relief: negative towards the top-left, positive towards the bottom-right."""
    idx = np.arange(size) - size // 2
    k = (idx[:, None] + idx[None, :]).astype(np.float64)
    k[size // 2, size // 2] = 1.0
    return k


def identity_kernel(size: int = 3) -> np.ndarray:
    """1 at the centre: the output equals the input."""
    k = np.zeros((size, size))
    k[size // 2, size // 2] = 1.0
    return k


# Pattern detectors for the ±1 grids; each builder takes the kernel size (3 or 5).
PATTERN_KERNELS: dict[str, Callable[[int], np.ndarray]] = {
    "+ (cross)": plus_kernel,
    "X": x_kernel,
    "\\ diagonal": diagonal_kernel,
    "/ anti-diagonal": lambda size: diagonal_kernel(size, anti=True),
    "Seed 004 kernel (3×3)": lambda size: SEED004_KERNEL.copy(),
    "Identity": identity_kernel,
    "Zeros": lambda size: np.zeros((size, size)),
}

# Photo filters; each builder takes (size, sigma) so the page can offer one pair of controls.
PHOTO_KERNELS: dict[str, Callable[[int, float], np.ndarray]] = {
    "Gaussian blur": lambda size, sigma: gaussian_kernel(size, sigma),
    "Box blur": lambda size, sigma: box_kernel(size),
    "Sharpen": lambda size, sigma: sharpen_kernel(size),
    "Sobel x (vertical edges)": lambda size, sigma: sobel_kernel("x", size),
    "Sobel y (horizontal edges)": lambda size, sigma: sobel_kernel("y", size),
    "Laplacian": lambda size, sigma: laplacian_kernel(size),
    "Emboss": lambda size, sigma: emboss_kernel(size),
    "Identity": lambda size, sigma: identity_kernel(size),
}

# The sizes a photo filter comes in, where it does not come in every size (the page offers only
# these for it).
PHOTO_KERNEL_SIZES: dict[str, tuple[int, ...]] = {
    "Sobel x (vertical edges)": (3, 5),
    "Sobel y (horizontal edges)": (3, 5),
}
