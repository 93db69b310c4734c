"""An optional real detector: torchvision's SSDlite (MobileNetV3, COCO), downloaded once through
torchvision's weights API. With no network it raises
:class:`cnnplay.models.pretrained.PretrainedUnavailable` and the page says so.

Its own non-maximum suppression is switched off (IoU threshold 1.0 keeps every box), so its
pre-NMS candidates can go through the Detection page's step-by-step NMS.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnplay.device import get_device
from cnnplay.models.pretrained import load_torchvision
from cnnplay.progress import ProgressFn

COCO_MODEL = "ssdlite320_mobilenet_v3_large"  # 3.4 M parameters, a 13.4 MB download
MAX_CANDIDATES = 300  # candidates kept per image before NMS


def load_coco_detector(on_progress: ProgressFn | None = None) -> nn.Module:
    """The COCO detector with NMS disabled (eval mode, frozen, on the device); downloads its
    weights with progress the first time. Raises PretrainedUnavailable when it cannot."""
    model = load_torchvision(COCO_MODEL, on_progress)
    model.nms_thresh = 1.0  # keep every candidate: NMS is ours to show
    model.score_thresh = 0.05
    model.detections_per_img = MAX_CANDIDATES
    model.eval().requires_grad_(False)
    return model.to(get_device())


def coco_categories() -> list[str]:
    """COCO category names in the model's label order (index 0 is the background)."""
    from torchvision.models import get_model_weights

    return list(get_model_weights(COCO_MODEL).DEFAULT.meta["categories"])


@dataclass
class Candidates:
    boxes: np.ndarray  # (N, 4) xyxy pixels of the input image
    scores: np.ndarray  # (N,) class scores in [0, 1]
    labels: np.ndarray  # (N,) int64 COCO label ids


@torch.inference_mode()
def coco_candidates(model: nn.Module, image: np.ndarray) -> Candidates:
    """Pre-NMS candidates of the COCO detector on one (H, W, 3) uint8 image."""
    device = next(model.parameters()).device
    x = torch.from_numpy(image).permute(2, 0, 1).float().div(255).to(device)  # (3, H, W)
    out = model([x])[0]
    return Candidates(
        out["boxes"].cpu().double().numpy(),
        out["scores"].cpu().double().numpy(),
        out["labels"].cpu().numpy().astype(np.int64),
    )
