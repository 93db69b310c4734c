"""LeNet-5: shapes and parameter count as in its docstring."""

import torch

from cnnplay.models.lenet import LeNet5


def test_lenet_shapes_and_params():
    model = LeNet5()
    x = torch.zeros(2, 1, 32, 32)
    assert model.features(x).shape == (2, 16, 5, 5)
    assert model(x).shape == (2, 10)
    assert sum(p.numel() for p in model.parameters()) == 61_706
