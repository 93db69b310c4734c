"""Random shifts, small rotations and scalings of image batches (seed 004's "limits": a CNN is
equivariant to shifts by construction, but not to rotation or scale — augmentation teaches it).

Two layers:

- :func:`affine` applies given per-image shifts (pixels), rotations (degrees) and scalings
  with one ``F.affine_grid`` + ``F.grid_sample`` (bilinear), pixels moved in from outside the
  image getting ``fill``. Deterministic: the Shifts & rotations tab uses it to move test images
  by a chosen amount.
- :func:`random_affine` draws those per-image amounts from a :class:`torch.Generator`
  (:func:`draw_affine`) and applies them: the augmentation :func:`cnnplay.train.fit` calls as
  ``augment(xb, generator)`` (bind the ranges with a lambda or :func:`functools.partial`).

Conventions (screen coordinates, x to the right, y down): a shift ``(dx, dy)`` moves the content
``dx`` pixels right and ``dy`` down; a positive angle turns the content counter-clockwise as
seen on screen (like ``PIL.Image.rotate`` and ``np.rot90``); a scale above 1 enlarges it about
the image centre. Integer shifts alone move every pixel exactly (no blur).
"""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import Tensor


def draw_affine(
    n: int,
    gen: torch.Generator,
    max_shift: int = 2,
    max_degrees: float = 10.0,
    max_scale: float = 0.1,
) -> tuple[Tensor, Tensor, Tensor]:
    """Per-image amounts for ``n`` images, drawn from ``gen`` (CPU) in this order:
    shifts (n, 2) float, whole pixels uniform in -max_shift..max_shift (dx, dy);
    angles (n,) degrees uniform in [-max_degrees, max_degrees];
    scales (n,) uniform in [1 - max_scale, 1 + max_scale]."""
    if max_shift < 0 or max_degrees < 0 or not 0 <= max_scale < 1:
        raise ValueError("max_shift and max_degrees must be ≥ 0 and max_scale in [0, 1)")
    shifts = torch.randint(-max_shift, max_shift + 1, (n, 2), generator=gen).float()  # (n, 2)
    angles = (torch.rand(n, generator=gen) * 2 - 1) * max_degrees  # (n,)
    scales = 1 + (torch.rand(n, generator=gen) * 2 - 1) * max_scale  # (n,)
    return shifts, angles, scales


def affine_theta(shifts: Tensor, angles: Tensor, scales: Tensor, height: int, width: int) -> Tensor:
    """The (n, 2, 3) matrices ``F.affine_grid`` takes (output -> input sampling positions in
    normalised coordinates, ``align_corners=False``) for content moved by ``shifts`` (n, 2)
    pixels, turned ``angles`` (n,) degrees counter-clockwise on screen and scaled ``scales``
    (n,) about the centre of a ``height`` × ``width`` image.

    In pixels (y down) the content moves p_out = s·R·p_in + t with R = [[cos a, sin a],
    [-sin a, cos a]] (counter-clockwise on screen), so a pixel of the output samples the input
    at R⁻¹(p_out - t)/s; normalised coordinates are pixels × (2/W, 2/H)."""
    a = torch.deg2rad(angles.double())  # float64 here: exact quarter turns and shifts
    cos, sin = torch.cos(a), torch.sin(a)
    s = scales.double()
    # inverse map in pixel units: A = R^-1 / s, with R^-1 = [[cos, -sin], [sin, cos]]
    a00, a01, a10, a11 = cos / s, -sin / s, sin / s, cos / s  # (n,) each
    # to normalised units: A_norm = D A D^-1, D = diag(2/W, 2/H); t_norm = D t
    a01n, a10n = a01 * (height / width), a10 * (width / height)
    tx, ty = shifts[:, 0].double() * 2 / width, shifts[:, 1].double() * 2 / height  # (n,)
    bx = -(a00 * tx + a01n * ty)  # -A_norm t_norm
    by = -(a10n * tx + a11 * ty)
    row0 = torch.stack([a00, a01n, bx], dim=1)  # (n, 3)
    row1 = torch.stack([a10n, a11, by], dim=1)  # (n, 3)
    return torch.stack([row0, row1], dim=1)  # (n, 2, 3)


def affine(xb: Tensor, shifts: Tensor, angles: Tensor, scales: Tensor, fill: float = 0.0) -> Tensor:
    """Move, turn and scale each image of ``xb`` (N, C, H, W) float by its own amounts (see
    :func:`affine_theta`; shifts (N, 2) pixels, angles (N,) degrees, scales (N,)), bilinear,
    with ``fill`` where the image moved away (0 for raw pixels in [0, 1], -1 after
    :func:`cnnplay.convnets.models.normalise`). Returns (N, C, H, W) on ``xb``'s device."""
    h, w = xb.shape[-2:]
    theta = affine_theta(shifts, angles, scales, h, w).to(xb.device, xb.dtype)  # (N, 2, 3)
    grid = F.affine_grid(theta, list(xb.shape), align_corners=False)  # (N, H, W, 2)
    moved = F.grid_sample(xb - fill, grid, mode="bilinear", padding_mode="zeros",
                          align_corners=False)  # fmt: skip
    return moved + fill  # (N, C, H, W)


def random_affine(
    xb: Tensor,
    gen: torch.Generator,
    max_shift: int = 2,
    max_degrees: float = 10.0,
    max_scale: float = 0.1,
    fill: float = -1.0,
) -> Tensor:
    """A random shift (whole pixels, ±``max_shift``), rotation (±``max_degrees``) and scaling
    (1 ± ``max_scale``) of every image of ``xb`` (N, C, H, W) float, drawn from ``gen``;
    ``fill`` (default -1: black after ``normalise``) where the image moved away. The amounts
    are drawn on the CPU, so a generator gives the same batch on any device.
    Use with fit: ``augment=functools.partial(random_affine, max_shift=2)``."""
    shifts, angles, scales = draw_affine(len(xb), gen, max_shift, max_degrees, max_scale)
    if max_degrees == 0 and max_scale == 0:
        return shift(xb, shifts, fill)  # exact integer shifts, no interpolation at all
    return affine(xb, shifts, angles, scales, fill)


def shift(xb: Tensor, shifts: Tensor, fill: float = 0.0) -> Tensor:
    """Move each image of ``xb`` (N, C, H, W) by whole pixels ``shifts`` (N, 2) (dx right,
    dy down), ``fill`` where it moved away: exact copies of pixels, no interpolation."""
    h, w = xb.shape[-2:]
    out = torch.full_like(xb, fill)
    for i, (dx, dy) in enumerate(shifts.round().long().tolist()):
        if abs(dx) >= w or abs(dy) >= h:
            continue
        out[i, :, max(dy, 0) : h + min(dy, 0), max(dx, 0) : w + min(dx, 0)] = xb[
            i, :, max(-dy, 0) : h + min(-dy, 0), max(-dx, 0) : w + min(-dx, 0)
        ]
    return out


def amounts_like(n: int, dx: float = 0, dy: float = 0, degrees: float = 0, scale: float = 1):
    """The same amounts for all ``n`` images, for :func:`affine`: (shifts (n, 2), angles (n,),
    scales (n,)) — e.g. ``affine(x, *amounts_like(len(x), degrees=15), fill=-1)``."""
    return (
        torch.tensor([[float(dx), float(dy)]]).repeat(n, 1),
        torch.full((n,), float(degrees)),
        torch.full((n,), float(scale)),
    )
