"""DeepDream (seed 002, "DeepDream"): gradient ascent that starts at a photo and amplifies
*every* unit of one layer, so whatever the layer half-sees in the photo, it sees more.

    L(x) = ½ · mean(a²) = 1/(2·C·h·w) · Σ_c,i,j a_cij(x)²,     a = the stage's (C, h, w) map

(half the mean of the squared activations: its gradient with respect to a is a / (C·h·w), so
strong units are pushed hardest, as in Google's original ``objective_L2``). Each step moves x
by λ · g / mean|g| (g = ∂L/∂x, λ in grey levels), after a random jitter that is undone
afterwards, and clamps the pixels to the range a picture shows.

Octaves, as the original algorithm: the photo is shrunk by ``octave_scale`` per octave; the
dream starts at the smallest scale; the *detail* it added (the dreamt image minus that scale's
photo) is enlarged to the next scale and added to that scale's photo, which is dreamt on
further. Patterns grown at a small scale come out large in the final image.

The network is used read-only: a forward pass through the model's own first stages
(cnnplay.models.stages.truncated), ``torch.autograd.grad`` with respect to the image only,
no hooks, frozen parameters.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnplay.models.pretrained import PretrainedSpec, denormalise, normalise_pixels, pixel_bounds
from cnnplay.models.stages import model_device, truncated
from cnnplay.progress import ProgressFn, StopFn
from cnnplay.synthesis.ascent import grey_levels, normalised_step
from cnnplay.synthesis.regularisers import clamp_pixels, jitter_offsets, roll

MIN_SIDE = 32  # no octave is smaller than this (px): deep stages shrink the image 32 times


@dataclass(frozen=True)
class DeepDreamSettings:
    """What one DeepDream run does."""

    octaves: int = 3  # scales the photo is dreamt at (1: only its own size)
    octave_scale: float = 1.4  # each octave's image is this many times smaller than the next
    steps: int = 12  # gradient steps per octave
    step_size: float = 2.0  # λ: mean change of a pixel per step, in grey levels of 0..255
    jitter: int = 32  # random roll of up to this many px before each step (undone after)
    max_side: int = 384  # the photo is shrunk (never enlarged) to this longest side (px)
    clamp: bool = True  # keep every pixel inside the range a picture shows
    seed: int = 0  # draws the jitter offsets
    report_every: int = 3  # the image so far goes to on_progress every this many steps


@dataclass
class DreamResult:
    """What a DeepDream run made (also one that should_stop ended early)."""

    image: np.ndarray  # (H, W, 3) uint8: the dream at the photo's (shrunk) size
    original: np.ndarray  # (H, W, 3) uint8: the photo it started from, at the same size
    sizes: list[tuple[int, int]]  # (h, w) of every octave, smallest first (the last is (H, W))
    octave_images: list[np.ndarray] = field(default_factory=list)  # per octave reached,
    # smallest first, the image at the end of its steps, (h, w, 3) uint8 (a stopped octave's
    # image as it was)
    objective: np.ndarray = field(default_factory=lambda: np.zeros(0))  # (steps done,)
    # float64: L at each step (before it), at that step's octave size
    octave_of_step: np.ndarray = field(default_factory=lambda: np.zeros(0, int))  # (steps
    # done,) int: the octave (0 = smallest) of each step
    before: float = 0.0  # L of the photo at full size
    after: float = 0.0  # L of the dream at full size
    steps: int = 0  # steps done, all octaves together
    total: int = 0  # steps asked for (octaves × steps)

    @property
    def stopped(self) -> bool:
        return self.steps < self.total


def octave_sizes(height: int, width: int, octaves: int, scale: float) -> list[tuple[int, int]]:
    """(h, w) of each octave, smallest first, the last (height, width): octave k of n is the
    photo shrunk by scale^(n−1−k), rounded, no side below MIN_SIDE (nor above the photo's)."""
    sizes = []
    for k in range(octaves):
        shrink = scale ** (octaves - 1 - k)
        sizes.append(
            (min(height, max(MIN_SIDE, round(height / shrink))),
             min(width, max(MIN_SIDE, round(width / shrink))))
        )  # fmt: skip
    return sizes


def fitted_size(height: int, width: int, max_side: int) -> tuple[int, int]:
    """(h, w) of a photo shrunk (never enlarged) so its longer side is at most ``max_side``."""
    if max(height, width) <= max_side:
        return height, width
    k = max_side / max(height, width)
    return max(1, round(height * k)), max(1, round(width * k))


def fit(image: np.ndarray, max_side: int) -> np.ndarray:
    """Shrink an (H, W, 3) uint8 photo (antialiased bilinear) to :func:`fitted_size`; a photo
    that fits is returned as it is. Returns (H', W', 3) uint8."""
    size = fitted_size(image.shape[0], image.shape[1], max_side)
    if size == image.shape[:2]:
        return image
    x = torch.from_numpy(np.array(image, dtype=np.float32)).permute(2, 0, 1)[None]  # (1, 3, H, W)
    small = F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)
    return small[0].permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()


