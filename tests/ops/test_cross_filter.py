"""cnnplay.ops.cross_filter against independent references: the rotation against
scipy.ndimage.rotate (bilinear) and np.rot90 (quarter turns), the response loops against
F.conv2d, the cross-filter max against torch.amax / torch.argmax over the channel dim, the sweep
against the loops, the photo patch against F.avg_pool2d; the exact rotation equivariance of a
bank of quarter-turned copies, and the figures of cnnplay.plots.cross_filter (which show what
these functions return). Every argmax compared here has a margin: no test depends on ties."""

from __future__ import annotations

import numpy as np
import pytest
import scipy.ndimage as ndi
import torch
import torch.nn.functional as F
from numpy.testing import assert_allclose
from torch.testing import assert_close

from cnnplay.filtering import to_grayscale
from cnnplay.ops.cross_filter import (
    BASE_KERNELS,
    INPUT_SIDE,
    KERNEL_SIZES,
    PATTERN_BACKGROUND,
    PATTERNS,
    ROTATION_COUNTS,
    _disc_coords,
    bar_image,
    cross_filter_max_naive,
    filter_responses_naive,
    letter_image,
    match_base,
    photo_patch,
    read_response,
    rotate_grid,
    rotated_bank,
    rotation_angles,
    rotation_sweep,
    winner_shown,
)
from cnnplay.plots.cross_filter import (
    MAX_FILTERS,
    POOLED_COLOUR,
    angle_chart,
    filter_colour,
    maps_row_figure,
    winner_figure,
)

CPU = torch.device("cpu")


def rng(seed: int) -> np.random.Generator:
    return np.random.default_rng(seed)


