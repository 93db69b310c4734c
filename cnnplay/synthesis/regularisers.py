"""Natural-image regularisers for gradient ascent (seed 002, "Natural Image Regularizer"), each a
small function on a batch of normalised images ``x`` of shape (N, 3, H, W) float32, and the
settings that switch them on (:class:`AscentSettings`).

Gradient ascent alone turns noise into high-frequency patterns that excite the network but
look like nothing; the notes list what makes the images more natural:

- an L2 penalty Ω(x) = λ‖x‖² in the objective (Simonyan et al. 2013): pixels far from the
  mean colour cost score, so only the ones that help stay bright (:func:`l2_penalty`);
- every few steps a Gaussian blur (Yosinski et al. 2015): high frequencies fade
  (:func:`gaussian_blur`);
- pixels with small values clipped to 0 (:func:`clip_small_norm`) and pixels with small
  gradients — a small contribution |x · ∂f/∂x| to the score — clipped to 0
  (:func:`clip_small_contribution`), both Yosinski et al. 2015;
- and two that most implementations add: jitter (the image rolled by a few random pixels
  before each step and rolled back after, so no pattern can rely on exact pixel positions,
  :func:`roll`) and the clamp to the range a picture can show (:func:`clamp_pixels`).

In normalised units 0 is the network's mean colour (mid-grey for mean = 0.5), so "set to 0"
means "set to the mean colour".
"""

from __future__ import annotations

import math
from dataclasses import dataclass, replace

import torch
import torch.nn.functional as F


@dataclass(frozen=True)
class AscentSettings:
    """What one gradient-ascent run does; every regulariser is off at 0 (or False)."""

    steps: int = 200  # gradient steps
    step_size: float = 6.0  # λ: the mean change of a pixel per step, in grey levels of 0..255
    # (the gradient is divided by its mean |value| per image, so λ means the same for any net)
    size: int = 224  # side (px) of the square images made
    l2: float = 1e-4  # weight of Ω(x) = ‖x‖² (sum over all pixels and channels, normalised)
    blur_sigma: float = 1.0  # σ (px) of the periodic Gaussian blur; 0: no blur
    blur_every: int = 4  # blur after every this many steps
    jitter: int = 16  # roll the image by up to this many px (random, each step), undone after
    clip_norm_pct: float = 0.0  # each step, pixels whose colour norm ‖x_ij‖ is below this
    # percentile (0..100) of the image's are set to 0 (the mean colour); 0: off
    clip_contrib_pct: float = 20.0  # each step, pixels whose contribution Σ_c |x · ∂f/∂x| is
    # below this percentile of the image's are set to 0; 0: off
    clamp: bool = True  # keep every pixel inside the range a picture shows (0..255)
    seed: int = 0  # draws the jitter offsets (and, through ascent.noise_start, the noise)
    report_every: int = 5  # the image so far goes to on_progress every this many steps

    def plain(self) -> AscentSettings:
        """The same run with every regulariser off: the notes' bare x ← x + λ ∂f/∂x."""
        return replace(
            self, l2=0.0, blur_sigma=0.0, jitter=0, clip_norm_pct=0.0, clip_contrib_pct=0.0
        )


# --- Ω(x) = λ‖x‖² --------------------------------------------------------------------------


def l2_penalty(x: torch.Tensor, weight: float) -> torch.Tensor:
    """Ω(x) = weight · Σ x² per image: (N, C, H, W) -> (N,)."""
    return weight * (x * x).sum(dim=(1, 2, 3))  # (N,)


def l2_penalty_grad(x: torch.Tensor, weight: float) -> torch.Tensor:
    """∂Ω/∂x = 2 · weight · x: (N, C, H, W) -> (N, C, H, W)."""
    return 2 * weight * x


# --- Gaussian blur (separable) ---------------------------------------------------------------


def blur_radius(sigma: float) -> int:
    """Half-width of the kernel: ⌈3σ⌉ (at least 1), so the kernel holds 99.7 % of the mass."""
    return max(1, math.ceil(3 * sigma))


def gaussian_kernel1d(
    sigma: float, radius: int | None = None, dtype: torch.dtype = torch.float32
) -> torch.Tensor:
    """The normalised 1D Gaussian g(t) ∝ exp(−t² / 2σ²), t = −r..r: (2r + 1,), sums to 1."""
    r = blur_radius(sigma) if radius is None else radius
    t = torch.arange(-r, r + 1, dtype=torch.float64)  # (2r + 1,)
    g = torch.exp(-0.5 * (t / sigma) ** 2)
    return (g / g.sum()).to(dtype)


