"""LeNet-5 (LeCun et al., 1998), the network seed 002's case studies start from.

Convolution → pooling → convolution → pooling → three fully connected layers, on 32×32 grayscale
digits (MNIST padded by 2 pixels). Subsampling is average pooling and the non-linearity tanh, as in
the paper; C3's partial channel connection table is replaced by a full connection (the usual modern
simplification), so the counts are those of the common re-implementations: 61,706 parameters.
"""

from __future__ import annotations

import torch
from torch import nn


class LeNet5(nn.Module):
    """Input (N, 1, 32, 32) float, any range -> logits (N, num_classes).

    Shapes, one sample::

        C1 conv 5×5, 1 → 6      (6, 28, 28)     156 params
        S2 avg pool 2×2, s 2    (6, 14, 14)
        C3 conv 5×5, 6 → 16     (16, 10, 10)    2,416 params
        S4 avg pool 2×2, s 2    (16, 5, 5)
        C5 dense 400 → 120      (120,)          48,120 params
        F6 dense 120 → 84       (84,)           10,164 params
        output dense 84 → 10    (10,)           850 params
    """

    def __init__(self, num_classes: int = 10, in_channels: int = 1) -> None:
        super().__init__()
        self.features = nn.Sequential(
            nn.Conv2d(in_channels, 6, 5),  # C1
            nn.Tanh(),
            nn.AvgPool2d(2, 2),  # S2
            nn.Conv2d(6, 16, 5),  # C3
            nn.Tanh(),
            nn.AvgPool2d(2, 2),  # S4
        )
        self.classifier = nn.Sequential(
            nn.Flatten(),
            nn.Linear(16 * 5 * 5, 120),  # C5
            nn.Tanh(),
            nn.Linear(120, 84),  # F6
            nn.Tanh(),
            nn.Linear(84, num_classes),
        )

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.classifier(self.features(x))  # (N, 1, 32, 32) -> (N, 16, 5, 5) -> (N, 10)
