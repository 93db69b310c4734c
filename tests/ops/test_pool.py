"""pool2d_naive, max_unpool2d and friends against torch (float64), and the notes' examples."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from cnnplay.grids import PLUS_3
from cnnplay.ops.pool import (
    SEED002_POOL,
    SEED002_UNPOOL,
    global_avg_pool,
    max_pool_grad_autograd,
    max_pool_grad_rule,
    max_unpool2d,
    pool2d_naive,
    pool_geometry,
    pool_image,
    pool_output_size,
    pooling_savings,
    seed000_feature_maps,
    translation_effect,
    unpool_bed_of_nails,
    unpool_nearest,
)

RNG = np.random.default_rng(0)

# (H, W), size, stride: square, rectangular, overlapping (stride < size), gaps (stride > size)
GRID = [
    ((6, 6), 2, None),
    ((7, 5), 3, 2),
    ((5, 8), (2, 3), (1, 2)),
    ((6, 6), 3, 1),
    ((9, 7), 2, 3),
    ((4, 4), 4, None),
    ((5, 5), 1, 1),
    ((8, 6), (3, 1), (2, 1)),
]


def torch_pool(x: np.ndarray, size, stride, mode: str, indices: bool = False):
    xt = torch.from_numpy(x)[None]  # (1, C, H, W)
    stride = size if stride is None else stride
    if mode == "avg":
        return F.avg_pool2d(xt, size, stride)[0]
    return F.max_pool2d(xt, size, stride, return_indices=indices)


@pytest.mark.parametrize(("shape", "size", "stride"), GRID)
@pytest.mark.parametrize("channels", [1, 3])
@pytest.mark.parametrize("mode", ["max", "avg"])
def test_pool_matches_torch(shape, size, stride, channels, mode):
    x = RNG.standard_normal((channels, *shape))
    y = pool2d_naive(x, size, stride, mode=mode)
    expected = torch_pool(x, size, stride, mode)
    expected = expected[0] if mode == "max" else expected
    assert_close(torch.from_numpy(y), expected)


def first_max_indices(x3: np.ndarray, size, stride) -> tuple[np.ndarray, np.ndarray]:
    """Reference for the tie rule, independent of torch: per window, np.argmax of the window in
    C order (numpy documents that it returns the first occurrence, i.e. row-major first), as a
    flattened plane index; and whether that window's maximum is unique."""
    geo = pool_geometry(x3.shape[-2:], size, stride)
    width = x3.shape[-1]
    idx = np.zeros((x3.shape[0], *geo.out_shape), np.int64)
    unique = np.zeros(idx.shape, bool)
    for c, i, j in np.ndindex(idx.shape):
        rows, cols = geo.window(i, j)
        win = x3[c, rows.start : rows.stop, cols.start : cols.stop]
        r, col = np.unravel_index(np.argmax(win), win.shape)
        idx[c, i, j] = (rows.start + r) * width + cols.start + col
        unique[c, i, j] = np.sum(win == win.max()) == 1
    return idx, unique


def assert_torch_indices_are_maxima(x3, size, stride, tidx, idx, unique) -> None:
    """torch's indices (C, H', W') point at a cell of their window holding its maximum, and equal
    ours wherever that maximum is unique. Which of tied cells torch returns is not documented
    (its CPU kernels happen to keep the first), so on ties only the value is checked."""
    geo = pool_geometry(x3.shape[-2:], size, stride)
    width = x3.shape[-1]
    for c, i, j in np.ndindex(idx.shape):
        rows, cols = geo.window(i, j)
        r, col = divmod(int(tidx[c, i, j]), width)
        assert r in rows and col in cols, (c, i, j, int(tidx[c, i, j]))
        assert x3[c, r, col] == x3[c, rows.start : rows.stop, cols.start : cols.stop].max()
    np.testing.assert_array_equal(np.asarray(tidx)[unique], idx[unique])


@pytest.mark.parametrize(("shape", "size", "stride"), GRID)
def test_indices_match_torch_with_ties(shape, size, stride):
    """Small integers make many ties: we keep the first max in row-major window order (checked
    against numpy's first-occurrence argmax), torch one of the tied maxima."""
    x = RNG.integers(0, 3, (2, *shape)).astype(np.float64)
    y, idx = pool2d_naive(x, size, stride, return_indices=True)
    ty, tidx = torch_pool(x, size, stride, "max", indices=True)
    assert_close(torch.from_numpy(y), ty[0])
    expected, unique = first_max_indices(x, size, stride)
    np.testing.assert_array_equal(idx, expected)
    assert_torch_indices_are_maxima(x, size, stride, tidx[0].numpy(), idx, unique)