def gaussian_blur(x: torch.Tensor, sigma: float, radius: int | None = None) -> torch.Tensor:
    """Blur each channel with a Gaussian of ``sigma`` px: (N, C, H, W) -> (N, C, H, W).

    The 2D Gaussian is the product g(i) g(j), so the blur is two 1D passes: along each row,
    then along each column (2·(2r + 1) multiplications a pixel instead of (2r + 1)²). Borders
    are reflected (…c b | a b c…), as torchvision's ``gaussian_blur`` does; H and W must be
    larger than the radius. sigma <= 0 returns x unchanged."""
    if sigma <= 0:
        return x
    k = gaussian_kernel1d(sigma, radius, x.dtype).to(x.device)  # (2r + 1,)
    r, c = (k.numel() - 1) // 2, x.shape[1]
    along_rows = k.view(1, 1, 1, -1).expand(c, 1, 1, -1)  # (C, 1, 1, 2r + 1)
    along_cols = k.view(1, 1, -1, 1).expand(c, 1, -1, 1)  # (C, 1, 2r + 1, 1)
    x = F.pad(x, (r, r, 0, 0), mode="reflect")  # (N, C, H, W + 2r)
    x = F.conv2d(x, along_rows, groups=c)  # (N, C, H, W)
    x = F.pad(x, (0, 0, r, r), mode="reflect")  # (N, C, H + 2r, W)
    return F.conv2d(x, along_cols, groups=c)  # (N, C, H, W)


# --- clipping ---------------------------------------------------------------------------------


def _below_percentile(values: torch.Tensor, percentile: float) -> torch.Tensor:
    """(N, H, W) per-pixel values -> (N, 1, H, W) bool, True where a pixel's value is below the
    ``percentile`` (0..100) of its own image's values."""
    n = values.shape[0]
    flat = values.reshape(n, -1).float()  # (N, H·W)
    cut = torch.quantile(flat, percentile / 100, dim=1).view(n, 1, 1)  # (N, 1, 1)
    return (values < cut.to(values.dtype)).unsqueeze(1)  # (N, 1, H, W)


def clip_small_norm(x: torch.Tensor, percentile: float) -> torch.Tensor:
    """Set to 0 (the mean colour) every pixel whose colour norm ‖x_ij‖ = √(Σ_c x²) is below the
    ``percentile`` of its image's pixels: (N, C, H, W) -> (N, C, H, W). 0: unchanged."""
    if percentile <= 0:
        return x
    norm = x.norm(dim=1)  # (N, H, W)
    return x.masked_fill(_below_percentile(norm, percentile), 0.0)


def contribution(x: torch.Tensor, grad: torch.Tensor) -> torch.Tensor:
    """How much each pixel adds to the score f, to first order: Σ_c |x · ∂f/∂x|
    (f(x) − f(x with that pixel at 0) ≈ Σ_c x ∂f/∂x). (N, C, H, W) twice -> (N, H, W) >= 0."""
    return (x * grad).abs().sum(dim=1)  # (N, H, W)


def clip_small_contribution(x: torch.Tensor, grad: torch.Tensor, percentile: float) -> torch.Tensor:
    """Set to 0 every pixel whose :func:`contribution` is below the ``percentile`` of its
    image's: (N, C, H, W) -> (N, C, H, W). grad is ∂f/∂x at x. 0: unchanged."""
    if percentile <= 0:
        return x
    return x.masked_fill(_below_percentile(contribution(x, grad), percentile), 0.0)


# --- jitter and the pixel range ----------------------------------------------------------


def jitter_offsets(generator: torch.Generator, jitter: int) -> tuple[int, int]:
    """A random (dy, dx), each uniform in −jitter..jitter (ints); (0, 0) when jitter is 0."""
    if jitter <= 0:
        return 0, 0
    dy, dx = torch.randint(-jitter, jitter + 1, (2,), generator=generator).tolist()
    return int(dy), int(dx)


def roll(x: torch.Tensor, dy: int, dx: int) -> torch.Tensor:
    """Shift the image down dy and right dx px, wrapping around: (N, C, H, W) -> same.
    ``roll(roll(x, dy, dx), -dy, -dx)`` is x again."""
    if dy == 0 and dx == 0:
        return x
    return torch.roll(x, shifts=(dy, dx), dims=(2, 3))


def clamp_pixels(x: torch.Tensor, low: torch.Tensor, high: torch.Tensor) -> torch.Tensor:
    """Clamp every channel into [low, high] (both (3, 1, 1): pixel_bounds(spec), the
    normalised values of 0 and 255): (N, 3, H, W) -> (N, 3, H, W)."""
    low, high = low.to(x), high.to(x)
    return torch.maximum(torch.minimum(x, high), low)
