"""cnnplay.cost: the notes' counts, block terms, and count() against torchvision's published
figures and against a real forward pass."""

from __future__ import annotations

import pytest
import torch
from torch import nn
from torchvision.models import get_model_weights

from cnnplay.cost import (
    DESIGNS,
    SEED002_EXERCISE,
    BlockSettings,
    LayerSpec,
    block_terms,
    build_block,
    build_stack,
    conv_layer,
    count,
    count_stack,
    dense_layer,
    local_layer,
    time_blocks,
    valid_groups,
)
from cnnplay.models.lenet import LeNet5
from cnnplay.models.zoo import ARCHITECTURES, INPUT_SIDE, TORCHVISION_NAME


def test_seed001_counts():
    assert dense_layer(784, 100).params == 78_500
    lrf = local_layer(28, 5)
    assert (lrf.weights, lrf.biases, lrf.params, lrf.out_side) == (25 * 24 * 24, 576, 14_976, 24)
    assert local_layer(28, 5, channels=3, maps=5).params == 218_880
    shared = conv_layer(28, 5, channels=3, maps=5)
    assert (shared.weights, shared.biases, shared.units) == (375, 5, 2880)


@pytest.mark.parametrize("bad", [dict(side=4, field=5), dict(side=28, field=5, channels=0)])
def test_seed001_bad_sizes(bad):
    with pytest.raises(ValueError):
        local_layer(**bad)


def test_seed002_bottleneck_terms():
    s = BlockSettings()
    plain = block_terms("plain", s)
    assert [t.macs_per_position for t in plain] == [589_824]  # ≈ 590K
    bottleneck = block_terms("bottleneck", s)
    assert [t.macs_per_position for t in bottleneck] == [16_384, 36_864, 16_384]  # ≈ 70K
    assert sum(t.macs_per_position for t in bottleneck) == 69_632
    assert sum(t.macs_per_position for t in block_terms("separable", s)) == 9 * 256 + 256 * 256
    assert block_terms("grouped", s)[0].macs_per_position == 9 * 8 * 256


@pytest.mark.parametrize("design", DESIGNS)
def test_block_terms_match_count_of_the_torch_block(design):
    s = BlockSettings(c_in=48, c_out=96, mid=16, kernel=3, groups=4)
    block = build_block(design, s, "cpu")
    report = count(block, (2, 48, 10, 10))
    terms = block_terms(design, s)
    assert report.macs == 100 * sum(t.macs_per_position for t in terms)
    assert report.params == sum(t.weights for t in terms)
    assert report.rows[-1].output_shape == (96, 10, 10)


@pytest.mark.parametrize(
    "settings, message",
    [
        (BlockSettings(c_in=0), "c_in must be at least 1"),
        (BlockSettings(c_in=250, groups=32), "divisible by 32"),
        (BlockSettings(kernel=4), "must be odd"),
    ],
)
def test_invalid_blocks(settings, message):
    with pytest.raises(ValueError, match=message):
        block_terms("grouped", settings)


def test_bad_groups_affect_only_the_grouped_design():
    s = BlockSettings(groups=33)
    assert block_terms("plain", s)[0].macs_per_position == 9 * 256 * 256
    assert len(block_terms("bottleneck", s)) == 3
    with pytest.raises(ValueError, match="values that work: 1, 2, 4, 8, 16, 32, 64, 128, 256"):
        block_terms("grouped", s)
    assert valid_groups(48, 96) == [1, 2, 3, 4, 6, 8, 12, 16, 24, 48]


def test_time_blocks_measures_every_design():
    s = BlockSettings(c_in=32, c_out=32, mid=8, groups=4)
    timings = time_blocks(s, batch=1, side=8, repeats=2, device="cpu")
    assert [t.design for t in timings] == list(DESIGNS)
    assert timings[0].macs == 64 * 9 * 32 * 32
    assert all(t.median_ms > 0 and len(t.times_ms) == 2 for t in timings)


