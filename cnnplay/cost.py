"""What a layer costs: parameters, units and multiply-accumulates (MACs).

Three levels, from the lecture notes (seeds 001, 002) to real networks:

- arithmetic for one layer: a fully connected layer, a local receptive field layer without weight
  sharing, a shared convolution (``dense_layer``, ``local_layer``, ``conv_layer``);
- convolution blocks term by term: a plain k×k convolution against the 1×1 bottleneck, the
  depthwise-separable and the grouped convolution (``block_terms``), and the same blocks as torch
  modules that can be timed (``build_block``, ``time_blocks``);
- any ``nn.Module``: ``count(model, input_shape)`` runs one forward pass on the meta device (shapes
  only, no arithmetic, no memory) with forward hooks and returns a per-layer table. A MAC is one
  multiply and one add; like torchvision's published ``_ops`` (GFLOPS), only convolutions and
  linear layers are counted (bias additions, normalisation, activations and pooling are not).
"""

from __future__ import annotations

import math
import statistics
import time
import warnings
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field

import torch
from torch import nn

from cnnplay.device import get_device
from cnnplay.models.copies import meta_copy
from cnnplay.seeding import generator

# Seed 002's exercise has 4×4 convolutions with "same" padding; torch pads an even kernel
# unevenly (one more zero after than before) and warns that it may copy the input to do so.
# That costs nothing on the meta device and little on these small maps: not a user's concern.
warnings.filterwarnings(
    "ignore", message="Using padding='same' with even kernel lengths", category=UserWarning
)

_CONV = (nn.Conv1d, nn.Conv2d, nn.Conv3d)
_CONV_T = (nn.ConvTranspose1d, nn.ConvTranspose2d, nn.ConvTranspose3d)


# --------------------------------------------------------------------------- one layer, by hand


@dataclass(frozen=True)
class LayerCount:
    """Parameters and units of one layer, with the numbers that make them."""

    weights: int  # multiplicative parameters
    biases: int  # additive parameters (one per unit, or one per map when shared)
    units: int  # output values (neurons) of the layer
    out_side: int = 0  # side of the output map (0 for a dense layer)

    @property
    def params(self) -> int:
        return self.weights + self.biases


def _positive(**values: int) -> None:
    for name, value in values.items():
        if value < 1:
            raise ValueError(f"{name} must be at least 1 (got {value})")


def dense_layer(inputs: int, units: int) -> LayerCount:
    """Fully connected: every unit sees every input. Seed 001: 784 → 100 has 78,500 params."""
    _positive(inputs=inputs, units=units)
    return LayerCount(inputs * units, units, units)


def local_side(side: int, field: int, stride: int = 1) -> int:
    """Positions of a field×field window on a side×side image (no padding): (n − f) // s + 1."""
    _positive(side=side, field=field, stride=stride)
    if field > side:
        raise ValueError(f"a {field}×{field} field does not fit a {side}×{side} image")
    return (side - field) // stride + 1


def local_layer(side: int, field: int, channels: int = 1, maps: int = 1, stride: int = 1):
    """Local receptive fields *without* sharing: each of the out²·maps units has its own
    field²·channels weights and its own bias. Seed 001: 28, 5 → 25·24·24 + 24·24 = 14,976;
    3 channels, 5 maps → 25·3·5·24·24 + 24·24·5 = 218,880."""
    _positive(channels=channels, maps=maps)
    out = local_side(side, field, stride)
    units = out * out * maps
    return LayerCount(field * field * channels * units, units, units, out)


def conv_layer(side: int, field: int, channels: int = 1, maps: int = 1, stride: int = 1):
    """The same layer with *shared* weights (a convolution): field²·channels·maps weights and
    one bias per map, whatever the image size."""
    _positive(channels=channels, maps=maps)
    out = local_side(side, field, stride)
    return LayerCount(field * field * channels * maps, maps, out * out * maps, out)


# --------------------------------------------------------------------------- blocks, term by term

DESIGNS = ("plain", "bottleneck", "separable", "grouped")


@dataclass(frozen=True)
class BlockSettings:
    """A convolution block mapping (c_in, H, W) to (c_out, H, W), zero padded ("same")."""

    c_in: int = 256  # input channels
    c_out: int = 256  # output channels
    mid: int = 64  # bottleneck width (channels between the 1×1 convolutions)
    kernel: int = 3  # spatial kernel side k (odd, so "same" padding is symmetric)
    groups: int = 32  # groups of the grouped convolution (divides c_in and c_out)