def resize(x: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """(N, C, h, w) -> (N, C, *size), bilinear (antialiased when shrinking); the same size
    returns x itself."""
    if tuple(x.shape[-2:]) == tuple(size):
        return x
    return F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)


def dream_objective(maps: torch.Tensor) -> torch.Tensor:
    """L = ½ · mean of the squared activations, per image: (N, C, h, w) -> (N,)."""
    return 0.5 * (maps * maps).mean(dim=(1, 2, 3))  # (N,)


def layer_objective(model: nn.Module, stage: int, x: torch.Tensor) -> float:
    """L of the stage's map for one normalised image (1, 3, H, W), without gradients."""
    with torch.inference_mode():
        return float(dream_objective(truncated(model, stage)(x))[0])


def dream(
    model: nn.Module,
    spec: PretrainedSpec,
    image: np.ndarray,
    stage: int,
    settings: DeepDreamSettings,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> DreamResult:
    """DeepDream a photo (H, W, 3) uint8 at the stage ``stage`` of body_stages(model).

    The photo is first shrunk to ``settings.max_side``. ``on_progress(step, total, metrics)``
    after each step (counted over all octaves): "objective" (L), "octave" (1-based) and, every
    ``report_every`` steps and at each octave's end, "image" (the image so far at that
    octave's size, uint8). ``should_stop()`` is read before each step; a stopped run returns
    the full-size photo plus the detail dreamt so far (enlarged)."""
    device = model_device(model)
    photo = fit(image, settings.max_side)
    full = normalise_pixels(photo, spec).to(device)  # (1, 3, H, W)
    h, w = photo.shape[:2]
    sizes = octave_sizes(h, w, max(1, settings.octaves), settings.octave_scale)
    body = truncated(model, stage)
    low, high = (b.to(device) for b in pixel_bounds(spec))  # (3, 1, 1) each
    lam = grey_levels(settings.step_size, spec).to(device)  # (3, 1, 1)
    generator = torch.Generator().manual_seed(settings.seed)
    total = len(sizes) * settings.steps
    result = DreamResult(photo, photo, sizes, total=total)
    result.before = layer_objective(model, stage, full)
    objective: list[float] = []
    octave_of: list[int] = []
    detail = torch.zeros(1, 3, *sizes[0], device=device)  # what the dream added so far
    stopped = False
    for o, size in enumerate(sizes):
        base = resize(full, size)  # (1, 3, h_o, w_o): the photo at this octave
        x = base + resize(detail, size)  # the details carried up from the smaller octave
        done_here = 0
        for i in range(settings.steps):
            if should_stop is not None and should_stop():
                stopped = True
                break
            dy, dx = jitter_offsets(generator, settings.jitter)
            xj = roll(x, dy, dx).requires_grad_(True)  # (1, 3, h_o, w_o), a leaf
            with torch.enable_grad():
                loss = dream_objective(body(xj))  # (1,)
                (grad,) = torch.autograd.grad(loss.sum(), xj)  # (1, 3, h_o, w_o)
            x = roll(xj.detach() + normalised_step(grad, lam), -dy, -dx)
            if settings.clamp:
                x = clamp_pixels(x, low, high)
            objective.append(float(loss.detach()[0]))
            octave_of.append(o)
            done_here += 1
            if on_progress is not None:
                metrics: dict = {"objective": objective[-1], "octave": o + 1}
                if len(objective) % max(1, settings.report_every) == 0 or i == settings.steps - 1:
                    metrics["image"] = denormalise(x[0], spec)
                on_progress(len(objective), total, metrics)
        detail = x - base  # (1, 3, h_o, w_o): what the dream has added at this scale
        if done_here:
            result.octave_images.append(denormalise(x[0], spec))
        if stopped:
            break
    final = full + resize(detail, (h, w))  # (1, 3, H, W); x itself after the last octave
    if settings.clamp:
        final = clamp_pixels(final, low, high)
    result.image = denormalise(final[0], spec)
    result.after = layer_objective(model, stage, final)
    result.objective = np.array(objective, dtype=np.float64)
    result.octave_of_step = np.array(octave_of, dtype=int)
    result.steps = len(objective)
    return result
