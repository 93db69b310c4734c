"""Boxes for detection: IoU, non-maximum suppression (with a step trace for teaching), anchors
and the anchor-relative encoding a detector regresses (seeds 000 and 002).

Boxes are ``(x0, y0, x1, y1)`` in pixels with ``x0 <= x1`` and ``y0 <= y1`` ("xyxy"), like
torchvision. The loop versions here are the teaching code and the reference the tests compare
with ``torchvision.ops``; real-sized work (thousands of boxes) goes through torchvision.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

BBOX_XFORM_CLIP = float(np.log(1000.0 / 16))  # largest log-scale a decoded box may grow by


def box_area(boxes: np.ndarray) -> np.ndarray:
    """(N, 4) xyxy -> (N,) areas; degenerate boxes (x1 <= x0 or y1 <= y0) have area 0."""
    b = np.asarray(boxes, np.float64).reshape(-1, 4)
    return np.clip(b[:, 2] - b[:, 0], 0, None) * np.clip(b[:, 3] - b[:, 1], 0, None)


def intersection(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """(N, 4), (M, 4) xyxy -> (N, M) areas of the pairwise intersections."""
    a = np.asarray(a, np.float64).reshape(-1, 4)
    b = np.asarray(b, np.float64).reshape(-1, 4)
    lt = np.maximum(a[:, None, :2], b[None, :, :2])  # (N, M, 2) top-left corners
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])  # (N, M, 2) bottom-right corners
    wh = np.clip(rb - lt, 0, None)  # (N, M, 2)
    return wh[..., 0] * wh[..., 1]


def box_iou(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """Intersection over union of every pair: (N, 4), (M, 4) xyxy -> (N, M) float64 in [0, 1].

    IoU = |A ∩ B| / (|A| + |B| - |A ∩ B|); a pair whose union is empty (two degenerate boxes)
    has IoU 0, as in ``torchvision.ops.box_iou`` up to its 0/0 = nan.
    """
    inter = intersection(a, b)  # (N, M)
    union = box_area(a)[:, None] + box_area(b)[None, :] - inter  # (N, M)
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


@dataclass
class NmsStep:
    kept: int  # index (into the input boxes) of the box output at this step
    suppressed: np.ndarray  # (D,) int64 indices discarded because IoU(kept, ·) > threshold
    suppressed_iou: np.ndarray  # (D,) float64 their IoU with the kept box, same order
    remaining: np.ndarray  # (R,) int64 indices still in play after this step, by falling score


@dataclass
class NmsTrace:
    order: list[int]  # all input indices by falling score (the starting queue)
    steps: list[NmsStep] = field(default_factory=list)  # one per kept box

    @property
    def keep(self) -> np.ndarray:
        """(K,) int64 kept indices, by falling score (what :func:`nms` returns)."""
        return np.asarray([s.kept for s in self.steps], np.int64)


def _score_order(scores: np.ndarray) -> np.ndarray:
    """Indices by falling score; equal scores keep their input order (a stable sort)."""
    return np.argsort(-np.asarray(scores, np.float64), kind="stable")


def nms_trace(
    boxes: np.ndarray,
    scores: np.ndarray,
    iou_threshold: float,
    labels: np.ndarray | None = None,
) -> NmsTrace:
    """Greedy non-maximum suppression, recorded step by step.

    boxes: (N, 4) xyxy; scores: (N,). Repeat until no box is left: output the box ``b`` with the
    highest score, then discard every remaining box whose IoU with ``b`` is *greater than*
    ``iou_threshold`` (torchvision's rule; the notes say ``>=``, which differs only on exact
    ties). Equal scores are taken in input order. With ``labels`` (N,), a box only suppresses
    boxes of its own label (per-class NMS, the notes' "of the same class").
    """
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    scores = np.asarray(scores, np.float64).reshape(-1)
    if len(boxes) != len(scores):
        raise ValueError(f"{len(boxes)} boxes but {len(scores)} scores")
    labels = None if labels is None else np.asarray(labels).reshape(-1)
    x0, y0, x1, y1 = (np.ascontiguousarray(boxes[:, k]) for k in range(4))  # (N,) each
    areas = box_area(boxes)  # (N,)
    queue = _score_order(scores)  # indices still in play, by falling score
    trace = NmsTrace(order=queue.tolist())
    while len(queue):
        best, rest = queue[0], queue[1:]
        # IoU of the best box with every remaining one (box_iou, written out for one row)
        w = np.clip(np.minimum(x1[best], x1[rest]) - np.maximum(x0[best], x0[rest]), 0, None)
        h = np.clip(np.minimum(y1[best], y1[rest]) - np.maximum(y0[best], y0[rest]), 0, None)
        inter = w * h  # (M,)
        union = areas[best] + areas[rest] - inter
        iou = np.divide(inter, union, out=np.zeros_like(inter), where=union > 0)
        if labels is not None:
            iou[labels[rest] != labels[best]] = 0.0  # other classes are never suppressed
        gone = iou > iou_threshold
        queue = rest[~gone]
        trace.steps.append(NmsStep(int(best), rest[gone], iou[gone], queue))
    return trace


def nms(boxes: np.ndarray, scores: np.ndarray, iou_threshold: float) -> np.ndarray:
    """Kept indices (K,) int64 by falling score, like ``torchvision.ops.nms`` (see nms_trace)."""
    return nms_trace(boxes, scores, iou_threshold).keep


def batched_nms(
    boxes: np.ndarray, scores: np.ndarray, labels: np.ndarray, iou_threshold: float
) -> np.ndarray:
    """Per-class NMS: boxes only suppress boxes of their own label. Kept indices by falling
    score, like ``torchvision.ops.batched_nms`` (and ``nms_trace(..., labels).keep``)."""
    labels = np.asarray(labels).reshape(-1)
    keep = [
        np.flatnonzero(labels == c)[nms(boxes[labels == c], scores[labels == c], iou_threshold)]
        for c in np.unique(labels)
    ]
    kept = np.concatenate(keep) if keep else np.zeros(0, np.int64)
    return kept[_score_order(np.asarray(scores)[kept])].astype(np.int64)


def anchor_shapes(scales: list[float], ratios: list[float]) -> np.ndarray:
    """(len(scales) * len(ratios), 2) anchor (width, height) in pixels, scale-major.

    An anchor of scale s and aspect ratio r = height / width has area s² : w = s / √r, h = s·√r
    (Faster R-CNN's k = 3 scales × 3 ratios = 9 anchors).
    """
    s = np.asarray(scales, np.float64)[:, None]  # (S, 1)
    r = np.asarray(ratios, np.float64)[None, :]  # (1, R)
    w, h = s / np.sqrt(r), s * np.sqrt(r)  # (S, R) each
    return np.stack([w.ravel(), h.ravel()], axis=1)


def anchors_at(cx: float, cy: float, shapes: np.ndarray) -> np.ndarray:
    """The k anchors (k, 4) xyxy of ``shapes`` (k, 2) centred on (cx, cy)."""
    shapes = np.asarray(shapes, np.float64)
    half = shapes / 2
    return np.concatenate([[cx, cy] - half, [cx, cy] + half], axis=1)


def grid_anchors(grid: int, stride: int, shapes: np.ndarray) -> np.ndarray:
    """All anchors of an S×S feature map: (S, S, k, 4) xyxy, anchor k of cell (row i, col j)
    centred on that cell's centre ((j + ½)·stride, (i + ½)·stride) in input pixels."""
    centres = (np.arange(grid) + 0.5) * stride  # (S,)
    cy, cx = np.meshgrid(centres, centres, indexing="ij")  # (S, S) each
    half = np.asarray(shapes, np.float64) / 2  # (k, 2)
    ctr = np.stack([cx, cy], axis=-1)[:, :, None, :]  # (S, S, 1, 2)
    return np.concatenate([ctr - half, ctr + half], axis=-1)  # (S, S, k, 4)


def _centre_size(boxes: np.ndarray) -> tuple[np.ndarray, ...]:
    b = np.asarray(boxes, np.float64)
    w, h = b[..., 2] - b[..., 0], b[..., 3] - b[..., 1]
    return b[..., 0] + w / 2, b[..., 1] + h / 2, w, h


def encode(boxes: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Boxes relative to anchors: (..., 4) xyxy, (..., 4) xyxy -> (..., 4) (dx, dy, dw, dh).

    dx = (x - xa) / wa, dy = (y - ya) / ha (centre shift in anchor sizes), dw = log(w / wa),
    dh = log(h / ha) (Faster R-CNN's parameterisation, torchvision's BoxCoder with unit weights):
    a small correction for any anchor size, which is why anchors make regression easier.
    """
    x, y, w, h = _centre_size(boxes)
    xa, ya, wa, ha = _centre_size(anchors)
    return np.stack([(x - xa) / wa, (y - ya) / ha, np.log(w / wa), np.log(h / ha)], axis=-1)


def decode(deltas: np.ndarray, anchors: np.ndarray) -> np.ndarray:
    """Inverse of :func:`encode`: (..., 4) deltas on (..., 4) xyxy anchors -> (..., 4) xyxy.
    dw and dh are clipped at log(1000/16) like torchvision, so a wild output cannot overflow."""
    d = np.asarray(deltas, np.float64)
    xa, ya, wa, ha = _centre_size(anchors)
    x, y = xa + d[..., 0] * wa, ya + d[..., 1] * ha
    w = wa * np.exp(np.minimum(d[..., 2], BBOX_XFORM_CLIP))
    h = ha * np.exp(np.minimum(d[..., 3], BBOX_XFORM_CLIP))
    return np.stack([x - w / 2, y - h / 2, x + w / 2, y + h / 2], axis=-1)


def match_anchors(gt: np.ndarray, anchors: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """For each ground-truth box (G, 4), the anchor (of (A, 4)) with the highest IoU and that
    IoU: returns ((G,) int64 indices, (G,) float64 IoUs) — the RPN's positive label rule."""
    iou = box_iou(gt, anchors)  # (G, A)
    if iou.shape[1] == 0:
        return np.zeros(len(iou), np.int64), np.zeros(len(iou))
    best = iou.argmax(axis=1)
    return best.astype(np.int64), iou[np.arange(len(iou)), best]
