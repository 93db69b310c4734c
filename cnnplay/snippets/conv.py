"""PyTorch code for a convolution: a configured ``nn.Conv2d`` with the page's kernel, bias and
input (a grid written out, or a photo-sized stand-in), and a stack of convolutions that runs out
of pixels.

The grid snippets compute in float64, as the page's loop version does, so their numbers are the
page's numbers; the photo snippet computes in float32 on a random stand-in of the photo's size.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from cnnplay.ops.conv import IntPair, Padding, conv_geometry
from cnnplay.snippets.common import (
    Snippet,
    SnippetError,
    call_line,
    keyword_args,
    nested_list,
    number,
    pair_of,
    pair_source,
    program,
    shape_text,
    tensor_line,
)

ACTIVATION_CALLS = {"none": "", "ReLU": "torch.relu", "sigmoid": "torch.sigmoid"}
PHOTO_MODES = ("gray", "per channel", "cnn")  # one channel; one kernel per colour; a CNN filter


def _plural(n: int, word: str) -> str:
    return f"{n} {word}" if n == 1 else f"{n} {word}s"


def _conv_args(
    kernel: tuple[int, int],
    stride: IntPair,
    padding: Padding,
    dilation: IntPair,
    padding_mode: str,
) -> str:
    """The keyword arguments of nn.Conv2d after its channels, defaults left out."""
    pad = f'"{padding}"' if isinstance(padding, str) else pair_source(padding)
    return keyword_args(
        [
            ("kernel_size", pair_source(kernel)),
            ("stride", None if pair_of(stride) == (1, 1) else pair_source(stride)),
            ("padding", None if pad == "0" else pad),
            ("dilation", None if pair_of(dilation) == (1, 1) else pair_source(dilation)),
            ("padding_mode", None if padding_mode == "zeros" else f'"{padding_mode}"'),
        ]
    )[2:]


@dataclass(frozen=True)
class _Layer:
    """One nn.Conv2d of a snippet: its weight as the page holds it, and how the code uses it."""

    weight: np.ndarray  # (kh, kw), (C, kh, kw) or (K, C, kh, kw): written out as it is
    view: str  # how the code makes it (K, C, kh, kw): "[None, None]", "[None]" or ""
    squeeze: bool  # whether the page's map has no K axis (the code takes [0])

    @property
    def kernels(self) -> int:
        return self.weight.shape[0] if self.weight.ndim == 4 else 1

    @property
    def slices(self) -> int:
        return self.weight.shape[-3] if self.weight.ndim >= 3 else 1

    def shown(self) -> tuple[np.ndarray, str]:
        """The weight as the code writes it (without a slice axis of length 1) and the
        indexing that turns it into (K, C, kh, kw)."""
        w = self.weight
        if self.slices == 1 and w.ndim == 4:
            return w[:, 0], "[:, None]"
        if self.slices == 1 and w.ndim == 3:
            return w[0], "[None, None]"
        return w, self.view


def _layers(w: np.ndarray | Sequence[np.ndarray]) -> list[_Layer]:
    """One layer for an array; for a list of (C, kh, kw) kernels, one layer with K outputs when
    their shapes agree, else one layer per kernel."""
    if isinstance(w, np.ndarray):
        w = np.asarray(w, dtype=np.float64)
        views = {2: ("[None, None]", True), 3: ("[None]", True), 4: ("", False)}
        if w.ndim not in views:
            raise SnippetError(f"w must be (kh, kw), (C, kh, kw) or (K, C, kh, kw), got {w.shape}")
        return [_Layer(w, *views[w.ndim])]
    kernels = [np.asarray(k, dtype=np.float64) for k in w]
    kernels = [k[None] if k.ndim == 2 else k for k in kernels]  # (C, kh, kw) each
    if len({k.shape for k in kernels}) == 1:
        return [_Layer(np.stack(kernels), "", False)]
    return [_Layer(k, "[None]", True) for k in kernels]


def conv2d(
    x: np.ndarray,
    w: np.ndarray | Sequence[np.ndarray],
    bias: float | np.ndarray | None = None,
    stride: IntPair = 1,
    padding: Padding = 0,
    dilation: IntPair = 1,
    padding_mode: str = "zeros",
    flip: bool = False,
    activation: str = "none",
) -> Snippet:
    """``nn.Conv2d`` with the page's numbers, the same arguments as
    ``cnnplay.ops.conv.conv2d_naive`` (plus the activation the Kernels page applies after it).

    x: (H, W) or (C, H, W) grid (at most MAX_LITERAL values). w: (kh, kw), (C, kh, kw),
    (K, C, kh, kw), or a list of (C, kh, kw) kernels (stacked into one layer with K outputs when
    their shapes agree, one layer each otherwise). bias: one number for every kernel, (K,), or
    None (no bias). activation: "none", "ReLU" or "sigmoid".
    The result ``y`` is a float64 tensor of conv2d_naive's shape: (H', W') when w has no K axis,
    else (K, H', W'); with kernels of different sizes, a tuple with one (H', W') map each.
    """
    if activation not in ACTIVATION_CALLS:
        raise SnippetError(f"activation must be one of {tuple(ACTIVATION_CALLS)}")
    x = np.asarray(x, dtype=np.float64)
    if x.ndim not in (2, 3):
        raise SnippetError(f"x must be (H, W) or (C, H, W), got {x.shape}")
    layers = _layers(w)
    channels = 1 if x.ndim == 2 else x.shape[0]
    if any(layer.slices != channels for layer in layers):
        raise SnippetError("a kernel needs one slice per input channel")
    total = sum(layer.kernels for layer in layers)
    b = None if bias is None else np.broadcast_to(np.asarray(bias, np.float64), (total,))
    h, wd = x.shape[-2:]
    shown = x[0] if x.ndim == 3 and channels == 1 else x  # one channel: an (H, W) grid
    parts = [
        "import torch\nfrom torch import nn\n",
        f"# the input: {_plural(channels, 'channel')}, {h}×{wd}\n"
        + tensor_line("x", shown, comment=shape_text(shown.shape)),
    ]
    x_in = "x[None]" if shown.ndim == 2 else "x"  # nn.Conv2d reads (C, H, W)
    act = ACTIVATION_CALLS[activation]
    maps, first = [], 0
    for n, layer in enumerate(layers, start=1):
        tag = "" if len(layers) == 1 else str(n)
        k, c = layer.kernels, layer.slices
        kh, kw = layer.weight.shape[-2:]
        out = conv_geometry((h, wd), (kh, kw), stride, padding, dilation).out_shape  # or raises
        weight, view = layer.shown()
        what = "a kernel" if layer.squeeze else _plural(k, "kernel")
        what += f" of {_plural(c, 'slice')}" if c > 1 else ""
        block = f"# {what}, {kh}×{kw}\n" + tensor_line(
            f"w{tag}", weight, comment=shape_text(weight.shape)
        )
        if flip:
            block += f"w{tag} = w{tag}.flip(-2, -1)  # true convolution: the kernel turned 180°\n"
        args = _conv_args((kh, kw), stride, padding, dilation, padding_mode)
        args = f"{c}, {k}, {args}" + ("" if b is not None else ", bias=False")
        block += call_line(f"conv{tag}", "nn.Conv2d", args + ", dtype=torch.float64")
        block += (
            "with torch.no_grad():\n"
            f"    conv{tag}.weight.copy_(w{tag}{view})  # (out channels, in channels, kh, kw)\n"
        )
        if b is not None:
            part = b[first : first + k]
            block += (
                f"    conv{tag}.bias.fill_({number(part[0])})\n"
                if np.all(part == part[0])
                else f"    conv{tag}.bias.copy_(torch.tensor({nested_list(part)}))\n"
            )
        first += k
        call = f"conv{tag}({x_in})" + ("[0]" if layer.squeeze else "")
        call = f"{act}({call})" if act else call
        shape = out if layer.squeeze else (k, *out)
        block += f"    y{tag} = {call}  # {shape_text(shape)}" + (
            ": one feature map per kernel\n" if k > 1 else "\n"
        )
        parts.append(block)
        maps.append(f"y{tag}")
    parts.append("print(y)\n" if len(maps) == 1 else f"y = ({', '.join(maps)})\nprint(y)\n")
    return Snippet(program(*parts), "y", "conv2d.py")


def photo_conv(
    image_shape: tuple[int, ...],
    kernel: np.ndarray,
    mode: str,
    weight: np.ndarray | None = None,
    bias: float = 0.0,
    padding_mode: str = "reflect",
) -> Snippet:
    """A kernel over a photo, as the Kernels page's Photos tab computes it (same-size output,
    the border padded in ``padding_mode``), on a random stand-in of the photo's size.

    image_shape: (H, W) or (H, W, 3) of the page's photo. kernel: (kh, kw). mode: "gray" (one
    channel), "per channel" (the same 2D kernel on R, G and B separately: three maps) or "cnn"
    (one filter with a slice per colour, summed into one map, plus ``bias``; ``weight`` is its
    (3, kh, kw) slices). The result ``y`` is (H, W) for "gray" and "cnn", (H, W, 3) for
    "per channel" (the page's shapes); only its shape matches the page (``shape_only``)."""
    if mode not in PHOTO_MODES:
        raise SnippetError(f"mode must be one of {PHOTO_MODES}")
    h, w = image_shape[:2]
    kernel = np.asarray(kernel, dtype=np.float64)
    size = pair_source(kernel.shape)
    pad_mode = "" if padding_mode == "zeros" else f', padding_mode="{padding_mode}"'
    if mode == "gray":
        stand_in = (
            "# Your photo in grayscale: (1, 1, H, W) floats in 0 … 255. Here a random stand-in\n"
            "# of the page's size; for a real one: x = torchvision.io.read_image(\n"
            '#     "photo.jpg", torchvision.io.ImageReadMode.GRAY)[None].float()\n'
            f"x = torch.rand(1, 1, {h}, {w}) * 255\n"
        )
    else:
        stand_in = (
            "# Your photo: (1, 3, H, W) floats in 0 … 255. Here a random stand-in of the page's\n"
            '# size; for a real one: x = torchvision.io.read_image("photo.jpg")[None].float()\n'
            f"x = torch.rand(1, 3, {h}, {w}) * 255\n"
        )
    if mode == "cnn":
        if weight is None:
            raise SnippetError('mode "cnn" needs the filter\'s (3, kh, kw) weight')
        weight = np.asarray(weight, dtype=np.float64)
        layer = (
            "# one CNN filter: a slice per colour channel (W_R, W_G, W_B), summed into one map\n"
            + tensor_line("w", weight, "float32", comment=shape_text(weight.shape))
            + call_line("conv", "nn.Conv2d", f'3, 1, kernel_size={size}, padding="same"{pad_mode}')
            + "with torch.no_grad():\n"
            "    conv.weight.copy_(w[None])  # (1 filter, 3 slices, kh, kw)\n"
            f"    conv.bias.fill_({number(bias)})\n"
            f"    y = conv(x)[0, 0]  # ({h}, {w}): one map\n"
        )
    elif mode == "per channel":
        layer = (
            "# image filtering: the same 2D kernel on R, G and B separately (groups=3)\n"
            + tensor_line("w", kernel, "float32", comment=shape_text(kernel.shape))
            + call_line(
                "conv",
                "nn.Conv2d",
                f'3, 3, kernel_size={size}, padding="same"{pad_mode}, groups=3, bias=False',
            )
            + "with torch.no_grad():\n"
            "    conv.weight.copy_(w.expand(3, 1, *w.shape))  # the kernel once per channel\n"
            f"    y = conv(x)[0].permute(1, 2, 0)  # ({h}, {w}, 3): three maps, one colour image\n"
        )
    else:
        layer = (
            "# one 2D kernel\n"
            + tensor_line("w", kernel, "float32", comment=shape_text(kernel.shape))
            + call_line(
                "conv",
                "nn.Conv2d",
                f'1, 1, kernel_size={size}, padding="same"{pad_mode}, bias=False',
            )
            + "with torch.no_grad():\n"
            "    conv.weight.copy_(w[None, None])  # (1, 1, kh, kw)\n"
            f"    y = conv(x)[0, 0]  # ({h}, {w}): one map\n"
        )
    return Snippet(
        program(
            "import torch\nfrom torch import nn\n",
            stand_in,
            layer,
            "print(y.shape, y.min().item(), y.max().item())\n",
        ),
        "y",
        "photo_conv.py",
        shape_only=True,
    )


def conv_stack(n: int, kernel: int, layers: int) -> Snippet:
    """``layers`` convolutions with a ``kernel``-wide kernel on an n×n input, once valid (no
    padding: the map shrinks by kernel − 1 per layer) and once zero-padded to keep the size.

    The result ``sides`` is {"valid": [n, n_1, ...], "same": [...]}, as
    ``cnnplay.ops.conv.stack_sizes`` gives (a list that ends in 0 when the pixels run out)."""
    if n < 1 or kernel < 1 or layers < 1:
        raise SnippetError("need n, kernel and layers of at least 1")
    return Snippet(
        program(
            "import torch\nfrom torch import nn\n",
            f"n, f, L = {n}, {kernel}, {layers}  # image side, kernel side, layers\n"
            "x = torch.randn(1, 1, n, n)  # one image, one channel\n",
            "sides = {}\n"
            'for name, padding in (("valid", 0), ("same", (f - 1) // 2)):\n'
            "    y, sizes = x, [n]\n"
            "    for _ in range(L):\n"
            "        if y.shape[-1] + 2 * padding < f:  # the kernel no longer fits\n"
            "            sizes.append(0)\n"
            "            break\n"
            "        y = nn.Conv2d(1, 1, kernel_size=f, padding=padding)(y)\n"
            "        sizes.append(y.shape[-1])\n"
            "    sides[name] = sizes\n"
            "print(sides)\n",
        ),
        "sides",
        "conv_stack.py",
    )
