"""A small CNN trained from scratch: the baseline the transfer-learning page compares with.

Three conv → batch norm → ReLU → 2×2 max-pool stages (widths w, 2w, 4w; the first conv has
stride 2, which makes it 4× cheaper), global average pooling (seed 001: h × w × d → 1 × 1 × d)
and one linear layer. Any input side ≥ 16 works.
"""

from __future__ import annotations

from torch import Tensor, nn


class SmallCNN(nn.Module):
    """Input (N, 3, S, S) normalised pixels -> logits (N, num_classes).

    Shapes for S = 96, width w = 16::

        conv 3×3 s2, 3 → 16, pool  (16, 24, 24)
        conv 3×3, 16 → 32, pool    (32, 12, 12)
        conv 3×3, 32 → 64, pool    (64, 6, 6)
        global average pool        (64,)
        linear 64 → K              (K,)
    """

    def __init__(self, num_classes: int, width: int = 16, in_channels: int = 3) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        channels = in_channels
        for stage, out in enumerate((width, 2 * width, 4 * width)):
            stride = 2 if stage == 0 else 1  # a strided first conv: 4× cheaper, fine for S ≥ 64
            layers += [
                nn.Conv2d(channels, out, 3, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(out),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            channels = out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x: Tensor) -> Tensor:
        x = self.features(x)  # (N, 4w, S/16, S/16)
        x = self.pool(x).flatten(1)  # (N, 4w)
        return self.classifier(x)  # (N, K)
