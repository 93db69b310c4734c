"""The naive way to detect (seed 002): slide an ImageNet classifier over windows of a photo at
several scales, score every window for one class, then keep the best with NMS.

It works, but every window is a full forward pass: hundreds of them for one photo, which is why
region proposals (R-CNN: ~2,000 passes), shared features (Fast R-CNN: one pass, RoI pooling) and
single-shot detectors (YOLO: one pass, all boxes at once) were invented.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnplay.models.pretrained import PretrainedSpec
from cnnplay.progress import ProgressFn


@dataclass(frozen=True)
class WindowConfig:
    scales: tuple[float, ...] = (0.35, 0.55, 0.8)  # window side as a fraction of the shorter side
    overlap: float = 0.75  # fraction of a window shared with its neighbour (stride = 1 - overlap)
    batch: int = 8  # windows per forward pass: ~210 MB of activations at 224 px (32: ~700 MB)
    input_side: int = 224  # each window is resized to this square for the classifier


def window_boxes(height: int, width: int, config: WindowConfig) -> np.ndarray:
    """(N, 4) xyxy square windows covering an (height, width) image at every scale, each row
    of windows spread evenly from edge to edge."""
    boxes = []
    for scale in config.scales:
        side = max(8, round(scale * min(height, width)))
        stride = max(1.0, side * (1 - config.overlap))
        nx = max(1, int(np.ceil((width - side) / stride)) + 1)
        ny = max(1, int(np.ceil((height - side) / stride)) + 1)
        xs = np.linspace(0, max(0, width - side), nx)
        ys = np.linspace(0, max(0, height - side), ny)
        for y in ys:
            for x in xs:
                boxes.append([x, y, x + side, y + side])
    return np.round(np.asarray(boxes, np.float64).reshape(-1, 4))


@dataclass
class WindowScores:
    boxes: np.ndarray  # (N, 4) xyxy windows in image pixels
    scores: np.ndarray  # (N,) softmax probability of the chosen class in each window
    top_class: np.ndarray  # (N,) int64 each window's own best ImageNet class
    passes: int  # forward passes (one per window)
    batches: int  # batched calls of the model
    seconds: float  # wall time of all forward passes


@torch.inference_mode()
def score_windows(
    model: nn.Module,
    spec: PretrainedSpec,
    image: np.ndarray,
    class_index: int,
    config: WindowConfig = WindowConfig(),
    on_progress: ProgressFn | None = None,
) -> WindowScores:
    """Classify every window of ``image`` (H, W, 3) uint8 with ``model`` (frozen ImageNet
    classifier normalised as ``spec`` says), in batches; ``on_progress(done, total, {})``."""
    device = next(model.parameters()).device
    boxes = window_boxes(image.shape[0], image.shape[1], config)
    pixels = torch.from_numpy(image).permute(2, 0, 1).float().div(255)  # (3, H, W)
    mean = torch.tensor(spec.mean).view(1, 3, 1, 1)
    std = torch.tensor(spec.std).view(1, 3, 1, 1)
    scores = np.zeros(len(boxes))
    top = np.zeros(len(boxes), np.int64)
    start = time.perf_counter()
    batches = 0
    for lo in range(0, len(boxes), config.batch):
        crops = [
            F.interpolate(
                pixels[None, :, int(y0) : int(y1), int(x0) : int(x1)],
                size=(config.input_side, config.input_side),
                mode="bilinear",
                antialias=True,
                align_corners=False,
            )
            for x0, y0, x1, y1 in boxes[lo : lo + config.batch]
        ]
        x = ((torch.cat(crops) - mean) / std).to(device)  # (b, 3, S, S)
        probs = torch.softmax(model(x).float(), dim=1).cpu()  # (b, 1000)
        scores[lo : lo + len(crops)] = probs[:, class_index].numpy()
        top[lo : lo + len(crops)] = probs.argmax(dim=1).numpy()
        batches += 1
        if on_progress is not None:
            on_progress(min(lo + config.batch, len(boxes)), len(boxes), {})
    return WindowScores(
        boxes, scores, top, len(boxes), batches, seconds=time.perf_counter() - start
    )


def keep_windows(
    result: WindowScores, score_threshold: float, iou_threshold: float
) -> tuple[np.ndarray, np.ndarray]:
    """The windows scoring ≥ ``score_threshold`` (M,) and those NMS keeps of them (K,), as
    indices into ``result.boxes``, each by falling score."""
    from cnnplay.ops.boxes import nms

    cand = np.flatnonzero(result.scores >= score_threshold)
    cand = cand[np.argsort(-result.scores[cand], kind="stable")]
    kept = cand[nms(result.boxes[cand], result.scores[cand], iou_threshold)]
    return cand, kept
