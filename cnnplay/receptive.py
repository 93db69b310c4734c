"""Receptive fields: how many input pixels one unit of a layer can see (seeds 000, 002).

Two views of the same arithmetic.

**A stack of layers** (:func:`stack_table`), one axis, each layer with kernel ``k``, stride ``s``,
padding ``p``, dilation ``d``. For layer ``l``, with layer 0 the input (``j_0 = 1, r_0 = 1,
start_0 = 0``)::

    n_l     = floor((n_{l-1} + 2 p_l - d_l (k_l - 1) - 1) / s_l) + 1     output size
    j_l     = j_{l-1} * s_l                                              jump (input pixels
                                                                         between neighbours)
    r_l     = r_{l-1} + (k_l - 1) * d_l * j_{l-1}                        field size
    start_l = start_{l-1} - p_l * j_{l-1}                                first pixel of unit 0

Convention: ``start`` is the index (in input pixels, 0 = the first real pixel) of the **first**
pixel that unit 0 of the layer sees; it is negative when the field reaches into padding. Unit
``i`` then sees pixels ``start + i*j ... start + i*j + r - 1`` (a field ``r`` wide), centred on
``start + i*j + (r - 1)/2``.

**Any torch module** (:func:`receptive_field_table`, :func:`receptive_field`), branches and all.
Method: the module is copied onto the ``meta`` device (shapes only, no numbers, no weights copied:
milliseconds even for ResNet-50) and run forward once on a ``(1, C, S, S)`` meta input inside a
``TorchFunctionMode``. The mode sees every torch call (``conv2d``, ``max_pool2d``, ``add``,
``cat``, in-place ``+=`` ...) and gives each spatial tensor a field per axis ``(jump, size,
start)``:

- ``conv2d`` / ``max_pool2d`` / ``avg_pool2d`` apply the recurrence above to their input's field;
- any other op whose output has the spatial shape of its inputs (ReLU, batch norm, residual
  ``add``, inception / dense ``cat``) takes the **union** of the inputs' unit-0 fields
  (leftmost start, rightmost end; the jump of the inputs, which must agree). For centred
  branches this is the usual "max over branches"; it also stays exact when branches are offset;
- ``F.pad`` (padding or, with negative widths, cropping) moves the start;
- ops that change the spatial size in other ways (adaptive / global pooling, interpolation,
  flatten) end the tracking: their outputs carry no field, so a gate computed from a global
  pool (squeeze-and-excitation) does not widen the field of the local path it multiplies.

A module that cannot run on the input (too small for it, or a fully connected classifier built
for another size, like LeNet-5's) raises :class:`InputSizeError`, whose ``reason`` names the
layer and the sizes in words; torch's own message stays in its ``__cause__``.

Fields belong to tensors, not channels: slicing out some channels of a concatenation keeps the
union of all branches (an upper bound; real networks mix all channels in the next conv anyway).
Because the data flow is followed on real tensors, branching graphs need no special cases and no
tracing of Python control flow (``torch.fx`` fails on DenseNet's list inputs, for example).
Module names come from forward pre-hooks on the private meta copy; the caller's module is
never touched (no hooks, no mode change), so a model cached for all sessions is safe to pass.

:func:`effective_field` measures the *effective* field: the gradient magnitude of one unit with
respect to the input, on a private copy of the module (any weights).
"""

from __future__ import annotations

import copy
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numpy as np
import torch
from torch import nn
from torch.overrides import TorchFunctionMode
from torch.utils._pytree import tree_flatten

from cnnplay.device import get_device
from cnnplay.models.copies import meta_copy, shared_weights_copy

LAYER_KINDS = ("conv", "max pool", "avg pool", "1×1 conv")  # what a stack row can be


# ---------------------------------------------------------------------------------------------
# One axis of arithmetic


