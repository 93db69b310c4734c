"""The NMS rule at its boundary: the Detection page says it discards at IoU > t (torchvision's
rule; seed 002's slide says ≥ 0.5). A box with IoU exactly t is kept by the page's pipeline
(``postprocess``), by its step-by-step NMS (``nms_trace``) and by torchvision alike."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision

from cnnplay.detection.detector import RawDetections, postprocess
from cnnplay.ops.boxes import box_iou, nms_trace

BOXES = np.array([[0.0, 0.0, 2.0, 1.0], [0.0, 0.0, 1.0, 1.0]])  # IoU = 1 / 2 exactly
SCORES = np.array([0.9, 0.8])


def raw_of(boxes: np.ndarray, scores: np.ndarray) -> RawDetections:
    """Raw output with these boxes, all of class 1, objectness = score."""
    n = len(boxes)
    probs = np.tile([[1.0, 0.0, 0.0]], (n, 1))  # (n, C)
    return RawDetections(boxes, scores, probs, np.zeros((1, 1)), grid=1, seconds=0.0)


def test_the_pair_overlaps_at_exactly_one_half():
    assert box_iou(BOXES[:1], BOXES[1:])[0, 0] == 0.5


@pytest.mark.parametrize("per_class", [True, False])
@pytest.mark.parametrize("t, kept", [(0.5, 2), (0.49, 1), (0.51, 2)])
def test_iou_equal_to_t_is_kept_everywhere(t, kept, per_class):
    trace = nms_trace(BOXES, SCORES, t, np.array([1, 1]) if per_class else None)
    assert len(trace.keep) == kept
    tv = torchvision.ops.nms(torch.from_numpy(BOXES), torch.from_numpy(SCORES), t)
    assert len(tv) == kept
    assert len(postprocess(raw_of(BOXES, SCORES), 0.0, t, per_class).boxes) == kept


def test_the_slides_rule_would_discard_the_tie():
    """Seed 002's ≥: the same pair at t = 0.5 would lose its second box."""
    iou = box_iou(BOXES[:1], BOXES[1:])[0, 0]
    assert iou >= 0.5 and not iou > 0.5
