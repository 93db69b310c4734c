"""Random numbers a run owns: initial weights and dropout drawn from a generator of the run's
seed, never from torch's global generator.

Every session of the server shares torch's one global generator. A run that seeded it
(``torch.manual_seed``) and then built a model or trained with ``nn.Dropout`` drew numbers that
another student's run, started a moment later, could draw first: the same settings and seed
then gave another accuracy (55.0 % alone, 47.5 % beside a second run). Here:

- :func:`seeded` builds a model on the meta device (no numbers drawn, no memory) and gives it
  PyTorch's default initial weights from a :class:`torch.Generator` of the seed, layer by layer
  in the order they were registered (:func:`materialise_`, :func:`seeded_init_`). The numbers
  are exactly those of ``torch.manual_seed(seed)`` followed by the build (tested), so weights
  made before this module existed (the shipped models) are still what their scripts make, and
  torch's global generator is never touched;
- :class:`Dropout` is ``nn.Dropout`` whose masks come from a generator that
  :func:`cnnplay.train.fit` hands it (:func:`use_generator`), drawn on the CPU, so a run gives
  the same masks on any device.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from typing import TypeVar

import torch
from torch import Tensor, nn
from torch.nn.modules.batchnorm import _NormBase
from torch.nn.modules.conv import _ConvNd

from cnnplay.device import get_device

M = TypeVar("M", bound=nn.Module)

_NORMS = (_NormBase, nn.LayerNorm, nn.GroupNorm)


def generator(seed: int) -> torch.Generator:
    """A CPU generator of ``seed`` (0 ≤ seed < 2⁶⁴): the only source of a run's randomness."""
    return torch.Generator().manual_seed(int(seed))


def _default_init_(module: nn.Module, gen: torch.Generator) -> None:
    """PyTorch's ``reset_parameters`` of ``module``'s own parameters, drawing from ``gen``."""
    if isinstance(module, (_ConvNd, nn.Linear)):
        # kaiming_uniform_(a=√5): U(-1/√fan_in, 1/√fan_in) for the weight, the same for the bias
        nn.init.kaiming_uniform_(module.weight, a=math.sqrt(5), generator=gen)
        if module.bias is not None:
            fan_in, _ = nn.init._calculate_fan_in_and_fan_out(module.weight)
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0.0
            nn.init.uniform_(module.bias, -bound, bound, generator=gen)
    elif isinstance(module, nn.Embedding):
        nn.init.normal_(module.weight, generator=gen)
        if module.padding_idx is not None:
            with torch.no_grad():
                module.weight[module.padding_idx].fill_(0)
    elif isinstance(module, _NORMS):
        module.reset_parameters()  # ones and zeros (and fresh running statistics): no draws
    else:
        raise TypeError(f"no seeded initialisation for {type(module).__name__}")


def seeded_init_(model: M, gen: torch.Generator) -> M:
    """Give every parameter of ``model`` PyTorch's default initial value again, drawn from
    ``gen`` layer by layer in registration order (``model.modules()``); returns ``model``.

    Covers convolutions (1-3D, transposed), linear layers, embeddings and normalisation layers;
    raises TypeError for a layer with parameters, or buffers, of another kind (a buffer's value
    could not be restored after a build on the meta device). A module that gives some weights
    fixed values of its own (a bias prior, a bilinear kernel) does it in a ``finish_init_()``
    method, which its ``__init__`` calls and which is called again here after all the draws."""
    modules = list(model.modules())
    for module in modules:
        if [*module.parameters(recurse=False), *module.buffers(recurse=False)]:
            _default_init_(module, gen)
    for module in modules:
        finish = getattr(module, "finish_init_", None)
        if callable(finish):
            finish()
    return model


def materialise_(model: M, seed: int) -> M:
    """A model built on the meta device, given CPU memory and initial weights drawn from a
    generator of ``seed`` (:func:`seeded_init_`); returns ``model``. For a module that builds
    its own layers under ``torch.device("meta")`` in ``__init__`` and seeds itself."""
    return seeded_init_(model.to_empty(device="cpu"), generator(seed))


def seeded(build: Callable[[], M], seed: int) -> M:
    """``build()``'s model, on the CPU, with initial weights drawn from a generator of ``seed``
    alone. ``build`` runs on the meta device, so it draws nothing from torch's global
    generator, and what other sessions draw meanwhile cannot change the result."""
    with torch.device("meta"):
        model = build()
    return materialise_(model, seed)


class Dropout(nn.Dropout):
    """``nn.Dropout(p)`` whose masks come from ``self.generator`` (set by
    :func:`use_generator`; :func:`cnnplay.train.fit` does it for every run). Masks are drawn on
    the CPU, so the same generator gives the same masks on a CPU and a GPU. Without a
    generator (a model trained outside ``fit``) it falls back to ``nn.Dropout``."""

    generator: torch.Generator | None = None

    def forward(self, x: Tensor) -> Tensor:
        """(...) -> (...): in training, each element zeroed with probability p, the rest
        scaled by 1 / (1 - p); unchanged in eval mode."""
        if not self.training or self.p == 0 or self.generator is None:
            return super().forward(x)
        if self.p == 1:
            return x * 0
        keep = torch.empty(x.shape).bernoulli_(1 - self.p, generator=self.generator)
        return x * keep.to(x.device, x.dtype) / (1 - self.p)


def use_generator(model: nn.Module, gen: torch.Generator | None) -> int:
    """Hand ``gen`` to every :class:`Dropout` in ``model`` (None takes it back); returns how
    many there are."""
    layers = [m for m in model.modules() if isinstance(m, Dropout)]
    for layer in layers:
        layer.generator = gen
    return len(layers)


def same_seed_note(seed: int, device: torch.device | None = None) -> str:
    """A caption for a training page: the training ``seed`` in use and what it promises on
    ``device`` (default: the device models go to)."""
    device = device or get_device()
    promise = (
        f"Training seed **{seed}**. Same settings and seed give the same curves and scores, "
        "to the last digit, even while others train on this server"
    )
    if device.type == "cpu":
        return (
            f"{promise}. Another seed starts from other weights and draws other batches: "
            "try two or three to see how much of a difference is luck."
        )
    return (
        f"{promise}, up to the last digits: on a GPU some kernels (summing gradients with "
        "atomic adds, for one) add in a varying order, so two runs can part slowly. Another "
        "seed starts from other weights and draws other batches: try two or three to see how "
        "much of a difference is luck."
    )
