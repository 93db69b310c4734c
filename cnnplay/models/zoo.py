"""Architectures by display name: torchvision's classification models (definitions only, random
weights, nothing downloaded) and our own.

``ARCHITECTURES[name]()`` builds a fresh model; build it inside ``with torch.device("meta"):`` when
only shapes are needed (counting, receptive fields: no memory, milliseconds). ``TORCHVISION_NAME``
gives the torchvision name of each torchvision model (for ``get_model_weights(name).DEFAULT.meta``:
published parameter and operation counts, no download), ``INPUT_SIDE`` the image side it expects.
Most of them take other sides too (an adaptive pooling layer before their classifier);
``FIXED_INPUT_SIDE`` lists those that take one side only.
"""

from __future__ import annotations

from collections.abc import Callable
from functools import partial

from torch import nn
from torchvision.models import get_model

from cnnplay.models.lenet import LeNet5

TORCHVISION_NAME: dict[str, str] = {  # display name -> torchvision.models name
    "AlexNet": "alexnet",
    "VGG-11": "vgg11",
    "VGG-16": "vgg16",
    "GoogLeNet": "googlenet",
    "Inception-v3": "inception_v3",
    "ResNet-18": "resnet18",
    "ResNet-34": "resnet34",
    "ResNet-50": "resnet50",
    "DenseNet-121": "densenet121",
    "SqueezeNet 1.0": "squeezenet1_0",
    "MobileNetV2": "mobilenet_v2",
    "MobileNetV3-Small": "mobilenet_v3_small",
    "ShuffleNetV2 1.0×": "shufflenet_v2_x1_0",
    "EfficientNet-B0": "efficientnet_b0",
    "ConvNeXt-Tiny": "convnext_tiny",
}
_EXTRA_KWARGS: dict[str, dict] = {  # no weight init (slow, pointless for shapes)
    "googlenet": {"init_weights": False, "aux_logits": False},
    # aux_logits kept: torchvision's published num_params include the auxiliary classifier
    # (it only runs in training mode, so it adds no operations to an eval forward pass)
    "inception_v3": {"init_weights": False, "aux_logits": True},
}


def _torchvision(name: str) -> nn.Module:
    return get_model(name, weights=None, **_EXTRA_KWARGS.get(name, {}))


ARCHITECTURES: dict[str, Callable[[], nn.Module]] = {
    "LeNet-5": LeNet5,
    **{display: partial(_torchvision, tv) for display, tv in TORCHVISION_NAME.items()},
}
INPUT_SIDE: dict[str, int] = {name: 224 for name in ARCHITECTURES} | {
    "LeNet-5": 32,
    "Inception-v3": 299,
}
INPUT_CHANNELS: dict[str, int] = {name: 3 for name in ARCHITECTURES} | {"LeNet-5": 1}
FIXED_INPUT_SIDE: dict[str, int] = {  # networks that run on one input side only
    "LeNet-5": 32,  # flatten + dense C5 built for 16×5×5 maps, no adaptive pooling before it
}


def fixed_side_note(name: str) -> str | None:
    """Why a network's input side is fixed (one short sentence for the pages), or None when it
    is not."""
    side = FIXED_INPUT_SIDE.get(name)
    if side is None:
        return None
    return f"{name}'s classifier expects {side}×{side} inputs, so the input is fixed at {side} px."
