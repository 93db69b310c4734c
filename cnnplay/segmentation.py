"""Semantic segmentation: training a U-Net on shape scenes, and how good its masks are.

- Metrics from one confusion matrix accumulated over all pixels of a set: per-class IoU
  ``|P ∩ T| / |P ∪ T|`` and Dice ``2|P ∩ T| / (|P| + |T|)``, their means, and a boundary score
  (pixel accuracy in a thin band around the true class boundaries) that shows what skip
  connections buy.
- Instance segmentation from a semantic mask: connected components of each class's mask.
- ``train_unet``: the page's and the script's training run, through :func:`cnnplay.train.fit`.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import cv2
import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from cnnplay.data.scenes import CLASSES, Scene, SceneConfig, make_scenes, stack_semantic
from cnnplay.device import get_device
from cnnplay.dihedral import Dihedral
from cnnplay.models.unet import UNet, UNetConfig, image_tensor, predict
from cnnplay.train import History, ProgressFn, TrainConfig, fit

CLASS_NAMES: tuple[str, ...] = ("background", *CLASSES)  # index = class id of the masks


# --- metrics ------------------------------------------------------------------------------


def confusion_matrix(pred: np.ndarray, target: np.ndarray, num_classes: int) -> np.ndarray:
    """(K, K) int64 pixel counts, row = true class, column = predicted class.
    pred, target: integer class maps of the same shape, values in 0..K-1."""
    if pred.shape != target.shape:
        raise ValueError(f"prediction {pred.shape} and target {target.shape} differ in shape")
    index = target.astype(np.int64).ravel() * num_classes + pred.astype(np.int64).ravel()
    return np.bincount(index, minlength=num_classes**2).reshape(num_classes, num_classes)


@dataclass(frozen=True)
class SegScores:
    iou: np.ndarray  # (K,) per-class IoU in [0, 1]; NaN for a class absent from both
    dice: np.ndarray  # (K,) per-class Dice in [0, 1]; NaN likewise
    pixel_accuracy: float  # fraction of pixels with the right class

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


# --- instances ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Instances:
    ids: np.ndarray  # (H, W) int64: 0 background, 1..n one number per connected object
    classes: np.ndarray  # (n,) int64 class of each instance (ids[i] == i + 1)
    areas: np.ndarray  # (n,) int64 pixels of each instance


def instances_from_semantic(semantic: np.ndarray, min_area: int = 1) -> Instances:
    """Instance segmentation the simple way: each 8-connected component of each class's mask is
    one object (components smaller than ``min_area`` pixels are dropped as specks).
    Two touching objects of the same class become one instance: what a semantic mask cannot
    tell apart. semantic: (H, W) integer class map, 0 = background."""
    ids = np.zeros(semantic.shape, np.int64)
    classes: list[int] = []
    areas: list[int] = []
    for k in np.unique(semantic):
        if k == 0:
            continue
        n, comp, stats, _ = cv2.connectedComponentsWithStats(
            (semantic == k).astype(np.uint8), connectivity=8
        )
        for j in range(1, n):
            area = int(stats[j, cv2.CC_STAT_AREA])
            if area < min_area:
                continue
            classes.append(int(k))
            areas.append(area)
            ids[comp == j] = len(classes)
    return Instances(ids, np.asarray(classes, np.int64), np.asarray(areas, np.int64))


# --- data and training --------------------------------------------------------------------


def scene_tensors(scenes: Sequence[Scene]) -> tuple[Tensor, Tensor]:
    """(N, 3, H, W) float32 images in [0, 1] and (N, H, W) int64 class maps (CPU)."""
    x = image_tensor(np.stack([s.image for s in scenes]))
    y = torch.from_numpy(stack_semantic(list(scenes)))
    return x, y


def segmentation_loss(logits: Tensor, target: Tensor) -> Tensor:
    """Cross-entropy per pixel plus soft Dice over the classes (Dice lifts the small classes,
    which cross-entropy alone leaves to the dominant background).
    logits: (N, K, H, W); target: (N, H, W) int64."""
    ce = F.cross_entropy(logits, target)
    probs = logits.softmax(dim=1)  # (N, K, H, W)
    onehot = F.one_hot(target, logits.shape[1]).permute(0, 3, 1, 2).to(probs.dtype)
    inter = (probs * onehot).sum(dim=(0, 2, 3))
    denom = probs.sum(dim=(0, 2, 3)) + onehot.sum(dim=(0, 2, 3))
    dice = (2 * inter + 1) / (denom + 1)  # (K,)
    return ce + (1 - dice.mean())


@torch.inference_mode()
def evaluate(model: UNet, scenes: Sequence[Scene], boundary_width: int = 2) -> dict[str, float]:
    """Mean IoU, mean Dice, pixel and boundary accuracy of ``model`` on ``scenes``."""
    pred, _ = predict(model, np.stack([s.image for s in scenes]))
    target = stack_semantic(list(scenes))
    s = scores(confusion_matrix(pred, target, model.config.num_classes))
    return {
        "val_miou": s.mean_iou,
        "val_dice": s.mean_dice,
        "val_pixel_accuracy": s.pixel_accuracy,
        "val_boundary_accuracy": boundary_accuracy(pred, target, boundary_width),
    }


@dataclass(frozen=True)
class SegTrainSettings:
    train_scenes: int = 600  # generated training scenes (make_scenes(n, seed=train_seed))
    epochs: int = 8  # passes over them
    batch_size: int = 16  # scenes per optimiser step
    lr: float = 3e-3  # peak learning rate of the one-cycle schedule (AdamW)
    augment: bool = True  # random flips / transposes of every batch
    train_seed: int = 1  # scene seed of the training set
    model_seed: int = 0  # torch seed of the initial weights
    scene_size: int = 128  # scene side in pixels


def train_unet(
    config: UNetConfig,
    settings: SegTrainSettings,
    val_scenes: Sequence[Scene],
    on_progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    model: UNet | None = None,
    train_scenes: Sequence[Scene] | None = None,
) -> tuple[UNet, History]:
    """Train a fresh ``UNet(config)`` (or ``model``, in place) on generated scenes with AdamW and
    a one-cycle learning rate; ``val_scenes`` are scored after every epoch (``val_miou`` ...).
    Returns the model (eval mode) and the history. Pass ``model`` to keep a handle on it while
    training (a page recovers a stopped run from it)."""
    if model is None:
        torch.manual_seed(settings.model_seed)
        model = UNet(config)
    model = model.to(get_device())
    if train_scenes is None:
        train_scenes = make_scenes(
            settings.train_scenes, settings.train_seed, SceneConfig(size=settings.scene_size)
        )
    x, y = scene_tensors(train_scenes)
    tc = TrainConfig(epochs=settings.epochs, batch_size=settings.batch_size, lr=settings.lr)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=1e-4)
    per_epoch = (len(x) + tc.batch_size - 1) // tc.batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=settings.lr, total_steps=per_epoch * tc.epochs, pct_start=0.2
    )
    augment = Dihedral() if settings.augment else None

    def loss_fn(out: Tensor, target: Tensor) -> Tensor:
        return segmentation_loss(out, augment.targets(target) if augment else target)

    def progress(step: int, total: int, metrics: dict[str, float]) -> None:
        if step < total:
            schedule.step()
        if on_progress is not None:
            on_progress(step, total, metrics)

    history = fit(
        model,
        loss_fn,
        x,
        y,
        tc,
        optimizer=optimizer,
        augment=augment,
        evaluate=lambda m: evaluate(m, val_scenes),
        on_progress=progress,
        should_stop=should_stop,
    )
    return model, history