@dataclass(frozen=True)
class Field:
    """The receptive field of unit 0 of a feature map, along one axis, in input pixels."""

    jump: int  # input pixels between neighbouring units
    size: int  # pixels one unit sees (one side)
    start: int  # first input pixel unit 0 sees; < 0 reaches into padding

    @property
    def end(self) -> int:
        """Last input pixel unit 0 sees (inclusive)."""
        return self.start + self.size - 1

    def span(self, i: int) -> tuple[int, int]:
        """First and last input pixel (inclusive) that unit ``i`` sees."""
        first = self.start + i * self.jump
        return first, first + self.size - 1

    def through(self, kernel: int, stride: int, padding: int, dilation: int = 1) -> Field:
        """The field after one more conv / pool layer (the recurrence in the module docstring)."""
        return Field(
            jump=self.jump * stride,
            size=self.size + (kernel - 1) * dilation * self.jump,
            start=self.start - padding * self.jump,
        )


INPUT_FIELD = Field(jump=1, size=1, start=0)  # a pixel sees itself


def union(fields: Sequence[Field]) -> Field:
    """Fields of branches that meet (add, concatenate): from the leftmost start to the rightmost
    end. Jumps must agree (ValueError otherwise); a field whose jump differs only because it
    comes from a broadcast 1×1 map should be passed with ``jump`` set to the others'."""
    jumps = {f.jump for f in fields}
    if len(jumps) > 1:
        raise ValueError(f"branches with different jumps {sorted(jumps)} meet")
    start = min(f.start for f in fields)
    end = max(f.end for f in fields)
    return Field(jump=fields[0].jump, size=end - start + 1, start=start)


# ---------------------------------------------------------------------------------------------
# A stack of layers (the page's table)


@dataclass(frozen=True)
class LayerSpec:
    """One layer of a stack; every number is per axis (square kernels)."""

    kind: str  # one of LAYER_KINDS
    kernel: int = 3  # k, >= 1 (1 for "1×1 conv")
    stride: int = 1  # s, >= 1
    padding: int = 0  # p, >= 0, zeros on each side
    dilation: int = 1  # d, >= 1 (pools: 1)


@dataclass(frozen=True)
class StackRow:
    """The state after one layer of a stack (row 0: the input itself)."""

    layer: str  # e.g. "1: conv 3×3" or "input"
    kind: str  # LAYER_KINDS entry or "input"
    kernel: int
    stride: int
    padding: int
    dilation: int
    out_size: int  # n_l, units per side of the output
    jump: int  # j_l
    size: int  # r_l
    start: int  # start_l
    prev: Field  # the field before this layer (for writing out the recurrence)


class LayerError(ValueError):
    """A stack that cannot be built; the message is shown to the user as is."""


def _as_int(value: object, what: str, row: int) -> int:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        raise LayerError(f"Layer {row}: {what} is empty; type a whole number.")
    try:
        number = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise LayerError(f"Layer {row}: {what} {value!r} is not a number.") from None
    if number != int(number):
        raise LayerError(f"Layer {row}: {what} {value} must be a whole number.")
    return int(number)


def parse_layers(records: Sequence[Mapping[str, object]]) -> list[LayerSpec]:
    """Rows of an editable table -> validated layers.

    records: dicts with keys ``kind`` (one of LAYER_KINDS), ``kernel``, ``stride``, ``padding``,
    ``dilation`` (numbers; blank stride defaults to 1 for convs and to the kernel for pools,
    blank padding to 0, blank dilation to 1). Raises LayerError naming the first bad row
    (1-based) and what to change.
    """
    layers = []
    for n, rec in enumerate(records, start=1):
        kind = rec.get("kind")
        if kind not in LAYER_KINDS:
            raise LayerError(
                f"Layer {n}: choose a layer type ({', '.join(LAYER_KINDS)}), not {kind!r}."
            )
        kind = str(kind)

        def field(name: str, default: int, rec: Mapping[str, object] = rec, n: int = n) -> int:
            value = rec.get(name)
            if value is None or (isinstance(value, float) and math.isnan(value)):
                return default
            return _as_int(value, name, n)

        kernel = 1 if kind == "1×1 conv" else _as_int(rec.get("kernel"), "kernel", n)
        stride = field("stride", kernel if "pool" in kind else 1)
        padding = field("padding", 0)
        dilation = field("dilation", 1)
        if kernel < 1:
            raise LayerError(f"Layer {n}: the kernel must be at least 1 (got {kernel}).")
        if stride < 1:
            raise LayerError(f"Layer {n}: the stride must be at least 1 (got {stride}).")
        if padding < 0:
            raise LayerError(f"Layer {n}: padding cannot be negative (got {padding}).")
        if dilation < 1:
            raise LayerError(f"Layer {n}: the dilation must be at least 1 (got {dilation}).")
        if kind == "avg pool" and dilation != 1:
            raise LayerError(f"Layer {n}: average pooling has no dilation (torch); use 1.")
        if "pool" in kind and 2 * padding > kernel:
            raise LayerError(
                f"Layer {n}: a {kernel}-wide pool allows padding up to {kernel // 2} "
                f"(half the window, as in torch), not {padding}."
            )
        if kernel > 99 or stride > 99 or padding > 99 or dilation > 99:
            raise LayerError(f"Layer {n}: keep kernel, stride, padding and dilation below 100.")
        layers.append(LayerSpec(kind, kernel, stride, padding, dilation))
    return layers


