"""Copies of a model that cost (almost) no memory: the module tree is copied, the weights are not.

A model cached for every session is read-only, and a forward hook registered on it would fire in
every other session's forward pass too. Functions that hook, swap layers or trace shapes therefore
work on a copy. A ``copy.deepcopy`` duplicates every weight: 20 MB for EfficientNet-Lite0 per
session, 528 MB for VGG-16 per call. The two copies here copy only the Python module objects
(hundreds of small objects, a few milliseconds) and either share the weight tensors or replace them
with meta-device placeholders.

- :func:`shared_weights_copy`: same parameters and buffers (the very same tensors); hooks, layer
  swaps and ``.eval()`` on the copy leave the original alone. Never train it or change a
  parameter in place: that would change the original.
- :func:`meta_copy`: parameters and buffers on the meta device (shapes and dtypes, no data), for
  shape tracing (receptive fields, cost tables).

And one network that never holds its classifier: :func:`random_without_linear` builds a model on
the meta device and gives every layer but the linear ones random weights of its own seed (for
effective fields, which never reach the classifier).
"""

from __future__ import annotations

import copy
from collections.abc import Callable

import torch
from torch import nn
from torch.nn.modules.batchnorm import _NormBase
from torch.nn.modules.conv import _ConvNd

from cnnplay.seeding import generator


def shared_weights_copy(model: nn.Module) -> nn.Module:
    """A copy of ``model``'s module tree that shares every parameter and buffer with it (no
    weight data is copied), safe to hook or to swap layers in; in eval mode.

    The parameters keep their ``requires_grad`` (a shared, frozen model stays frozen); take
    gradients with ``torch.autograd.grad`` with respect to inputs or activations only."""
    memo: dict[int, object] = {id(t): t for t in (*model.parameters(), *model.buffers())}
    return copy.deepcopy(model, memo).eval()


def meta_copy(model: nn.Module) -> nn.Module:
    """A copy of ``model`` whose parameters and buffers live on the meta device (same shapes and
    dtypes, no data): its forward pass gives output shapes and never touches the original."""
    memo: dict[int, object] = {}
    for tensor in (*model.parameters(), *model.buffers()):
        empty = torch.empty_like(tensor, device="meta")
        memo[id(tensor)] = (
            nn.Parameter(empty, tensor.requires_grad) if isinstance(tensor, nn.Parameter) else empty
        )
    return copy.deepcopy(model, memo)


LAYER_SCALE = 1e-6  # torchvision's initial per-channel scale of a ConvNeXt block
POOLS = (nn.MaxPool2d, nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.AdaptiveMaxPool2d)


def random_without_linear(build: Callable[[], nn.Module], seed: int = 0) -> nn.Module:
    """``build()``'s network in eval mode with random weights, except its classifier: the linear
    layers after its last convolution or pooling layer keep their weights on the meta device,
    never allocated. For a forward pass that is always stopped before the classifier (a hook
    on a convolution or pooling layer that raises): VGG-16 holds 59 MB of its 528 MB, and
    building it never needs the other 469 MB (building it whole and dropping the classifier
    afterwards peaked ~410 MB higher).

    Convolutions get He-normal weights (``fan_out``, ReLU gain: the initialisation torchvision
    gives VGG, ResNet and MobileNet) and zero biases; linear layers inside the body (ConvNeXt's
    blocks) a truncated normal of std 0.02; normalisation layers weight 1, bias 0 and fresh
    running statistics; ConvNeXt's layer scales torchvision's 1e-6. Random numbers come from a
    generator of ``seed`` alone, never from torch's global one, so sessions building at once
    cannot change each other's weights. Raises TypeError for a layer with weights of another
    kind (nothing to initialise it by)."""
    with torch.device("meta"):
        model = build()
    modules = list(model.modules())
    body = [k for k, m in enumerate(modules) if isinstance(m, (_ConvNd, *POOLS))]
    body_end = max(body, default=-1)  # linear layers after this one: the classifier
    gen = generator(seed)
    for k, module in enumerate(modules):
        own = [*module.parameters(recurse=False), *module.buffers(recurse=False)]
        if not own or (isinstance(module, nn.Linear) and k > body_end):
            continue  # nothing of its own, or the classifier: left on the meta device
        module.to_empty(device="cpu", recurse=False)
        if isinstance(module, _ConvNd):
            nn.init.kaiming_normal_(
                module.weight, mode="fan_out", nonlinearity="relu", generator=gen
            )
        elif isinstance(module, nn.Linear):
            nn.init.trunc_normal_(module.weight, std=0.02, generator=gen)
        elif isinstance(module, (_NormBase, nn.LayerNorm, nn.GroupNorm)):
            module.reset_parameters()  # weight 1, bias 0 (running mean 0 / var 1, count 0)
        elif [name for name, _ in module.named_parameters(recurse=False)] == ["layer_scale"]:
            nn.init.constant_(module.layer_scale, LAYER_SCALE)  # ConvNeXt's blocks
        else:
            raise TypeError(f"no random initialisation for {type(module).__name__}")
        if isinstance(module, (_ConvNd, nn.Linear)) and module.bias is not None:
            nn.init.zeros_(module.bias)
    return model.eval()
