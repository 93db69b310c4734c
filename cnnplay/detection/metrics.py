"""Scoring a detector: matching detections to ground truth, precision, recall and AP@0.5.

A detection is a **true positive** when it overlaps a ground-truth box of the same class with
IoU ≥ the match threshold (0.5, PASCAL VOC) and that box was not already claimed by a detection
with a higher score; otherwise it is a **false positive**. Ground-truth boxes no detection
claims are **misses** (false negatives). Average precision (AP) is the area under the
precision-recall curve made by lowering the score threshold, with precision made monotone
(VOC 2010+ all-point interpolation); mAP averages AP over the classes.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from cnnplay.ops.boxes import box_iou


@dataclass
class ImageMatch:
    tp: np.ndarray  # (K,) bool per detection: true positive
    matched_gt: np.ndarray  # (K,) int64 index of the claimed ground-truth box, -1 for FPs
    missed: np.ndarray  # (G,) bool per ground-truth box: no detection claimed it
    iou: np.ndarray  # (K,) best IoU of each detection with a same-class ground-truth box

    @property
    def fp_count(self) -> int:
        """False positives: detections that claimed no ground-truth box."""
        return int((~self.tp).sum())


def match_detections(
    boxes: np.ndarray,
    scores: np.ndarray,
    labels: np.ndarray,
    gt_boxes: np.ndarray,
    gt_labels: np.ndarray,
    iou_threshold: float = 0.5,
) -> ImageMatch:
    """Greedy matching in one image: detections (K, 4) xyxy / (K,) / (K,) by falling score claim
    the unclaimed same-class ground-truth box (G, 4) / (G,) they overlap most, if IoU ≥
    ``iou_threshold``."""
    boxes = np.asarray(boxes, np.float64).reshape(-1, 4)
    gt_boxes = np.asarray(gt_boxes, np.float64).reshape(-1, 4)
    labels, gt_labels = np.asarray(labels).reshape(-1), np.asarray(gt_labels).reshape(-1)
    iou = box_iou(boxes, gt_boxes)  # (K, G)
    iou = np.where(labels[:, None] == gt_labels[None, :], iou, 0.0)
    tp = np.zeros(len(boxes), bool)
    matched = np.full(len(boxes), -1, np.int64)
    claimed = np.zeros(len(gt_boxes), bool)
    for k in np.argsort(-np.asarray(scores, np.float64), kind="stable"):
        if not len(gt_boxes):
            break
        free = np.where(claimed, -1.0, iou[k])
        g = int(free.argmax())
        if free[g] >= iou_threshold:
            tp[k], matched[k], claimed[g] = True, g, True
    best = iou.max(axis=1) if iou.shape[1] else np.zeros(len(boxes))
    return ImageMatch(tp=tp, matched_gt=matched, missed=~claimed, iou=best)


def average_precision(recall: np.ndarray, precision: np.ndarray) -> float:
    """All-point interpolated AP: ∑ (r_i − r_{i−1}) · max_{r ≥ r_i} precision, for a curve
    (T,) recall (non-decreasing) and (T,) precision at each cut of the ranked detections."""
    r = np.concatenate([[0.0], recall, [1.0]])
    p = np.concatenate([[1.0], precision, [0.0]])
    p = np.maximum.accumulate(p[::-1])[::-1]  # the precision envelope
    steps = np.flatnonzero(r[1:] != r[:-1])
    return float(np.sum((r[steps + 1] - r[steps]) * p[steps + 1]))


@dataclass
class Evaluation:
    ap: dict[int, float]  # AP@threshold per class id with ground truth
    mean_ap: float  # mean of ``ap`` over the classes
    precision: float  # TP / (TP + FP) over all given detections
    recall: float  # TP / ground-truth boxes
    tp: int
    fp: int
    fn: int  # misses
    curves: dict[int, tuple[np.ndarray, np.ndarray]]  # class -> (recall, precision) curve


def evaluate(
    detections: list[tuple[np.ndarray, np.ndarray, np.ndarray]],
    ground_truth: list[tuple[np.ndarray, np.ndarray]],
    iou_threshold: float = 0.5,
) -> Evaluation:
    """Precision, recall and AP over a set of images.

    detections: per image (boxes (K, 4), scores (K,), labels (K,)); ground_truth: per image
    (boxes (G, 4), labels (G,)). Give detections with a low score threshold for AP (it measures
    the whole ranking); precision and recall are those of exactly the detections given.
    """
    if len(detections) != len(ground_truth):
        raise ValueError("one list of detections per ground-truth image is needed")
    rows = []  # (class, score, tp) per detection
    n_gt: dict[int, int] = {}
    fn = 0
    for (boxes, scores, labels), (gt_boxes, gt_labels) in zip(
        detections, ground_truth, strict=True
    ):
        m = match_detections(boxes, scores, labels, gt_boxes, gt_labels, iou_threshold)
        rows += list(
            zip(
                np.asarray(labels).tolist(), np.asarray(scores).tolist(), m.tp.tolist(), strict=True
            )
        )
        fn += int(m.missed.sum())
        for c in np.asarray(gt_labels).tolist():
            n_gt[c] = n_gt.get(c, 0) + 1
    ap: dict[int, float] = {}
    curves: dict[int, tuple[np.ndarray, np.ndarray]] = {}
    for c in sorted(n_gt):
        mine = sorted((r for r in rows if r[0] == c), key=lambda r: -r[1])
        hits = np.asarray([r[2] for r in mine], np.float64)
        tp_cum, fp_cum = np.cumsum(hits), np.cumsum(1 - hits)
        recall = tp_cum / n_gt[c]
        precision = tp_cum / np.maximum(tp_cum + fp_cum, 1e-12)
        curves[c] = (recall, precision)
        ap[c] = average_precision(recall, precision)
    tp = sum(int(r[2]) for r in rows)
    fp = len(rows) - tp
    total_gt = sum(n_gt.values())
    return Evaluation(
        ap=ap,
        mean_ap=float(np.mean(list(ap.values()))) if ap else 0.0,
        precision=tp / len(rows) if rows else 0.0,
        recall=tp / total_gt if total_gt else 0.0,
        tp=tp,
        fp=fp,
        fn=fn,
        curves=curves,
    )
