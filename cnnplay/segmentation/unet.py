"""U-Net for semantic segmentation, with the variants the Segmentation page compares.

One network, three shapes set by :class:`UNetConfig`:

- ``decoder="unet", skips=True``: the U-Net. The encoder halves the resolution ``depth`` times
  (two 3×3 convs, then 2×2 max pooling); the decoder doubles it ``depth`` times and, at every
  level, concatenates the encoder's map of the same size (the skip connection) before its two
  convs. Fine detail lost by pooling comes back through the skips.
- ``decoder="unet", skips=False``: the same encoder–decoder without skips (the notes'
  "FCN + DeconvNet": down- and up-sampling inside the network). Everything the decoder draws
  must pass through the coarse bottleneck.
- ``decoder="fcn"``: seed 001's FCN: encoder features, a 1×1 convolution to one channel per
  class, then a single transposed convolution that upsamples by ``2**depth`` (×32 for depth 5,
  as on ResNet-18), initialised to bilinear interpolation as in the notes' d2l example.

Upsampling in the U-Net decoder is either a learned 2×2 transposed convolution with stride 2
(``upsample="transpose"``) or bilinear interpolation followed by a 1×1 convolution
(``upsample="bilinear"``). Inputs are (N, 3, H, W) float in [0, 1] with H and W multiples of
``2**depth``; the output is (N, num_classes, H, W) logits.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cnnplay.scenes import CLASSES

ASSET_DIR = Path(__file__).resolve().parents[2] / "assets" / "unet"
NUM_CLASSES = len(CLASSES) + 1  # background + the scene classes
BACKGROUND_PRIOR = 0.85  # about the share of background pixels in a scene: the head's start


@dataclass(frozen=True)
class UNetConfig:
    depth: int = 3  # poolings in the encoder (resolution / 2**depth at the bottleneck), 1..5
    base_width: int = 8  # channels of the first level; doubled at every level down
    max_width: int = 128  # channel cap, so deep variants stay small
    upsample: Literal["transpose", "bilinear"] = "transpose"  # the U-Net decoder's upsampler
    skips: bool = True  # concatenate encoder maps into the decoder (U-Net) or not
    decoder: Literal["unet", "fcn"] = "unet"  # "fcn": 1×1 conv + one ×2**depth upsampling
    num_classes: int = NUM_CLASSES  # output channels: background + classes
    in_channels: int = 3  # RGB

    def __post_init__(self) -> None:
        if not 1 <= self.depth <= 5:
            raise ValueError(f"depth must be 1..5, got {self.depth}")
        if not 1 <= self.base_width <= 256:
            raise ValueError(f"base_width must be 1..256, got {self.base_width}")
        if self.upsample not in ("transpose", "bilinear"):
            raise ValueError(f"upsample must be 'transpose' or 'bilinear', got {self.upsample!r}")
        if self.decoder not in ("unet", "fcn"):
            raise ValueError(f"decoder must be 'unet' or 'fcn', got {self.decoder!r}")

    def width(self, level: int) -> int:
        """Channels at encoder level ``level`` (0 = full resolution, depth = the bottleneck)."""
        return min(self.base_width * 2**level, self.max_width)

    @property
    def factor(self) -> int:
        """Total downsampling of the encoder: input sides must be multiples of this."""
        return 2**self.depth

    def label(self) -> str:
        """A short human name, e.g. "U-Net (skips)", "encoder–decoder (no skips)", "FCN ×32"."""
        if self.decoder == "fcn":
            return f"FCN ×{self.factor}"
        return "U-Net (skips)" if self.skips else "encoder–decoder (no skips)"


class DoubleConv(nn.Sequential):
    """(3×3 conv → BatchNorm → ReLU) × 2, same size: (N, c_in, H, W) -> (N, c_out, H, W)."""

    def __init__(self, c_in: int, c_out: int) -> None:
        super().__init__(
            nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
            nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
            nn.BatchNorm2d(c_out),
            nn.ReLU(inplace=True),
        )


class Up(nn.Module):
    """×2 upsampling: (N, c_in, h, w) -> (N, c_out, 2h, 2w)."""

    def __init__(self, c_in: int, c_out: int, mode: str) -> None:
        super().__init__()
        self.mode = mode
        if mode == "transpose":
            self.up = nn.ConvTranspose2d(c_in, c_out, kernel_size=2, stride=2)
        else:
            self.up = nn.Conv2d(c_in, c_out, kernel_size=1)  # after bilinear interpolation

    def forward(self, x: Tensor) -> Tensor:
        if self.mode == "transpose":
            return self.up(x)
        x = F.interpolate(x, scale_factor=2, mode="bilinear", align_corners=False)
        return self.up(x)


def bilinear_kernel(channels: int, kernel_size: int) -> Tensor:
    """(channels, channels, k, k) transposed-convolution weights that perform bilinear
    upsampling channel by channel (the FCN paper's / d2l's initialisation): with stride s,
    k = 2s and padding s/2 it upsamples by s."""
    factor = (kernel_size + 1) // 2
    centre = factor - 1 if kernel_size % 2 == 1 else factor - 0.5
    og = torch.arange(kernel_size, dtype=torch.float64)
    filt = 1 - (og - centre).abs() / factor  # (k,)
    weight = torch.zeros(channels, channels, kernel_size, kernel_size, dtype=torch.float64)
    weight[range(channels), range(channels)] = filt[:, None] * filt[None, :]
    return weight.float()


class UNet(nn.Module):
    """The U-Net and its variants (see the module docstring).

    Named parts, for feature maps and the shape diagram: ``enc0..enc{depth-1}`` (DoubleConv at
    each level), ``bottleneck``, ``up{depth-1}..up0`` and ``dec{depth-1}..dec0`` (U-Net decoder,
    ``up_i`` brings level i+1 to level i), ``head`` (1×1 conv to classes) and, for the FCN,
    ``upsample`` (one transposed conv ×2**depth).
    """

    def __init__(self, config: UNetConfig = UNetConfig()) -> None:
        super().__init__()
        self.config = config
        c = config
        self.encoders = nn.ModuleList(
            DoubleConv(c.in_channels if i == 0 else c.width(i - 1), c.width(i))
            for i in range(c.depth)
        )
        self.pool = nn.MaxPool2d(2)
        self.bottleneck = DoubleConv(c.width(c.depth - 1), c.width(c.depth))
        if c.decoder == "unet":
            self.ups = nn.ModuleList(
                Up(c.width(i + 1), c.width(i), c.upsample) for i in range(c.depth)
            )
            self.decoders = nn.ModuleList(
                DoubleConv(c.width(i) * (2 if c.skips else 1), c.width(i)) for i in range(c.depth)
            )
            self.head = nn.Conv2d(c.width(0), c.num_classes, 1)
        else:
            self.head = nn.Conv2d(c.width(c.depth), c.num_classes, 1)
            f = c.factor
            self.upsample = nn.ConvTranspose2d(
                c.num_classes, c.num_classes, kernel_size=2 * f, stride=f, padding=f // 2
            )
        self.finish_init_()

    @torch.no_grad()
    def finish_init_(self) -> None:
        """The fixed part of the initial weights (after the random draws; see
        :func:`cnnplay.seeding.seeded_init_`): the head starts out predicting the class
        frequencies of the scenes, and the FCN's upsampling is bilinear."""
        c = self.config
        if c.decoder == "fcn":
            self.upsample.weight.copy_(bilinear_kernel(c.num_classes, 2 * c.factor))
            self.upsample.bias.zero_()
        prior = torch.full((c.num_classes,), (1 - BACKGROUND_PRIOR) / (c.num_classes - 1))
        prior[0] = BACKGROUND_PRIOR
        self.head.bias.copy_(prior.log())

    def forward(self, x: Tensor) -> Tensor:
        """x: (N, 3, H, W) in [0, 1], H and W multiples of 2**depth -> (N, classes, H, W)."""
        c = self.config
        if x.shape[-1] % c.factor or x.shape[-2] % c.factor:
            raise ValueError(
                f"input sides must be multiples of {c.factor} (2**depth), got {tuple(x.shape[-2:])}"
            )
        x = (x - 0.5) / 0.25  # roughly zero-mean, unit-variance pixels
        skips = []
        for enc in self.encoders:
            x = enc(x)  # (N, width(i), H/2**i, W/2**i)
            skips.append(x)
            x = self.pool(x)
        x = self.bottleneck(x)  # (N, width(depth), H/2**depth, W/2**depth)
        if c.decoder == "fcn":
            return self.upsample(self.head(x))  # (N, classes, H, W) in one ×2**depth step
        for i in reversed(range(c.depth)):
            x = self.ups[i](x)  # (N, width(i), H/2**i, W/2**i)
            if c.skips:
                x = torch.cat([skips[i], x], dim=1)  # (N, 2·width(i), ...)
            x = self.decoders[i](x)
        return self.head(x)  # (N, classes, H, W)


