"""DeconvNet: project one deep unit back to the pixels (seed 002, "Deconvolution Network
(DeconvNet)"; Zeiler & Fergus 2014, Zeiler, Taylor & Fergus 2011), and the three ways back
through a ReLU side by side.

Keep one activation of a stage (zero every other one) and pass it back to the image, layer by
layer, "undoing" each layer:

- **max pooling** by *max unpooling*: the value goes back to the cell that won the window in
  the forward pass (the "switches");
- **convolution** by the *transposed convolution*: the same filters, flipped (``W^T``);
- **ReLU** by one of three rules, the only place where the methods differ
  (``g``: the signal coming back, ``x``: the ReLU's input in the forward pass)::

      backprop   g · 1[x > 0]               the gradient (a saliency map of the unit)
      deconvnet  max(g, 0)                  Zeiler & Fergus: a ReLU on the signal itself;
                                            the forward mask is ignored
      guided     g · 1[x > 0] · 1[g > 0]    guided backprop (Springenberg et al. 2015): both

  For ReLU6 (EfficientNet-Lite0, MobileNet), "active" means 0 < x < 6: a clipped unit passes
  no gradient, like one below zero. The DeconvNet rule ignores the mask, so also the clip.

With the first two undone as their gradients do (unpooling by the switches *is* the gradient of
max pooling, the transposed convolution *is* the gradient of a convolution), all three are
``torch.autograd.grad`` of the kept activation with respect to the input, on a copy of the
network whose ReLUs follow the rule (:func:`rule_model`). That works for any network (batch
norm, residual blocks, strided depthwise convolutions): this is how EfficientNet-Lite0, which
has no max pooling at all, is projected.

For the notes' setting, a plain stack of Conv2d / ReLU / MaxPool2d, :func:`deconvnet_steps` is
the explicit, readable DeconvNet: a forward pass that records the switches and the ReLU masks,
then a backward loop that unpools, rectifies and transposes layer by layer and keeps every
intermediate signal (for a step-through). It is tested equal to the autograd version.

:func:`edge_bar_net` is such a stack with weights set by hand (oriented edges, then lines and
corners built from them), which the page steps through offline.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

import numpy as np
import torch
import torch.nn.functional as F
from torch import nn

from cnnplay.models.copies import meta_copy, shared_weights_copy
from cnnplay.models.pretrained import body_stages
from cnnplay.models.stages import model_device, truncated
from cnnplay.receptive import FieldRow, receptive_field_table, unit_span

Rule = Literal["backprop", "deconvnet", "guided"]
RULES: tuple[Rule, ...] = ("backprop", "deconvnet", "guided")
RULE_NAMES: dict[str, str] = {  # how figures and pages name each rule
    "backprop": "gradient (backprop)",
    "deconvnet": "DeconvNet",
    "guided": "guided backprop",
}


# --- the three rules through a ReLU ---------------------------------------------------------


def relu_backward(grad: torch.Tensor, active: torch.Tensor, rule: Rule) -> torch.Tensor:
    """The signal that goes back through one ReLU.

    grad: the signal arriving from above, any shape, float. active: bool, same shape, where
    the forward ReLU passed its input (0 < x, and x < 6 for ReLU6). Returns a tensor like
    ``grad``: ``grad·active`` (backprop), ``max(grad, 0)`` (deconvnet) or
    ``grad·active·[grad > 0]`` (guided)."""
    if rule == "backprop":
        return grad * active
    if rule == "deconvnet":
        return grad.clamp_min(0)
    if rule == "guided":
        return grad * (active & (grad > 0))
    raise ValueError(f"unknown rule {rule!r}; known: {', '.join(RULES)}")


class _RuleReLUFn(torch.autograd.Function):
    """Forward: clamp(x, 0, upper), as ReLU / ReLU6. Backward: :func:`relu_backward`."""

    @staticmethod
    def forward(ctx, x: torch.Tensor, upper: float, rule: Rule) -> torch.Tensor:
        ctx.save_for_backward((x > 0) & (x < upper))  # the forward mask, 1 byte a unit
        ctx.rule = rule
        return x.clamp(0, upper)

    @staticmethod
    def backward(ctx, grad: torch.Tensor) -> tuple[torch.Tensor, None, None]:
        (active,) = ctx.saved_tensors
        return relu_backward(grad, active, ctx.rule), None, None


class RuleReLU(nn.Module):
    """ReLU (upper = inf) or ReLU6 (upper = 6) forward, whose backward follows ``rule``."""

    def __init__(self, rule: Rule, upper: float = math.inf) -> None:
        super().__init__()
        if rule not in RULES:
            raise ValueError(f"unknown rule {rule!r}; known: {', '.join(RULES)}")
        self.rule = rule
        self.upper = upper

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return _RuleReLUFn.apply(x, self.upper, self.rule)

    def extra_repr(self) -> str:
        return f"rule={self.rule}, upper={self.upper}"


class GuidedReLU(RuleReLU):
    """The guided-backprop ReLU / ReLU6 (what cnnplay.explain.guided_model puts in)."""

    def __init__(self, upper: float = math.inf) -> None:
        super().__init__("guided", upper)


def _parent(model: nn.Module, name: str) -> nn.Module:
    head = name.rpartition(".")[0]
    return model.get_submodule(head) if head else model


def rule_model(model: nn.Module, rule: Rule) -> nn.Module:
    """A copy of ``model``'s module tree whose nn.ReLU / nn.ReLU6 follow ``rule`` on the way
    back (forward unchanged). The weights are shared, not copied (a few milliseconds and
    kilobytes even for VGG-16); ``model`` is not changed. Use the copy only for gradients with
    respect to the input (never train it: that would change ``model``)."""
    if rule not in RULES:
        raise ValueError(f"unknown rule {rule!r}; known: {', '.join(RULES)}")
    clone = shared_weights_copy(model)
    for name, module in list(clone.named_modules()):
        if isinstance(module, (nn.ReLU, nn.ReLU6)):
            upper = 6.0 if isinstance(module, nn.ReLU6) else math.inf
            layer = GuidedReLU(upper) if rule == "guided" else RuleReLU(rule, upper)
            if name:
                setattr(_parent(clone, name), name.rpartition(".")[2], layer)
            else:  # the model is a lone ReLU
                clone = layer
    return clone


# --- units of a stage -----------------------------------------------------------------------


@dataclass(frozen=True)
class Unit:
    """One activation of a stage's feature map."""

    channel: int  # which map
    row: int  # position in the (h, w) map
    col: int
    value: float  # its activation