def layer_label(n: int, spec: LayerSpec) -> str:
    """E.g. ``"2: max pool 2×2 /2"``."""
    k = spec.kernel
    extra = f" /{spec.stride}" if spec.stride != 1 else ""
    extra += f" p{spec.padding}" if spec.padding else ""
    extra += f" d{spec.dilation}" if spec.dilation != 1 else ""
    name = "conv" if spec.kind == "1×1 conv" else spec.kind
    return f"{n}: {name} {k}×{k}{extra}"


def stack_table(layers: Sequence[LayerSpec], input_size: int) -> list[StackRow]:
    """Output size, jump, field size and start after every layer of a stack.

    layers: the stack, first layer first. input_size: pixels per side (>= 1).
    Returns len(layers) + 1 rows (row 0: the input). Raises LayerError when a layer's window
    is larger than its padded input ("runs out of pixels").
    """
    if input_size < 1:
        raise LayerError(f"The input must be at least 1 pixel wide (got {input_size}).")
    f, n = INPUT_FIELD, input_size
    rows = [StackRow("input", "input", 1, 1, 0, 1, n, f.jump, f.size, f.start, f)]
    for i, spec in enumerate(layers, start=1):
        span = spec.dilation * (spec.kernel - 1) + 1
        if span > n + 2 * spec.padding:
            raise LayerError(
                f"Layer {i} ({layer_label(i, spec)}): its window spans {span} units but its "
                f"input is only {n} + 2·{spec.padding} = {n + 2 * spec.padding} wide — the stack "
                "runs out of pixels. Use a larger input, more padding or fewer/smaller layers."
            )
        n_out = (n + 2 * spec.padding - span) // spec.stride + 1
        new = f.through(spec.kernel, spec.stride, spec.padding, spec.dilation)
        rows.append(
            StackRow(
                layer_label(i, spec),
                spec.kind,
                spec.kernel,
                spec.stride,
                spec.padding,
                spec.dilation,
                n_out,
                new.jump,
                new.size,
                new.start,
                f,
            )
        )
        f, n = new, n_out
    return rows


def _conv(k: int, s: int = 1, p: int = 0, d: int = 1) -> LayerSpec:
    return LayerSpec("conv", k, s, p, d)


def _maxpool(k: int, s: int | None = None, p: int = 0) -> LayerSpec:
    return LayerSpec("max pool", k, s or k, p, 1)


PRESETS: dict[str, tuple[int, list[LayerSpec]]] = {  # name -> (input side, layers)
    "Seed 000: 3×3 conv → 2×2 max pool": (6, [_conv(3), _maxpool(2)]),
    "LeNet-5 (32×32 input)": (
        32,
        [_conv(5), LayerSpec("avg pool", 2, 2), _conv(5)] + [LayerSpec("avg pool", 2, 2), _conv(5)],
    ),
    "VGG-16, blocks 1–3": (
        224,
        [_conv(3, p=1), _conv(3, p=1), _maxpool(2)]
        + [_conv(3, p=1), _conv(3, p=1), _maxpool(2)]
        + [_conv(3, p=1)] * 3
        + [_maxpool(2)],
    ),
    "ResNet-18 stem + layer1 (main path)": (
        224,
        [_conv(7, 2, 3), _maxpool(3, 2, 1)] + [_conv(3, p=1)] * 4,
    ),
    "Seed 002: three 3×3 convs (= one 7×7)": (32, [_conv(3, p=1)] * 3),
    "Dilated 3×3 convs, d = 1, 2, 4": (
        64,
        [_conv(3, 1, 1, 1), _conv(3, 1, 2, 2), _conv(3, 1, 4, 4)],
    ),
}


