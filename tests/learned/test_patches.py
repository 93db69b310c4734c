"""cnnplay.learned.patches: a channel's top activations against brute force, the crop box
against the receptive-field arithmetic, and what the field means: a unit's value does not
change when every pixel outside its theoretical field changes (a small float64 net and two
stages of EfficientNet-Lite0 in float64, on a copy)."""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
from torch import nn

from cnnplay.learned.features import to_input
from cnnplay.learned.patches import (
    Box,
    crop,
    has_global_gates,
    inside_positions,
    maxima_of,
    peak_channels,
    stage_field_row,
    stage_maxima,
    top_units,
    unit_box,
)
from cnnplay.models.pretrained import DEFAULT_MODEL, REGISTRY, PretrainedSpec, load_pretrained
from cnnplay.models.stages import truncated
from cnnplay.receptive import Field, receptive_field, receptive_field_table
from tests.models.tiny import Tiny

pytestmark = pytest.mark.usefixtures("one_thread")
SPEC = PretrainedSpec(build=lambda _: None, mean=(0.5, 0.5, 0.5), std=(0.5, 0.5, 0.5),
                      offline=True, about="")  # fmt: skip


@pytest.fixture(scope="module")
def images() -> np.ndarray:
    return np.random.default_rng(0).integers(0, 256, (9, 32, 32, 3), dtype=np.uint8)


def test_maxima_of_finds_each_channels_maximum_and_where():
    maps = torch.zeros(2, 3, 4, 5)
    maps[0, 0, 2, 3], maps[0, 1, 0, 4], maps[1, 2, 3, 0] = 5.0, 2.0, 7.0
    maps[0, 2] = -1.0
    maps[0, 2, 1, 1] = -0.5
    values, rows, cols = maxima_of(maps)
    assert values[0].tolist() == [5.0, 2.0, -0.5]
    assert (rows[0].tolist(), cols[0].tolist()) == ([2, 0, 1], [3, 4, 1])
    assert (rows[1, 2], cols[1, 2], values[1, 2]) == (3, 0, 7.0)


@pytest.mark.parametrize("index", [0, 4, 5, 7])
def test_top_units_match_brute_force(tiny, images, index):
    found = stage_maxima(tiny, SPEC, images, index, 32, batch=4)
    with torch.no_grad():
        maps = truncated(tiny, index)(to_input(images, 32, SPEC)).numpy()  # (N, C, h, w)
    n, c, h, w = maps.shape
    assert found.values.shape == (n, c) and found.map_shape == (h, w) and found.side == 32
    for channel in range(c):
        # brute force: every image's best position by a plain loop, then the best images
        best = []
        for k in range(n):
            top = max(maps[k, channel, i, j] for i in range(h) for j in range(w))
            best.append((top, k))
        expected = sorted((v for v, _ in best), reverse=True)[:4]
        units = top_units(found, channel, 4)
        np.testing.assert_allclose([u.value for u in units], expected, rtol=1e-6)
        for u in units:  # the position reported holds that value (whatever tie was chosen)
            assert maps[u.image, channel, u.row, u.col] == pytest.approx(u.value, rel=1e-6)
    peaks = peak_channels(found, c)
    assert sorted(peaks) == list(range(c))
    np.testing.assert_array_equal(
        maps.max(axis=(0, 2, 3))[peaks], np.sort(maps.max(axis=(0, 2, 3)))[::-1]
    )


def test_inside_positions_are_the_units_that_see_no_padding():
    mask = inside_positions(Field(8, 21, -9), (4, 4), 32)  # rows -9…11, -1…19, 7…27, 15…35
    expected = np.zeros((4, 4), bool)
    expected[2, 2] = True
    np.testing.assert_array_equal(mask, expected)
    assert not inside_positions(Field(8, 40, -9), (4, 4), 32).any()


