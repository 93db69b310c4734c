"""Receptive-field arithmetic, checked by hand, against published values, and by input gradients.

The gradient check is independent of the arithmetic: on a float64 copy of a model whose conv
weights are all positive (1 / fan-in), with max pools replaced by average pools of the same
geometry, every input pixel inside a unit's field gets a nonzero gradient and every pixel outside
gets exactly zero. So the extent of the nonzero gradient must equal the computed field, clipped
to the image.
"""

from __future__ import annotations

import copy

import numpy as np
import pytest
import torch
import torchvision
from torch import nn

from cnnplay.models.lenet import LeNet5
from cnnplay.receptive import (
    GREY_WEIGHTS,
    INPUT_FIELD,
    PRESETS,
    Field,
    InputSizeError,
    LayerError,
    LayerSpec,
    effective_field,
    image_to_input,
    parse_layers,
    receptive_field,
    receptive_field_table,
    stack_table,
    stacked_3x3,
    union,
)


def tv(name: str) -> nn.Module:
    extra = dict(init_weights=False, aux_logits=False) if name == "googlenet" else {}
    return torchvision.models.get_model(name, weights=None, **extra)


# --- one axis, by hand ------------------------------------------------------------------------


def test_field_recurrence_by_hand():
    f = INPUT_FIELD.through(3, 1, 0)  # 3×3 conv
    assert f == Field(jump=1, size=3, start=0)
    f = f.through(2, 2, 0)  # 2×2 max pool /2: seed 000's "16 features of the input" = 4×4
    assert f == Field(jump=2, size=4, start=0)
    f = f.through(3, 1, 1, dilation=2)  # dilated 3×3 with padding 1
    assert f == Field(jump=2, size=4 + 2 * 2 * 2, start=-2)
    assert f.span(3) == (4, 4 + 12 - 1)


def test_union_of_branches():
    a, b = Field(2, 5, -2), Field(2, 9, -4)
    assert union([a, b]) == Field(2, 9, -4)
    assert union([Field(1, 3, 0), Field(1, 3, 2)]) == Field(1, 5, 0)  # offset branches
    with pytest.raises(ValueError, match="different jumps"):
        union([Field(1, 3, 0), Field(2, 3, 0)])


def test_seed000_preset():
    size, layers = PRESETS["Seed 000: 3×3 conv → 2×2 max pool"]
    rows = stack_table(layers, size)
    assert [(r.out_size, r.jump, r.size, r.start) for r in rows] == [
        (6, 1, 1, 0),
        (4, 1, 3, 0),
        (2, 2, 4, 0),
    ]
    # each pooled feature looks at 2×2 = 4 conv features and 4×4 = 16 input pixels
    assert rows[2].size ** 2 == 16 and (rows[2].kernel ** 2) == 4


def test_lenet_and_vgg_presets():
    size, layers = PRESETS["LeNet-5 (32×32 input)"]
    rows = stack_table(layers, size)
    assert [r.out_size for r in rows] == [32, 28, 14, 10, 5, 1]
    assert [r.size for r in rows] == [1, 5, 6, 14, 16, 32]
    size, layers = PRESETS["VGG-16, blocks 1–3"]
    rows = stack_table(layers, size)
    assert [r.size for r in rows][-4:] == [24, 32, 40, 44]
    assert rows[-1].out_size == 28 and rows[-1].jump == 8


def test_seed002_three_3x3_make_a_7x7():
    size, layers = PRESETS["Seed 002: three 3×3 convs (= one 7×7)"]
    assert stack_table(layers, size)[-1].size == 7
    s = stacked_3x3(7, 64)
    assert (s.layers, s.weights_stack, s.weights_single) == (3, 27 * 64 * 64, 49 * 64 * 64)
    with pytest.raises(ValueError, match="odd"):
        stacked_3x3(6, 8)


def test_stack_runs_out_of_pixels():
    with pytest.raises(LayerError, match="runs out of pixels"):
        stack_table([LayerSpec("conv", 5), LayerSpec("conv", 5)], 8)


@pytest.mark.parametrize(
    ("record", "message"),
    [
        ({"kind": "conv", "kernel": 0}, "at least 1"),
        ({"kind": "conv", "kernel": 3, "stride": 0}, "stride must be at least 1"),
        ({"kind": "conv", "kernel": 3, "padding": -1}, "cannot be negative"),
        ({"kind": "conv", "kernel": 2.5}, "whole number"),
        ({"kind": "conv", "kernel": "abc"}, "not a number"),
        ({"kind": "conv", "kernel": None}, "empty"),
        ({"kind": "lstm", "kernel": 3}, "choose a layer type"),
        ({"kind": "max pool", "kernel": 2, "padding": 2}, "padding up to 1"),
        ({"kind": "avg pool", "kernel": 2, "dilation": 2}, "no dilation"),
    ],
)
def test_parse_layers_rejects(record, message):
    with pytest.raises(LayerError, match=message):
        parse_layers([{"kind": "conv", "kernel": 3}, record])
    with pytest.raises(LayerError, match="Layer 2"):
        parse_layers([{"kind": "conv", "kernel": 3}, record])


