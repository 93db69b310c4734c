"""The natural-image regularisers of gradient ascent: the separable Gaussian blur against
torchvision and scipy, the L2 penalty and its gradient by hand, the two clippings, jitter and the
pixel clamp."""

from __future__ import annotations

import math
from dataclasses import fields

import numpy as np
import pytest
import torch
from scipy.ndimage import gaussian_filter
from torchvision.transforms.functional import gaussian_blur as tv_gaussian_blur

from cnnplay.models.pretrained import REGISTRY, denormalise, pixel_bounds
from cnnplay.synthesis.regularisers import (
    AscentSettings,
    blur_radius,
    clamp_pixels,
    clip_small_contribution,
    clip_small_norm,
    contribution,
    gaussian_blur,
    gaussian_kernel1d,
    jitter_offsets,
    l2_penalty,
    l2_penalty_grad,
    roll,
)


def random_images(shape=(2, 3, 17, 19), seed=0) -> torch.Tensor:
    return torch.randn(*shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float64)


def test_kernel_by_hand():
    k = gaussian_kernel1d(1.0, radius=1, dtype=torch.float64)
    e = math.exp(-0.5)
    torch.testing.assert_close(k, torch.tensor([e, 1.0, e], dtype=torch.float64) / (1 + 2 * e))
    assert blur_radius(0.5) == 2 and blur_radius(1.0) == 3 and blur_radius(0.1) == 1
    k = gaussian_kernel1d(2.0, dtype=torch.float64)
    assert k.numel() == 2 * 6 + 1
    torch.testing.assert_close(k.sum(), torch.tensor(1.0, dtype=torch.float64))
    torch.testing.assert_close(k, k.flip(0))


@pytest.mark.parametrize("sigma", [0.5, 1.0, 1.7, 2.5])
@pytest.mark.parametrize("shape", [(1, 3, 17, 19), (2, 3, 24, 16)])
def test_blur_matches_torchvision(sigma, shape):
    x = random_images(shape)
    r = blur_radius(sigma)
    expected = tv_gaussian_blur(x, kernel_size=[2 * r + 1, 2 * r + 1], sigma=[sigma, sigma])
    torch.testing.assert_close(gaussian_blur(x, sigma), expected)


@pytest.mark.parametrize("sigma", [0.6, 1.0, 2.0])
def test_blur_matches_scipy(sigma):
    x = random_images((1, 3, 20, 23), seed=3)
    r = blur_radius(sigma)
    # scipy's "mirror" is torch's "reflect" (the edge pixel is not repeated); the truncation
    # r = int(truncate·σ + 0.5) gives the same kernel radius
    truncate = (r - 0.25) / sigma
    expected = np.stack(
        [gaussian_filter(c, sigma, mode="mirror", truncate=truncate) for c in x[0].numpy()]
    )
    torch.testing.assert_close(gaussian_blur(x, sigma)[0], torch.from_numpy(expected))


def test_blur_keeps_constants_and_is_off_at_zero():
    flat = torch.full((1, 3, 12, 12), 0.3, dtype=torch.float64)
    torch.testing.assert_close(gaussian_blur(flat, 1.2), flat)
    x = random_images()
    assert gaussian_blur(x, 0.0) is x
    assert gaussian_blur(x, 1.0).std() < x.std()  # smoother


def test_l2_penalty_by_hand():
    x = torch.zeros(2, 3, 2, 2, dtype=torch.float64)
    x[0, 0, 0, 0], x[0, 2, 1, 1] = 1.0, -2.0  # ‖x_0‖² = 1 + 4 = 5
    x[1] = 0.5  # ‖x_1‖² = 12 · 0.25 = 3
    torch.testing.assert_close(l2_penalty(x, 0.1), torch.tensor([0.5, 0.3], dtype=torch.float64))
    leaf = random_images().requires_grad_(True)
    (auto,) = torch.autograd.grad(l2_penalty(leaf, 0.03).sum(), leaf)
    torch.testing.assert_close(l2_penalty_grad(leaf.detach(), 0.03), auto)


