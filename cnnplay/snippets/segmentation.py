"""PyTorch code for the Segmentation page's network: the U-Net (or the encoder–decoder without
skips, or the FCN with one big upsampling) of a configuration, as a self-contained
``nn.Module`` a student can paste into a notebook.

The module registers the same layers in the same order as ``cnnplay.segmentation.unet.UNet``,
so it has the same parameter count and, given the same weights, computes the same output
(tested by loading one's weights into the other)."""

from __future__ import annotations

from typing import TYPE_CHECKING

from cnnplay.snippets.common import Snippet, SnippetError, program

if TYPE_CHECKING:  # the configuration's type only; nothing of the package is imported at run
    from cnnplay.segmentation.unet import UNetConfig

DOUBLE_CONV = '''\
def double_conv(c_in, c_out):
    """(3×3 conv → BatchNorm → ReLU) × 2: the map keeps its size."""
    return nn.Sequential(
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
        nn.Conv2d(c_out, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    )
'''

BILINEAR_KERNEL = '''\
def bilinear_kernel(channels, k):
    """Transposed-convolution weights (channels, channels, k, k) that upsample bilinearly,
    channel by channel."""
    factor = (k + 1) // 2
    centre = factor - 1 if k % 2 == 1 else factor - 0.5
    filt = 1 - (torch.arange(k) - centre).abs() / factor  # (k,)
    weight = torch.zeros(channels, channels, k, k)
    weight[range(channels), range(channels)] = filt[:, None] * filt[None, :]
    return weight
'''

ENCODER = """\
        self.encoders = nn.ModuleList(
            double_conv(in_channels if i == 0 else widths[i - 1], widths[i]) for i in range(depth)
        )
        self.pool = nn.MaxPool2d(2)  # halves the size
        self.bottleneck = double_conv(widths[depth - 1], widths[depth])
"""

UPSAMPLERS = {
    "transpose": """\
        # ×2, level i + 1 → level i: a learned 2×2 transposed convolution with stride 2
        self.ups = nn.ModuleList(
            nn.ConvTranspose2d(widths[i + 1], widths[i], 2, stride=2) for i in range(depth)
        )
""",
    "bilinear": """\
        # ×2, level i + 1 → level i: bilinear interpolation, then a 1×1 convolution
        self.ups = nn.ModuleList(
            nn.Sequential(
                nn.Upsample(scale_factor=2, mode="bilinear", align_corners=False),
                nn.Conv2d(widths[i + 1], widths[i], 1),
            )
            for i in range(depth)
        )
""",
}



def _encode(skips: bool) -> str:
    """The first half of forward(): the encoder (keeping its maps for the skips) and the
    bottleneck."""
    return (
        "    def forward(self, x):  # (N, in_channels, H, W) in [0, 1], sides multiples of"
        " 2**depth\n"
        "        x = (x - 0.5) / 0.25  # roughly zero-mean, unit-variance pixels\n"
        + ("        skips = []\n" if skips else "")
        + "        for encoder in self.encoders:\n"
        "            x = encoder(x)  # (N, widths[i], H / 2**i, W / 2**i)\n"
        + ("            skips.append(x)\n" if skips else "")
        + "            x = self.pool(x)\n"
        "        x = self.bottleneck(x)  # (N, widths[depth], H / 2**depth, W / 2**depth)\n"
    )


def unet(config: UNetConfig, size: int = 128) -> Snippet:
    """The network of ``config`` as a self-contained module, with its parameter count and the
    output of one random (1, in_channels, size, size) scene.

    The result ``params`` is the parameter count the page shows; ``y`` (also left behind) is the
    output logits, (1, num_classes, size, size)."""
    c = config
    if size % c.factor:
        raise SnippetError(f"the input side must be a multiple of {c.factor}")
    widths = [c.width(i) for i in range(c.depth + 1)]
    fcn = c.decoder == "fcn"
    name = "FCN" if fcn else ("UNet" if c.skips else "EncoderDecoder")
    setup = (
        f"depth, in_channels, num_classes = {c.depth}, {c.in_channels}, {c.num_classes}\n"
        f"# channels at levels 0 … depth: {c.base_width}, doubled per level, at most"
        f" {c.max_width}\n"
        f"widths = {widths}\n"
    )
    body = f"class {name}(nn.Module):\n    def __init__(self):\n        super().__init__()\n"
    body += ENCODER
    if fcn:
        body += (
            "        self.head = nn.Conv2d(widths[depth], num_classes, 1)  # one score per class\n"
            "        f = 2**depth  # one transposed convolution brings the map back ×f\n"
            "        self.upsample = nn.ConvTranspose2d(\n"
            "            num_classes, num_classes, kernel_size=2 * f, stride=f, padding=f // 2\n"
            "        )\n"
            "        with torch.no_grad():  # it starts as bilinear interpolation\n"
            "            self.upsample.weight.copy_(bilinear_kernel(num_classes, 2 * f))\n"
            "            self.upsample.bias.zero_()\n\n"
            + _encode(False)
            + "        return self.upsample(self.head(x))  # (N, num_classes, H, W)\n"
        )
    else:
        twice = "2 * widths[i]" if c.skips else "widths[i]"
        why = "        # 2 × widths[i] in: the skip's channels join the upsampled ones\n"
        body += UPSAMPLERS[c.upsample] + (
            (why if c.skips else "")
            + "        self.decoders = nn.ModuleList(\n"
            f"            double_conv({twice}, widths[i]) for i in range(depth)\n"
            "        )\n"
            "        self.head = nn.Conv2d(widths[0], num_classes, 1)  # one score per class"
            " and pixel\n\n"
            + _encode(c.skips)
            + "        for i in reversed(range(depth)):\n"
            "            x = self.ups[i](x)  # (N, widths[i], H / 2**i, W / 2**i)\n"
            + (
                "            x = torch.cat([skips[i], x], dim=1)  # the skip connection\n"
                if c.skips
                else ""
            )
            + "            x = self.decoders[i](x)\n"
            "        return self.head(x)  # (N, num_classes, H, W)\n"
        )
    run = (
        f"model = {name}().eval()  # eval: BatchNorm uses its running statistics\n"
        "params = sum(p.numel() for p in model.parameters())\n"
        f"x = torch.rand(1, in_channels, {size}, {size})  # a random stand-in for a scene\n"
        "with torch.no_grad():\n"
        f"    y = model(x)  # (1, num_classes, {size}, {size}): a score per class and pixel\n"
        'print(f"{params:,} parameters; output {tuple(y.shape)}")\n'
    )
    return Snippet(
        program(
            "import torch\nfrom torch import nn\n",
            setup,
            DOUBLE_CONV,
            BILINEAR_KERNEL if fcn else "",
            body,
            run,
        ),
        "params",
        "unet.py",
    )