def test_parse_layers_defaults():
    layers = parse_layers(
        [
            {"kind": "max pool", "kernel": 3, "stride": None},
            {"kind": "1×1 conv", "kernel": 7},
            {"kind": "conv", "kernel": 3.0, "stride": float("nan")},
        ]
    )
    assert layers == [
        LayerSpec("max pool", 3, 3, 0, 1),
        LayerSpec("1×1 conv", 1, 1, 0, 1),
        LayerSpec("conv", 3, 1, 0, 1),
    ]


# --- torch modules: the arithmetic two ways --------------------------------------------------


def as_module(layers: list[LayerSpec]) -> nn.Sequential:
    mods: list[nn.Module] = []
    for spec in layers:
        if spec.kind == "max pool":
            mods.append(nn.MaxPool2d(spec.kernel, spec.stride, spec.padding, spec.dilation))
        elif spec.kind == "avg pool":
            mods.append(nn.AvgPool2d(spec.kernel, spec.stride, spec.padding))
        else:
            mods.append(nn.Conv2d(2, 2, spec.kernel, spec.stride, spec.padding, spec.dilation))
    return nn.Sequential(*mods)


@pytest.mark.parametrize("preset", list(PRESETS))
def test_module_table_matches_stack_table(preset):
    size, layers = PRESETS[preset]
    expected = stack_table(layers, size)[1:]
    got = receptive_field_table(as_module(layers), size)
    assert [(r.jump, r.size, r.start, r.out_size) for r in got] == [
        (r.jump, r.size, r.start, r.out_size) for r in expected
    ]
    assert [r.name for r in got] == [str(n) for n in range(len(layers))]


@pytest.mark.parametrize(
    ("name", "expected"),
    [("alexnet", 195), ("vgg16", 212), ("resnet18", 435), ("resnet50", 427), ("mobilenet_v2", 491)],
)
def test_published_values(name, expected):
    # AlexNet: 11 +2·4 +4·8 +2·8 +3·2·16 +2·16 = 195 (pool5); VGG-16: 196 at conv5_3, 212 after
    # pool5; ResNet-18/50 final conv: 435/427; MobileNetV2: 491 (Araujo et al., Distill 2019).
    assert receptive_field(tv(name)) == expected


def test_vgg16_conv5_3_and_names():
    rows = receptive_field_table(tv("vgg16"))
    assert rows[-2].name == "features.28" and rows[-2].size == 196 and rows[-2].jump == 16
    assert rows[-1].op == "max pool" and rows[-1].size == 212 and rows[-1].out_size == 7


def test_module_is_not_touched():
    model = tv("resnet18")
    before = {k: v.clone() for k, v in model.state_dict().items()}
    model.train()
    receptive_field_table(model, 64)
    assert model.training
    assert all(torch.equal(before[k], v) for k, v in model.state_dict().items())
    assert not any(m._forward_hooks or m._forward_pre_hooks for m in model.modules())


def test_too_small_input_is_a_value_error():
    with pytest.raises(ValueError, match="too small") as info:
        receptive_field(tv("alexnet"), 16)
    assert info.value.reason == (  # in words: torch's own text stays in the cause
        "at `features.5` its feature maps have shrunk to 1×1, smaller than that layer's 3×3 "
        "window (the input is too small)"
    )
    assert isinstance(info.value.__cause__, RuntimeError)
    assert "Calculated output size" in str(info.value.__cause__)
    assert "Calculated" not in str(info.value)
    with pytest.raises(ValueError, match="no convolution"):
        receptive_field(nn.ReLU())


def test_lenet_at_its_own_size_matches_the_preset():
    rows = receptive_field_table(LeNet5(), 32)
    assert [r.name for r in rows] == ["features.0", "features.2", "features.3", "features.5"]
    assert [r.out_size for r in rows] == [28, 14, 10, 5]
    size, layers = PRESETS["LeNet-5 (32×32 input)"]
    preset = stack_table(layers, size)[1:5]  # the preset goes on: C5 as a 5×5 conv
    assert [r.size for r in rows] == [r.size for r in preset] == [5, 6, 14, 16]
    assert receptive_field(LeNet5(), 32) == 16