# ---------------------------------------------------------------------------------------------
# Stacks of 3×3 kernels instead of one large kernel (seed 002)


@dataclass(frozen=True)
class StackedKernels:
    """One F×F conv vs a stack of 3×3 convs with the same field, C channels in and out."""

    field: int  # F, odd, >= 3
    channels: int  # C
    layers: int  # n = (F - 1) / 2
    weights_stack: int  # n · 9 C²
    weights_single: int  # F² C²
    nonlinearities: int  # activations between layers: n vs 1


def stacked_3x3(field: int, channels: int) -> StackedKernels:
    """Seed 002's comparison: n = (F-1)/2 layers of 3×3 see F×F, with n·9C² weights (no bias)
    instead of F²C². field: odd >= 3; channels >= 1. Raises ValueError otherwise."""
    if field < 3 or field % 2 == 0:
        raise ValueError(f"The field F must be odd and at least 3 (got {field}).")
    if channels < 1:
        raise ValueError(f"The channel count must be at least 1 (got {channels}).")
    n = (field - 1) // 2
    c2 = channels * channels
    return StackedKernels(field, channels, n, n * 9 * c2, field * field * c2, n)


# ---------------------------------------------------------------------------------------------
# Any torch module


class InputSizeError(ValueError):
    """A network that cannot run on a side×side input. ``reason`` says why in words (never
    torch's own message, which stays in ``__cause__``); the message is a whole sentence."""

    def __init__(self, side: int, reason: str) -> None:
        super().__init__(f"The network cannot run on a {side}×{side} input: {reason}.")
        self.side = side  # the input side, pixels
        self.reason = reason  # e.g. "its fully connected layer `classifier.1` takes 400 ..."


@dataclass(frozen=True)
class FieldRow:
    """One conv / pool call of a module's forward pass, with the field after it."""

    name: str  # module name, e.g. "layer1.0.conv1" (the innermost module running the call)
    op: str  # "conv", "max pool" or "avg pool"
    kernel: int  # along rows
    stride: int
    padding: int
    dilation: int
    jump: int  # of the layer's output, input pixels
    size: int  # receptive field of one output unit, pixels, one side (rows)
    start: int  # first input row unit 0 sees (< 0: padding)
    out_size: int  # output height, units
    channels: int  # output channels

    def as_dict(self) -> dict[str, object]:
        return asdict(self)


def _pair(value: object, axis: int) -> int:
    if isinstance(value, list | tuple):
        return int(value[axis] if len(value) > axis else value[0])
    return int(value)  # type: ignore[arg-type]


_POOL_OPS = {"max_pool2d": "max pool", "avg_pool2d": "avg pool"}
_POS = {  # positions of (kernel, stride, padding, dilation) after the input
    "max_pool2d": ("kernel_size", "stride", "padding", "dilation"),
    "avg_pool2d": ("kernel_size", "stride", "padding", None),
    "conv2d": (None, "stride", "padding", "dilation"),  # kernel from the weight; args: w, b first
}


def _geometry(name: str, args: tuple, kwargs: dict, axis: int) -> tuple[int, int, int, int]:
    """(kernel, stride, padding, dilation) of a conv2d / pool call along one axis."""
    if name == "conv2d":
        weight = args[1] if len(args) > 1 else kwargs["weight"]
        rest = list(args[3:]) + [None] * 4
        stride = kwargs.get("stride", rest[0] if rest[0] is not None else 1)
        padding = kwargs.get("padding", rest[1] if rest[1] is not None else 0)
        dilation = kwargs.get("dilation", rest[2] if rest[2] is not None else 1)
        kernel = int(weight.shape[2 + axis])
        d = _pair(dilation, axis)
        if isinstance(padding, str):  # "same": total d(k-1), the smaller half first; "valid": 0
            padding = (d * (kernel - 1)) // 2 if padding == "same" else 0
        return kernel, _pair(stride, axis), _pair(padding, axis), d
    names = _POS[name]
    rest = list(args[1:]) + [None] * 4
    kernel = kwargs.get("kernel_size", rest[0])
    stride = kwargs.get("stride", rest[1])
    if stride is None or (isinstance(stride, list | tuple) and len(stride) == 0):
        stride = kernel  # torch: stride defaults to the kernel size
    padding = kwargs.get("padding", rest[2] if rest[2] is not None else 0)
    dilation = 1
    if names[3]:
        dilation = kwargs.get("dilation", rest[3] if rest[3] is not None else 1)
    return _pair(kernel, axis), _pair(stride, axis), _pair(padding, axis), _pair(dilation, axis)


