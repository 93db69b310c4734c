"""A tiny ResNet-shaped backbone for tests of code built on ``body_stages`` (its family is known
by its children's names): conv 3/2 p1, bn, relu, max pool 2, conv 3 p1, conv 3/2 p1, identity,
conv 1×1, global average pool, linear."""

from __future__ import annotations

import torch
from torch import nn


class Tiny(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv1 = nn.Conv2d(3, 4, 3, stride=2, padding=1)
        self.bn1 = nn.BatchNorm2d(4)
        self.relu = nn.ReLU()
        self.maxpool = nn.MaxPool2d(2)
        self.layer1 = nn.Conv2d(4, 6, 3, padding=1)
        self.layer2 = nn.Conv2d(6, 8, 3, stride=2, padding=1)
        self.layer3 = nn.Identity()
        self.layer4 = nn.Conv2d(8, 5, 1)
        self.avgpool = nn.AdaptiveAvgPool2d(1)
        self.fc = nn.Linear(5, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.maxpool(self.relu(self.bn1(self.conv1(x))))  # (N, 4, H/4, W/4)
        x = self.layer4(self.layer3(self.layer2(self.layer1(x))))  # (N, 5, H/8, W/8)
        return self.fc(self.avgpool(x).flatten(1))  # (N, 3)
