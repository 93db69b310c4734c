"""How good a segmentation is, from one confusion matrix over all pixels of a set.

Per-class IoU ``|P ∩ T| / |P ∪ T|`` and Dice ``2|P ∩ T| / (|P| + |T|)``, their means, and a
boundary score (pixel accuracy in a thin band around the true class boundaries) that shows what
skip connections buy. :func:`score_model` is the one "predict, then score" every caller uses.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace

import cv2
import numpy as np
import torch

from cnnplay.metrics import confusion_matrix
from cnnplay.scenes import CLASSES, Scene, stack_semantic
from cnnplay.segmentation.unet import UNet, predict

CLASS_NAMES: tuple[str, ...] = ("background", *CLASSES)  # index = class id of the masks




@dataclass(frozen=True)
class SegScores:
    iou: np.ndarray  # (K,) per-class IoU in [0, 1]; NaN for a class absent from both
    dice: np.ndarray  # (K,) per-class Dice in [0, 1]; NaN likewise
    pixel_accuracy: float  # fraction of pixels with the right class
    boundary_accuracy: float = float("nan")  # pixels within 2 px of a true boundary that are right
    edge_accuracy: float = float("nan")  # the same in a 1 px band: where skip connections show

    @property
    def mean_iou(self) -> float:
        return float(np.nanmean(self.iou))

    @property
    def mean_dice(self) -> float:
        return float(np.nanmean(self.dice))


def scores(cm: np.ndarray) -> SegScores:
    """Per-class IoU and Dice from a (K, K) confusion matrix (rows true, columns predicted)."""
    cm = cm.astype(np.float64)
    tp = np.diag(cm)
    pred_total, true_total = cm.sum(axis=0), cm.sum(axis=1)
    union = pred_total + true_total - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        iou = np.where(union > 0, tp / union, np.nan)
        dice = np.where(pred_total + true_total > 0, 2 * tp / (pred_total + true_total), np.nan)
    total = cm.sum()
    return SegScores(iou, dice, float(tp.sum() / total) if total else float("nan"))


def boundary_band(semantic: np.ndarray, width: int = 2) -> np.ndarray:
    """(H, W) bool: pixels within ``width`` pixels (chessboard distance) of a place where the
    class changes. semantic: (H, W) integer class map."""
    edge = np.zeros(semantic.shape, bool)
    edge[:, 1:] |= semantic[:, 1:] != semantic[:, :-1]
    edge[:, :-1] |= semantic[:, 1:] != semantic[:, :-1]
    edge[1:, :] |= semantic[1:, :] != semantic[:-1, :]
    edge[:-1, :] |= semantic[1:, :] != semantic[:-1, :]
    if width <= 1:
        return edge
    kernel = np.ones((2 * width - 1, 2 * width - 1), np.uint8)
    return cv2.dilate(edge.astype(np.uint8), kernel).astype(bool)


def boundary_accuracy(pred: np.ndarray, target: np.ndarray, width: int = 2) -> float:
    """Fraction of pixels near the true boundaries (see :func:`boundary_band`) classified right;
    pred, target: (N, H, W) or (H, W) class maps. NaN when there is no boundary."""
    pred = pred[None] if pred.ndim == 2 else pred
    target = target[None] if target.ndim == 2 else target
    if pred.shape != target.shape:
        raise ValueError(f"prediction {pred.shape} and target {target.shape} differ in shape")
    right = total = 0
    for p, t in zip(pred, target, strict=True):
        band = boundary_band(t, width)
        right += int((p[band] == t[band]).sum())
        total += int(band.sum())
    return right / total if total else float("nan")


def score_masks(pred: np.ndarray, target: np.ndarray, num_classes: int) -> SegScores:
    """Every score of predicted masks against the truth: per-class IoU and Dice, pixel accuracy,
    boundary (2 px) and edge (1 px) accuracy. pred, target: (N, H, W) or (H, W) class maps."""
    s = scores(confusion_matrix(target, pred, num_classes))
    return replace(
        s,
        boundary_accuracy=boundary_accuracy(pred, target, width=2),
        edge_accuracy=boundary_accuracy(pred, target, width=1),
    )


@torch.inference_mode()
def score_model(model: UNet, scenes: Sequence[Scene]) -> tuple[SegScores, np.ndarray]:
    """Predict ``scenes`` with ``model``, then :func:`score_masks`: the one "predict, then score"
    of the page, the training loop and the asset script. Returns (scores, (N, H, W) masks)."""
    pred, _ = predict(model, np.stack([s.image for s in scenes]))
    return score_masks(pred, stack_semantic(list(scenes)), model.config.num_classes), pred


def evaluate(model: UNet, scenes: Sequence[Scene]) -> dict[str, float]:
    """Mean IoU, mean Dice, pixel and boundary accuracy of ``model`` on ``scenes``, named as
    :func:`cnnplay.train.fit`'s per-epoch metrics."""
    s, _ = score_model(model, scenes)
    return {
        "val_miou": s.mean_iou,
        "val_dice": s.mean_dice,
        "val_pixel_accuracy": s.pixel_accuracy,
        "val_boundary_accuracy": s.boundary_accuracy,
    }