def torch_responses(x: np.ndarray, kernels: np.ndarray, fill: float) -> torch.Tensor:
    """F.conv2d of x (H, W) with kernels (K, k, k), x padded with ``fill``: (K, H, W) float64."""
    _, kh, kw = kernels.shape
    xt = torch.tensor(x, dtype=torch.float64)[None, None]
    xt = F.pad(xt, (kw // 2, kw // 2, kh // 2, kh // 2), value=fill)
    return F.conv2d(xt, torch.tensor(kernels, dtype=torch.float64)[:, None])[0]


def scipy_rotate(x: np.ndarray, angle: float, fill: float) -> np.ndarray:
    return ndi.rotate(x, angle, reshape=False, order=1, mode="grid-constant", cval=fill)


# --- rotation ---------------------------------------------------------------------------------


@pytest.mark.parametrize("shape", [(7, 7), (8, 8), (9, 11), (6, 5)])
@pytest.mark.parametrize("angle", [0.0, 13.0, 30.0, 45.0, 90.0, 137.5, 200.0, 333.0])
@pytest.mark.parametrize("fill", [0.0, -1.0])
def test_rotate_grid_matches_scipy_bilinear(shape, angle, fill):
    x = rng(1).normal(size=shape)
    assert_allclose(rotate_grid(x, angle, fill), scipy_rotate(x, angle, fill), rtol=0, atol=1e-12)


@pytest.mark.parametrize("side", [5, 6, 21])
@pytest.mark.parametrize("quarters", [0, 1, 2, 3, 4, -1])
def test_quarter_turns_are_rot90(side, quarters):
    x = rng(2).normal(size=(side, side))
    assert_allclose(rotate_grid(x, 90.0 * quarters), np.rot90(x, quarters), rtol=0, atol=1e-12)


def test_rotate_grid_turns_counter_clockwise_and_keeps_its_input():
    x = -np.ones((5, 5))
    x[2, 3:] = 1.0  # ink right of the centre
    before = x.copy()
    up = rotate_grid(x, 90.0, -1.0)
    assert np.array_equal(x, before)
    assert_allclose(up[:2, 2], np.ones(2), rtol=0, atol=1e-12)  # now above the centre
    assert_allclose(rotate_grid(x, 360.0, -1.0), x, rtol=0, atol=1e-12)


# --- base kernels and the bank --------------------------------------------------------------


@pytest.mark.parametrize("name", list(BASE_KERNELS))
@pytest.mark.parametrize("size", KERNEL_SIZES)
def test_base_kernels_zero_mean_on_a_disc_with_their_period(name, size):
    base = BASE_KERNELS[name]
    w = base.build(size)
    _, _, disc = _disc_coords(size)
    assert w.shape == (size, size)
    assert abs(w.sum()) < 1e-12 and np.all(w[~disc] == 0)
    assert np.abs(w).max() > 0
    half_turn = np.rot90(w, 2)
    if base.period == 180:
        assert_allclose(half_turn, w, rtol=0, atol=1e-12)
    else:  # an edge: turned by half a turn, bright and dark swap
        assert base.period == 360
        assert_allclose(half_turn, -w, rtol=0, atol=1e-12)
        assert np.abs(np.rot90(w, 1) - w).max() > 0.5


@pytest.mark.parametrize("size", [4, 1, 0])
def test_kernel_sizes_must_be_odd(size):
    with pytest.raises(ValueError, match="odd"):
        BASE_KERNELS["Bar (line) detector"].build(size)


@pytest.mark.parametrize("count", ROTATION_COUNTS)
@pytest.mark.parametrize("period", [180, 360])
def test_rotation_angles(count, period):
    angles = rotation_angles(count, period)
    assert_allclose(angles, np.array([k * period / count for k in range(count)]))
    with pytest.raises(ValueError):
        rotation_angles(0, period)


@pytest.mark.parametrize("name", list(BASE_KERNELS))
@pytest.mark.parametrize("size", KERNEL_SIZES)
def test_bank_copies_are_the_base_turned(name, size):
    """Quarter-turned copies are np.rot90 of the base; every other copy is scipy's bilinear
    rotation of the base, made zero-mean and as long as the base (match_base)."""
    base = BASE_KERNELS[name]
    w = base.build(size)
    _, _, disc = _disc_coords(size)
    for count in ROTATION_COUNTS:
        bank, angles = rotated_bank(w, count, base.period)
        assert bank.shape == (count, size, size)
        for copy, angle in zip(bank, angles, strict=True):
            assert abs(copy.sum()) < 1e-9 and np.all(copy[~disc] == 0)
            assert np.linalg.norm(copy) == pytest.approx(np.linalg.norm(w), rel=1e-12)
            if angle % 90 == 0:
                assert_allclose(copy, np.rot90(w, int(angle // 90)), rtol=0, atol=1e-12)
            else:
                expected = match_base(scipy_rotate(w, float(angle), 0.0), w)
                assert_allclose(copy, expected, rtol=0, atol=1e-12)


def test_match_base_rescales_and_centres():
    w = BASE_KERNELS["Gabor (smooth bar)"].build(7)
    blurred = 0.5 * scipy_rotate(w, 30.0, 0.0) + 0.1
    out = match_base(blurred, w)
    _, _, disc = _disc_coords(7)
    assert abs(out.sum()) < 1e-12 and np.all(out[~disc] == 0)
    assert np.linalg.norm(out) == pytest.approx(np.linalg.norm(w))
    assert np.all(match_base(np.zeros((7, 7)), w) == 0)  # nothing to rescale: no NaN


# --- responses and the cross-filter max ---------------------------------------------------------


@pytest.mark.parametrize("n_k", [1, 3, 6])
@pytest.mark.parametrize("k", [3, 5, 7])
@pytest.mark.parametrize("fill", [0.0, -1.0, 0.3])
def test_responses_match_conv2d(n_k, k, fill):
    g = rng(10 * n_k + k)
    x, kernels = g.normal(size=(9, 11)), g.normal(size=(n_k, k, k))
    got = filter_responses_naive(x, kernels, fill)
    assert got.shape == (n_k, 9, 11)
    assert_close(torch.from_numpy(got), torch_responses(x, kernels, fill))


def test_even_kernels_are_refused():
    with pytest.raises(ValueError, match="odd"):
        filter_responses_naive(np.zeros((5, 5)), np.zeros((2, 4, 4)))


@pytest.mark.parametrize("n_k", [1, 2, 4, 6])
def test_cross_filter_max_is_amax_over_channels(n_k):
    g = rng(20 + n_k)
    x, kernels = g.normal(size=(12, 10)), g.normal(size=(n_k, 5, 5))
    pooled, winner = cross_filter_max_naive(filter_responses_naive(x, kernels, -1.0))
    ref = torch_responses(x, kernels, -1.0)  # (K, H, W)
    assert_close(torch.from_numpy(pooled), torch.amax(ref, dim=0))
    top2 = torch.topk(ref, min(2, n_k), dim=0).values
    if n_k > 1:
        assert (top2[0] - top2[1]).min() > 1e-9  # no near-ties: the argmax is well defined
    assert np.array_equal(winner, torch.argmax(ref, dim=0).numpy())


def test_cross_filter_max_ties_go_to_the_first_filter():
    responses = np.zeros((3, 2, 2))
    responses[1, 0, 0] = responses[2, 0, 0] = 5.0
    pooled, winner = cross_filter_max_naive(responses)
    assert pooled[0, 0] == 5.0 and winner[0, 0] == 1
    assert np.all(winner.ravel()[1:] == 0)  # all-equal cells: filter 0


@pytest.mark.parametrize("name", ["Edge detector", "Bar (line) detector"])
def test_quarter_turns_of_the_input_permute_the_filters_exactly(name):
    """With copies at multiples of 90°, turning the input by 90° turns every map and moves
    each response to the next filter: the pooled map turns with the input (equivariance), so
    its maximum does not change at all (invariance)."""
    base = BASE_KERNELS[name]
    count = base.period // 90  # copies at 0°, 90°(, 180°, 270°)
    bank, _ = rotated_bank(base.build(7), count, base.period)
    x = PATTERNS["Letter L"]()
    r0 = filter_responses_naive(x, bank, PATTERN_BACKGROUND)
    r1 = filter_responses_naive(np.rot90(x), bank, PATTERN_BACKGROUND)
    for k in range(count):
        assert_allclose(r1[k], np.rot90(r0[k - 1]), rtol=0, atol=1e-9)
    p0, _ = cross_filter_max_naive(r0)
    p1, _ = cross_filter_max_naive(r1)
    assert_allclose(p1, np.rot90(p0), rtol=0, atol=1e-9)


def test_winner_shown_blanks_weak_cells():
    pooled = np.array([[10.0, 2.0], [3.0, -1.0]])
    winner = np.array([[1, 2], [0, 3]])
    shown = winner_shown(pooled, winner, weak=0.25)
    assert shown[0, 0] == 1 and shown[1, 0] == 0
    assert np.isnan(shown[0, 1]) and np.isnan(shown[1, 1])  # below 2.5
    assert np.isnan(winner_shown(-np.ones((2, 2)), winner)).all()


def test_read_response():
    maps = rng(3).normal(size=(4, 3, 5, 7))
    assert_allclose(read_response(maps, "centre"), maps[:, :, 2, 3])
    assert_allclose(read_response(maps, "anywhere"), maps.reshape(4, 3, -1).max(axis=-1))
    with pytest.raises(ValueError, match="read"):
        read_response(maps, "corner")  # type: ignore[arg-type]


# --- the sweep -----------------------------------------------------------------------------------


@pytest.mark.parametrize("read", ["anywhere", "centre"])
@pytest.mark.parametrize("name", ["Bar (line) detector", "Edge detector"])
def test_sweep_matches_the_loops(read, name):
    base = BASE_KERNELS[name]
    bank, _ = rotated_bank(base.build(5), 3, base.period)
    x = PATTERNS["Letter T"]()
    angles = np.array([0.0, 25.0, 90.0, 250.0])
    sweep = rotation_sweep(x, bank, angles, PATTERN_BACKGROUND, read, device=CPU)
    assert sweep.per_filter.shape == (4, 3) and sweep.pooled.shape == (4,)
    for a, angle in enumerate(angles):
        turned = rotate_grid(x, angle, PATTERN_BACKGROUND)
        responses = filter_responses_naive(turned, bank, PATTERN_BACKGROUND)
        pooled, _ = cross_filter_max_naive(responses)
        assert_allclose(sweep.per_filter[a], read_response(responses, read), rtol=1e-5, atol=1e-4)
        assert_allclose(sweep.pooled[a], read_response(pooled, read), rtol=1e-5, atol=1e-4)
    per, pooled_swing = sweep.swing()
    assert_allclose(per, sweep.per_filter.max(0) - sweep.per_filter.min(0))
    assert pooled_swing == pytest.approx(sweep.pooled.max() - sweep.pooled.min())


@pytest.mark.parametrize("pattern", ["Bar", "Letter T", "Letter L"])
def test_the_max_swings_far_less_than_one_filter(pattern):
    """The tab's claim, for its default bank (four 7×7 bar detectors): as the input turns, one
    filter's strongest response swings by most of its peak, the max across the four by far
    less. Also: read anywhere, the max across filters is the upper envelope of the filters."""
    base = BASE_KERNELS["Bar (line) detector"]
    bank, _ = rotated_bank(base.build(7), 4, base.period)
    sweep = rotation_sweep(
        PATTERNS[pattern](), bank, np.arange(0, 361, 5), PATTERN_BACKGROUND, device=CPU
    )
    assert_allclose(sweep.pooled, sweep.per_filter.max(axis=1), rtol=1e-6, atol=1e-5)
    per, pooled_swing = sweep.swing()
    relative_single = per / sweep.per_filter.max(axis=0)  # (K,)
    relative_pooled = pooled_swing / sweep.pooled.max()
    assert relative_pooled < 0.5 * relative_single.min()


# --- inputs --------------------------------------------------------------------------------------


def test_patterns_are_pm1_grids_with_ink():
    for name, build in PATTERNS.items():
        x = build()
        assert x.shape == (INPUT_SIDE, INPUT_SIDE), name
        assert set(np.unique(x)) == {-1.0, 1.0}, name
        assert np.all(x[0] == -1) and np.all(x[:, 0] == -1), name  # a background border
    assert int((bar_image(21, 13, 2) > 0).sum()) == 13 * 2
    t = letter_image("Letter T")
    assert int((t > 0).sum()) == 4 * (5 + 4)  # 9 glyph cells, each drawn 2×2
    with pytest.raises(ValueError):
        bar_image(5, 7, 1)


def test_photo_patch_is_the_block_mean_on_a_disc():
    pixels = rng(4).integers(0, 256, size=(90, 130, 3), dtype=np.uint8)
    patch = photo_patch(pixels, side=21)
    grey = torch.from_numpy(to_grayscale(pixels).astype(np.float64) / 127.5 - 1.0)
    n = 84  # the largest multiple of 21 that fits 90
    top, left = (90 - n) // 2, (130 - n) // 2
    blocks = F.avg_pool2d(grey[None, None, top : top + n, left : left + n], n // 21)[0, 0]
    _, _, disc = _disc_coords(21)
    expected = np.where(disc, blocks.numpy() - blocks.numpy()[disc].mean(), 0.0)
    assert_allclose(patch, expected)
    with pytest.raises(ValueError, match="at least"):
        photo_patch(np.zeros((10, 40, 3), np.uint8))
    with pytest.raises(ValueError):
        photo_patch(np.zeros((40, 40), np.uint8))


# --- figures (cnnplay.plots.cross_filter) --------------------------------------------------------


def test_winner_figure_names_each_filter_on_its_colour_bar():
    winner = np.array([[0.0, 1.0, np.nan], [2.0, 2.0, 1.0]])
    labels = ["filter 0: 0°", "filter 1: 60°", "filter 2: 120°"]
    trace = winner_figure(winner, labels, "which filter won").data[0]
    assert list(trace.colorbar.ticktext) == labels
    assert list(trace.colorbar.tickvals) == [0, 1, 2]
    colours = [stop[1] for stop in trace.colorscale]
    assert colours == [filter_colour(k) for k in range(3) for _ in range(2)]
    assert trace.text[0][2] == "no filter responds" and trace.text[1][0] == labels[2]


def test_angle_chart_has_a_curve_per_filter_and_the_max():
    angles = np.arange(0, 361, 5.0)
    per = rng(5).normal(size=(len(angles), 3))
    chart = angle_chart(angles, per, per.max(axis=1), ["a", "b", "c"], 42.0, "response")
    lines = [t for t in chart.data if t.mode == "lines"]
    assert [t.name for t in lines] == ["a", "b", "c", "max across filters"]
    assert lines[-1].line.color == POOLED_COLOUR
    assert_allclose(np.asarray(lines[1].y), per[:, 1])
    markers = [t for t in chart.data if t.mode == "markers"]
    assert len(markers) == 4 and all(list(t.x) == [40.0] for t in markers)  # nearest angle
    assert chart.layout.xaxis.title.text and chart.layout.yaxis.title.text


def test_maps_row_shares_one_colour_scale():
    maps = rng(6).normal(size=(4, 5, 5))
    fig = maps_row_figure(maps, list("abcd"), "response")
    assert len(fig.data) == 4
    assert {t.zmax for t in fig.data} == {float(np.abs(maps).max())}
    assert [t.showscale for t in fig.data] == [False, False, False, True]
    with pytest.raises(ValueError):
        filter_colour(MAX_FILTERS)
    assert max(ROTATION_COUNTS) <= MAX_FILTERS
