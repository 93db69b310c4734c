"""An optional real segmentation network: torchvision's DeepLabV3 with a MobileNetV3-Large
backbone (trained on COCO images with the 20 Pascal VOC classes + background), downloaded once
through torchvision's weights API. With no network it raises
:class:`cnnplay.models.pretrained.PretrainedUnavailable` and the page says so.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnplay.device import get_device
from cnnplay.models.pretrained import IMAGENET_MEAN, IMAGENET_STD, load_torchvision
from cnnplay.progress import ProgressFn

TV_SEG_MODEL = "deeplabv3_mobilenet_v3_large"  # 11 M parameters, a 42 MB download
TV_SEG_SIDE = 520  # the shorter side torchvision's transforms resize to


def load_torchvision_segmenter(on_progress: ProgressFn | None = None) -> nn.Module:
    """DeepLabV3 (eval mode, frozen, on the device); downloads its weights with progress the
    first time. Raises PretrainedUnavailable when it cannot."""
    model = load_torchvision(TV_SEG_MODEL, on_progress)
    return model.eval().requires_grad_(False).to(get_device())


def voc_categories() -> list[str]:
    """The 21 class names in the model's output order (0 = background)."""
    from torchvision.models import get_model_weights

    return list(get_model_weights(TV_SEG_MODEL).DEFAULT.meta["categories"])


@dataclass
class TorchvisionSegmentation:
    labels: np.ndarray  # (H, W) int64 class per pixel, 0..20
    found: list[str]  # names of the classes covering at least 1% of the image


@torch.inference_mode()
def torchvision_segment(model: nn.Module, image: np.ndarray) -> TorchvisionSegmentation:
    """Segment one (H, W, 3) uint8 image with the torchvision model, ImageNet-normalised."""
    device = next(model.parameters()).device
    x = torch.from_numpy(image).permute(2, 0, 1).float().div(255)  # (3, H, W)
    mean = torch.tensor(IMAGENET_MEAN)[:, None, None]
    std = torch.tensor(IMAGENET_STD)[:, None, None]
    out = model(((x - mean) / std)[None].to(device))["out"]  # (1, 21, H, W)
    labels = out[0].argmax(dim=0).cpu().numpy().astype(np.int64)
    names = voc_categories()
    share = np.bincount(labels.ravel(), minlength=len(names)) / labels.size
    found = [names[k] for k in np.argsort(-share) if k > 0 and share[k] >= 0.01]
    return TorchvisionSegmentation(labels, found or ["nothing"])