Fields = tuple[Field, Field]  # (rows, columns)


class _FieldTracker(TorchFunctionMode):
    """Gives every spatial tensor of a forward pass its field (see the module docstring)."""

    def __init__(self, module_stack: list[str]) -> None:
        super().__init__()
        self.fields: dict[int, tuple[torch.Tensor, Fields]] = {}  # id -> (tensor kept alive, f)
        self.rows: list[FieldRow] = []
        self.module_stack = module_stack
        self.largest: Fields | None = None
        self.failure: str | None = None  # why the first failing call failed, in words

    def explain(self, name: str, args: tuple, kwargs: dict) -> str:
        """Why the call ``name`` failed, in words (no torch message): a fully connected layer
        given another number of features than it was built for, or a window larger than the
        feature map it slides over."""
        layer = self.module_stack[-1] if self.module_stack else name
        src = args[0] if args else kwargs.get("input")
        if name == "linear" and isinstance(src, torch.Tensor):
            weight = args[1] if len(args) > 1 else kwargs.get("weight")
            if isinstance(weight, torch.Tensor):
                return (
                    f"its fully connected layer `{layer}` takes {int(weight.shape[-1]):,} "
                    f"features, but this input gives it {int(src.shape[-1]):,} (the layer is "
                    "built for one input size)"
                )
        if name in _POS and isinstance(src, torch.Tensor) and src.dim() == 4:
            h, w = int(src.shape[2]), int(src.shape[3])
            kernel, _, _, dilation = _geometry(name, args, kwargs, 0)
            span = dilation * (kernel - 1) + 1
            return (
                f"at `{layer}` its feature maps have shrunk to {h}×{w}, smaller than that "
                f"layer's {span}×{span} window (the input is too small)"
            )
        return f"it fails at `{layer}` (the input is too small for it, or it is not an image model)"

    def field_of(self, t: object) -> Fields | None:
        if isinstance(t, torch.Tensor) and id(t) in self.fields:
            kept, f = self.fields[id(t)]
            if kept is t:
                return f
        return None

    def set_field(self, t: torch.Tensor, f: Fields) -> None:
        self.fields[id(t)] = (t, f)
        if self.largest is None or max(x.size for x in f) >= max(x.size for x in self.largest):
            self.largest = f

    def __torch_function__(self, func: Callable, types, args=(), kwargs=None):  # noqa: ANN001
        kwargs = kwargs or {}
        name = getattr(func, "__name__", "")
        try:
            out = func(*args, **kwargs)
        except RuntimeError:
            if self.failure is None:
                self.failure = self.explain(name, args, kwargs)
            raise
        if name in _POS:
            src = args[0] if args else kwargs.get("input")
            f_in = self.field_of(src)
            result = out[0] if isinstance(out, tuple) else out
            if f_in is None or not isinstance(result, torch.Tensor) or result.dim() != 4:
                return out
            geo = [_geometry(name, args, kwargs, axis) for axis in (0, 1)]
            f_out = (f_in[0].through(*geo[0]), f_in[1].through(*geo[1]))
            self.set_field(result, f_out)
            k, s, p, d = geo[0]
            self.rows.append(
                FieldRow(
                    self.module_stack[-1] if self.module_stack else name,
                    _POOL_OPS.get(name, "conv"),
                    k,
                    s,
                    p,
                    d,
                    f_out[0].jump,
                    f_out[0].size,
                    f_out[0].start,
                    int(result.shape[2]),
                    int(result.shape[1]),
                )
            )
            return out
        if name == "pad" and isinstance(out, torch.Tensor) and out.dim() == 4:
            f_in = self.field_of(args[0] if args else kwargs.get("input"))
            widths = list(args[1] if len(args) > 1 else kwargs["pad"]) + [0, 0, 0, 0]
            if f_in is not None:  # (left, right, top, bottom): shifts where unit 0 starts
                rows, cols = f_in
                self.set_field(
                    out,
                    (
                        Field(rows.jump, rows.size, rows.start - widths[2] * rows.jump),
                        Field(cols.jump, cols.size, cols.start - widths[0] * cols.jump),
                    ),
                )
            return out
        leaves, _ = tree_flatten((args, kwargs))
        inputs = [(t, self.field_of(t)) for t in leaves if isinstance(t, torch.Tensor)]
        inputs = [(t, f) for t, f in inputs if f is not None]
        if not inputs:
            return out
        outs, _ = tree_flatten(out)
        for result in outs:
            if not isinstance(result, torch.Tensor) or result.dim() != 4:
                continue
            shape = tuple(result.shape[2:])
            same = [f for t, f in inputs if tuple(t.shape[2:]) == shape]
            broadcast = [f for t, f in inputs if tuple(t.shape[2:]) == (1, 1) and shape != (1, 1)]
            if not same or len(same) + len(broadcast) != len(inputs):
                continue  # resampled (adaptive pool, interpolate ...): the field is not tracked
            merged = []
            for axis in (0, 1):
                jump = same[0][axis].jump
                parts = [f[axis] for f in same] + [
                    Field(jump, f[axis].size, f[axis].start) for f in broadcast
                ]
                merged.append(union(parts))
            self.set_field(result, (merged[0], merged[1]))
        return out