def test_the_torch_index_check_rejects_a_wrong_cell():
    x = np.array([[[1.0, 2], [3, 4]]])
    idx, unique = first_max_indices(x, 2, None)
    assert idx.tolist() == [[[3]]] and unique.all()
    assert_torch_indices_are_maxima(x, 2, None, np.array([[[3]]]), idx, unique)
    for wrong in (2, 7):  # not the max; outside the window
        with pytest.raises(AssertionError):
            assert_torch_indices_are_maxima(x, 2, None, np.array([[[wrong]]]), idx, unique)
    ties = np.array([[[5.0, 1], [5, 5]]])
    idx, unique = first_max_indices(ties, 2, None)
    assert idx.tolist() == [[[0]]] and not unique.any()
    assert_torch_indices_are_maxima(ties, 2, None, np.array([[[3]]]), idx, unique)


def test_all_equal_window_picks_its_top_left_cell():
    _, idx = pool2d_naive(np.zeros((4, 4)), 2, return_indices=True)
    np.testing.assert_array_equal(idx, [[0, 2], [8, 10]])


def test_two_dimensional_input_keeps_two_dimensions():
    y, idx = pool2d_naive(SEED002_POOL, 2, return_indices=True)
    assert y.shape == idx.shape == (2, 2)


def test_seed002_max_pool():
    np.testing.assert_array_equal(pool2d_naive(SEED002_POOL, 2, 2), [[6, 8], [3, 4]])


def test_seed002_max_unpool_with_remembered_indices():
    y, idx = pool2d_naive(SEED002_UNPOOL, 2, return_indices=True)
    np.testing.assert_array_equal(y, [[5, 6], [7, 8]])
    out = max_unpool2d(np.array([[1.0, 2], [3, 4]]), idx, (4, 4))
    np.testing.assert_array_equal(out, [[0, 0, 2, 0], [0, 1, 0, 0], [0, 0, 0, 0], [3, 0, 0, 4]])


def test_seed002_nearest_and_bed_of_nails():
    y = np.array([[1.0, 2], [3, 4]])
    np.testing.assert_array_equal(
        unpool_nearest(y, 2), [[1, 1, 2, 2], [1, 1, 2, 2], [3, 3, 4, 4], [3, 3, 4, 4]]
    )
    np.testing.assert_array_equal(
        unpool_bed_of_nails(y, 2), [[1, 0, 2, 0], [0, 0, 0, 0], [3, 0, 4, 0], [0, 0, 0, 0]]
    )


def test_seed000_two_feature_maps_max_pooled():
    """Seed 000: the + and X maps of the grayscale + depth input, then 2×2 max pool, stride 2."""
    maps = seed000_feature_maps()  # (2, 6, 6)
    assert maps.shape == (2, 6, 6)
    np.testing.assert_allclose(maps[0, 1], [-4, 17.5, -2, 1.9, -2, -4], atol=1e-12)  # the notes
    pooled = pool2d_naive(maps, 2)
    np.testing.assert_allclose(pooled[0], [[17.5, 1.9, -2], [1.9, -2, 9.7], [-2, 9.7, 7.7]])
    np.testing.assert_allclose(pooled[1], [[7.8, 5.8, 0], [5.8, 5.8, 7.8], [0, 7.8, 17.5]])


@pytest.mark.parametrize(("shape", "size", "stride"), GRID)
def test_max_unpool_matches_torch(shape, size, stride):
    x = RNG.standard_normal((3, *shape))
    y, idx = pool2d_naive(x, size, stride, return_indices=True)
    out = max_unpool2d(y, idx, shape)
    expected = F.max_unpool2d(
        torch.from_numpy(y)[None],
        torch.from_numpy(idx)[None],
        size,
        stride if stride is not None else size,
        output_size=shape,
    )[0]
    assert_close(torch.from_numpy(out), expected)


@pytest.mark.parametrize("shape", [(1, 1), (4, 4), (3, 7), (2, 5, 6)])
def test_global_average_matches_adaptive_avg_pool(shape):
    x = RNG.standard_normal(shape)
    x3 = x if x.ndim == 3 else x[None]
    expected = F.adaptive_avg_pool2d(torch.from_numpy(x3)[None], 1)[0, :, 0, 0]
    assert_close(torch.from_numpy(global_avg_pool(x)), expected)


@pytest.mark.parametrize(("size", "channels"), [(2, 1), ((2, 3), 2), (3, 3)])
def test_nearest_unpool_matches_interpolate(size, channels):
    y = RNG.standard_normal((channels, 3, 4))
    expected = F.interpolate(torch.from_numpy(y)[None], scale_factor=size, mode="nearest")[0]
    assert_close(torch.from_numpy(unpool_nearest(y, size)), expected)