def test_stage_maxima_inside_only_takes_the_best_unit_that_sees_no_padding(tiny, images):
    field = stage_field_row(tiny, 4, 32)  # layer1: r 13, j 4, start -5; an 8×8 map
    found = stage_maxima(tiny, SPEC, images, 4, 32, inside=field)
    assert found.inside_only
    mask = inside_positions(field, (8, 8), 32)
    # unit i sees -5 + 4i … 7 + 4i: inside 0…31 for i = 2…6
    assert mask.sum() == 25 and mask[2:7, 2:7].all()
    with torch.no_grad():
        maps = truncated(tiny, 4)(to_input(images, 32, SPEC)).numpy()  # (N, 6, 8, 8)
    expected = np.where(mask, maps, -np.inf).max(axis=(2, 3))  # (N, 6)
    np.testing.assert_allclose(found.values, expected, rtol=1e-6)
    assert mask[found.rows, found.cols].all()
    wide = stage_maxima(tiny, SPEC, images, 4, 32, inside=Field(4, 99, -40))  # no unit inside
    assert not wide.inside_only
    np.testing.assert_allclose(wide.values, maps.max(axis=(2, 3)), rtol=1e-6)


def test_stage_maxima_stops_between_batches(tiny, images):
    done = []
    found = stage_maxima(
        tiny, SPEC, images, 5, 32, batch=4,
        on_progress=lambda s, t, m: done.append((s, t)), should_stop=lambda: len(done) >= 1,
    )  # fmt: skip
    assert done == [(4, 9)] and found.values.shape == (4, 8)


def test_crop_box_follows_the_receptive_field_numbers(tiny):
    # by hand: conv 3/2 p1 -> r 3, j 2, start -1; pool 2/2 -> r 5, j 4; conv 3 p1 -> r 13,
    # start -5; conv 3/2 p1 -> r 21, j 8, start -9
    row = stage_field_row(tiny, 5, 32)
    assert (row.size, row.jump, row.start) == (21, 8, -9)
    assert row.size == receptive_field(truncated(tiny, 5), 32)
    assert receptive_field_table(truncated(tiny, 5), 32)[-1] == row
    box = unit_box(row, 1, 2, 32)
    assert (box.top, box.left, box.size) == (-1, 7, 21)
    assert box.inside == (0, 7, 20, 28) and box.clipped
    centre = unit_box(Field(8, 21, -9), 2, 2, 32)
    assert centre.inside == (7, 7, 28, 28) and not centre.clipped


def test_global_gates_are_found():
    from torchvision.ops import SqueezeExcitation

    assert not has_global_gates(truncated(Tiny(), 7))
    gated = nn.Sequential(nn.Conv2d(3, 8, 3), SqueezeExcitation(8, 2))
    assert has_global_gates(gated)
    assert has_global_gates(nn.Sequential(nn.Conv2d(3, 4, 1), nn.AdaptiveAvgPool2d(1)))
    assert not has_global_gates(nn.Sequential(nn.Conv2d(3, 4, 1), nn.AdaptiveAvgPool2d(7)))


def test_crop_clips_or_pads_with_grey():
    image = np.random.default_rng(1).integers(0, 256, (32, 32, 3), dtype=np.uint8)
    box = Box(top=-1, left=7, size=21, side=32)
    clipped = crop(image, box)
    np.testing.assert_array_equal(clipped, image[0:20, 7:28])
    padded = crop(image, box, pad=True, fill=9)
    assert padded.shape == (21, 21, 3)
    assert (padded[0] == 9).all()  # the row above the image
    np.testing.assert_array_equal(padded[1:], image[0:20, 7:28])
    whole = crop(image, Box(top=-40, left=-40, size=120, side=32), pad=False)
    np.testing.assert_array_equal(whole, image)


def outside_changed(x: torch.Tensor, box: Box, rng: torch.Generator) -> torch.Tensor:
    """x (1, C, S, S) with every pixel outside the box's (unclipped) field replaced."""
    t, l, b, r = box.inside
    y = torch.randn(x.shape, generator=rng, dtype=x.dtype) * 3
    y[:, :, t:b, l:r] = x[:, :, t:b, l:r]
    return y