def _in_channels(module: nn.Module) -> int:
    for m in module.modules():
        if isinstance(m, nn.Conv2d):
            return m.in_channels
    return 3


@contextmanager
def _names_on_stack(module: nn.Module, stack: list[str]) -> Iterator[None]:
    """Forward hooks that keep the names of the running modules on ``stack``; removed on exit."""
    handles = []
    for name, m in module.named_modules():

        def push(_m: nn.Module, _inp: object, name: str = name) -> None:
            stack.append(name or "(module)")

        def pop(_m: nn.Module, _inp: object, _out: object) -> None:
            stack.pop()

        handles.append(m.register_forward_pre_hook(push))
        handles.append(m.register_forward_hook(pop))
    try:
        yield
    finally:
        for h in handles:
            h.remove()


def _trace(module: nn.Module, input_size: int) -> tuple[list[FieldRow], Fields | None]:
    if input_size < 1:
        raise ValueError(f"input_size must be at least 1 (got {input_size})")
    clone = meta_copy(module).eval()
    stack: list[str] = []
    tracker = _FieldTracker(stack)
    x = torch.empty(1, _in_channels(module), input_size, input_size, device="meta")
    tracker.set_field(x, (INPUT_FIELD, INPUT_FIELD))
    tracker.largest = None
    try:
        with _names_on_stack(clone, stack), torch.no_grad(), tracker:
            clone(x)
    except RuntimeError as err:  # torch's own text stays in the chained error, not the message
        reason = tracker.failure or "the input is too small for it, or it is not an image model"
        raise InputSizeError(input_size, reason) from err
    return tracker.rows, tracker.largest


def receptive_field_table(module: nn.Module, input_size: int = 224) -> list[FieldRow]:
    """The field after every conv / pool call of ``module``'s forward pass, in forward order.

    module: any nn.Module taking a (1, C, S, S) float tensor (C: the first Conv2d's in_channels,
    else 3); it is not modified (a meta-device copy runs). input_size: S, pixels.
    Returns FieldRow rows (name, op, kernel, stride, padding, dilation, jump, size, start,
    out_size, channels), row-axis numbers. Works for branching graphs (see the module
    docstring). Raises InputSizeError (a ValueError) when the network cannot run on the input:
    too small for it, or not the one size its fully connected classifier is built for (LeNet-5:
    32; cnnplay.models.zoo.FIXED_INPUT_SIDE).
    """
    rows, _ = _trace(module, input_size)
    return rows


