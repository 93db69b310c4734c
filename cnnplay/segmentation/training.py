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
from cnnplay.scenes import Scene, SceneConfig, make_scenes, stack_semantic
from cnnplay.segmentation.metrics import evaluate
from cnnplay.segmentation.unet import UNet, UNetConfig, image_tensor
from cnnplay.train import History, TrainConfig, fit

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