# --- stages and shapes --------------------------------------------------------------------


@dataclass(frozen=True)
class Stage:
    name: str  # module path for feature maps, e.g. "encoders.1", "bottleneck", "decoders.0"
    label: str  # shown on the diagram, e.g. "enc 2", "up 1", "head"
    part: str  # "encoder" | "bottleneck" | "decoder" | "up" | "head"
    level: int  # resolution level: 0 = full size, depth = bottleneck
    shape: tuple[int, int, int]  # (C, H, W) of its output for the given input size


def stages(config: UNetConfig, size: int = 128) -> list[Stage]:
    """Every stage of the network in forward order with its output shape, for a (1, 3, size,
    size) input, measured by a forward pass on the meta device (no arithmetic)."""
    with torch.device("meta"):
        model = UNet(config)
    parts: list[tuple[str, str, str, int]] = []
    for i in range(config.depth):
        parts.append((f"encoders.{i}", f"enc {i + 1}", "encoder", i))
    parts.append(("bottleneck", "bottleneck", "bottleneck", config.depth))
    if config.decoder == "unet":
        for i in reversed(range(config.depth)):
            parts.append((f"ups.{i}", f"up {i + 1}", "up", i))
            parts.append((f"decoders.{i}", f"dec {i + 1}", "decoder", i))
        parts.append(("head", "1×1 head", "head", 0))
    else:
        parts.append(("head", "1×1 head", "head", config.depth))
        parts.append(("upsample", f"×{config.factor} up", "up", 0))
    shapes: dict[str, tuple[int, int, int]] = {}
    handles = []
    for name, *_ in parts:

        def hook(_m, _i, out, name=name) -> None:
            shapes[name] = tuple(int(s) for s in out.shape[1:])

        handles.append(model.get_submodule(name).register_forward_hook(hook))
    try:
        model(torch.zeros(1, config.in_channels, size, size, device="meta"))
    finally:
        for h in handles:
            h.remove()
    return [Stage(n, label, part, lvl, shapes[n]) for n, label, part, lvl in parts]


