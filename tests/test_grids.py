"""The ±1 grids, and the lecture notes' worked examples reproduced number for number."""

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnplay.grids import (
    GRID_PRESETS,
    PLUS_3,
    SEED004_IMAGE,
    X_3,
    deformed_x_image,
    flip_pixels,
    grey_and_depth_image,
    plus_and_x_image,
    plus_image,
    shift,
    x_image,
)
from cnnplay.kernels import SEED004_KERNEL
from cnnplay.ops.conv import conv2d_naive


def test_seed000_valid_feature_map():
    """Seed 000: the "+" kernel on the 6×6 image gives a 4×4 map with 9 where the + is."""
    expected = [[9, -1, 1, -1], [-1, -1, -1, -5], [1, -1, -1, 5], [-1, -5, 5, -7]]
    np.testing.assert_array_equal(conv2d_naive(plus_and_x_image(), PLUS_3), expected)


def test_seed000_wide_convolution():
    """Seed 000's zero-padded ("wide") maps, first rows as printed in the notes."""
    plus_map = conv2d_naive(plus_and_x_image(), PLUS_3, padding=1)
    x_map = conv2d_naive(plus_and_x_image(), X_3, padding=1)
    assert plus_map.shape == (6, 6)
    np.testing.assert_array_equal(plus_map[0], [0, -2, 0, -4, -2, -2])
    np.testing.assert_array_equal(plus_map[1], [-2, 9, -1, 1, -1, -2])
    np.testing.assert_array_equal(x_map[4], [0, -1, 3, -7, 9, -6])


def test_seed000_two_channels_and_max_pool():
    """Seed 000: grayscale + depth input, two two-slice kernels, then 2×2 max pooling."""
    w = np.stack([np.stack([PLUS_3, PLUS_3]), np.stack([X_3, X_3])])  # (2, 2, 3, 3)
    maps = conv2d_naive(grey_and_depth_image(), w, padding=1)
    np.testing.assert_allclose(maps[0, 0], [-0.1, -4, -0.1, -7.9, -4, -4], atol=1e-12)
    np.testing.assert_allclose(maps[0, 1], [-4, 17.5, -2, 1.9, -2, -4], atol=1e-12)
    np.testing.assert_allclose(maps[1, 4], [0, -2, 5.8, -13.7, 17.5, -11.7], atol=1e-12)
    pooled = F.max_pool2d(torch.from_numpy(maps)[None], 2)[0].numpy()
    np.testing.assert_allclose(pooled[0], [[17.5, 1.9, -2], [1.9, -2, 9.7], [-2, 9.7, 7.7]])
    np.testing.assert_allclose(pooled[1], [[7.8, 5.8, 0], [5.8, 5.8, 7.8], [0, 7.8, 17.5]])


def test_seed004_worked_example():
    expected = [
        [0, 1.8, -0.5, 0.5, -1.5],
        [0.8, 0.5, 3.5, -1.8, 0.2],
        [-0.2, 1.8, -2.2, 1.2, -1.5],
        [0.8, 1.3, 0.5, 0, -1.3],
        [1, 3.5, 2.2, 1.2, -1.3],
    ]
    np.testing.assert_allclose(
        conv2d_naive(SEED004_IMAGE, SEED004_KERNEL, padding=1), expected, atol=1e-12
    )


def test_seed003_images():
    x = x_image(9)
    assert x.shape == (9, 9) and x[1, 1] == 1 and x[4, 4] == 1 and x[1, 7] == 1 and x[0, 0] == -1
    assert np.array_equal(x, x[:, ::-1]) and np.array_equal(x, x.T)
    d = deformed_x_image()
    assert d.shape == (9, 9) and 0 < np.sum(d != x) < 20  # same picture, some pixels moved
    assert set(np.unique(d)) == {-1.0, 1.0}


def test_plus_image():
    p = plus_image(7)
    assert p[3].tolist() == [-1, 1, 1, 1, 1, 1, -1] and p[:, 3].tolist() == p[3].tolist()


def test_shift_moves_ink_without_wrapping():
    img = plus_and_x_image()
    moved = shift(img, 1, 2)
    np.testing.assert_array_equal(moved[1:, 2:], img[:-1, :-2])
    assert (moved[0] == -1).all() and (moved[:, :2] == -1).all()
    np.testing.assert_array_equal(shift(img, -1, -1)[:-1, :-1], img[1:, 1:])
    np.testing.assert_array_equal(shift(img, 0, 0), img)
    assert (shift(img, 6, 0) == -1).all()


def test_flip_pixels_is_deterministic():
    img = x_image(9)
    a, b = flip_pixels(img, 5, seed=3), flip_pixels(img, 5, seed=3)
    np.testing.assert_array_equal(a, b)
    assert np.sum(a != img) == 5
    assert np.sum(flip_pixels(img, 500) != img) == img.size


@pytest.mark.parametrize("name", list(GRID_PRESETS))
def test_presets_are_fresh_arrays(name):
    a = GRID_PRESETS[name]()
    a[0, 0] = 42
    assert GRID_PRESETS[name]()[0, 0] != 42


def test_toggle_cell():
    from cnnplay.grids import toggle_cell

    img = plus_and_x_image()
    flipped = toggle_cell(img, 1, 1)
    assert flipped[1, 1] == -1 and img[1, 1] == 1  # a copy; the input is untouched
    np.testing.assert_array_equal(toggle_cell(flipped, 1, 1), img)
    assert toggle_cell(np.full((2, 2), 0.5), 0, 0, ink=1.0, background=0.0)[0, 0] == 1.0
    assert toggle_cell(SEED004_IMAGE, 0, 1, ink=1.0, background=0.0)[0, 1] == 0.0


def test_seed001_zero_padded_vertical_edges_against_torch():
    """Seed 001's 6×6 image, the 1 0 -1 filter, zero padding 1: torch's output differs from the
    slide's printed table in exactly two cells, (3, 0) and (4, 4)."""
    from cnnplay.grids import SEED001_IMAGE, SEED001_SLIDE_OUTPUT
    from cnnplay.kernels import VERTICAL_EDGE_3
    from cnnplay.ops.conv import conv2d_naive

    x = torch.from_numpy(SEED001_IMAGE)[None, None]  # (1, 1, 6, 6)
    w = torch.from_numpy(VERTICAL_EDGE_3)[None, None]  # (1, 1, 3, 3)
    expected = F.conv2d(x, w, padding=1)[0, 0].numpy()  # (6, 6)
    np.testing.assert_array_equal(conv2d_naive(SEED001_IMAGE, VERTICAL_EDGE_3, padding=1), expected)
    differ = np.argwhere(expected != SEED001_SLIDE_OUTPUT).tolist()
    assert differ == [[3, 0], [4, 4]]
    assert expected[3, 0] == -11 and SEED001_SLIDE_OUTPUT[3, 0] == 11
    assert expected[4, 4] == 11 and SEED001_SLIDE_OUTPUT[4, 4] == 10