def receptive_field(module: nn.Module, input_size: int = 224) -> int:
    """Theoretical receptive field (pixels, one side) of one unit of ``module``'s output.

    For a classifier (whose output has no spatial axes) this is the field of its last spatial
    feature map, before global pooling / flattening (e.g. VGG-16: 212, after pool5). Any graph:
    residual and concatenated branches are merged by the union of their fields. The larger of
    the two axes. Raises ValueError if the module has no conv / pool layer.
    """
    rows, largest = _trace(module, input_size)
    if not rows or largest is None:
        raise ValueError("this module has no convolution or pooling layer to give a field")
    return max(largest[0].size, largest[1].size)


# ---------------------------------------------------------------------------------------------
# Effective receptive field


@dataclass(frozen=True)
class EffectiveField:
    """Gradient magnitude of one unit of a layer with respect to the input image."""

    grad: np.ndarray  # (H, W) float32 >= 0: |d unit / d input|, summed over input channels
    layer_shape: tuple[int, int]  # (H', W') of the layer's output
    unit: tuple[int, int]  # (row, col) used (clipped into the layer's output)
    rows: tuple[int, int]  # first / last input row where the gradient is nonzero (or (-1, -1))
    cols: tuple[int, int]  # same for columns
    share_in_center: float  # fraction of the total |grad| in the central half (by side) of the
    # nonzero extent, 1/4 of its area: near 1 means the field is concentrated in its middle


class _Stop(Exception):
    """Raised by the capture hook: nothing after the chosen layer needs to run."""


