"""Multiply-accumulates of cnnplay.cost.count against torch's own FLOP counter
(torch.utils.flop_counter.FlopCounterMode), which counts 2 FLOPs per multiply-accumulate of a
convolution or matrix product (bias additions not counted, like our MACs). The networks here
have no other counted operations, so FLOPs = 2 × MACs exactly."""

from __future__ import annotations

from collections.abc import Callable

import pytest
import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode
from torchvision import models

from cnnplay.cost import count
from cnnplay.models.lenet import LeNet5


def torch_flops(build: Callable[[], nn.Module], shape: tuple[int, ...]) -> int:
    """FLOPs of one forward pass of build()'s model on a meta tensor of ``shape`` (shapes only:
    nothing is allocated or computed)."""
    with torch.device("meta"):
        model = build().eval()
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(torch.empty(shape, device="meta"))
    return int(counter.get_total_flops())


CASES = [
    ("lenet5", LeNet5, (1, 1, 32, 32)),
    ("resnet18", lambda: models.resnet18(weights=None), (1, 3, 224, 224)),
    ("resnet18 small, batch 2", lambda: models.resnet18(weights=None), (2, 3, 64, 64)),
    ("mobilenet_v2", lambda: models.mobilenet_v2(weights=None), (1, 3, 224, 224)),
    ("mobilenet_v2 small", lambda: models.mobilenet_v2(weights=None), (1, 3, 96, 96)),
]


@pytest.mark.parametrize(("name", "build", "shape"), CASES, ids=[c[0] for c in CASES])
def test_macs_are_half_of_torch_flops(
    name: str, build: Callable[[], nn.Module], shape: tuple[int, ...]
) -> None:
    with torch.device("meta"):
        model = build()
    ours = count(model, shape).macs  # per sample
    assert 2 * ours * shape[0] == torch_flops(build, shape), name


def test_known_totals() -> None:
    """Anchors beside the counter: LeNet-5's 416,520 MACs (C1 117,600 + C3 240,000 + dense
    48,000 + 10,080 + 840) and torchvision's published 1.81 GFLOPS (= GMACs) for resnet18."""
    with torch.device("meta"):
        assert count(LeNet5(), (1, 1, 32, 32)).macs == 416_520
        assert round(count(models.resnet18(), (1, 3, 224, 224)).macs / 1e9, 2) == 1.81