@dataclass(frozen=True)
class ConvTerm:
    """One convolution of a block: MACs per output position = k·k·(c_in/groups)·c_out."""

    label: str  # e.g. "1×1, 256 → 64"
    kernel: int  # k
    c_in: int  # input channels
    c_out: int  # output channels
    groups: int = 1  # each output channel sees c_in / groups input channels

    @property
    def fan_in(self) -> int:
        return self.kernel * self.kernel * (self.c_in // self.groups)

    @property
    def macs_per_position(self) -> int:
        return self.fan_in * self.c_out

    @property
    def weights(self) -> int:  # the same number: one weight per multiply at one position
        return self.macs_per_position


def validate_block(s: BlockSettings) -> None:
    """ValueError with a readable reason for widths no block can have (the groups, which only
    the grouped design uses, are checked by :func:`validate_groups`)."""
    _positive(c_in=s.c_in, c_out=s.c_out, mid=s.mid, kernel=s.kernel)
    if s.kernel % 2 == 0:
        raise ValueError(f"the kernel side must be odd for 'same' padding (got {s.kernel})")


def valid_groups(c_in: int, c_out: int) -> list[int]:
    """Every groups value a c_in → c_out convolution can have: the common divisors, ascending
    (1 = an ordinary convolution; c_in = c_out = groups is depthwise)."""
    return [g for g in range(1, min(c_in, c_out) + 1) if c_in % g == 0 and c_out % g == 0]


def validate_groups(s: BlockSettings) -> None:
    """ValueError with a readable reason (and the values that would work) if ``s.groups`` does
    not divide both channel counts."""
    _positive(groups=s.groups)
    if s.c_in % s.groups or s.c_out % s.groups:
        ok = valid_groups(s.c_in, s.c_out) if s.c_in > 0 and s.c_out > 0 else []
        shown = ", ".join(map(str, ok[:12])) + (", …" if len(ok) > 12 else "")
        raise ValueError(
            f"{s.groups} groups need input and output channels divisible by {s.groups} "
            f"(got {s.c_in} and {s.c_out}); values that work: {shown}"
        )


def block_terms(design: str, s: BlockSettings) -> list[ConvTerm]:
    """The convolutions of one block design, in order (see DESIGNS)."""
    validate_block(s)
    if design == "grouped":
        validate_groups(s)
    k = s.kernel
    if design == "plain":
        return [ConvTerm(f"{k}×{k}, {s.c_in} → {s.c_out}", k, s.c_in, s.c_out)]
    if design == "bottleneck":
        return [
            ConvTerm(f"1×1, {s.c_in} → {s.mid}", 1, s.c_in, s.mid),
            ConvTerm(f"{k}×{k}, {s.mid} → {s.mid}", k, s.mid, s.mid),
            ConvTerm(f"1×1, {s.mid} → {s.c_out}", 1, s.mid, s.c_out),
        ]
    if design == "separable":
        return [
            ConvTerm(f"{k}×{k} depthwise, {s.c_in} maps", k, s.c_in, s.c_in, s.c_in),
            ConvTerm(f"1×1 pointwise, {s.c_in} → {s.c_out}", 1, s.c_in, s.c_out),
        ]
    if design == "grouped":
        return [
            ConvTerm(
                f"{k}×{k}, {s.c_in} → {s.c_out}, {s.groups} groups", k, s.c_in, s.c_out, s.groups
            )
        ]
    raise ValueError(f"unknown design {design!r}; choose one of {', '.join(DESIGNS)}")


def build_block(design: str, s: BlockSettings, device: torch.device | str | None = None):
    """The block as an ``nn.Sequential`` of bias-free convolutions (no activations: only the
    arithmetic that is counted), on ``device`` (default: ``get_device()``).
    Input (N, c_in, H, W) -> output (N, c_out, H, W)."""
    layers = [
        nn.Conv2d(t.c_in, t.c_out, t.kernel, padding=t.kernel // 2, groups=t.groups, bias=False)
        for t in block_terms(design, s)
    ]
    return nn.Sequential(*layers).to(device or get_device())


@dataclass(frozen=True)
class BlockTiming:
    """Measured forward time of one block."""

    design: str  # one of DESIGNS
    macs: int  # multiply-accumulates of one forward pass of the whole batch
    median_ms: float  # median wall time of one forward pass
    times_ms: tuple[float, ...]  # every measured repeat


def time_blocks(
    s: BlockSettings,
    designs: Sequence[str] = DESIGNS,
    batch: int = 2,
    side: int = 28,
    repeats: int = 5,
    device: torch.device | str | None = None,
) -> list[BlockTiming]:
    """Time each design's forward pass on an (batch, c_in, side, side) float32 input, under
    ``torch.inference_mode`` after one warm-up pass (CUDA synchronised). Fresh modules each call:
    nothing is shared between sessions."""
    device = torch.device(device) if device is not None else get_device()
    _positive(batch=batch, side=side, repeats=repeats)
    gen = generator(0)
    x = torch.randn(batch, s.c_in, side, side, generator=gen).to(device)  # (N, C, H, W)
    results = []
    with torch.inference_mode():
        for design in designs:
            block = build_block(design, s, device).eval()
            block(x)  # warm-up: kernel selection, allocations
            times = []
            for _ in range(repeats):
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                start = time.perf_counter()
                block(x)
                if device.type == "cuda":
                    torch.cuda.synchronize(device)
                times.append((time.perf_counter() - start) * 1000)
            macs = sum(t.macs_per_position for t in block_terms(design, s)) * batch * side * side
            results.append(BlockTiming(design, macs, statistics.median(times), tuple(times)))
    return results


# --------------------------------------------------------------------------- any module


@dataclass(frozen=True)
class CostRow:
    """One called leaf module of a forward pass."""

    name: str  # qualified module name, e.g. "layer1.0.conv1"
    kind: str  # module class, e.g. "Conv2d"
    output_shape: tuple[int, ...]  # output of one sample (batch axis dropped)
    units: int  # output values of one sample
    params: int  # parameters of this module (its own, counted once per call)
    macs: int  # multiply-accumulates for one sample (conv and linear only)
    biases: int = 0  # of the params, how many are biases


@dataclass(frozen=True)
class CostReport:
    """Cost of one forward pass of one sample."""

    params: int  # distinct parameters of the model (shared ones once)
    macs: int  # multiply-accumulates of conv and linear layers, one sample
    rows: list[CostRow] = field(default_factory=list)  # leaf modules in call order

    @property
    def gmacs(self) -> float:  # what torchvision publishes as meta["_ops"] ("GFLOPS")
        return self.macs / 1e9


def _module_macs(module: nn.Module, inputs: tuple, output: torch.Tensor, batch: int) -> int:
    """MACs of one call for one sample: out_values · fan_in (conv, linear);
    in_values · c_out/groups · kernel volume (transposed conv)."""
    if isinstance(module, _CONV):
        fan_in = (module.in_channels // module.groups) * math.prod(module.kernel_size)
        return output.numel() // batch * fan_in
    if isinstance(module, _CONV_T):
        per_input = (module.out_channels // module.groups) * math.prod(module.kernel_size)
        return inputs[0].numel() // batch * per_input
    if isinstance(module, nn.Linear):
        return output.numel() // batch * module.in_features
    if isinstance(module, nn.Bilinear):
        return output.numel() // batch * module.in1_features * module.in2_features
    return 0


@contextmanager
def _hooks(model: nn.Module, batch: int, rows: list[CostRow]) -> Iterator[None]:
    """Forward hooks on every leaf module that append a CostRow per call; always removed."""
    handles = []
    for name, module in model.named_modules():
        if next(module.children(), None) is not None:
            continue

        def hook(mod: nn.Module, inputs: tuple, output, name: str = name) -> None:
            out = output[0] if isinstance(output, (tuple, list)) else output
            if not isinstance(out, torch.Tensor):
                return
            own = list(mod.parameters(recurse=False))
            bias = getattr(mod, "bias", None)
            rows.append(
                CostRow(
                    name=name or type(mod).__name__,
                    kind=type(mod).__name__,
                    output_shape=tuple(out.shape[1:]),
                    units=out.numel() // batch,
                    params=sum(p.numel() for p in own),
                    macs=_module_macs(mod, inputs, out, batch),
                    biases=bias.numel() if isinstance(bias, torch.Tensor) else 0,
                )
            )

        handles.append(module.register_forward_hook(hook))
    try:
        yield
    finally:
        for handle in handles:
            handle.remove()


def count(model: nn.Module, input_shape: tuple[int, ...]) -> CostReport:
    """Parameters, and per-layer output shape, units, parameters and MACs of one forward pass.

    model: any module (never changed: a meta-device copy is run). input_shape: the full input
    shape including the batch axis, e.g. (1, 3, 224, 224); units and MACs are per sample.
    Raises ValueError when the input does not fit the model, saying in words after which
    layer it stopped (torch's own message stays in ``__cause__``).
    """
    shape = tuple(int(n) for n in input_shape)
    if len(shape) < 2 or min(shape) < 1:
        raise ValueError(f"input_shape needs a batch axis and positive sizes (got {shape})")
    params = sum(p.numel() for p in model.parameters())  # parameters() yields shared ones once
    rows: list[CostRow] = []
    work = meta_copy(model).eval()
    try:
        with torch.no_grad(), _hooks(work, shape[0], rows):
            work(torch.empty(shape, device="meta"))  # (N, C, ...) shapes only
    except (RuntimeError, ValueError, IndexError, TypeError) as err:
        last = rows[-1] if rows else None
        where = (
            f"after `{last.name}`, whose output is {' × '.join(map(str, last.output_shape))}"
            if last
            else "at its first layer"
        )
        raise ValueError(
            f"the model cannot take an input of shape {shape}: it stops {where} (the input is "
            "too small for the next layer, has the wrong number of channels, or meets a "
            "classifier built for another size)"
        ) from err
    return CostReport(params=params, macs=sum(r.macs for r in rows), rows=rows)


# --------------------------------------------------------------------------- layer lists

LAYER_KINDS = ("conv", "pool", "flatten", "dense")


@dataclass(frozen=True)
class LayerSpec:
    """One row of a layer list (the seed 002 exercise's notation)."""

    kind: str  # "conv" | "pool" | "flatten" | "dense"
    size: int = 0  # conv: filters; dense: units; pool, flatten: unused
    kernel: int = 1  # conv / pool window side K
    stride: int = 1  # conv / pool stride (pool: usually = K)
    same: bool = False  # conv: zero padding that keeps the side ("same"), else valid


SEED002_EXERCISE: tuple[LayerSpec, ...] = (  # input 256×256×3
    LayerSpec("conv", 16, 4, 1, True),
    LayerSpec("pool", 0, 4, 4),
    LayerSpec("conv", 32, 4, 1, True),
    LayerSpec("pool", 0, 4, 4),
    LayerSpec("flatten"),
    LayerSpec("dense", 10),
)


def build_stack(specs: Sequence[LayerSpec], channels: int, side: int) -> nn.Sequential:
    """An ``nn.Sequential`` for a layer list on (channels, side, side) inputs, built on the meta
    device (for counting). Raises ValueError naming the first layer that cannot work."""
    _positive(channels=channels, side=side)
    layers: list[nn.Module] = []
    c, h, flat = channels, side, None  # current channels, side; flat features after flatten
    for n, spec in enumerate(specs, start=1):
        where = f"layer {n} ({spec.kind})"
        if spec.kind not in LAYER_KINDS:
            raise ValueError(f"{where}: unknown kind; choose one of {', '.join(LAYER_KINDS)}")
        if flat is not None and spec.kind in ("conv", "pool"):
            raise ValueError(f"{where}: comes after flatten; move it before the flatten")
        if spec.kind in ("conv", "pool"):
            if spec.kernel < 1 or spec.stride < 1:
                raise ValueError(f"{where}: kernel and stride must be at least 1")
            if spec.kind == "conv" and spec.size < 1:
                raise ValueError(f"{where}: needs at least 1 filter (got {spec.size})")
            if not (spec.kind == "conv" and spec.same) and spec.kernel > h:
                raise ValueError(f"{where}: a {spec.kernel}×{spec.kernel} window on a {h}×{h} map")
        with torch.device("meta"):
            if spec.kind == "conv":
                pad = "same" if spec.same and spec.stride == 1 else 0
                if spec.same and spec.stride > 1:
                    pad = spec.kernel // 2
                layers.append(nn.Conv2d(c, spec.size, spec.kernel, spec.stride, pad))
                h = h if pad == "same" else (h + 2 * int(pad) - spec.kernel) // spec.stride + 1
                c = spec.size
            elif spec.kind == "pool":
                layers.append(nn.MaxPool2d(spec.kernel, spec.stride))
                h = (h - spec.kernel) // spec.stride + 1
            elif spec.kind == "flatten":
                layers.append(nn.Flatten())
                flat = c * h * h
            else:
                if spec.size < 1:
                    raise ValueError(f"{where}: needs at least 1 unit (got {spec.size})")
                if flat is None:
                    raise ValueError(f"{where}: flatten the {c}×{h}×{h} maps first")
                layers.append(nn.Linear(flat, spec.size))
                flat = spec.size
    return nn.Sequential(*layers)


def count_stack(specs: Sequence[LayerSpec], channels: int, side: int) -> CostReport:
    """``count`` of ``build_stack``: one row per layer of the list, in order."""
    return count(build_stack(specs, channels, side), (1, channels, side, side))
