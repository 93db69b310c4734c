"""A labelled image set held in memory: the common currency of the transfer-learning data
sources (Fashion-MNIST, a generated shapes set, the user's own class folders)."""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from PIL import Image


@dataclass(frozen=True)
class LabelledImages:
    images: np.ndarray  # (N, S, S, 3) uint8 RGB, all the same square side S
    labels: np.ndarray  # (N,) int64 class index in 0..len(classes)-1
    classes: tuple[str, ...]  # class names, in label order
    source: str  # where the images came from, for captions
    notes: tuple[str, ...] = field(default=())  # remarks for the user (fallbacks, skipped files)

    def __len__(self) -> int:
        return len(self.labels)

    def counts(self) -> np.ndarray:
        """(K,) int64 images per class."""
        return np.bincount(self.labels, minlength=len(self.classes))


def square(image: np.ndarray, side: int) -> np.ndarray:
    """Centre-crop an (H, W, 3) uint8 image to a square and resize it to (side, side, 3)."""
    h, w = image.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    crop = image[top : top + s, left : left + s]
    if s == side:
        return np.ascontiguousarray(crop)
    resample = Image.Resampling.BILINEAR if s < side else Image.Resampling.LANCZOS
    return np.asarray(Image.fromarray(crop).resize((side, side), resample))


def subsample(labels: np.ndarray, per_class: int, seed: int) -> np.ndarray:
    """Indices of up to ``per_class`` items of every class, drawn without replacement by a seeded
    generator; sorted by class, then by draw order. labels: (N,) ints."""
    rng = np.random.default_rng(seed)
    picks = []
    for k in np.unique(labels):
        members = np.flatnonzero(labels == k)
        picks.append(rng.permutation(members)[:per_class])
    return np.concatenate(picks) if picks else np.zeros(0, np.int64)


def stratified_split(
    labels: np.ndarray, val_fraction: float, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """Split indices into (train, val), per class, by a seeded shuffle.

    Each class with n images gives round(n * val_fraction) to validation, but always keeps at
    least one for training and, when it has two or more, gives at least one to validation.
    Both index arrays are sorted. labels: (N,) ints; val_fraction in [0, 1).
    """
    if not 0 <= val_fraction < 1:
        raise ValueError(f"val_fraction must be in [0, 1), got {val_fraction}")
    rng = np.random.default_rng(seed)
    train, val = [], []
    for k in np.unique(labels):
        members = rng.permutation(np.flatnonzero(labels == k))
        n_val = int(round(len(members) * val_fraction))
        if val_fraction > 0 and len(members) >= 2:
            n_val = max(1, n_val)
        n_val = min(n_val, len(members) - 1)
        val.append(members[:n_val])
        train.append(members[n_val:])
    return np.sort(np.concatenate(train)), np.sort(np.concatenate(val))
