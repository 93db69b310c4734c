"""cnnplay.convnets.augment: whole-pixel shifts against a loop reference, rotations against
np.rot90 and PIL, the random draws' ranges and seeding, and the fill value."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from PIL import Image
from torch.testing import assert_close

from cnnplay.convnets.augment import affine, amounts_like, draw_affine, random_affine, shift
from cnnplay.seeding import generator


def shift_reference(x: np.ndarray, dx: int, dy: int, fill: float) -> np.ndarray:
    """(C, H, W): out[c, i, j] = x[c, i - dy, j - dx] where that is inside, else fill."""
    _, h, w = x.shape
    out = np.full_like(x, fill)
    for i in range(h):
        for j in range(w):
            if 0 <= i - dy < h and 0 <= j - dx < w:
                out[:, i, j] = x[:, i - dy, j - dx]
    return out


@pytest.mark.parametrize("dx, dy", [(0, 0), (2, 0), (0, -3), (-1, 4), (5, 5), (9, -9)])
def test_shift_moves_right_and_down_exactly(dx, dy):
    x = torch.rand(2, 3, 6, 7, dtype=torch.float64)
    shifts = torch.tensor([[dx, dy], [dy, dx]], dtype=torch.float64)
    got = shift(x, shifts, fill=-1.0)
    for k, (a, b) in enumerate(((dx, dy), (dy, dx))):
        assert_close(got[k].numpy(), shift_reference(x[k].numpy(), a, b, -1.0), rtol=0, atol=0)


@pytest.mark.parametrize("dx, dy", [(1, 0), (-2, 3), (3, -1)])
def test_affine_with_whole_pixel_shifts_equals_shift(dx, dy):
    x = torch.rand(3, 1, 9, 8, dtype=torch.float64)
    amounts = amounts_like(3, dx=dx, dy=dy)
    assert_close(affine(x, *amounts, fill=0.5), shift(x, amounts[0], fill=0.5), rtol=0, atol=1e-9)


def test_quarter_turn_is_np_rot90_counter_clockwise_on_screen():
    x = torch.rand(2, 1, 7, 7, dtype=torch.float64)
    turned = affine(x, *amounts_like(2, degrees=90))
    assert_close(turned.numpy(), np.rot90(x.numpy(), 1, axes=(2, 3)).copy(), rtol=0, atol=1e-9)


@pytest.mark.parametrize("degrees, scale", [(30, 1.0), (-12, 1.0), (0, 1.2), (15, 0.9)])
def test_rotation_and_scaling_match_pil_inside_the_image(degrees, scale):
    """PIL's own rotate (counter-clockwise, about the centre) and its affine transform, which
    maps an output position to the input one, R⁻¹(p - c)/s + c, bilinear, on a float image;
    compared away from the borders (their handling differs)."""
    rng = np.random.default_rng(0)
    im = rng.random((28, 28)).astype(np.float32) * 255
    a = np.deg2rad(degrees)
    cos, sin, c = np.cos(a) / scale, np.sin(a) / scale, 14.0
    inverse = (cos, -sin, c - cos * c + sin * c, sin, cos, c - sin * c - cos * c)
    pil = Image.fromarray(im, mode="F").transform(
        (28, 28), Image.Transform.AFFINE, inverse, Image.Resampling.BILINEAR
    )
    ours = affine(
        torch.from_numpy(im)[None, None].double(), *amounts_like(1, degrees=degrees, scale=scale)
    )[0, 0].numpy()
    inner = slice(7, 21)
    assert np.abs(ours[inner, inner] - np.asarray(pil)[inner, inner]).max() < 0.05
    if scale == 1.0:
        rotated = Image.fromarray(im, mode="F").rotate(degrees, resample=Image.Resampling.BILINEAR)
        assert np.abs(ours[inner, inner] - np.asarray(rotated)[inner, inner]).max() < 0.05


def test_fill_is_what_moves_in_from_outside():
    x = torch.full((1, 1, 5, 5), 3.0)
    out = affine(x, *amounts_like(1, dx=2), fill=-1.0)
    assert (out[..., :2] == -1).all() and (out[..., 2:] == 3).all()


def test_draws_stay_in_their_ranges_and_follow_the_generator():
    shifts, angles, scales = draw_affine(2000, generator(5), 3, 20.0, 0.15)
    assert shifts.shape == (2000, 2) and (shifts == shifts.round()).all()
    assert set(shifts.unique().tolist()) == {-3.0, -2.0, -1.0, 0.0, 1.0, 2.0, 3.0}
    assert angles.abs().max() <= 20 and angles.abs().max() > 19
    assert (scales >= 0.85).all() and (scales <= 1.15).all()
    again = draw_affine(2000, generator(5), 3, 20.0, 0.15)
    assert all(torch.equal(a, b) for a, b in zip((shifts, angles, scales), again, strict=True))
    with pytest.raises(ValueError):
        draw_affine(1, generator(0), max_scale=1.0)


def test_random_affine_is_seeded_and_only_shifts_are_exact_copies():
    x = torch.rand(8, 1, 28, 28)
    a = random_affine(x, generator(1), 2, 10.0, 0.1)
    b = random_affine(x, generator(1), 2, 10.0, 0.1)
    c = random_affine(x, generator(2), 2, 10.0, 0.1)
    assert torch.equal(a, b) and not torch.equal(a, c) and a.shape == x.shape
    moved = random_affine(x, generator(3), 2, 0.0, 0.0, fill=-1.0)
    shifts, _, _ = draw_affine(8, generator(3), 2, 0.0, 0.0)
    assert torch.equal(moved, shift(x, shifts, fill=-1.0))
    values = set(x.flatten().tolist()) | {-1.0}
    assert set(moved.flatten().tolist()) <= values  # pixels copied, never blended


@pytest.mark.parametrize("angle", [30.0, -45.0, 90.0])
@pytest.mark.parametrize("scale", [1.0, 0.8])
def test_non_square_images_turn_like_torchvision(angle: float, scale: float) -> None:
    """A 20×30 image (the aspect ratio enters the normalised matrix): the same as torchvision's
    affine, whose angle counts clockwise, away from the borders where the fills differ."""
    from torchvision.transforms.v2 import functional as TF

    x = torch.rand(2, 1, 20, 30, generator=torch.Generator().manual_seed(3))
    ours = affine(x, torch.zeros(2, 2), torch.full((2,), angle), torch.full((2,), scale))
    ref = TF.affine(x, angle=-angle, translate=[0, 0], scale=scale, shear=[0.0, 0.0],
                    interpolation=TF.InterpolationMode.BILINEAR)  # fmt: skip
    assert_close(ours[..., 5:-5, 5:-5], ref[..., 5:-5, 5:-5], rtol=0, atol=1e-5)
