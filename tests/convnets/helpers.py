"""Small real data and quickly trained models for the Train a CNN tests (tests/convnets/ and
tests/views/): Fashion-MNIST read straight from the Debian package's idx files, so these helpers
do not depend on the page's own loaders."""

from __future__ import annotations

import functools

import numpy as np
import torch
import torch.nn.functional as F

from cnnplay.convnets.data import Split
from cnnplay.convnets.models import build, normalise
from cnnplay.data.fashion import CLASSES, FASHION_DIR, FILES, read_idx
from cnnplay.train import History, TrainConfig, fit


@functools.cache
def _fashion(split: str) -> tuple[np.ndarray, np.ndarray]:
    images_file, labels_file = FILES[split]
    images = read_idx((FASHION_DIR / images_file).read_bytes())  # (N, 28, 28) uint8
    labels = read_idx((FASHION_DIR / labels_file).read_bytes()).astype(np.int64)  # (N,)
    return images, labels


def fashion_split(n_train: int = 600, n_test: int = 200) -> Split:
    """The first ``n_train`` training and ``n_test`` test images of Fashion-MNIST, as a Split."""
    xs, ys = _fashion("train")
    xt, yt = _fashion("test")
    return Split(
        x_train=torch.from_numpy(xs[:n_train].copy()).unsqueeze(1),  # (N, 1, 28, 28) uint8
        y_train=torch.from_numpy(ys[:n_train].copy()),
        x_test=torch.from_numpy(xt[:n_test].copy()).unsqueeze(1),
        y_test=torch.from_numpy(yt[:n_test].copy()),
        classes=CLASSES,
        source="Fashion-MNIST (test helper)",
        seed=0,
    )


def quick_models(
    split: Split, names: tuple[str, ...] = ("mlp", "cnn", "fcn"), epochs: int = 1, seed: int = 0
) -> tuple[dict[str, torch.nn.Module], dict[str, History]]:
    """Each named model trained ``epochs`` epochs on ``split`` (batch 64, Adam 1e-3), eval mode."""
    models, histories = {}, {}
    for name in names:
        model = build(name, len(split.classes), seed=seed)
        histories[name] = fit(
            model,
            F.cross_entropy,
            split.x_train,
            split.y_train,
            TrainConfig(epochs=epochs, batch_size=64, lr=1e-3, seed=seed),
            prepare=lambda xb, yb: (normalise(xb), yb),
        )
        models[name] = model.eval()
    return models, histories
