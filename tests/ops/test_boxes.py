"""cnnplay.ops.boxes against torchvision.ops (float64): IoU, NMS (ties and degenerate boxes
included), per-class NMS, anchors and the encode/decode round trip."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torchvision
from torch.testing import assert_close
from torchvision.models.detection._utils import BoxCoder

from cnnplay.ops.boxes import (
    anchor_shapes,
    anchors_at,
    batched_nms,
    box_iou,
    decode,
    encode,
    grid_anchors,
    match_anchors,
    nms,
    nms_trace,
)


def random_boxes(rng: np.random.Generator, n: int, degenerate: float = 0.0, grid: bool = False):
    """(n, 4) xyxy boxes; ``degenerate`` of them have zero width or height; ``grid`` rounds
    coordinates to integers so that exact IoU ties and duplicates happen."""
    xy = rng.uniform(0, 100, (n, 2))
    wh = rng.uniform(1, 40, (n, 2))
    if grid:
        xy, wh = np.round(xy / 5) * 5, np.round(wh / 5) * 5 + 5
    flat = rng.random(n) < degenerate
    wh[flat, rng.integers(0, 2, flat.sum())] = 0.0
    return np.concatenate([xy, xy + wh], axis=1)


def tv_nms(boxes, scores, thr):
    return torchvision.ops.nms(
        torch.from_numpy(boxes).double(), torch.from_numpy(scores).double(), thr
    ).numpy()


@pytest.mark.parametrize("seed", range(40))
def test_iou_matches_torchvision(seed):
    rng = np.random.default_rng(seed)
    a, b = random_boxes(rng, 7, grid=seed % 2 == 0), random_boxes(rng, 5)
    expected = torchvision.ops.box_iou(torch.from_numpy(a), torch.from_numpy(b))
    assert_close(torch.from_numpy(box_iou(a, b)), expected)


def test_iou_by_hand_and_degenerate():
    a = np.array([[0, 0, 2, 2]])
    b = np.array([[1, 1, 3, 3], [2, 2, 4, 4], [0, 0, 2, 2], [5, 5, 5, 9]])
    assert np.allclose(box_iou(a, b), [[1 / 7, 0.0, 1.0, 0.0]])
    assert box_iou(b[3], b[3])[0, 0] == 0.0  # two empty boxes: 0, not nan
    assert box_iou(a, np.zeros((0, 4))).shape == (1, 0)


@pytest.mark.parametrize("thr", [0.0, 0.3, 0.5, 0.7, 1.0])
@pytest.mark.parametrize("seed", range(30))
def test_nms_keeps_what_torchvision_keeps(seed, thr):
    rng = np.random.default_rng(seed)
    n = int(rng.integers(1, 60))
    boxes = random_boxes(rng, n, degenerate=0.15, grid=seed % 3 == 0)
    scores = rng.random(n)
    if seed % 2:  # many exactly equal scores
        scores = np.round(scores * 4) / 4
    if seed % 5 == 0:  # duplicated boxes with equal scores
        boxes[n // 2 :] = boxes[: n - n // 2]
        scores[n // 2 :] = scores[: n - n // 2]
    keep = nms(boxes, scores, thr)
    assert keep.dtype == np.int64
    np.testing.assert_array_equal(keep, tv_nms(boxes, scores, thr))


def test_nms_empty_and_single():
    assert nms(np.zeros((0, 4)), np.zeros(0), 0.5).shape == (0,)
    np.testing.assert_array_equal(nms(np.array([[0, 0, 1, 1]]), np.array([0.3]), 0.5), [0])


@pytest.mark.parametrize("seed", range(15))
def test_batched_nms_matches_torchvision(seed):
    rng = np.random.default_rng(100 + seed)
    n = int(rng.integers(1, 50))
    boxes, scores = random_boxes(rng, n, grid=True), rng.random(n)
    labels = rng.integers(0, 3, n)
    expected = torchvision.ops.batched_nms(
        torch.from_numpy(boxes), torch.from_numpy(scores), torch.from_numpy(labels), 0.4
    ).numpy()
    np.testing.assert_array_equal(batched_nms(boxes, scores, labels, 0.4), expected)
    np.testing.assert_array_equal(nms_trace(boxes, scores, 0.4, labels).keep, expected)


def test_trace_accounts_for_every_box():
    rng = np.random.default_rng(7)
    boxes, scores = random_boxes(rng, 40), rng.random(40)
    trace = nms_trace(boxes, scores, 0.3)
    seen = [s.kept for s in trace.steps] + [i for s in trace.steps for i in s.suppressed]
    assert sorted(seen) == list(range(40))  # each box is kept or suppressed exactly once
    for step in trace.steps:
        ious = box_iou(boxes[step.kept], boxes[step.suppressed])[0]
        assert np.allclose(ious, step.suppressed_iou) and (ious > 0.3).all()
        assert all(scores[step.kept] >= scores[i] for i in step.remaining)
    assert len(trace.steps[-1].remaining) == 0
    assert list(trace.order) == list(np.argsort(-scores, kind="stable"))


def test_anchor_shapes_keep_area_and_ratio():
    shapes = anchor_shapes([32, 64, 128], [0.5, 1.0, 2.0])
    assert shapes.shape == (9, 2)  # Faster R-CNN's k = 9
    assert np.allclose(shapes[:, 0] * shapes[:, 1], np.repeat([32, 64, 128], 3) ** 2)
    assert np.allclose(shapes[:, 1] / shapes[:, 0], np.tile([0.5, 1.0, 2.0], 3))
    a = anchors_at(50, 40, shapes)
    assert np.allclose((a[:, :2] + a[:, 2:]) / 2, [50, 40])


def test_grid_anchors_are_cell_centred():
    g = grid_anchors(4, 16, np.array([[10.0, 20.0]]))
    assert g.shape == (4, 4, 1, 4)
    np.testing.assert_allclose(g[1, 2, 0], [40 - 5, 24 - 10, 40 + 5, 24 + 10])


@pytest.mark.parametrize("seed", range(10))
def test_encode_matches_torchvision_boxcoder_and_round_trips(seed):
    rng = np.random.default_rng(seed)
    boxes, anchors = random_boxes(rng, 20), random_boxes(rng, 20)
    deltas = encode(boxes, anchors)
    coder = BoxCoder(weights=(1.0, 1.0, 1.0, 1.0))
    expected = coder.encode_single(torch.from_numpy(boxes), torch.from_numpy(anchors))
    assert_close(torch.from_numpy(deltas), expected)
    assert_close(torch.from_numpy(decode(deltas, anchors)), torch.from_numpy(boxes))
    tv = coder.decode_single(torch.from_numpy(deltas), torch.from_numpy(anchors))
    assert_close(torch.from_numpy(decode(deltas, anchors)), tv)


def test_match_anchors_picks_highest_iou():
    anchors = anchors_at(50, 50, anchor_shapes([20, 40], [0.5, 1, 2]))
    gt = np.array([[30, 30, 70, 70], [45, 30, 55, 70]])  # a 40² square, a tall 10×40 box
    idx, iou = match_anchors(gt, anchors)
    assert idx[0] == 4  # scale 40, ratio 1
    assert idx[1] in (2, 5)  # a tall anchor (ratio 2)
    np.testing.assert_allclose(iou, box_iou(gt, anchors).max(axis=1))