def effective_field(
    module: nn.Module,
    layer: str,
    image: torch.Tensor,
    unit: tuple[int, int] | None = None,
    channel: int | None = None,
) -> EffectiveField:
    """|∂ unit / ∂ input| for one unit of layer ``layer`` (a name from receptive_field_table).

    module: any nn.Module with any weights; a copy of its module tree runs (in eval mode, on
    get_device(); sharing the weights when they are already there, else copied to it), the
    caller's module is never changed, so a model shared between sessions may be passed.
    image: (C, H, W) or (1, C, H, W) float tensor, already normalised as the model expects
    (C: the module's input channels). unit: (row, col) of the layer's output, default the
    centre. channel: which output channel, default the sum over channels.
    Raises KeyError for an unknown layer name.
    """
    device = get_device()
    tensors = (*module.parameters(), *module.buffers())
    on_device = all(t.is_meta or t.device == device for t in tensors)  # meta: never run
    clone = shared_weights_copy(module) if on_device else copy.deepcopy(module).to(device).eval()
    target = clone.get_submodule(layer) if layer else clone
    x = image[None] if image.dim() == 3 else image  # (1, C, H, W)
    x = x.detach().to(device=device, dtype=torch.float32).requires_grad_(True)
    captured: list[torch.Tensor] = []

    def grab(_m: nn.Module, _inp: object, out: torch.Tensor) -> None:
        captured.append(out[0] if isinstance(out, tuple) else out)
        raise _Stop

    handle = target.register_forward_hook(grab)
    try:
        with torch.enable_grad():
            try:
                clone(x)
            except _Stop:
                pass
    finally:
        handle.remove()
    out = captured[0]  # (1, K, H', W')
    h, w = int(out.shape[2]), int(out.shape[3])
    i, j = unit if unit is not None else (h // 2, w // 2)
    i, j = min(max(i, 0), h - 1), min(max(j, 0), w - 1)
    value = out[0, :, i, j].sum() if channel is None else out[0, channel, i, j]
    (grad,) = torch.autograd.grad(value, x)
    g = grad[0].abs().sum(0).float().cpu().numpy()  # (H, W)
    nz_r, nz_c = np.nonzero(g.sum(1) > 0)[0], np.nonzero(g.sum(0) > 0)[0]
    rows = (int(nz_r[0]), int(nz_r[-1])) if len(nz_r) else (-1, -1)
    cols = (int(nz_c[0]), int(nz_c[-1])) if len(nz_c) else (-1, -1)
    share = 0.0
    if len(nz_r) and g.sum() > 0:
        r0, r1 = rows
        c0, c1 = cols
        qr, qc = (r1 - r0 + 1) / 4, (c1 - c0 + 1) / 4
        inner = g[int(r0 + qr) : int(math.ceil(r1 + 1 - qr)), int(c0 + qc) : int(c1 + 1 - qc)]
        share = float(inner.sum() / g.sum())
    return EffectiveField(g, (h, w), (i, j), rows, cols, share)


IMAGENET_MEAN = (0.485, 0.456, 0.406)  # torchvision's normalisation, RGB
IMAGENET_STD = (0.229, 0.224, 0.225)
GREY_WEIGHTS = (0.299, 0.587, 0.114)  # ITU-R BT.601 luma of R, G, B (one-channel networks)


def image_to_input(
    image: np.ndarray,
    side: int,
    mean: tuple[float, float, float] = IMAGENET_MEAN,
    std: tuple[float, float, float] = IMAGENET_STD,
    channels: int = 3,
) -> tuple[np.ndarray, torch.Tensor]:
    """Centre-crop a photo to a square and resize it to ``side`` pixels.

    image: (H, W, 3) uint8 RGB. Returns the (side, side, 3) uint8 picture (for drawing) and a
    (channels, side, side) float32 tensor normalised with ``mean`` and ``std`` (ImageNet's by
    default; a pretrained model's own statistics where they differ). channels: 3 (RGB) or 1
    (grey, BT.601 luma, for a one-channel network such as LeNet-5; normalised with the averages
    of ``mean`` and ``std``; the picture is grey too, what the network sees).
    """
    if channels not in (1, 3):
        raise ValueError(f"channels must be 1 or 3 (got {channels})")
    h, w = image.shape[:2]
    s = min(h, w)
    top, left = (h - s) // 2, (w - s) // 2
    square = torch.from_numpy(np.ascontiguousarray(image[top : top + s, left : left + s]))
    x = square.permute(2, 0, 1)[None].float()  # (1, 3, s, s), 0..255
    x = torch.nn.functional.interpolate(x, size=(side, side), mode="bilinear", antialias=True)
    x = x[0]  # (3, S, S)
    if channels == 1:
        luma = torch.tensor(GREY_WEIGHTS, dtype=torch.float32).view(3, 1, 1)
        grey = (x * luma).sum(0, keepdim=True)  # (1, S, S), 0..255
        picture = grey.expand(3, -1, -1).permute(1, 2, 0).round().clamp(0, 255)  # (S, S, 3)
        m, sd = sum(mean) / 3, sum(std) / 3
        return picture.to(torch.uint8).numpy(), (grey / 255 - m) / sd  # (1, S, S)
    picture = x.permute(1, 2, 0).round().clamp(0, 255).to(torch.uint8).numpy()  # (S, S, 3)
    mean_t = torch.tensor(mean, dtype=torch.float32).view(3, 1, 1)
    std_t = torch.tensor(std, dtype=torch.float32).view(3, 1, 1)
    return picture, (x / 255 - mean_t) / std_t  # (3, S, S)


def unit_span(row: StackRow | FieldRow, i: int) -> tuple[int, int]:
    """First and last input pixel (inclusive, may lie in padding) seen by unit ``i`` of a row."""
    return Field(row.jump, row.size, row.start).span(i)


def _spans_in_image(row: StackRow, n_in: int) -> list[tuple[int, int]]:
    """Each unit's span along one axis, clipped to the image 0 … n_in - 1 (inclusive; first >
    last where a unit sees only padding)."""
    spans = (unit_span(row, i) for i in range(row.out_size))
    return [(max(a, 0), min(b, n_in - 1)) for a, b in spans]


def pixels_seen(row: StackRow, n_in: int) -> np.ndarray:
    """(n, n) int64, n = row.out_size: how many real input pixels (padding excluded) lie in the
    span of each unit's field on an n_in × n_in input. Units at the border, whose fields reach
    into the padding, see fewer."""
    sides = np.array([max(b - a + 1, 0) for a, b in _spans_in_image(row, n_in)], np.int64)
    return np.outer(sides, sides)  # (n, n)


def coverage(row: StackRow, n_in: int) -> np.ndarray:
    """(n_in, n_in) int64: how many units of ``row`` have each input pixel in their field's span
    (a pixel no unit sees has 0: the layer ignores it)."""
    counts = np.zeros(n_in, np.int64)
    for a, b in _spans_in_image(row, n_in):
        if a <= b:
            counts[a : b + 1] += 1
    return np.outer(counts, counts)  # (n_in, n_in)