def test_seed002_exercise_table():
    report = count_stack(SEED002_EXERCISE, 3, 256)
    shapes = [r.output_shape for r in report.rows]
    assert shapes == [(16, 256, 256), (16, 64, 64), (32, 64, 64), (32, 16, 16), (8192,), (10,)]
    assert [r.units for r in report.rows] == [256 * 256 * 16, 64 * 64 * 16, 64 * 64 * 32,
                                              16 * 16 * 32, 8192, 10]  # fmt: skip
    weights = [r.params - r.biases for r in report.rows]
    assert weights == [4 * 4 * 3 * 16, 0, 4 * 4 * 16 * 32, 0, 0, 8192 * 10]
    assert report.macs == 256 * 256 * 768 + 64 * 64 * 8192 + 81_920


@pytest.mark.parametrize(
    "specs, message",
    [
        ([LayerSpec("dense", 10)], "flatten the 3×8×8 maps first"),
        ([LayerSpec("flatten"), LayerSpec("conv", 4, 3)], "comes after flatten"),
        ([LayerSpec("pool", 0, 9, 9)], "a 9×9 window on a 8×8 map"),
        ([LayerSpec("conv", 0, 3)], "at least 1 filter"),
    ],
)
def test_bad_stacks(specs, message):
    with pytest.raises(ValueError, match=message):
        build_stack(specs, 3, 8)


@pytest.mark.parametrize("name", list(TORCHVISION_NAME))
def test_count_matches_torchvision_published_figures(name):
    with torch.device("meta"):
        model = ARCHITECTURES[name]()
    side = INPUT_SIDE[name]
    report = count(model, (1, 3, side, side))
    meta = get_model_weights(TORCHVISION_NAME[name]).DEFAULT.meta
    assert report.params == meta["num_params"]
    assert round(report.macs / 1e9, 3) == pytest.approx(meta["_ops"], abs=1e-9)


def test_offered_models_include_the_required_ones():
    wanted = {
        "alexnet",
        "vgg16",
        "resnet18",
        "resnet50",
        "mobilenet_v2",
        "googlenet",
        "densenet121",
    }
    assert wanted <= set(TORCHVISION_NAME.values())


def test_count_on_real_weights_agrees_and_leaves_the_model_alone():
    model = LeNet5().eval()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    report = count(model, (4, 1, 32, 32))
    assert report.params == 61_706
    assert [r.output_shape for r in report.rows if r.kind in ("Conv2d", "Linear")] == [
        (6, 28, 28), (16, 10, 10), (120,), (84,), (10,)]  # fmt: skip
    assert report.macs == 6 * 784 * 25 + 16 * 100 * 150 + 400 * 120 + 120 * 84 + 84 * 10
    assert not model._forward_hooks and all(not m._forward_hooks for m in model.modules())
    for key, value in model.state_dict().items():
        assert value.device.type == "cpu" and torch.equal(value, before[key])


def test_count_bad_input_shape():
    with pytest.raises(ValueError, match="cannot take an input") as info:
        count(LeNet5(), (1, 3, 32, 32))
    assert "at its first layer" in str(info.value) and "weight of size" not in str(info.value)
    with pytest.raises(ValueError, match=r"stops after `classifier.0`, whose output is 44944 "):
        count(LeNet5(), (1, 1, 224, 224))  # the classifier is built for 32×32
    with pytest.raises(ValueError, match="batch axis"):
        count(LeNet5(), (32,))


def test_count_shared_module_and_transposed_conv():
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    report = count(model, (3, 4))
    assert report.params == 20 and report.macs == 32  # two calls of 16 MACs, params once
    up = count(nn.ConvTranspose2d(2, 3, 2, stride=2), (1, 2, 5, 5))
    assert up.macs == 2 * 25 * 3 * 4 and up.rows[0].output_shape == (3, 10, 10)
