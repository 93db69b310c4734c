"""Fixtures the tests of cnnplay.learned share."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from tests.models.tiny import Tiny


@pytest.fixture(scope="module")
def tiny() -> nn.Module:
    """The tiny ResNet-shaped backbone (tests/models/tiny.py), seeded, eval mode, frozen."""
    torch.manual_seed(0)
    return Tiny().eval().requires_grad_(False)
