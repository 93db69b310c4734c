"""PyTorch code for the Bottleneck page's blocks: a plain k×k convolution, the 1×1 → k×k → 1×1
bottleneck, the depthwise separable and the grouped block, bias-free as the page counts them,
with their parameter counts and multiply-adds."""

from __future__ import annotations

from collections.abc import Sequence

from cnnplay.cost import DESIGNS, BlockSettings, block_terms
from cnnplay.snippets.common import Snippet, SnippetError, program

COMMENTS = {
    "plain": "one k×k convolution",
    "bottleneck": "1×1 down to the bottleneck width, k×k there, 1×1 back up",
    "separable": "one k×k filter per channel (depthwise), then a 1×1 (pointwise)",
    "grouped": "each filter sees c_in / groups channels",
}
LAYERS = {  # design -> the nn.Conv2d arguments of each of its layers, in the snippet's names
    "plain": ["c_in, c_out, k, padding=k // 2"],
    "bottleneck": ["c_in, mid, 1", "mid, mid, k, padding=k // 2", "mid, c_out, 1"],
    "separable": ["c_in, c_in, k, padding=k // 2, groups=c_in", "c_in, c_out, 1"],
    "grouped": ["c_in, c_out, k, padding=k // 2, groups=groups"],
}


def bottleneck(s: BlockSettings, side: int, designs: Sequence[str] = DESIGNS) -> Snippet:
    """The blocks of ``designs`` with the widths ``s`` as ``nn.Sequential``s of bias-free
    convolutions (``cnnplay.cost.build_block``), run on one random (1, c_in, side, side) map.

    The result ``params`` is {design: weights}; each block's multiply-adds are its weights
    × side² (each weight is used once per output position), as the page's table says."""
    for design in designs:
        if design not in DESIGNS:
            raise SnippetError(f"unknown design {design!r}")
        block_terms(design, s)  # raises ValueError for widths that make no such block
    if side < 1:
        raise SnippetError("the map side must be at least 1")
    blocks = []
    for design in designs:
        layers = "".join(f"        nn.Conv2d({a}, bias=False),\n" for a in LAYERS[design])
        blocks.append(f'    "{design}": nn.Sequential(  # {COMMENTS[design]}\n{layers}    ),\n')
    groups = f", {s.groups}" if "grouped" in designs else ""
    names = "c_in, c_out, mid, k" + (", groups" if groups else "")
    return Snippet(
        program(
            "import torch\nfrom torch import nn\n",
            f"{names} = {s.c_in}, {s.c_out}, {s.mid}, {s.kernel}{groups}\n"
            f"side = {side}  # the map is side × side\n",
            "blocks = {\n" + "".join(blocks) + "}\n",
            "x = torch.randn(1, c_in, side, side)\n"
            "params = {}\n"
            "with torch.no_grad():\n"
            "    for name, block in blocks.items():\n"
            "        y = block(x)  # (1, c_out, side, side): the same shape for every design\n"
            "        params[name] = sum(p.numel() for p in block.parameters())\n"
            "        macs = params[name] * side * side  # each weight is used once per position\n"
            '        print(f"{name:<11} {params[name]:>10,} weights {macs:>15,} multiply-adds")\n',
        ),
        "params",
        "bottleneck.py",
    )