def test_bed_of_nails_is_max_unpool_with_top_left_indices():
    y = RNG.standard_normal((3, 4))
    rows, cols = np.mgrid[0:3, 0:4]
    top_left = (rows * 2) * 8 + cols * 2  # flattened in the (6, 8) output
    np.testing.assert_array_equal(unpool_bed_of_nails(y, 2), max_unpool2d(y, top_left, (6, 8)))


@pytest.mark.parametrize(("shape", "size", "stride"), GRID)
def test_gradient_rule_matches_autograd(shape, size, stride):
    """Ties included: autograd sends the gradient to the argmax its forward pass remembered.
    Which of tied cells that is, is torch's choice, so with ties the rule is fed torch's own
    indices; on distinct values (a permutation: no ties) it is fed ours."""
    x = RNG.integers(0, 4, shape).astype(np.float64)
    _, idx = pool2d_naive(x, size, stride, return_indices=True)
    upstream = RNG.standard_normal(idx.shape)
    auto = max_pool_grad_autograd(x, size, stride, upstream)
    _, tidx = torch_pool(x[None], size, stride, "max", indices=True)
    np.testing.assert_allclose(max_pool_grad_rule(tidx[0, 0].numpy(), upstream, shape), auto)
    np.testing.assert_allclose(auto.sum(), upstream.sum())  # every output's gradient lands once
    distinct = RNG.permutation(x.size).reshape(shape).astype(np.float64)
    _, idx = pool2d_naive(distinct, size, stride, return_indices=True)
    np.testing.assert_allclose(
        max_pool_grad_rule(idx, upstream, shape),
        max_pool_grad_autograd(distinct, size, stride, upstream),
    )


def test_overlapping_windows_add_gradients():
    x = np.array([[0.0, 0, 0], [0, 9, 0], [0, 0, 0]])
    grad = max_pool_grad_autograd(x, 2, 1, np.ones((2, 2)))
    assert grad[1, 1] == 4 and grad.sum() == 4  # the centre wins all four windows


@pytest.mark.parametrize(
    ("shape", "size", "stride", "message"),
    [
        ((3, 3), 4, None, "larger than the input"),
        ((5, 5), 2, 0, "at least 1"),
        ((5, 5), 0, 1, "at least 1"),
        ((2, 8), (3, 2), None, "larger than the input (2 cells)"),
    ],
)
def test_bad_settings_raise_readable_errors(shape, size, stride, message):
    with pytest.raises(ValueError, match=message.replace("(", r"\(").replace(")", r"\)")):
        pool2d_naive(np.zeros(shape), size, stride)


def test_avg_has_no_indices_and_mode_is_checked():
    with pytest.raises(ValueError, match="only max pooling"):
        pool2d_naive(np.zeros((4, 4)), 2, mode="avg", return_indices=True)
    with pytest.raises(ValueError, match="mode must be"):
        pool2d_naive(np.zeros((4, 4)), 2, mode="min")


def test_geometry_and_output_size():
    assert pool_output_size(6, 2, 2) == 3
    assert pool_output_size(7, 3, 2) == 3
    geo = pool_geometry((6, 6), 3, 1)
    assert geo.out_shape == (4, 4) and geo.overlapping
    assert geo.window(1, 2) == (range(1, 4), range(2, 5))
    assert len(geo.windows()) == 16
    assert not pool_geometry((6, 6), 2).overlapping


def test_inputs_are_not_modified():
    x = RNG.standard_normal((2, 5, 5))
    before = x.copy()
    pool2d_naive(x, 2, 1, return_indices=True)
    global_avg_pool(x)
    np.testing.assert_array_equal(x, before)


@pytest.mark.parametrize("mode", ["max", "avg"])
@pytest.mark.parametrize("channels", [0, 3])
def test_pool_image_matches_loop_version(mode, channels):
    shape = (9, 11) if channels == 0 else (9, 11, channels)
    image = RNG.integers(0, 256, shape, dtype=np.uint8)
    out = pool_image(image, 3, 2, mode=mode)
    chw = image.astype(np.float64) if channels == 0 else image.transpose(2, 0, 1)
    expected = pool2d_naive(chw, 3, 2, mode=mode)
    expected = expected if channels == 0 else expected.transpose(1, 2, 0)
    assert out.dtype == np.float32 and out.shape == expected.shape
    np.testing.assert_allclose(out, expected, rtol=1e-6)


def test_pool_image_global_and_errors():
    image = RNG.integers(0, 256, (6, 8, 3), dtype=np.uint8)
    out = pool_image(image, 2, mode="global")
    np.testing.assert_allclose(out[0, 0], image.reshape(-1, 3).mean(axis=0), rtol=1e-6)
    with pytest.raises(ValueError, match="larger than the input"):
        pool_image(image, 7)


