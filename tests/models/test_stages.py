"""cnnplay.models.stages: which stages of a backbone give feature maps, and the truncated
network built from the model's own modules (read-only)."""

from __future__ import annotations

import torch

from cnnplay.models.pretrained import DEFAULT_MODEL, body_stages, load_pretrained
from cnnplay.models.stages import feature_stages, model_device, truncated
from tests.models.tiny import Tiny


def test_feature_stages_of_a_toy_follow_its_shapes() -> None:
    model = Tiny().eval()
    rows = feature_stages(model, side=32)
    # conv1 16, bn 16, relu 16, pool 8, layer1 8 (6 ch), layer2 4, layer3 4, layer4 4 (5 ch)
    assert [r.side for r in rows] == [16, 16, 16, 8, 8, 4, 4, 4]
    assert [r.channels for r in rows] == [4, 4, 4, 4, 6, 8, 8, 5]
    assert [r.depth for r in rows] == [1, 1, 1, 1, 2, 3, 3, 4]  # convolutions so far
    assert rows[4].label == "stage 4 (layer1) · 6 channels, 8×8"
    assert [r.name for r in rows[:4]] == ["conv1", "bn1", "relu", "maxpool"]
    # the global pool's 1×1 output and the flattened vector are not feature maps
    assert len(body_stages(model)) == len(rows) + 2


def test_truncated_uses_the_models_own_modules_and_matches_its_forward() -> None:
    torch.manual_seed(0)
    model = Tiny().eval()
    x = torch.randn(2, 3, 32, 32)
    cut = truncated(model, 4)
    assert cut[0] is model.conv1 and cut[-1] is model.layer1
    with torch.no_grad():
        expected = model.layer1(model.maxpool(model.relu(model.bn1(model.conv1(x)))))
        torch.testing.assert_close(cut(x), expected)
    assert model_device(model) == next(model.parameters()).device


def test_efficientnet_stages_end_in_1280_channels_at_a_32nd_of_the_side() -> None:
    model = load_pretrained(DEFAULT_MODEL)
    rows = feature_stages(model, side=224)
    assert rows[0].side == 112 and rows[-1].side == 7 and rows[-1].channels == 1280
    sides = [r.side for r in rows]
    assert sides == sorted(sides, reverse=True)  # never grows with depth
    before = {k: v.clone() for k, v in model.state_dict().items()}
    x = torch.randn(1, 3, 64, 64, requires_grad=True)
    (grad,) = torch.autograd.grad(truncated(model, rows[5].index)(x).square().mean(), x)
    assert grad.abs().sum() > 0
    for k, v in model.state_dict().items():  # a gradient w.r.t. the input changes nothing
        torch.testing.assert_close(v, before[k], rtol=0, atol=0)
