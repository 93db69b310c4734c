"""Why shortcuts help (seeds 001, 002 on ResNet): the gradient reaching each layer of a deep
plain stack of convolutions vanishes on its way down, while the same stack with identity
shortcuts (``x + f(x)``) passes it on.

:func:`gradient_norms` builds both stacks with the same seeded weights, runs one backward pass of
a cross-entropy loss on one batch of random inputs and labels, and returns the norm of each
layer's weight gradient, first layer first.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnplay.seeding import generator, seeded


@dataclass(frozen=True)
class StackSettings:
    depth: int = 30  # 3×3 convolutions in the stack (each followed by a ReLU)
    width: int = 16  # channels of every convolution
    side: int = 16  # input side, pixels
    batch: int = 8  # random images in the one batch
    classes: int = 10  # outputs of the linear head (random labels)
    seed: int = 0  # weights, inputs and labels


class ConvStack(nn.Module):
    """A stem (3 → width), ``depth`` 3×3 conv + ReLU layers, global average pooling and a linear
    head. residual=True adds an identity shortcut around each layer: x ← x + relu(conv(x)).
    Input (N, 3, H, W) -> logits (N, classes)."""

    def __init__(self, depth: int, width: int, classes: int, residual: bool) -> None:
        super().__init__()
        self.residual = residual
        self.stem = nn.Conv2d(3, width, 3, padding=1)
        self.layers = nn.ModuleList(nn.Conv2d(width, width, 3, padding=1) for _ in range(depth))
        self.head = nn.Linear(width, classes)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = F.relu(self.stem(x))  # (N, width, H, W)
        for conv in self.layers:
            y = F.relu(conv(x))  # (N, width, H, W)
            x = x + y if self.residual else y
        return self.head(x.mean(dim=(2, 3)))  # (N, classes)


def gradient_norms(s: StackSettings, residual: bool) -> np.ndarray:
    """(depth,) float64: the L2 norm of each stack layer's weight gradient (first layer first)
    after one backward pass of the cross-entropy of random labels on one batch of random
    N(0, 1) inputs. Weights, inputs and labels come from ``s.seed`` alone, so the plain and the
    residual stack start from the very same weights."""
    if min(s.depth, s.width, s.side, s.batch, s.classes) < 1:
        raise ValueError("depth, width, side, batch and classes must be at least 1")
    model = seeded(lambda: ConvStack(s.depth, s.width, s.classes, residual), s.seed)
    gen = generator(s.seed + 1)
    x = torch.randn(s.batch, 3, s.side, s.side, generator=gen)  # (N, 3, H, W)
    labels = torch.randint(0, s.classes, (s.batch,), generator=gen)  # (N,)
    F.cross_entropy(model(x), labels).backward()
    return np.array([float(conv.weight.grad.norm()) for conv in model.layers], np.float64)
