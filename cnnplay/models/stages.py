"""A backbone's stages by depth: which ones give a feature map, and a network that stops there.

``body_stages(model)`` (cnnplay.models.pretrained) lays the backbone out as one flat
``nn.Sequential``; stage ``i`` is computed by its first ``i + 1`` modules. The truncated
network is built from the model's own modules (nothing is copied) and is used read-only: a
forward and backward pass with respect to the *input* changes nothing, so it is safe on a model
shared by every session.
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from cnnplay.device import get_device
from cnnplay.models.pretrained import body_stages


@dataclass(frozen=True)
class Stage:
    index: int  # position in body_stages(model): truncated(model, index) ends here
    kind: str  # class name of the stage's module, e.g. "Sequential", "Conv2d", "MaxPool2d"
    channels: int  # C of its (1, C, h, w) output
    side: int  # h (= w) of its output for a square input of the probed side
    depth: int  # how many stages that hold a convolution are at or before this one (1 = first)
    name: str = ""  # the module's name in the model ("blocks.2", "features.16"); "" if none

    @property
    def label(self) -> str:
        """e.g. "stage 5 (blocks.3) · 80 channels, 14×14" (the side for the probed input)."""
        named = f" ({self.name})" if self.name else ""
        return f"stage {self.index}{named} · {self.channels} channels, {self.side}×{self.side}"


def feature_stages(model: nn.Module, side: int = 224) -> list[Stage]:
    """Every stage of ``body_stages(model)`` whose output is a 4D feature map (N, C, h, w) with
    h > 1 (a global pool's 1×1 output is the feature vector, not a map), shallowest first,
    probed with one (1, 3, side, side) zero input. Stages that only normalise or activate the
    previous one's map are kept (they change its values)."""
    stages = body_stages(model)
    names = {id(m): n for n, m in model.named_modules()}
    device = next(model.parameters()).device
    out = torch.zeros(1, 3, side, side, device=device)
    rows: list[Stage] = []
    depth = 0
    with torch.inference_mode():
        for i, stage in enumerate(stages):
            out = stage(out)
            if any(isinstance(m, nn.Conv2d) for m in stage.modules()):
                depth += 1
            if out.dim() == 4 and out.shape[-1] > 1:  # not a global pool's 1×1
                name = names.get(id(stage), "")
                rows.append(Stage(i, type(stage).__name__, out.shape[1], out.shape[2], depth, name))
    return rows


def truncated(model: nn.Module, index: int) -> nn.Sequential:
    """The backbone up to and including stage ``index``: (N, 3, H, W) -> (N, C, h, w).
    The modules are the model's own; use it read-only (no hooks, no training)."""
    return nn.Sequential(*list(body_stages(model))[: index + 1])


def model_device(model: nn.Module) -> torch.device:
    """Where the model's weights are (get_device() for a model with none)."""
    first = next(model.parameters(), None)
    return first.device if first is not None else get_device()
