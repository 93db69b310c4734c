"""cnnplay.detection.sliding_window: window layout, batched scoring with progress, and the NMS step."""

from __future__ import annotations

import numpy as np
import torch
from torch import nn

from cnnplay.detection.sliding_window import WindowConfig, keep_windows, score_windows, window_boxes
from cnnplay.models.pretrained import DEFAULT_MODEL, REGISTRY


class RedDetector(nn.Module):
    """A stand-in classifier: class 0's logit is the mean red of the window, class 1's 0."""

    def __init__(self) -> None:
        super().__init__()
        self.scale = nn.Parameter(torch.tensor(20.0))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        red = x[:, 0].mean(dim=(1, 2))  # (N,)
        return torch.stack([self.scale * red, torch.zeros_like(red)], dim=1)  # (N, 2)


def test_windows_cover_the_image_at_each_scale():
    cfg = WindowConfig(scales=(0.5, 1.0), overlap=0.5)
    boxes = window_boxes(100, 200, cfg)
    sides = boxes[:, 2] - boxes[:, 0]
    assert set(sides) == {50.0, 100.0} and np.all(boxes[:, 3] - boxes[:, 1] == sides)
    assert (sides == 50).sum() == 7 * 3  # stride 25: x 0..150, y 0..50
    assert (sides == 100).sum() == 3  # stride 50: x 0, 50, 100
    assert boxes.min() == 0 and boxes[:, 2].max() == 200 and boxes[:, 3].max() == 100


def test_scores_batches_progress_and_nms():
    image = np.zeros((64, 96, 3), np.uint8)
    image[:32, 64:] = 255  # a red-ish (white) patch top right
    calls = []
    cfg = WindowConfig(scales=(0.5,), overlap=0.5, batch=4, input_side=16)
    res = score_windows(
        RedDetector(), REGISTRY[DEFAULT_MODEL], image, 0, cfg, lambda d, t, m: calls.append(d)
    )
    n = len(window_boxes(64, 96, cfg))
    assert res.passes == n and res.batches == -(-n // 4) and calls[-1] == n
    best = res.boxes[res.scores.argmax()]
    np.testing.assert_array_equal(best, [64, 0, 96, 32])
    cand, kept = keep_windows(res, 0.9, 0.5)
    assert set(kept) <= set(cand) and res.scores[kept[0]] == res.scores.max()
    assert np.all(res.scores[cand] >= 0.9) and len(kept) <= len(cand)