@pytest.mark.parametrize(("side", "features"), [(224, 44_944), (64, 2_704), (28, 256)])
def test_lenet_at_another_size_is_a_clear_error(side, features):
    """LeNet-5's C5 is a dense layer built for 16×5×5 = 400 features: any other side fails in
    the classifier, after every conv / pool; the message says so in words."""
    with pytest.raises(InputSizeError) as info:
        receptive_field_table(LeNet5(), side)
    err = info.value
    assert err.side == side and isinstance(err, ValueError)
    assert err.reason == (
        f"its fully connected layer `classifier.1` takes 400 features, but this input gives it "
        f"{features:,} (the layer is built for one input size)"
    )
    assert str(err) == f"The network cannot run on a {side}×{side} input: {err.reason}."
    assert "reduction dim" in str(err.__cause__) and "reduction dim" not in str(err)


def test_image_to_input_grey_for_a_one_channel_network():
    image = np.zeros((40, 60, 3), np.uint8)
    image[..., 0], image[..., 1], image[..., 2] = 200, 100, 50  # one colour
    picture, x = image_to_input(image, 32, channels=1)
    assert picture.shape == (32, 32, 3) and picture.dtype == np.uint8
    grey = sum(w * v for w, v in zip(GREY_WEIGHTS, (200, 100, 50), strict=True))
    assert np.all(picture == round(grey))  # R = G = B: what the network sees
    assert x.shape == (1, 32, 32) and x.dtype == torch.float32
    mean, std = (0.5, 0.4, 0.3), (0.2, 0.2, 0.2)
    _, x = image_to_input(image, 32, mean, std, channels=1)
    torch.testing.assert_close(x, torch.full((1, 32, 32), (grey / 255 - 0.4) / 0.2))
    picture3, x3 = image_to_input(image, 32)
    assert x3.shape == (3, 32, 32) and np.all(picture3 == (200, 100, 50))
    with pytest.raises(ValueError, match="channels must be 1 or 3"):
        image_to_input(image, 32, channels=2)


# --- the gradient check ----------------------------------------------------------------------


class Inception(nn.Module):
    """Four branches of different widths, one offset (unpadded then padded), concatenated."""

    def __init__(self, c: int = 2) -> None:
        super().__init__()
        self.b1 = nn.Conv2d(c, c, 1)
        self.b3 = nn.Sequential(nn.Conv2d(c, c, 1), nn.Conv2d(c, c, 3, padding=1))
        self.b5 = nn.Sequential(nn.Conv2d(c, c, 3, padding=2, dilation=2), nn.ReLU())
        self.bp = nn.Sequential(nn.MaxPool2d(3, 1, 1), nn.Conv2d(c, c, 1))
        self.shift = nn.Conv2d(c, c, (7, 1), padding=(3, 0))  # tall, thin
        self.mix = nn.Conv2d(4 * c, c, 1)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        y = torch.cat([self.b1(x), self.b3(x), self.b5(x), self.bp(x)], 1)
        z = self.shift(x)
        z = nn.functional.pad(z, (0, 0, -2, 2))  # shift the map up: an offset branch
        return self.mix(y) + z


class Dense(nn.Module):
    """Dense connectivity: each layer sees the concatenation of all earlier maps."""

    def __init__(self, c: int = 2, n: int = 3) -> None:
        super().__init__()
        self.convs = nn.ModuleList(nn.Conv2d(c * (i + 1), c, 3, padding=1) for i in range(n))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        feats = [x]
        for conv in self.convs:
            feats.append(torch.relu(conv(torch.cat(feats, 1))))
        return torch.cat(feats, 1)


def toy_graph() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 2, 5, stride=2, padding=2),
        Inception(),
        nn.MaxPool2d(2),
        Dense(),
        nn.Conv2d(8, 4, 3, stride=2),
    )


def positive_copy(model: nn.Module) -> nn.Module:
    """float64, conv weights 1/fan-in, biases 0, max pools -> avg pools of the same geometry."""
    model = copy.deepcopy(model).double().eval()
    for m in list(model.modules()):
        for child_name, child in list(m.named_children()):
            if isinstance(child, nn.MaxPool2d):
                pool = nn.AvgPool2d(child.kernel_size, child.stride, child.padding, child.ceil_mode)
                setattr(m, child_name, pool)
        if isinstance(m, nn.Conv2d):
            with torch.no_grad():
                m.weight.fill_(1.0 / m.weight[0].numel())
                if m.bias is not None:
                    m.bias.zero_()
    return model


