"""What a gallery looks like to a network, and to a ruler on its pixels (seed 002, "Conditioned
Retrieval": neighbours *in feature space*).

- :func:`embed`: the penultimate-layer features of every image, i.e. the output of
  ``body_stages(model)`` (the backbone up to the global pooling, without the last linear layer):
  one D-vector per image (EfficientNet-Lite0: D = 1,280). The model is used read-only under
  ``torch.inference_mode``, a batch at a time, on the model's device.
- :func:`pixel_vectors`: the images themselves, shrunk to a small side and flattened, the
  "pixel space" the features are compared with.
- :func:`to_input`: a batch of uint8 images as the network's normalised input.
"""

from __future__ import annotations

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnplay.models.pretrained import PretrainedSpec, body_stages, feature_dim
from cnnplay.models.stages import model_device
from cnnplay.progress import ProgressFn, StopFn

PIXEL_SIDE = 32  # pixel vectors: images shrunk to 32×32 (3,072 numbers each)


def _resize01(images: np.ndarray, side: int, device: torch.device | str = "cpu") -> torch.Tensor:
    """(B, S, S, 3) uint8 -> (B, 3, side, side) float32 in 0..1 on ``device`` (bilinear,
    antialiased when shrinking)."""
    images = np.ascontiguousarray(images)
    if not images.flags.writeable:  # a shared, read-only gallery: torch wants its own copy
        images = images.copy()
    x = torch.from_numpy(images).to(device)  # (B, S, S, 3)
    x = x.permute(0, 3, 1, 2).float() / 255  # (B, 3, S, S) 0..1
    if x.shape[-1] != side:
        x = F.interpolate(x, size=(side, side), mode="bilinear", antialias=x.shape[-1] > side)
    return x.clamp(0, 1)


def resized(images: np.ndarray, side: int) -> np.ndarray:
    """(N, S, S, 3) uint8 -> (N, side, side, 3) uint8, resized as :func:`to_input` does: the
    pictures the network sees (for cropping a unit's field out of them)."""
    x = _resize01(images, side)  # (N, 3, side, side)
    return (x * 255).round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


def to_input(
    images: np.ndarray,
    side: int,
    spec: PretrainedSpec,
    device: torch.device | None = None,
    dtype: torch.dtype = torch.float32,
) -> torch.Tensor:
    """(B, S, S, 3) uint8 -> (B, 3, side, side) ``dtype`` on ``device`` (default CPU):
    resized (bilinear, antialiased when shrinking), scaled to 0..1, normalised with the spec's
    mean and std."""
    x = _resize01(images, side, device or "cpu").to(dtype)  # (B, 3, side, side) 0..1
    mean = torch.tensor(spec.mean, device=x.device, dtype=dtype).view(1, 3, 1, 1)
    std = torch.tensor(spec.std, device=x.device, dtype=dtype).view(1, 3, 1, 1)
    return (x - mean) / std


def model_dtype(model: nn.Module) -> torch.dtype:
    """The dtype of the model's weights (float32 unless a test made a float64 copy)."""
    first = next(model.parameters(), None)
    return first.dtype if first is not None else torch.float32


def embed(
    model: nn.Module,
    spec: PretrainedSpec,
    images: np.ndarray,
    side: int,
    batch: int = 32,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> np.ndarray:
    """Penultimate features of a gallery: body_stages(model) on each image.

    model: a pretrained classifier (REGISTRY entry), used read-only. spec: its preprocessing
    (mean/std). images: (N, S, S, 3) uint8, resized to ``side`` on the way in. batch: images
    per forward pass. ``on_progress(done, N, {})`` after each batch; ``should_stop()`` checked
    before each batch: when it says stop, the rows done so far are returned.
    Returns (n, D) float32, n = N unless stopped (the first n images).
    """
    body = body_stages(model)
    device, dtype = model_device(model), model_dtype(model)
    n = len(images)
    rows: list[np.ndarray] = []
    with torch.inference_mode():
        for start in range(0, n, batch):
            if should_stop is not None and should_stop():
                break
            x = to_input(images[start : start + batch], side, spec, device, dtype)  # (B,3,s,s)
            f = body(x)  # (B, D)
            rows.append(f.float().cpu().numpy())
            if on_progress is not None:
                on_progress(min(start + batch, n), n, {})
    if not rows:  # no images, or stopped before the first batch
        return np.zeros((0, feature_dim(model)), np.float32)
    return np.concatenate(rows).astype(np.float32, copy=False)


def pixel_vectors(images: np.ndarray, side: int = PIXEL_SIDE) -> np.ndarray:
    """(N, S, S, 3) uint8 -> (N, side·side·3) float32 in 0..1: each image shrunk to
    side × side (bilinear, antialiased) and flattened (row by row, RGB last)."""
    x = _resize01(images, side).permute(0, 2, 3, 1)  # (N, side, side, 3)
    return x.reshape(len(images), -1).numpy().astype(np.float32, copy=False)