def count_params(model: nn.Module) -> int:
    return sum(p.numel() for p in model.parameters())


# --- prediction, loading, saving ----------------------------------------------------------


def image_tensor(images: np.ndarray) -> Tensor:
    """(N, H, W, 3) or (H, W, 3) uint8 -> (N, 3, H, W) float32 in [0, 1] (CPU)."""
    arr = np.ascontiguousarray(images[None] if images.ndim == 3 else images)
    if not arr.flags.writeable:  # e.g. a cached, read-only array: torch wants its own copy
        arr = arr.copy()
    return torch.from_numpy(arr).permute(0, 3, 1, 2).float().div(255)


@torch.inference_mode()
def predict(model: UNet, images: np.ndarray, batch: int = 16) -> tuple[np.ndarray, np.ndarray]:
    """Per-pixel class and probabilities for (N, H, W, 3) or (H, W, 3) uint8 images:
    returns labels (N, H, W) int64 and probs (N, classes, H, W) float32 in [0, 1]."""
    device = next(model.parameters()).device
    x = image_tensor(images)
    probs = []
    for start in range(0, len(x), batch):
        logits = model(x[start : start + batch].to(device))  # (n, classes, H, W)
        probs.append(logits.softmax(dim=1).float().cpu())
    p = torch.cat(probs).numpy()
    return p.argmax(axis=1).astype(np.int64), p


def weights_path(name: str, folder: Path = ASSET_DIR) -> Path:
    return folder / f"{name}.pt"


def save_model(model: UNet, path: Path, card: dict) -> None:
    """The state_dict to ``path`` and ``card`` (config included) to ``path`` with .json."""
    path.parent.mkdir(parents=True, exist_ok=True)
    state = {k: v.detach().cpu().contiguous() for k, v in model.state_dict().items()}
    torch.save(state, path)
    card = {"config": asdict(model.config), **card}
    path.with_suffix(".json").write_text(json.dumps(card, indent=1, ensure_ascii=False) + "\n")


def load_card(name: str, folder: Path = ASSET_DIR) -> dict:
    """The JSON card of weights ``name`` (config, metrics, how made)."""
    return json.loads(weights_path(name, folder).with_suffix(".json").read_text())


def load_model(
    name: str, device: torch.device | None = None, folder: Path = ASSET_DIR
) -> UNet:
    """Weights ``name`` (a key of SHIPPED for the shipped ones) in eval mode, frozen, on the
    device; the configuration comes from the card, the state_dict is loaded with
    ``weights_only=True``."""
    from cnnplay.device import get_device

    card = load_card(name, folder)
    model = UNet(UNetConfig(**card["config"]))
    state = torch.load(weights_path(name, folder), map_location="cpu", weights_only=True)
    model.load_state_dict(state)
    model.eval().requires_grad_(False)
    return model.to(device or get_device())


SHIPPED: dict[str, UNetConfig] = {  # name of the weights file -> configuration
    "unet_skips": UNetConfig(),
    "unet_noskips": UNetConfig(skips=False),
    "fcn32": UNetConfig(depth=5, decoder="fcn"),
}