def small_net() -> nn.Sequential:
    """float32 (cnnplay.receptive traces float32 meta inputs); tests run a float64 copy."""
    torch.manual_seed(1)
    return nn.Sequential(
        nn.Conv2d(2, 3, 3, padding=1), nn.ReLU(), nn.MaxPool2d(2),
        nn.Conv2d(3, 4, 5, stride=2, padding=2), nn.ReLU(), nn.AvgPool2d(2),
        nn.Conv2d(4, 2, 3, dilation=2, padding=2),
    ).eval()  # fmt: skip


def linear_net() -> nn.Sequential:
    torch.manual_seed(2)
    return nn.Sequential(
        nn.Conv2d(1, 2, 3, padding=1), nn.Conv2d(2, 2, 3, stride=2), nn.Conv2d(2, 1, 3)
    ).eval()


@pytest.mark.parametrize("unit", [(0, 0), (2, 3), (4, 4), (5, 1)])
def test_pixels_outside_the_field_do_not_change_the_unit(unit):
    net, side = small_net(), 48
    field = receptive_field_table(net, side)[-1]
    net = net.double()
    rng = torch.Generator().manual_seed(sum(unit))
    x = torch.randn(1, 2, side, side, generator=rng, dtype=torch.float64)
    box = unit_box(field, *unit, side)
    with torch.no_grad():
        out = net(x)
        assert out.shape[-1] == field.out_size
        i, j = unit
        torch.testing.assert_close(net(outside_changed(x, box, rng))[0, :, i, j], out[0, :, i, j])
        inside = x.clone()
        t, l, b, r = box.inside
        inside[:, :, t:b, l:r] += 1.0
        assert not torch.allclose(net(inside)[0, :, i, j], out[0, :, i, j])


def test_the_field_is_tight_for_a_stack_of_convolutions():
    net, side = linear_net(), 24
    field = receptive_field_table(net, side)[-1]  # r = 1 + 2 + 2 + 4 = 9, j = 2
    net = net.double()
    assert (field.size, field.jump) == (9, 2)
    box = unit_box(field, 3, 4, side)
    rng = torch.Generator().manual_seed(0)
    x = torch.randn(1, 1, side, side, generator=rng, dtype=torch.float64)
    columns = slice(box.left, box.right)
    with torch.no_grad():
        out = net(x)[0, 0, 3, 4]
        for row in (box.top, box.bottom - 1):
            changed = x.clone()
            changed[0, 0, row, columns] += 1.0  # only the field's first (last) row
            assert not torch.isclose(net(changed)[0, 0, 3, 4], out)


@pytest.fixture(scope="module")
def lite() -> tuple[nn.Module, nn.Module]:
    """EfficientNet-Lite0 and a float64 deep copy of it (the model itself is never changed;
    its fields are traced on the float32 model, they do not depend on the dtype)."""
    model = load_pretrained(DEFAULT_MODEL)
    double = copy.deepcopy(model).double()
    assert next(model.parameters()).dtype == torch.float32
    return model, double


@pytest.mark.parametrize("index", [3, 4])
def test_efficientnet_units_ignore_pixels_outside_their_field(lite, index):
    side = 96
    assert not has_global_gates(truncated(lite[0], index))  # Lite: no squeeze-and-excitation
    field = stage_field_row(lite[0], index, side)
    net = truncated(lite[1], index)
    rng = torch.Generator().manual_seed(index)
    x = torch.randn(1, 3, side, side, generator=rng, dtype=torch.float64)
    with torch.no_grad():
        out = net(x)  # (1, C, h, w)
        h = out.shape[-1]
        assert h == field.out_size
        for unit in ((h // 2, h // 2), (1, h - 2)):
            box = unit_box(field, *unit, side)
            changed = net(outside_changed(x, box, rng))
            torch.testing.assert_close(changed[0, :, unit[0], unit[1]], out[0, :, unit[0], unit[1]])
            assert not torch.allclose(changed, out)  # other units did change


def test_stage_maxima_runs_a_float64_copy(lite):
    pictures = np.random.default_rng(4).integers(0, 256, (2, 64, 64, 3), dtype=np.uint8)
    found = stage_maxima(lite[1], REGISTRY[DEFAULT_MODEL], pictures, 3, 64)
    assert found.values.shape == (2, 24) and found.map_shape == (16, 16)