def test_translation_effect_seed002_row():
    """Seed 002's point on one row of detector outputs, 1×3 max pool, stride 1, shift right 1."""
    row = np.array([[0.1, 1.0, 0.2, 0.1, 0.3, 0.1, 0.9, 0.2]])
    effect = translation_effect(row, 0, 1, (1, 3), 1, fill=0.0)
    np.testing.assert_array_equal(effect.raw_shifted, [[0, 0.1, 1, 0.2, 0.1, 0.3, 0.1, 0.9]])
    assert effect.raw_changed.sum() == 8  # every raw value changed
    np.testing.assert_array_equal(effect.pooled, [[1, 1, 0.3, 0.3, 0.9, 0.9]])
    np.testing.assert_array_equal(effect.pooled_shifted, [[1, 1, 1, 0.3, 0.3, 0.9]])
    assert effect.pooled_changed.sum() == 2  # only a third of the pooled values did


def test_translation_effect_with_a_kernel_is_equivariant():
    x = -np.ones((8, 8))
    x[2:5, 2:5] = PLUS_3
    effect = translation_effect(x, 1, 1, 2, kernel=PLUS_3, fill=-1.0)
    # the raw map moves with the input: shifted map == map shifted (inside the frame)
    np.testing.assert_array_equal(effect.raw_shifted[1:, 1:], effect.raw[:-1, :-1])
    assert effect.raw.max() == effect.raw_shifted.max() == 9


def test_pooling_savings_table():
    rows = pooling_savings(32, (3, 8, 16), kernel=3, pool=2)
    assert [r.layer for r in rows] == [
        "input, 3 channels",
        "conv 3×3, 8 channels",
        "max pool 2×2",
        "conv 3×3, 16 channels",
        "max pool 2×2",
    ]
    assert [r.side_pooled for r in rows] == [32, 32, 16, 16, 8]
    assert [r.side_plain for r in rows] == [32] * 5
    assert rows[3].macs_pooled == 16 * 16 * 16 * 8 * 9
    assert rows[3].macs_plain == 4 * rows[3].macs_pooled


@pytest.mark.parametrize(("size", "stride"), itertools.product([1, 2, 3], [1, 2, 3]))
def test_parameter_sweep_on_the_seed_grid(size, stride):
    y, idx = pool2d_naive(SEED002_UNPOOL, size, stride, return_indices=True)
    ty, tidx = torch_pool(SEED002_UNPOOL[None], size, stride, "max", indices=True)
    assert_close(torch.from_numpy(y), ty[0, 0])
    expected, unique = first_max_indices(SEED002_UNPOOL[None], size, stride)
    np.testing.assert_array_equal(idx, expected[0])  # the grid repeats 1, 2 and 3: ties
    assert_torch_indices_are_maxima(
        SEED002_UNPOOL[None], size, stride, tidx[0].numpy(), idx[None], unique
    )


@pytest.mark.parametrize(
    "dy,dx", [(0, 1), (1, 1), (-2, 1), (0, -3), (3, 0), (0, 4), (4, 0), (0, 5), (0, -4), (-4, 2)]
)
@pytest.mark.parametrize("ksize", [(3, 3), (2, 3), (1, 1)])
def test_equivariance_check(dy, dx, ksize):
    """f(g(x)) = g(f(x)) for a convolution f and a shift g that keeps the content inside; f is
    checked against torch's conv2d on the background-padded input."""
    from cnnplay.ops.pool import equivariance_check

    rng = np.random.default_rng(abs(dy) * 10 + abs(dx))
    x = np.full((9, 10), -1.0)
    x[3:6, 3:6] = rng.standard_normal((3, 3))  # content with a 3-cell margin
    kernel = rng.standard_normal(ksize)
    check = equivariance_check(x, kernel, dy, dx, fill=-1.0)
    kh, kw = ksize
    pads = ((kw - 1) // 2, kw // 2, (kh - 1) // 2, kh // 2)
    xt = torch.nn.functional.pad(torch.from_numpy(check.shifted_input)[None, None], pads, value=-1)
    expected = torch.nn.functional.conv2d(xt, torch.from_numpy(kernel)[None, None])[0, 0]
    torch.testing.assert_close(torch.from_numpy(check.map_of_shifted), expected)
    inside = max(dy, -dy) <= 3 and -3 <= dx <= 4
    assert check.content_lost == (not inside)
    if inside:
        assert check.equal
    elif ksize == (3, 3):  # the lost content was still under the kernel's reach at the edge
        assert not check.equal
