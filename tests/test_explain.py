"""cnnplay.explain on tiny hand-built models where the right answer is known, and on the
pretrained default for shapes, ranges and leaving the model untouched."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torch import nn

from cnnplay.explain import (
    LayerRecorder,
    activations,
    fgsm,
    first_conv_filters,
    flip_epsilon,
    grad_cam,
    guided_backprop,
    guided_model,
    layer_table,
    occlusion,
    predict,
    saliency,
    strongest_channels,
)
from cnnplay.models.copies import shared_weights_copy


def hook_count(model: nn.Module) -> int:
    return sum(len(m._forward_hooks) + len(m._forward_pre_hooks) for m in model.modules())


class Halves(nn.Module):
    """Class 0 = mean of the left half of channel 0, class 1 = mean of the right half of
    channel 1.

    features: a 1x1 conv copying channels 0 and 1 into two maps, then a ReLU; head: class c
    reads only map c, restricted to its half of the image."""

    def __init__(self, side: int = 8) -> None:
        super().__init__()
        self.features = nn.Sequential(nn.Conv2d(3, 2, 1, bias=False), nn.ReLU())
        with torch.no_grad():
            self.features[0].weight.zero_()
            self.features[0].weight[0, 0] = 1.0
            self.features[0].weight[1, 1] = 1.0
        mask = torch.zeros(2, 1, side, side)
        mask[0, :, :, : side // 2] = 1.0
        mask[1, :, :, side // 2 :] = 1.0
        self.register_buffer("mask", mask)
        self.requires_grad_(False)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        maps = self.features(x)  # (N, 2, H, W)
        return (maps * self.mask[:, 0]).flatten(2).sum(2) / self.mask[0].sum()  # (N, 2)


def bright_left(side: int = 8) -> torch.Tensor:
    """Channel 0 bright on the left (class 0's evidence), channel 1 dimmer on the right."""
    x = torch.zeros(3, side, side)
    x[0, :, : side // 2] = 1.0
    x[1, :, side // 2 :] = 0.5
    return x


def test_grad_cam_points_at_the_half_that_decides():
    model, x = Halves().eval(), bright_left()
    assert predict(model, x, k=2)[1][0] == 0
    left = grad_cam(model, "features.1", x, 0)
    right = grad_cam(model, "features.1", x, 1)
    assert left.shape == (8, 8) and left.min() >= 0 and left.max() == pytest.approx(1.0)
    assert left[:, :3].min() > 0.9 and left[:, 5:].max() < 0.1
    assert right[:, 5:].min() > 0.9 and right[:, :3].max() < 0.1
    assert hook_count(model) == 0


def test_saliency_and_guided_backprop_on_known_gradients():
    model, x = Halves().eval(), bright_left()
    sal = saliency(model, x, 1)
    assert sal.shape == (8, 8) and (sal >= 0).all()
    np.testing.assert_allclose(sal[:, 4:], 1 / 32)  # d mean / d pixel on its half
    np.testing.assert_allclose(sal[:, :4], 0)
    guided = guided_backprop(model, x, 0)
    np.testing.assert_array_equal(guided_backprop(model, x, 0, guided_model(model)), guided)
    assert guided.shape == (3, 8, 8)
    np.testing.assert_allclose(guided[0, :, :4], 1 / 32)
    np.testing.assert_allclose(guided[1:], 0)


def test_guided_model_is_a_copy_that_shares_the_weights():
    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Conv2d(4, 2, 3), nn.ReLU6())
    guided = guided_model(model)
    assert isinstance(model[1], nn.ReLU) and isinstance(model[3], nn.ReLU6)
    assert type(guided[1]).__name__ == "GuidedReLU" and guided[3].upper == 6.0
    assert guided[0] is not model[0] and guided[0].weight is model[0].weight  # no weight copied


def test_occlusion_finds_the_deciding_half_and_reports_progress():
    model, x = Halves(16).eval(), torch.zeros(3, 16, 16)
    x[0, :, :8] = 1.0
    steps = []
    result = occlusion(
        model, x, 0, patch=4, stride=4, batch_size=3, on_progress=lambda *a: steps.append(a)
    )
    assert result.drops.shape == (4, 4) and result.heat.shape == (16, 16)
    assert (result.drops[:, :2] > 0).all() and np.allclose(result.drops[:, 2:], 0)
    assert [s[:2] for s in steps][-1] == (16, 16) and len(steps) == 6
    assert result.positions[0] == (0, 0) and result.positions[-1] == (12, 12)


def test_occlusion_stops_when_asked():
    model, x = Halves(16).eval(), torch.zeros(3, 16, 16)
    steps = []
    result = occlusion(
        model,
        x,
        0,
        patch=4,
        stride=4,
        batch_size=3,
        on_progress=lambda *a: steps.append(a),
        should_stop=lambda: len(steps) >= 2,  # Stop pressed after the second batch
    )
    assert result is None and len(steps) == 2


def test_occlusion_covers_the_border_with_an_uneven_stride():
    model = Halves(10).eval()
    result = occlusion(model, torch.ones(3, 10, 10), 1, patch=4, stride=4)
    assert [p[1] for p in result.positions[:3]] == [0, 4, 6]


class Linear2(nn.Module):
    """logits = [sum(x), -sum(x)]: class 0 while the mean is positive."""

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        s = x.flatten(1).sum(1, keepdim=True)
        return torch.cat([s, -s], 1)


def test_fgsm_flips_a_tiny_model_and_finds_the_epsilon():
    model = nn.Sequential(nn.Conv2d(3, 3, 1), Linear2()).eval()
    with torch.no_grad():
        model[0].weight.copy_(torch.eye(3).view(3, 3, 1, 1))
        model[0].bias.zero_()
    model.requires_grad_(False)
    x = torch.full((3, 4, 4), 0.1)  # mean 0.1 -> class 0; needs a step of just over 0.1
    assert predict(model, x, k=1)[1][0] == 0
    small = fgsm(model, x, 0.05, 0)
    assert small.label == 0 and torch.allclose(small.delta, torch.full_like(x, -0.05))
    big = fgsm(model, x, 0.2, 0)
    assert big.label == 1
    eps = flip_epsilon(model, x, 0, max_epsilon=1.0, refine=12)
    assert eps == pytest.approx(0.1, abs=1e-3) and eps > 0.1
    clipped = fgsm(model, x, 0.2, 0, bounds=(torch.zeros(3, 1, 1), torch.ones(3, 1, 1)))
    assert clipped.x.min() >= 0 and clipped.label == 0  # clipping at 0 keeps the sum >= 0
    assert flip_epsilon(model, x, 0, max_epsilon=0.05) is None


def test_recorder_removes_hooks_even_when_the_forward_raises():
    class Boom(nn.Module):
        def forward(self, x):
            raise RuntimeError("boom")

    model = nn.Sequential(nn.Conv2d(3, 2, 1), Boom())
    with pytest.raises(RuntimeError, match="boom"):
        with LayerRecorder(model, ["0"]) as rec:
            model(torch.zeros(1, 3, 4, 4))
    assert hook_count(model) == 0 and rec.outputs["0"].shape == (1, 2, 4, 4)
    with pytest.raises(RuntimeError, match="boom"):
        activations(model, "0", torch.zeros(3, 4, 4))
    assert hook_count(model) == 0
    with pytest.raises(AttributeError):  # unknown layer: nothing left registered
        with LayerRecorder(model, ["0", "nope"]):
            pass
    assert hook_count(model) == 0


# --- the pretrained default -----------------------------------------------------------------


@pytest.fixture(scope="module")
def setup():
    from cnnplay.images import load_sample
    from cnnplay.models.pretrained import DEFAULT_MODEL, REGISTRY, load_pretrained, preprocess

    model = load_pretrained(DEFAULT_MODEL)
    x = preprocess(load_sample("chelsea (cat)"), REGISTRY[DEFAULT_MODEL]).tensor
    return model, x


def state(model: nn.Module) -> dict:
    return {k: v.clone() for k, v in model.state_dict().items()}


def test_layer_table_in_forward_order_with_shapes(setup):
    model, _ = setup
    table = layer_table(model)
    names = [row.name for row in table]
    assert names[0] == "conv_stem" and names[-1] == "bn2"
    assert table[0].shape == (32, 112, 112) and table[-1].shape == (1280, 7, 7)
    sides = [row.shape[1] for row in table]
    assert sides == sorted(sides, reverse=True)  # maps shrink (or stay) with depth
    assert hook_count(model) == 0


def test_activations_and_filters(setup):
    model, x = setup
    maps = activations(shared_weights_copy(model), "blocks.3.0", x)
    assert maps.shape == (80, 14, 14) and maps.dtype == np.float32
    order = strongest_channels(maps, 5)
    means = maps.mean(axis=(1, 2))
    assert means[order[0]] == means.max() and list(means[order]) == sorted(means[order])[::-1]
    filters = first_conv_filters(model)
    assert filters.shape == (32, 3, 3, 3) and filters.min() >= 0 and filters.max() <= 1


def test_results_do_not_depend_on_other_calls_and_model_is_unchanged(setup):
    model, x = setup
    before = state(model)
    other = torch.flip(x, dims=[2])
    copy_ = shared_weights_copy(model)
    first = (saliency(model, x, 281), grad_cam(copy_, "blocks.5", x, 281))
    saliency(model, other, 3)
    grad_cam(copy_, "blocks.2", other, 7)
    guided_backprop(model, other, 7)
    fgsm(model, other, 0.01, 3)
    again = (saliency(model, x, 281), grad_cam(copy_, "blocks.5", x, 281))
    for a, b in zip(first, again, strict=True):
        np.testing.assert_array_equal(a, b)
    after = state(model)
    assert all(torch.equal(before[k], after[k]) for k in before)
    assert all(p.grad is None and not p.requires_grad for p in model.parameters())
    assert hook_count(model) == 0 and hook_count(copy_) == 0
    assert not model.training