def test_clip_small_norm_zeroes_the_lower_pixels():
    x = torch.zeros(1, 3, 2, 2, dtype=torch.float64)
    x[0, :, 0, 0] = torch.tensor([3.0, 4.0, 0.0])  # norm 5
    x[0, :, 0, 1] = torch.tensor([0.0, 0.0, -1.0])  # norm 1
    x[0, :, 1, 0] = torch.tensor([2.0, 0.0, 0.0])  # norm 2
    x[0, :, 1, 1] = torch.tensor([0.0, -3.0, 0.0])  # norm 3
    clipped = clip_small_norm(x, 50)  # median of 1, 2, 3, 5 is 2.5: norms 1 and 2 go
    kept = clipped.abs().sum(1)[0] > 0
    assert kept.tolist() == [[True, False], [False, True]]
    torch.testing.assert_close(clipped[0, :, 0, 0], x[0, :, 0, 0])
    assert clip_small_norm(x, 0) is x


def test_clip_small_contribution_by_hand():
    x = torch.tensor([[[[1.0, 2.0], [3.0, -1.0]], [[0.0, 1.0], [1.0, 1.0]]]], dtype=torch.float64)
    grad = torch.tensor(
        [[[[0.5, 0.1], [0.0, 2.0]], [[9.0, -1.0], [0.1, 1.0]]]], dtype=torch.float64
    )  # (1, 2, 2, 2)
    # Σ_c |x·g|: (0,0) 0.5 + 0, (0,1) 0.2 + 1, (1,0) 0 + 0.1, (1,1) 2 + 1
    expected = torch.tensor([[[0.5, 1.2], [0.1, 3.0]]], dtype=torch.float64)
    torch.testing.assert_close(contribution(x, grad), expected)
    clipped = clip_small_contribution(x, grad, 50)  # median 0.85: (0,0) and (1,0) go
    kept = clipped.abs().sum(1)[0] > 0
    assert kept.tolist() == [[False, True], [False, True]]
    assert clip_small_contribution(x, grad, 0) is x


def test_jitter_and_roll():
    g = torch.Generator().manual_seed(1)
    offsets = [jitter_offsets(g, 3) for _ in range(200)]
    assert all(-3 <= dy <= 3 and -3 <= dx <= 3 for dy, dx in offsets)
    assert len(set(offsets)) > 20  # they vary
    again = torch.Generator().manual_seed(1)
    assert [jitter_offsets(again, 3) for _ in range(200)] == offsets  # the seed decides
    assert jitter_offsets(g, 0) == (0, 0)
    x = random_images()
    moved = roll(x, 2, -5)
    torch.testing.assert_close(moved[:, :, 2, 0], x[:, :, 0, 5])
    torch.testing.assert_close(roll(moved, -2, 5), x)


def test_clamp_to_the_picture_range():
    spec = REGISTRY["ResNet-18 (download 45 MB)"]  # ImageNet mean/std: bounds differ per channel
    low, high = pixel_bounds(spec)
    x = random_images((2, 3, 5, 5)).float() * 10
    clamped = clamp_pixels(x, low, high)
    assert (clamped >= low - 1e-6).all() and (clamped <= high + 1e-6).all()
    inside = (x >= low) & (x <= high)
    torch.testing.assert_close(clamped[inside], x[inside])
    picture = denormalise(clamp_pixels(torch.full((1, 3, 2, 2), -99.0), low, high)[0], spec)
    assert (picture == 0).all()


def test_plain_settings_switch_every_regulariser_off():
    s = AscentSettings(l2=1e-3, blur_sigma=1.0, blur_every=3, jitter=4, clip_norm_pct=10,
                       clip_contrib_pct=20, steps=7, seed=3, size=64)  # fmt: skip
    p = s.plain()
    assert (p.l2, p.blur_sigma, p.jitter, p.clip_norm_pct, p.clip_contrib_pct) == (0, 0, 0, 0, 0)
    kept = {"steps", "step_size", "size", "clamp", "seed", "report_every", "blur_every"}
    assert all(getattr(p, f.name) == getattr(s, f.name) for f in fields(s) if f.name in kept)
