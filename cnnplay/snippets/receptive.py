"""PyTorch code for a stack of layers: the Receptive field page's table as an ``nn.Sequential``,
run on an input of the page's size, with the output size, jump, field and start of every layer
computed by the recurrence the page shows."""

from __future__ import annotations

from collections.abc import Sequence

from cnnplay.receptive import LayerSpec, layer_label
from cnnplay.snippets.common import Snippet, SnippetError, keyword_args, program

RECURRENCE = """\
# The recurrence, layer by layer (layer 0 is the input: a pixel sees itself):
#   n = floor((n + 2p - d(k - 1) - 1) / s) + 1    output size
#   r = r + (k - 1) d j                            field size
#   start = start - p j                            first input pixel unit 0 sees
#   j = j s                                        jump: input pixels between neighbours
def first(value):
    return value[0] if isinstance(value, tuple) else value  # Conv2d keeps pairs, pools ints


y, j, r, start = x, 1, 1, 0
rows = []  # (output size, jump, field, start) after each layer
print(f"{'layer':<16} {'n':>5} {'j':>4} {'r':>5} {'start':>6}")
for i, layer in enumerate(net, start=1):
    k, s, p = first(layer.kernel_size), first(layer.stride), first(layer.padding)
    d = first(getattr(layer, "dilation", 1))  # average pooling has no dilation
    y = layer(y)
    j, r, start = j * s, r + (k - 1) * d * j, start - p * j  # right side: the old j
    rows.append((y.shape[-1], j, r, start))
    name = f"{i}: {type(layer).__name__}"
    print(f"{name:<16} {y.shape[-1]:>5} {j:>4} {r:>5} {start:>6}")
"""


def _layer_source(spec: LayerSpec) -> str:
    """One layer of the stack as an nn module call (one channel in and out)."""
    k, s, p, d = spec.kernel, spec.stride, spec.padding, spec.dilation
    if spec.kind in ("conv", "1×1 conv"):
        args = keyword_args(
            [
                ("stride", str(s) if s != 1 else None),
                ("padding", str(p) if p else None),
                ("dilation", str(d) if d != 1 else None),
            ]
        )
        return f"nn.Conv2d(1, 1, kernel_size={k}{args})"
    if spec.kind == "max pool":
        args = keyword_args(
            [("padding", str(p) if p else None), ("dilation", str(d) if d != 1 else None)]
        )
        return f"nn.MaxPool2d(kernel_size={k}, stride={s}{args})"
    if spec.kind == "avg pool":
        if d != 1:
            raise SnippetError("average pooling has no dilation")
        args = keyword_args([("padding", str(p) if p else None)])
        return f"nn.AvgPool2d(kernel_size={k}, stride={s}{args})"
    raise SnippetError(f"unknown layer kind {spec.kind!r}")


def layer_stack(layers: Sequence[LayerSpec], input_size: int) -> Snippet:
    """The stack as an ``nn.Sequential`` (one channel throughout: channels change neither the
    output size nor the field), run on a random (1, 1, n, n) input, printing the page's table.

    The result ``rows`` is a list with one (output size, jump, field, start) tuple per layer:
    ``cnnplay.receptive.stack_table``'s rows after the input row."""
    if not layers:
        raise SnippetError("the stack has no layers")
    if input_size < 1:
        raise SnippetError("the input must be at least 1 pixel wide")
    body = "".join(
        f"    {_layer_source(spec)},  # {layer_label(n, spec)}\n"
        for n, spec in enumerate(layers, start=1)
    )
    return Snippet(
        program(
            "import torch\nfrom torch import nn\n",
            f"net = nn.Sequential(\n{body})\n"
            f"x = torch.randn(1, 1, {input_size}, {input_size})  # one {input_size}×{input_size}"
            " input, one channel\n",
            RECURRENCE,
        ),
        "rows",
        "layer_stack.py",
    )