def stage_maps(model: nn.Module, stage: int, x: torch.Tensor) -> np.ndarray:
    """Stage ``stage``'s feature maps for image x: (C, h, w) float32. x: (3, H, W) normalised.
    Read-only (inference mode, no hooks): safe on a model shared between sessions."""
    device = model_device(model)
    with torch.inference_mode():
        out = truncated(model, stage)(x.detach()[None].to(device, torch.float32))  # (1, C, h, w)
    return out[0].float().cpu().numpy()


def strongest_units(maps: np.ndarray, n: int) -> list[Unit]:
    """Each channel's strongest unit, for the ``n`` channels whose strongest unit is the
    strongest, strongest first. maps: (C, h, w). Within a channel the first maximum in
    row-major order wins; channels of equal peaks keep their index order."""
    c, h, w = maps.shape
    flat = maps.reshape(c, h * w)
    where = flat.argmax(axis=1)  # (C,) first maximum of each channel
    peaks = flat[np.arange(c), where]  # (C,)
    order = np.argsort(-peaks, kind="stable")[:n]
    return [Unit(int(k), int(where[k] // w), int(where[k] % w), float(peaks[k])) for k in order]


def strongest_position(channel_map: torch.Tensor) -> tuple[int, int]:
    """(row, col) of the largest value of an (h, w) map (the first in row-major order)."""
    w = channel_map.shape[-1]
    flat = int(channel_map.reshape(-1).argmax())
    return flat // w, flat % w


# --- projection by autograd (any network) --------------------------------------------------


def backward_signal(out: torch.Tensor, channel: int, position: tuple[int, int] | None,
                    whole_map: bool = False) -> torch.Tensor:  # fmt: skip
    """What is sent back from a stage's output ``out`` (1, C, h, w): zeros everywhere but one
    activation of ``channel`` — the one at ``position`` (row, col), by default the strongest —
    which keeps its value (Zeiler & Fergus put the activation itself back); or, with
    ``whole_map``, the channel's whole map, its positive part (what the unit says "yes" to).
    Returns (1, C, h, w), detached."""
    signal = torch.zeros_like(out, requires_grad=False)  # (1, C, h, w)
    plane = out.detach()[0, channel]  # (h, w)
    if whole_map:
        signal[0, channel] = plane.clamp_min(0)
    else:
        i, j = position if position is not None else strongest_position(plane)
        signal[0, channel, i, j] = plane[i, j]
    return signal


def project_through(
    features: nn.Module,
    x: torch.Tensor,
    channel: int,
    position: tuple[int, int] | None = None,
    whole_map: bool = False,
) -> torch.Tensor:
    """Pass one activation (or one channel's map) of ``features``' output back to the input.

    features: (1, C_in, H, W) -> (1, C, h, w), whose ReLUs already follow the wanted rule
    (:func:`rule_model`; a plain network gives the gradient). x: (C_in, H, W), in the
    network's units. position, whole_map: as in :func:`backward_signal`. Returns (C_in, H, W)
    in the dtype of the network's weights, on its device. Neither is changed."""
    first = next(features.parameters(), None)
    dtype = first.dtype if first is not None else torch.float32
    xb = x.detach()[None].to(model_device(features), dtype).requires_grad_(True)  # (1, C_in, H, W)
    with torch.enable_grad():
        out = features(xb)  # (1, C, h, w)
        signal = backward_signal(out, channel, position, whole_map)
        (grad,) = torch.autograd.grad(out, xb, grad_outputs=signal)
    return grad[0].detach()  # (C_in, H, W)


def project(
    model: nn.Module,
    stage: int,
    channel: int,
    x: torch.Tensor,
    rule: Rule,
    position: tuple[int, int] | None = None,
    ruled: nn.Module | None = None,
) -> np.ndarray:
    """Zeiler & Fergus' projection of one unit of stage ``stage`` back to the pixels.

    model: a backbone :func:`cnnplay.models.pretrained.body_stages` knows (shared, read-only:
    it is not changed). x: (3, H, W) normalised as the model expects. The unit: channel
    ``channel`` at ``position`` (row, col) of the stage's map, by default its strongest.
    ruled: a ready ``rule_model(model, rule)`` to reuse (making one costs more than the pass),
    else one is made for this call. Returns (3, H, W) float32: the signal at the input, in
    normalised-input units (divide by the normalisation std for pixel units)."""
    ruled = ruled if ruled is not None else rule_model(model, rule)
    return project_through(truncated(ruled, stage), x, channel, position).float().cpu().numpy()


def project_map(
    model: nn.Module,
    stage: int,
    channel: int,
    x: torch.Tensor,
    rule: Rule,
    ruled: nn.Module | None = None,
) -> np.ndarray:
    """Like :func:`project`, keeping the channel's whole map (its positive part) instead of
    one activation: every place in the photo where the unit fires. (3, H, W) float32."""
    ruled = ruled if ruled is not None else rule_model(model, rule)
    projected = project_through(truncated(ruled, stage), x, channel, whole_map=True)
    return projected.float().cpu().numpy()  # (3, H, W)


_LINEAR_LEAVES = (  # leaf modules that are linear in eval mode (or only reshape)
    nn.Conv2d, nn.Linear, nn.modules.batchnorm._BatchNorm, nn.Identity, nn.Dropout,
    nn.AvgPool2d, nn.AdaptiveAvgPool2d, nn.Flatten,
)  # fmt: skip


def deconvnet_ignores_photo(model: nn.Module) -> bool:
    """Whether the DeconvNet rule's projection of a unit is the same for every photo (up to
    the kept activation's value): true when the network's only nonlinearities are ReLU /
    ReLU6 (which the rule ignores) and it has no max pooling (no switches), judged by its
    leaf modules: EfficientNet-Lite0. Then the way back is one fixed linear map."""
    leaves = [m for m in model.modules() if not any(True for _ in m.children())]
    return all(isinstance(m, (*_LINEAR_LEAVES, nn.ReLU, nn.ReLU6)) for m in leaves)


Span = tuple[int, int]  # first and last pixel (inclusive); may lie outside the image (padding)


def field_row(features: nn.Module, side: int) -> FieldRow:
    """The receptive-field arithmetic (jump, size, start) of ``features``' output units for a
    (side × side) input: the row of cnnplay.receptive's table with the whole field (traced on
    a meta copy in float32: ``features`` is not touched). Raises ValueError when the network
    has no convolution or pooling."""
    shapes_only = meta_copy(features).float()  # any dtype: the trace runs in float32 on meta
    rows = receptive_field_table(shapes_only, side)
    if not rows:
        raise ValueError("this network has no convolution or pooling layer to give a field")
    widest = max(r.size for r in rows)
    return [r for r in rows if r.size == widest][-1]  # the deepest layer with the whole field


def box_of(row: FieldRow, position: tuple[int, int]) -> tuple[Span, Span]:
    """The field of the unit at ``position`` (row, col): (rows, cols), each (first, last)
    input pixel, inclusive (square kernels and strides: the row axis's arithmetic)."""
    return unit_span(row, position[0]), unit_span(row, position[1])


def unit_box(features: nn.Module, side: int, position: tuple[int, int]) -> tuple[Span, Span]:
    """The theoretical receptive field of the unit at ``position`` (row, col) of ``features``'
    output for a (side × side) input: (rows, cols), each (first, last) input pixel, inclusive,
    possibly reaching past the input (padding). Nothing outside this box can reach the unit,
    so every projection of it is zero there."""
    return box_of(field_row(features, side), position)


# --- the explicit DeconvNet (Conv2d / ReLU / MaxPool2d stacks) ---------------------------------

_STACK = (nn.Conv2d, nn.ReLU, nn.ReLU6, nn.MaxPool2d)


def check_stack(net: nn.Sequential) -> None:
    """Raise TypeError unless every layer of ``net`` is a plain Conv2d (zero padding, numeric),
    ReLU, ReLU6 or MaxPool2d: the layers the explicit DeconvNet knows how to undo."""
    for k, layer in enumerate(net):
        if type(layer) not in _STACK:
            raise TypeError(f"layer {k} is a {type(layer).__name__}: the explicit DeconvNet "
                            "knows Conv2d, ReLU, ReLU6 and MaxPool2d")  # fmt: skip
        if isinstance(layer, nn.Conv2d) and (
            isinstance(layer.padding, str) or layer.padding_mode != "zeros"
        ):
            raise TypeError(f"layer {k}: only numeric zero padding can be transposed here")


@dataclass(frozen=True)
class Recorded:
    """What the forward pass remembers for the way back."""

    inputs: list[torch.Tensor]  # (1, C, h, w) the input of each layer; last: the output
    switches: dict[int, torch.Tensor]  # pool layer -> (1, C, h', w') int64: where each max
    # came from, flattened per (h, w) plane of the layer's input, as torch returns them
    masks: dict[int, torch.Tensor]  # ReLU layer -> (1, C, h, w) bool: it passed its input


def record_forward(net: nn.Sequential, x: torch.Tensor) -> Recorded:
    """Run the stack on x (C, H, W), remembering the switches of every max pooling and the mask
    of every ReLU. The layers' own weights are used read-only (no hooks)."""
    check_stack(net)
    first = next(net.parameters(), None)
    dtype = first.dtype if first is not None else torch.float32
    h = x.detach()[None].to(model_device(net), dtype)  # (1, C, H, W)
    inputs, switches, masks = [h], {}, {}
    with torch.no_grad():
        for k, layer in enumerate(net):
            if isinstance(layer, nn.MaxPool2d):
                h, switches[k] = F.max_pool2d(
                    h, layer.kernel_size, layer.stride, layer.padding, layer.dilation,
                    ceil_mode=layer.ceil_mode, return_indices=True,
                )  # fmt: skip
            elif isinstance(layer, (nn.ReLU, nn.ReLU6)):
                upper = 6.0 if isinstance(layer, nn.ReLU6) else math.inf
                masks[k] = (h > 0) & (h < upper)
                h = h.clamp(0, upper)
            else:
                h = layer(h)
            inputs.append(h)
    return Recorded(inputs, switches, masks)


def unpool(signal: torch.Tensor, switches: torch.Tensor, size: tuple[int, int]) -> torch.Tensor:
    """Max unpooling with the switches: each value goes back to the cell whose max it was,
    every other cell gets 0. signal, switches: (N, C, h', w'); size: (H, W) of the pooling's
    input. Returns (N, C, H, W). Where overlapping windows (3×3 with stride 2) share a winner
    their values add up, as in the gradient of max pooling; with windows that do not overlap
    this is exactly ``F.max_unpool2d``."""
    n, c = signal.shape[:2]
    out = signal.new_zeros(n, c, size[0] * size[1])  # (N, C, H·W)
    out.scatter_add_(2, switches.flatten(2), signal.flatten(2))
    return out.view(n, c, *size)  # (N, C, H, W)


def transposed_conv(signal: torch.Tensor, conv: nn.Conv2d, size: tuple[int, int]) -> torch.Tensor:
    """Undo a convolution: the transposed convolution with the same filters (each flipped and
    its channels swapped), no bias. signal: (N, K, h, w) -> (N, C, H, W), (H, W) = ``size``,
    the convolution's input size (output_padding makes up for the rows a stride dropped)."""
    k, s, p, d = conv.kernel_size, conv.stride, conv.padding, conv.dilation
    extra = [
        size[a] - ((signal.shape[2 + a] - 1) * s[a] - 2 * p[a] + d[a] * (k[a] - 1) + 1)
        for a in (0, 1)
    ]
    return F.conv_transpose2d(signal, conv.weight, None, s, p, tuple(extra), conv.groups, d)


@dataclass(frozen=True)
class Step:
    """One step of the way back: the signal after undoing one layer."""

    layer: int  # index of the layer undone (len(net) for the starting signal)
    kind: str  # "start", "unpool", "relu" or "transposed conv"
    label: str  # e.g. "undo layer 5 (MaxPool2d 2×2): max unpooling with the switches"
    signal: torch.Tensor  # (C, h, w), detached, on the CPU: the signal after this step


def _describe(k: int, layer: nn.Module, rule: Rule) -> tuple[str, str]:
    if isinstance(layer, nn.MaxPool2d):
        size = layer.kernel_size if isinstance(layer.kernel_size, int) else layer.kernel_size[0]
        return "unpool", f"layer {k} max pool {size}×{size} → max unpooling with the switches"
    if isinstance(layer, (nn.ReLU, nn.ReLU6)):
        how = {
            "deconvnet": "ReLU on the signal",
            "backprop": "the forward mask",
            "guided": "the forward mask and a ReLU on the signal",
        }[rule]
        return "relu", f"layer {k} {type(layer).__name__} → {how}"
    kh, kw = layer.kernel_size
    return "transposed conv", (
        f"layer {k} conv {kh}×{kw}, {layer.in_channels}→{layer.out_channels} → transposed "
        f"conv, {layer.out_channels}→{layer.in_channels}"
    )


def deconvnet_steps(
    net: nn.Sequential,
    x: torch.Tensor,
    channel: int,
    position: tuple[int, int] | None = None,
    rule: Rule = "deconvnet",
    whole_map: bool = False,
) -> list[Step]:
    """The explicit DeconvNet, layer by layer, from the last layer's output back to the input.

    net: Conv2d / ReLU / ReLU6 / MaxPool2d layers only (:func:`check_stack`). x: (C_in, H, W).
    The starting signal keeps one activation of ``channel`` (at ``position``, by default the
    strongest) or, with ``whole_map``, the channel's positive part (:func:`backward_signal`).
    Then, from the last layer to the first: max pooling -> :func:`unpool` with the recorded
    switches; ReLU -> :func:`relu_backward` with ``rule`` ("deconvnet": a ReLU on the signal;
    "backprop": the recorded mask, which gives the gradient; "guided": both); convolution ->
    :func:`transposed_conv`. Returns the start and one :class:`Step` per layer; the last
    step's signal (C_in, H, W) is the projection, equal to :func:`project_through` on
    ``rule_model(net, rule)``."""
    record = record_forward(net, x)
    out = record.inputs[-1]  # (1, C, h, w)
    signal = backward_signal(out, channel, position, whole_map)
    what = "its whole map" if whole_map else "one activation"
    steps = [Step(len(net), "start", f"start: channel {channel}, {what} kept", signal[0].cpu())]
    with torch.no_grad():
        for k in reversed(range(len(net))):
            layer, size = net[k], tuple(record.inputs[k].shape[2:])
            if isinstance(layer, nn.MaxPool2d):
                signal = unpool(signal, record.switches[k], size)
            elif isinstance(layer, (nn.ReLU, nn.ReLU6)):
                signal = relu_backward(signal, record.masks[k], rule)
            else:
                signal = transposed_conv(signal, layer, size)
            kind, label = _describe(k, layer, rule)
            steps.append(Step(k, kind, label, signal[0].cpu()))
    return steps


def step_fields(
    net: nn.Sequential, steps: list[Step], position: tuple[int, int]
) -> list[tuple[Span, Span]]:
    """Where each step's signal can be nonzero when one unit at ``position`` (row, col) of the
    last layer's output was kept: for the start, the unit itself; after undoing layer k, the
    unit's receptive field in layer k's input (:func:`unit_box` of ``net[k:]``). One
    (rows, cols) box per step of :func:`deconvnet_steps`, inclusive, may reach past the map."""
    boxes = [((position[0], position[0]), (position[1], position[1]))]
    for step in steps[1:]:
        try:
            boxes.append(unit_box(net[step.layer :], step.signal.shape[-1], position))
        except ValueError:  # only ReLUs above this layer: the unit sees itself
            boxes.append(boxes[0])
    return boxes


def deconvnet_prefix(model: nn.Module, pools: int = 2) -> nn.Sequential | None:
    """The backbone's first layers up to and including its ``pools``-th max pooling, when they
    are all plain Conv2d / ReLU / MaxPool2d (VGG's first blocks: the notes' setting), built from
    the model's own modules (use read-only); None when the network starts otherwise
    (EfficientNet-Lite0, ResNet, MobileNet: batch norm, "same" padding or residuals first)."""
    try:
        stages = list(body_stages(model))
    except TypeError:
        return None
    layers: list[nn.Module] = []
    for layer in stages:
        if type(layer) not in _STACK:
            return None
        if isinstance(layer, nn.Conv2d) and (
            isinstance(layer.padding, str) or layer.padding_mode != "zeros"
        ):
            return None
        layers.append(layer)
        if sum(isinstance(m, nn.MaxPool2d) for m in layers) == pools:
            return nn.Sequential(*layers)
    return None


# --- a small DeconvNet with meaningful weights -----------------------------------------------

TEACHING_SIDE = 132  # input side of edge_bar_net: 132 -> 128 -> 64 -> 60 -> 30
LUMA = (0.299, 0.587, 0.114)  # ITU-R BT.601 weights of R, G, B: layer 1 sees brightness
EDGE_SIGMA = 1.0  # pixels: the width of the Gaussian in layer 1's edge filters
EDGE_BIAS = -0.03  # layer 1 fires only for an edge above this contrast (pixels in 0..1)
PART_BIAS = -0.05  # layer 2 needs both halves of a line or corner to reach this
LINE_WEIGHT = 0.1  # layer 2: weight of each edge cell along a line
CORNER_WEIGHT = 0.2  # layer 2: weight of each edge cell along a corner's two arms
LINE_SYMBOLS = ("|", "/", "—", "\\")  # a line whose normal points 0°, 45°, 90°, 135° (y down)
ARROWS = ("→", "↘", "↓", "↙", "←", "↖", "↑", "↗")  # brighter towards: 0°, 45°, ... (y down)


@dataclass(frozen=True)
class TeachingNet:
    """A Conv/ReLU/MaxPool stack with hand-set weights, and what each channel means."""

    net: nn.Sequential  # (N, 3, S, S) pixels in 0..1 -> (N, 12, ((S - 4) / 2 - 4) / 2, ...)
    edges: tuple[str, ...]  # the first conv's channels: "brighter →" ... (8 directions)
    parts: tuple[str, ...]  # the second conv's (the top's) channels: lines and corners


def _edge_filter(angle: float, size: int = 5, sigma: float = EDGE_SIGMA) -> torch.Tensor:
    """(size, size) derivative of a Gaussian along ``angle`` (radians, x right, y down):
    positive where brightness rises in that direction; zero sum, L1 norm 1."""
    r = torch.arange(size, dtype=torch.float64) - (size - 1) / 2
    yy, xx = torch.meshgrid(r, r, indexing="ij")  # (size, size)
    along = xx * math.cos(angle) + yy * math.sin(angle)
    k = along * torch.exp(-(xx**2 + yy**2) / (2 * sigma**2))
    return k / k.abs().sum()


def _add(w: torch.Tensor, part: int, edge: int, cells: list[tuple[int, int]], weight: float
         ) -> None:  # fmt: skip
    """Add ``weight`` to w[part, edge] at each (dy, dx) offset from the centre of a 5×5 filter
    (offsets that fall outside it are skipped)."""
    for dy, dx in cells:
        if abs(dy) <= 2 and abs(dx) <= 2:
            w[part, edge, 2 + dy, 2 + dx] += weight


def edge_bar_net() -> TeachingNet:
    """Two layers of hand-set filters, each conv 5×5 (no padding: the picture's border is no
    edge) → ReLU → max pool 2×2.

    Layer 1 (8 channels): oriented edges, one per direction in which brightness rises
    (→ ↘ ↓ ↙ ← ↖ ↑ ↗), on the photo's brightness (BT.601 luma); a bias ignores faint edges.
    Layer 2 (12 channels), on layer 1's pooled maps: *bright lines* and *dark lines* in four
    orientations (an edge rising towards the line on one side, falling away on the other,
    along the line), and the four *corners* of a bright region (⌜ ⌝ ⌞ ⌟: two edges meeting).
    Returns a float32 :class:`TeachingNet` in eval mode, weights frozen."""
    conv1 = nn.Conv2d(3, 8, 5)  # no padding: a border is no edge
    conv2 = nn.Conv2d(8, 12, 5)
    w1 = torch.zeros(8, 3, 5, 5, dtype=torch.float64)
    for k in range(8):
        edge = _edge_filter(k * math.pi / 4)
        for c, luma in enumerate(LUMA):
            w1[k, c] = luma * edge
    w2 = torch.zeros(12, 8, 5, 5, dtype=torch.float64)
    parts = []
    for o in range(4):  # the line's normal points along direction o (0°, 45°, 90°, 135°)
        ny, nx = round(math.sin(o * math.pi / 4)), round(math.cos(o * math.pi / 4))  # cells
        along = [(t * nx, -t * ny) for t in (-2, -1, 0, 1, 2)]  # cells along the line
        before = [(dy - ny, dx - nx) for dy, dx in along]  # one cell to the -normal side
        after = [(dy + ny, dx + nx) for dy, dx in along]
        for k, name, rising, falling in ((2 * o, "bright", o, o + 4),
                                         (2 * o + 1, "dark", o + 4, o)):  # fmt: skip
            _add(w2, k, rising, before + along, LINE_WEIGHT)  # brighter towards the line ...
            _add(w2, k, falling, along + after, LINE_WEIGHT)  # ... and darker away from it
            parts.append(f"{name} line {LINE_SYMBOLS[o]}")
    corners = (  # name, (edge channel, arm direction) twice; arms leave the corner
        ("corner ⌜", (2, (0, 1)), (0, (1, 0))),  # ↓ along the top arm, → along the left arm
        ("corner ⌝", (2, (0, -1)), (4, (1, 0))),
        ("corner ⌞", (6, (0, 1)), (0, (-1, 0))),
        ("corner ⌟", (6, (0, -1)), (4, (-1, 0))),
    )
    for j, (name, *arms) in enumerate(corners):
        for edge, (dy, dx) in arms:
            _add(w2, 8 + j, edge, [(t * dy, t * dx) for t in (0, 1, 2)], CORNER_WEIGHT)
        parts.append(name)
    with torch.no_grad():
        conv1.weight.copy_(w1)
        conv1.bias.fill_(EDGE_BIAS)
        conv2.weight.copy_(w2)
        conv2.bias.fill_(PART_BIAS)
    net = nn.Sequential(conv1, nn.ReLU(), nn.MaxPool2d(2), conv2, nn.ReLU(), nn.MaxPool2d(2))
    net.eval().requires_grad_(False)
    return TeachingNet(net, tuple(f"brighter {a}" for a in ARROWS), tuple(parts))
