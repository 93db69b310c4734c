"""Training a U-Net on shape scenes: the page's and the script's run, through
:func:`cnnplay.train.fit` (CE + soft-Dice loss, dihedral augmentation).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from cnnplay.device import get_device
from cnnplay.dihedral import Dihedral
from cnnplay.progress import ProgressFn
from cnnplay.scenes import Scene, SceneConfig, scene_arrays, stack_semantic
from cnnplay.seeding import seeded
from cnnplay.segmentation.metrics import evaluate
from cnnplay.segmentation.unet import UNet, UNetConfig
from cnnplay.train import History, TrainConfig, fit

# --- data and training --------------------------------------------------------------------


@dataclass(frozen=True, eq=False)
class SceneTensors:
    """A training set kept compact: pixels and class ids as uint8, turned into float32 / int64
    one batch at a time (:func:`to_training_batch`). 600 scenes of 128 px: 39 MB, against
    197 MB as float32 + int64 tensors and 185 MB more as Scene objects."""

    images: Tensor  # (N, 3, H, W) uint8 RGB
    classes: Tensor  # (N, H, W) uint8 class id per pixel, 0 = background

    def __len__(self) -> int:
        return len(self.images)

    @classmethod
    def from_arrays(cls, images: np.ndarray, classes: np.ndarray) -> SceneTensors:
        """(N, H, W, 3) uint8 images and (N, H, W) class ids (any integer type, ids < 256)."""
        x = torch.from_numpy(np.ascontiguousarray(images.transpose(0, 3, 1, 2)))  # (N, 3, H, W)
        return cls(x, torch.from_numpy(classes.astype(np.uint8)))

    @classmethod
    def from_scenes(cls, scenes: Sequence[Scene]) -> SceneTensors:
        return cls.from_arrays(np.stack([s.image for s in scenes]), stack_semantic(list(scenes)))

    @classmethod
    def generate(cls, count: int, seed: int, size: int = 128) -> SceneTensors:
        """The scenes of ``make_scenes(count, seed, SceneConfig(size))``, made one at a time."""
        return cls.from_arrays(*scene_arrays(count, seed, SceneConfig(size=size)))


def to_training_batch(xb: Tensor, yb: Tensor) -> tuple[Tensor, Tensor]:
    """(B, 3, H, W) uint8, (B, H, W) uint8 -> float32 in [0, 1] and int64 (fit's ``prepare``)."""
    return xb.float().div_(255), yb.long()


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


@dataclass(frozen=True)
class SegTrainSettings:
    train_scenes: int = 600  # generated training scenes (make_scenes(n, seed=train_seed))
    epochs: int = 8  # passes over them
    batch_size: int = 16  # scenes per optimiser step
    lr: float = 3e-3  # peak learning rate of the one-cycle schedule (AdamW)
    augment: bool = True  # random flips / transposes of every batch
    train_seed: int = 1  # scene seed of the training set
    model_seed: int = 0  # seed of the initial weights, the batch order and the flips
    scene_size: int = 128  # scene side in pixels


def train_unet(
    config: UNetConfig,
    settings: SegTrainSettings,
    val_scenes: Sequence[Scene],
    on_progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    model: UNet | None = None,
    train_scenes: Sequence[Scene] | SceneTensors | None = None,
) -> tuple[UNet, History]:
    """Train a fresh ``UNet(config)`` (or ``model``, in place) on generated scenes with AdamW and
    a one-cycle learning rate; ``val_scenes`` are scored after every epoch (``val_miou`` ...).
    Returns the model (eval mode) and the history. Pass ``model`` to keep a handle on it while
    training (a page recovers a stopped run from it). ``train_scenes``: the training set
    (scenes, or the same as :class:`SceneTensors`); by default ``settings.train_scenes``
    generated scenes of seed ``settings.train_seed``."""
    if model is None:
        model = seeded(lambda: UNet(config), settings.model_seed)
    model = model.to(get_device())
    if train_scenes is None:
        data = SceneTensors.generate(
            settings.train_scenes, settings.train_seed, settings.scene_size
        )
    elif isinstance(train_scenes, SceneTensors):
        data = train_scenes
    else:
        data = SceneTensors.from_scenes(train_scenes)
    tc = TrainConfig(settings.epochs, settings.batch_size, settings.lr, seed=settings.model_seed)
    optimizer = torch.optim.AdamW(model.parameters(), lr=settings.lr, weight_decay=1e-4)
    per_epoch = (len(data) + tc.batch_size - 1) // tc.batch_size
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
        data.images,
        data.classes,
        tc,
        optimizer=optimizer,
        prepare=to_training_batch,
        augment=augment,
        evaluate=lambda m: evaluate(m, val_scenes),
        on_progress=progress,
        should_stop=should_stop,
    )
    return model, history
