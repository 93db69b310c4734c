"""Body/head split of the pretrained backbones and the small scratch CNN."""

from __future__ import annotations

import torch
from torch import nn
from torchvision.models import mobilenet_v3_small, resnet18

from cnnplay.models.pretrained import body_stages, feature_dim, tunable_stages
from cnnplay.models.small_cnn import SmallCNN


def _check(model: nn.Module) -> None:
    model.eval()
    x = torch.randn(2, 3, 64, 64)
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    with torch.no_grad():
        feats = body_stages(model)(x)  # (2, D)
        torch.testing.assert_close(last(feats), model(x))  # body + last linear = the model
    assert feats.shape == (2, feature_dim(model))


def test_split_of_efficientnet_lite0():
    from cnnplay.models.pretrained import efficientnet_lite0_architecture

    torch.manual_seed(0)
    model = efficientnet_lite0_architecture()
    _check(model)
    stages = body_stages(model)
    tunable = tunable_stages(stages)
    assert len(stages) == 12 and stages[tunable[-1]] is model.conv_head
    assert stages[tunable[-2]] is model.blocks[6]


def test_split_of_torchvision_models():
    torch.manual_seed(0)
    _check(resnet18())
    _check(mobilenet_v3_small())


def test_small_cnn_shapes_and_size():
    model = SmallCNN(num_classes=5)
    assert model(torch.randn(3, 3, 96, 96)).shape == (3, 5)
    assert sum(p.numel() for p in model.parameters()) == 432 + 32 + 4608 + 64 + 18432 + 128 + 325