def gradient_extent(model: nn.Module, layer: str, size: int, unit=None):
    """Rows/cols (first, last) of nonzero d(unit)/d(input), float64, and the unit used."""
    grabbed = []
    handle = model.get_submodule(layer).register_forward_hook(lambda m, i, o: grabbed.append(o))
    channels = next(m for m in model.modules() if isinstance(m, nn.Conv2d)).in_channels
    x = torch.rand(
        1, channels, size, size, dtype=torch.float64, generator=torch.Generator().manual_seed(0)
    )
    x = (x + 0.5).requires_grad_(True)  # all positive
    model(x)
    handle.remove()
    out = grabbed[0]
    h, w = out.shape[2:]
    i, j = unit or (h // 2, w // 2)
    (g,) = torch.autograd.grad(out[0, :, i, j].sum(), x)
    nz = g[0].abs().sum(0) > 0  # (H, W)
    rows = torch.nonzero(nz.any(1)).ravel()
    cols = torch.nonzero(nz.any(0)).ravel()
    return (int(rows[0]), int(rows[-1])), (int(cols[0]), int(cols[-1])), (i, j)


def clipped(field: Field, i: int, size: int) -> tuple[int, int]:
    first, last = field.span(i)
    return max(first, 0), min(last, size - 1)


def check_all_rows(model: nn.Module, size: int, every: int = 1) -> int:
    rows = receptive_field_table(model, size)
    positive = positive_copy(model)
    checked = 0
    for row in rows[::every]:
        g_rows, _, (i, _) = gradient_extent(positive, row.name, size)
        assert g_rows == clipped(Field(row.jump, row.size, row.start), i, size), row
        checked += 1
    return checked


def test_gradient_extent_chain():
    size, layers = PRESETS["VGG-16, blocks 1–3"]
    assert check_all_rows(as_module(layers), 96) == len(layers)


def test_gradient_extent_toy_inception_dense():
    model = toy_graph()
    rows = receptive_field_table(model, 64)
    assert {r.name for r in rows} >= {"1.b5.0", "1.shift", "3.convs.2", "4"}
    check_all_rows(model, 64)
    # the whole model: columns and rows differ because of the offset branch
    g_rows, g_cols, (i, j) = gradient_extent(positive_copy(model), "4", 64)
    assert g_rows[1] - g_rows[0] + 1 == receptive_field(model, 64)
    assert g_cols[1] - g_cols[0] + 1 < g_rows[1] - g_rows[0] + 1


def test_gradient_extent_resnet18():
    model = tv("resnet18")
    size = 448  # layer4: 14×14; the field of unit (7, 7) lies inside the image
    rows = receptive_field_table(model, size)
    last = rows[-1]
    g_rows, g_cols, (i, j) = gradient_extent(positive_copy(model), last.name, size)
    assert g_rows == g_cols == clipped(Field(last.jump, last.size, last.start), i, size)
    assert g_rows[1] - g_rows[0] + 1 == 435 == receptive_field(model, size)
    # a unit near the corner: its field is cut by the image border
    g_rows, _, _ = gradient_extent(positive_copy(model), "layer2.0.conv1", size, unit=(1, 1))
    row = next(r for r in rows if r.name == "layer2.0.conv1")
    assert g_rows == clipped(Field(row.jump, row.size, row.start), 1, size)


def test_effective_field_on_a_copy():
    model = toy_graph()
    before = [p.clone() for p in model.parameters()]
    erf = effective_field(model, "4", torch.rand(3, 64, 64))
    assert erf.grad.shape == (64, 64) and erf.grad.min() >= 0
    row = receptive_field_table(model, 64)[-1]
    first, last = clipped(Field(row.jump, row.size, row.start), erf.unit[0], 64)
    assert first <= erf.rows[0] and erf.rows[1] <= last  # never outside the theoretical field
    assert all(torch.equal(a, b) for a, b in zip(before, model.parameters(), strict=True))
    assert not any(m._forward_hooks for m in model.modules())


def test_pixels_seen_and_coverage_of_a_padded_conv():
    from cnnplay.receptive import LayerSpec, coverage, pixels_seen, stack_table

    rows = stack_table([LayerSpec("conv", 3, 1, 1)], 5)
    seen = pixels_seen(rows[-1], 5)
    assert seen.shape == (5, 5) and seen[0].tolist() == [4, 6, 6, 6, 4] and seen[2, 2] == 9
    cover = coverage(rows[-1], 5)
    assert cover.shape == (5, 5) and cover[0].tolist() == [4, 6, 6, 6, 4]
    assert cover.sum() == seen.sum()  # each (unit, pixel) pair counted once either way
