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
"""

from __future__ import annotations

import copy

import torch
from torch import nn


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


def drop_linear_weights(model: nn.Module) -> nn.Module:
    """Move every ``nn.Linear``'s weights to the meta device, in place, and return ``model``.

    For a model whose forward pass is always stopped before its classifier (a hook on a
    convolution or pooling layer that raises): VGG-16 keeps 59 MB of its 528 MB. The model can no
    longer run past its first linear layer."""
    for module in model.modules():
        if isinstance(module, nn.Linear):
            module.to_empty(device="meta", recurse=False)
    return model
