"""PyTorch code for the What a CNN learned page: gradient ascent on a class or a unit, style
transfer, the nearest images of a gallery in feature space, and DeepDream (``dream``: a photo
dreamt on at a few octaves), each with the page's network and settings.

Every program loads the network exactly as ``cnnplay.models.pretrained`` does
(:mod:`cnnplay.snippets.backbone`), cuts it into stages the way
``cnnplay.models.stages.truncated`` does (``body_stages``: the stem, then each block, in forward
order), and reads the images it needs from PNG files beside it (``Snippet.files``), stored
exactly as the page uses them: the start pictures of the ascent, the photo and the style image
at the page's working size, the gallery as one sheet, DeepDream's photo at the size it is
dreamt at. The loops are the page's own, step for step (same random draws from the same seeds,
same order of operations), so the programs make the page's images and numbers (tested against
``cnnplay.synthesis`` and ``cnnplay.learned.retrieval``).
"""

from __future__ import annotations

import json
import math
from collections.abc import Sequence

import numpy as np

from cnnplay.models.pretrained import REGISTRY, imagenet_categories
from cnnplay.snippets import backbone
from cnnplay.snippets.common import Snippet, SnippetError, number, program
from cnnplay.synthesis.ascent import ClassTarget, Target, UnitTarget
from cnnplay.synthesis.deepdream import MIN_SIDE as OCTAVE_MIN_SIDE
from cnnplay.synthesis.deepdream import DeepDreamSettings
from cnnplay.synthesis.regularisers import AscentSettings, blur_radius
from cnnplay.synthesis.style import LBFGS_EVALS, MIN_SIDE, StyleSettings

START_FILE = "cnnplay_start.png"  # the ascent's start picture (one; facets: _1, _2, …)
CONTENT_FILE = "cnnplay_content.png"  # style transfer: the photo p, as the page uses it
STYLE_FILE = "cnnplay_style.png"  # style transfer: the style image a, as the page uses it
GALLERY_FILE = "cnnplay_gallery.png"  # nearest images: every gallery image, in one sheet
QUERY_FILE = "cnnplay_query.png"  # nearest images: a photo as the query
DREAM_FILE = "cnnplay_dream_photo.png"  # DeepDream: the photo, at the size the page dreams at
MAX_LABEL_RUNS = 30  # gallery labels are written as runs ("x" * 26 + …) when there are no more
PIXEL_SIDE = 32  # pixel space: each image shrunk to 32 × 32 (cnnplay.learned.features)
BATCH = 32  # gallery images per forward pass (as cnnplay.learned.features.embed)
_FAMILIES = {"resnet18": "resnet", "mobilenet_v3_large": "features", "vgg16": "features"}


# --- the network, cut into stages ---------------------------------------------------------


def _family(name: str) -> str:
    """ "efficientnet", "resnet" or "features" (MobileNetV3, VGG): how the network is laid out."""
    tv = backbone.torchvision_name(name)  # SnippetError for a name the registry lacks
    if tv is None:
        return "efficientnet"
    if tv not in _FAMILIES:
        raise SnippetError(f"no code for the stages of {tv}")
    return _FAMILIES[tv]


def stage_list(name: str) -> str:
    """The line(s) that leave the network's stages in ``stages``, in forward order, as
    ``cnnplay.models.pretrained.body_stages`` lists them (without the global pooling): stage i
    of the page is ``stages[i]``."""
    family = _family(name)
    if family == "efficientnet":
        return "stages = [model.conv_stem, model.bn1, *model.blocks, model.conv_head, model.bn2]\n"
    if family == "resnet":
        return (
            "stages = [model.conv1, model.bn1, model.relu, model.maxpool,\n"
            "          model.layer1, model.layer2, model.layer3, model.layer4]\n"
        )
    return "stages = list(model.features)\n"


def penultimate(name: str) -> str:
    """The line that drops the network's last linear layer: ``model(x)`` then gives the pooled
    feature vector that layer reads, (N, D), as ``body_stages(model)`` does."""
    family = _family(name)
    last = {
        "efficientnet": "model.classifier",
        "resnet": "model.fc",
        "features": "model.classifier[-1]",
    }[family]
    return (
        "# the feature space: what the last linear layer reads (the pooled last feature maps)\n"
        f"{last} = torch.nn.Identity()  # without it, model(x) is that (N, D) vector\n"
    )


def _cut(name: str, index: int, layer: str) -> str:
    """Lines that leave the network up to and including stage ``index`` in ``body``."""
    named = f" ({layer})" if layer else ""
    return (
        f"# the network up to stage {index}{named}, cut as the page cuts it: the first\n"
        f"# {index + 1} of its stages, in forward order\n"
        + stage_list(name)
        + f"body = torch.nn.Sequential(*stages[: {index} + 1])\n"
    )


# --- images beside the program --------------------------------------------------------------


def centre_square(pixels: np.ndarray) -> np.ndarray:
    """The centre square of (H, W, 3) (or (N, H, W, 3)) pictures, as
    ``cnnplay.synthesis.ascent.photo_start`` cuts it."""
    h, w = pixels.shape[-3:-1]
    side = min(h, w)
    top, left = (h - side) // 2, (w - side) // 2
    return np.ascontiguousarray(pixels[..., top : top + side, left : left + side, :])


def sheet_shape(count: int) -> tuple[int, int]:
    """(rows, columns) of the sheet that holds ``count`` images: as square as it gets."""
    cols = max(1, math.ceil(math.sqrt(count)))
    return max(1, math.ceil(count / cols)), cols


def gallery_file(images: np.ndarray) -> tuple[str, bytes]:
    """Every gallery image in one PNG sheet, row by row (the last row padded with black):
    images (N, S, S, 3) uint8 -> (file name, PNG bytes) of a (rows·S, cols·S, 3) picture."""
    images = np.asarray(images)
    if images.ndim != 4 or images.shape[1] != images.shape[2] or len(images) == 0:
        raise SnippetError(f"a gallery is (N, S, S, 3) uint8, got {images.shape}")
    n, s = len(images), images.shape[1]
    rows, cols = sheet_shape(n)
    padded = np.zeros((rows * cols, s, s, 3), np.uint8)
    padded[:n] = images
    sheet = (
        padded.reshape(rows, cols, s, s, 3).transpose(0, 2, 1, 3, 4).reshape(rows * s, cols * s, 3)
    )
    return backbone.photo_file(sheet, GALLERY_FILE)


# --- gradient ascent ---------------------------------------------------------------------

BLUR = '''\
def blur(x, sigma):
    """Gaussian blur of each channel: one 1D Gaussian along the rows, then the columns
    (borders reflected). (N, C, H, W) -> (N, C, H, W)."""
    r = max(1, math.ceil(3 * sigma))  # the kernel reaches 3σ
    t = torch.arange(-r, r + 1, dtype=torch.float64)
    g = torch.exp(-0.5 * (t / sigma) ** 2)
    k = (g / g.sum()).to(x.dtype)  # (2r + 1,), sums to 1
    c = x.shape[1]
    x = F.pad(x, (r, r, 0, 0), mode="reflect")
    x = F.conv2d(x, k.view(1, 1, 1, -1).expand(c, 1, 1, -1), groups=c)  # along the rows
    x = F.pad(x, (0, 0, r, r), mode="reflect")
    return F.conv2d(x, k.view(1, 1, -1, 1).expand(c, 1, -1, 1), groups=c)  # the columns
'''

CLIP_BELOW = '''\
def clip_below(x, values, percentile):
    """Set to 0 (the mean colour) every pixel whose value (N, H, W) is below the
    percentile of its own image's values."""
    n = values.shape[0]
    cut = torch.quantile(values.reshape(n, -1), percentile / 100, dim=1).view(n, 1, 1)
    return x.masked_fill((values < cut).unsqueeze(1), 0.0)
'''

CATEGORIES = (
    "# the 1,000 ImageNet class names, in the order of the network's outputs\n"
    'categories = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.meta["categories"]\n'
)


def _check_ascent(target: Target, settings: AscentSettings) -> None:
    if isinstance(target, ClassTarget) and not 0 <= target.index < 1000:
        raise SnippetError(f"class {target.index} is not one of the 1,000 ImageNet classes")
    if isinstance(target, UnitTarget) and (target.stage < 0 or target.channel < 0):
        raise SnippetError("a unit is a stage and a channel, both >= 0")
    if settings.steps < 1:
        raise SnippetError("at least one step")
    if settings.blur_sigma > 0 and blur_radius(settings.blur_sigma) >= settings.size:
        raise SnippetError(f"a blur of σ = {settings.blur_sigma:g} px needs a larger image")


def _ascent_settings(target: Target, s: AscentSettings, layer: str, label: str, noise: bool) -> str:
    """The settings block: the target and every switched-on regulariser, one line each."""
    if isinstance(target, ClassTarget):
        head = f'target = {target.index}  # ImageNet class "{label}": f(x) is its logit\n'
    else:
        where = f" ({layer})" if layer else ""
        head = (
            f"stage, channel = {target.stage}, {target.channel}  # f(x): that unit's mean{where}\n"
        )
    lines = [
        head,
        f"steps, size = {s.steps}, {s.size}  # gradient steps; the side of the image made (px)\n",
        f"step_size = {number(s.step_size)}  # λ: grey levels a pixel moves per step, on average\n",
    ]
    if s.l2 > 0:
        lines.append(f"l2 = {number(s.l2)}  # weight of the penalty Ω(x) = l2 · ‖x‖²\n")
    if s.blur_sigma > 0 and s.blur_every > 0:
        lines.append(
            f"blur_sigma, blur_every = {number(s.blur_sigma)}, {s.blur_every}  # blur (σ px)"
            " every few steps\n"
        )
    if s.jitter > 0:
        lines.append(f"jitter = {s.jitter}  # roll the image by up to this many px each step\n")
    if s.clip_norm_pct > 0:
        lines.append(
            f"clip_norm = {number(s.clip_norm_pct)}  # percentile of faintest pixels set to the"
            " mean colour\n"
        )
    if s.clip_contrib_pct > 0:
        lines.append(
            f"clip_contrib = {number(s.clip_contrib_pct)}  # percentile of pixels adding least"
            " to f, cleared\n"
        )
    drawn = [what for what, on in (("the noise start", noise), ("the jitter", s.jitter > 0)) if on]
    if drawn:
        lines.append(f"seed = {s.seed}  # draws {' and '.join(drawn)}\n")
    return "".join(lines)


def _ascent_score(name: str, target: Target, layer: str) -> str:
    if isinstance(target, ClassTarget):
        return (
            "def score(x):\n"
            '    """f(x): the class\'s logit (before the softmax). (N, 3, S, S) -> (N,)."""\n'
            "    return model(x)[:, target]\n"
        )
    return (
        _cut(name, target.stage, layer)
        + "\n\n"
        + "def score(x):\n"
        + '    """f(x): the mean of one channel\'s map over all positions, so the pattern may\n'
        + '    appear anywhere. (N, 3, S, S) -> (N,)."""\n'
        + "    return body(x)[:, channel].mean(dim=(1, 2))\n"
    )


def _ascent_start(start: str, files: Sequence[str]) -> str:
    if files:
        listed = ", ".join(f'"{f}"' for f in files)
        many = len(files) > 1
        if len(listed) > 70:  # one file a line
            listed = "\n" + "".join(f'    "{f}",\n' for f in files)
        return (
            (
                "# the start: the page's pictures, resized to size × size (one image made per\n"
                "# picture, all at once)\n"
                if many
                else "# the start: the page's picture, resized to size × size\n"
            )
            + f"files = [{listed}]\n"
            + 'pictures = [np.array(Image.open(f).convert("RGB")) for f in files]  # (s, s, 3) each\n'
            "pixels = torch.from_numpy(np.stack(pictures)).permute(0, 3, 1, 2)  # (N, 3, s, s)\n"
            "pixels = pixels.float() / 255  # 0..1\n"
            "pixels = F.interpolate(\n"
            '    pixels, size=(size, size), mode="bilinear", antialias=True, align_corners=False\n'
            ").clamp(0, 1)\n"
            "x = (pixels - mean) / std  # (N, 3, S, S) in the network's units\n"
        )
    if start == "grey":
        return (
            "# the start: a mid-grey image\n"
            "x = (torch.full((1, 3, size, size), 0.5) - mean) / std  # (1, 3, S, S) normalised\n"
        )
    return (
        "# the start: noise around mid-grey (std 0.1 of the range), drawn from the seed\n"
        "g = torch.Generator().manual_seed(seed)\n"
        "pixels = (0.5 + 0.1 * torch.randn(1, 3, size, size, generator=g)).clamp(0, 1)\n"
        "x = (pixels - mean) / std  # (1, 3, S, S) in the network's units\n"
    )


def _ascent_loop(s: AscentSettings) -> str:
    jitter = s.jitter > 0
    lines = ["step = step_size / 255 / std  # λ in the network's units, per channel: (3, 1, 1)\n"]
    if s.clamp:
        lines.append(
            "low, high = (0 - mean) / std, (1 - mean) / std  # pixels 0 and 255, normalised\n"
        )
    if jitter:
        lines.append("shifts = torch.Generator().manual_seed(seed)  # the jitter's own draws\n")
    lines.append("for t in range(1, steps + 1):\n")
    if jitter:
        lines += [
            "    # jitter: roll the image a few random px, so no pattern relies on exact places\n",
            "    dy, dx = torch.randint(-jitter, jitter + 1, (2,), generator=shifts).tolist()\n",
            "    x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))\n",
        ]
    lines += [
        "    x.requires_grad_(True)  # the pixels get a gradient; the weights stay frozen\n",
        "    f = score(x)  # (N,)\n",
        "    (grad_f,) = torch.autograd.grad(f.sum(), x)  # ∂f/∂x: (N, 3, S, S)\n",
        "    x = x.detach()\n",
    ]
    if s.l2 > 0:
        lines.append("    grad = grad_f - 2 * l2 * x  # ∂J/∂x for J(x) = f(x) − l2 · ‖x‖²\n")
    else:
        lines.append("    grad = grad_f  # J(x) = f(x): no penalty\n")
    lines += [
        "    # x ← x + λ g / mean|g|: each image's pixels move λ grey levels on average\n",
        "    scale = grad.abs().mean(dim=(1, 2, 3), keepdim=True).clamp_min(1e-12)\n",
        "    x = x + step * grad / scale\n",
    ]
    if jitter:
        lines += [
            "    x = torch.roll(x, shifts=(-dy, -dx), dims=(2, 3))  # roll back\n",
        ]
        if s.clip_contrib_pct > 0:
            lines.append("    grad_f = torch.roll(grad_f, shifts=(-dy, -dx), dims=(2, 3))\n")
    if s.clip_norm_pct > 0:
        lines.append(
            "    x = clip_below(x, x.norm(dim=1), clip_norm)  # the faintest pixels ‖x_ij‖\n"
        )
    if s.clip_contrib_pct > 0:
        lines += [
            "    # each pixel's contribution to f, to first order: Σ_c |x · ∂f/∂x|\n",
            "    x = clip_below(x, (x * grad_f).abs().sum(dim=1), clip_contrib)\n",
        ]
    if s.blur_sigma > 0 and s.blur_every > 0:
        lines += [
            "    if t % blur_every == 0:  # wipe out the pixel-sized patterns now and then\n",
            "        x = blur(x, blur_sigma)\n",
        ]
    if s.clamp:
        lines.append("    x = x.clamp(low, high)  # keep the pixels a picture can show\n")
    lines += [
        "    if t % 50 == 0 or t == steps:\n",
        '        print(f"step {t}: f = {f[0].item():.2f}")\n',
    ]
    return "".join(lines)


def gradient_ascent(
    name: str,
    target: Target,
    settings: AscentSettings,
    start: str = "noise",
    pictures: np.ndarray | None = None,
    layer: str = "",
) -> Snippet:
    """Gradient ascent as ``cnnplay.synthesis.ascent.ascend`` runs it: the image x that the
    class's logit (``ClassTarget``) or one unit's mean activation (``UnitTarget``) scores high,
    from noise, grey or the page's start pictures, with the switched-on regularisers.

    start: "noise" or "grey" (the page's other starts give ``pictures``); pictures: (N, H, W,
    3) uint8, the photo or the facets the page starts from (their centre squares travel as
    PNGs). layer: the stage's module name for a comment ("blocks.4"). The result ``images``
    is (N, S, S, 3) uint8, the page's images; ``final`` (N,) the score f of each and
    ``probs`` (N, 1000) the network's probabilities are left too."""
    _check_ascent(target, settings)
    s = settings
    files: tuple[tuple[str, bytes], ...] = ()
    if pictures is not None and len(pictures):
        squares = centre_square(np.asarray(pictures))
        if squares.ndim == 3:
            squares = squares[None]
        names = (
            [START_FILE]
            if len(squares) == 1
            else [f"cnnplay_start_{k + 1}.png" for k in range(len(squares))]
        )
        files = tuple(backbone.photo_file(sq, n) for n, sq in zip(names, squares, strict=True))
    label = imagenet_categories()[target.index] if isinstance(target, ClassTarget) else ""
    blur = s.blur_sigma > 0 and s.blur_every > 0
    clip = s.clip_norm_pct > 0 or s.clip_contrib_pct > 0
    more = ["import torch.nn.functional as F", "import torchvision"]
    more += ["import math"] if blur else []
    ending = (
        "with torch.no_grad():  # what the network says about the image made (no jitter)\n"
        "    final = score(x)  # (N,)\n"
        "    probs = model(x).softmax(dim=1)  # (N, 1000)\n"
        "# back to pixels, as the page shows them: (N, S, S, 3) uint8\n"
        "images = ((x * std + mean).clamp(0, 1) * 255).round().to(torch.uint8)\n"
        "images = images.permute(0, 2, 3, 1)\n"
        + CATEGORIES
        + "top = probs[0].argmax().item()\n"
        + 'print(f"f went to {final[0].item():.1f}; the network says {categories[top]} "\n'
        + '      f"({100 * probs[0, top].item():.1f}%)")\n'
    )
    code = program(
        backbone.imports(name, *more, photo=bool(files)),
        backbone.load_model(name),
        "# the page's settings (a regulariser that is off has no line)\n"
        + _ascent_settings(target, s, layer, label, noise=not files and start != "grey"),
        _ascent_score(name, target, layer),
        BLUR if blur else "",
        CLIP_BELOW if clip else "",
        _ascent_start(start, [f for f, _ in files]),
        _ascent_loop(s),
        ending,
    )
    return Snippet(
        code,
        "images",
        "gradient_ascent.py",
        needs=backbone.needs(name, photo=bool(files)),
        files=files,
    )


# --- style transfer ------------------------------------------------------------------------

GRAM = '''\
def gram(f):
    """G = F Fᵀ / (H·W) of feature maps f (N, C, H, W): how strongly channels m and n
    are active at the same places, averaged over the positions. -> (N, C, C)."""
    n, c, h, w = f.shape
    flat = f.reshape(n, c, h * w)  # (N, C, H·W): F, one row per channel
    return flat @ flat.transpose(1, 2) / (h * w)
'''

FEATURES = '''\
def features(x):
    """Every stage's output for x, walking the network stage by stage:
    {i: (1, C, h, w)}."""
    kept = {}
    for i, stage in enumerate(body):
        x = stage(x)
        kept[i] = x
    return kept
'''

TV = '''\
def tv(x):
    """Total variation: the mean squared difference of neighbouring pixels, down and
    across."""
    dy = x[:, :, 1:, :] - x[:, :, :-1, :]
    dx = x[:, :, :, 1:] - x[:, :, :, :-1]
    return (dy**2).mean() + (dx**2).mean()
'''


def _stage_label(names: dict[int, str] | None, i: int) -> str:
    return (names or {}).get(i, f"stage {i}")


def _style_settings(s: StyleSettings, names: dict[int, str] | None, spec_std: float) -> str:
    lines = []
    if s.alpha > 0:
        lines.append(
            f"content_stage = {s.content_stage}  # {_stage_label(names, s.content_stage)}:"
            " where x's map must match p's\n"
        )
    if s.beta > 0:
        stages = ", ".join(str(i) for i in s.style_stages)
        labels = ", ".join(_stage_label(names, i) for i in s.style_stages)
        line = f"style_stages = [{stages}]  # {labels}: a Gram matrix each\n"
        if len(line) > 89:  # the names on a line of their own
            line = f"# {labels}: a Gram matrix each\nstyle_stages = [{stages}]\n"
        lines.append(line)
    lines.append(
        f"alpha, beta = {number(s.alpha)}, {number(s.beta)}  # the content and style weights\n"
    )
    if s.tv_weight > 0:
        lines.append(f"tv_weight = {number(s.tv_weight)}  # smoothness λ_TV\n")
    lines.append(f"steps = {s.steps}\n")
    if s.optimiser == "adam":
        lr = s.lr / spec_std
        lines.append(
            f"lr = {number(lr)}  # {number(s.lr)} of the 0..255 range ÷ std {number(spec_std)}\n"
        )
    if s.start == "noise":
        lines.append(f"seed = {s.seed}  # draws the noise start\n")
    return "".join(lines)


def _style_losses(s: StyleSettings) -> str:
    """The losses function: content, style (Gatys' E_l, equal weights) and the total."""
    lines = [
        "def losses(x):\n",
        '    """The total loss at x and its content and style parts (unweighted)."""\n',
        "    f = features(x)\n",
    ]
    terms = []
    if s.alpha > 0:
        lines.append(
            "    content = ((f[content_stage] - content_target) ** 2).mean()  # mean squared diff.\n"
        )
        terms.append("alpha * content")
    else:
        lines.append("    content = torch.zeros(())  # α = 0: no content term\n")
    if s.beta > 0:
        lines += [
            "    # E_l = ‖G_x − G_a‖² / (4 C²) per stage, then their mean\n",
            "    per_stage = []\n",
            "    for i, g_a in zip(style_stages, style_targets):\n",
            "        c = g_a.shape[-1]  # channels of stage i\n",
            "        e = ((gram(f[i]) - g_a) ** 2).sum(dim=(-2, -1)).mean() / (4 * c * c)\n",
            "        per_stage.append(e)\n",
            "    style = torch.stack(per_stage).mean()\n",
        ]
        terms.append("beta * style")
    else:
        lines.append("    style = torch.zeros(())  # β = 0: no style term\n")
    if s.tv_weight > 0:
        terms.append("tv_weight * tv(x)")
    lines.append(f"    return {' + '.join(terms)}, content, style\n")
    return "".join(lines)


def style_transfer(
    name: str,
    settings: StyleSettings,
    content: np.ndarray,
    style: np.ndarray,
    stage_names: dict[int, str] | None = None,
) -> Snippet:
    """Style transfer as ``cnnplay.synthesis.style.transfer`` runs it: minimise α·L_content +
    β·L_style (+ λ_TV·TV) over the pixels of x with Adam or L-BFGS, x clamped to the pixel
    range after each step.

    content, style: the images as the page uses them (``fit_images``: the photo with its longer
    side = settings.side, the style image cut to side × side), (H, W, 3) uint8; they travel as
    PNGs. stage_names: stage index -> a name for the comments ("blocks.3", "conv4_2"). The
    result ``image`` is the (h, w, 3) uint8 image made; ``history`` (one (content, style) pair
    of unweighted losses per step, measured before the step) is left too."""
    s = settings
    if s.beta > 0 and not s.style_stages:
        raise SnippetError("choose at least one style stage (or set β to 0)")
    if s.alpha == 0 and s.beta == 0:
        raise SnippetError("α and β are both 0: there is nothing to optimise")
    content, style = np.asarray(content), np.asarray(style)
    if min(content.shape[:2]) < MIN_SIDE or min(style.shape[:2]) < MIN_SIDE:
        raise SnippetError(f"images must be at least {MIN_SIDE} px a side")
    backbone.torchvision_name(name)  # SnippetError for a name the registry lacks
    spec_std = float(np.mean(REGISTRY[name].std))
    # p is always read: it is the content target, the start, or (α = 0) x's size
    files = [backbone.photo_file(content, CONTENT_FILE)]
    if s.beta > 0:
        files.append(backbone.photo_file(style, STYLE_FILE))
    deepest = max(s.stages_needed)
    read = (
        "def read(path):\n"
        '    """A PNG beside the program as the network\'s input: (1, 3, H, W) normalised."""\n'
        '    picture = np.array(Image.open(path).convert("RGB"))  # (H, W, 3) uint8\n'
        "    pixels = torch.from_numpy(picture).permute(2, 0, 1).float() / 255  # 0..1\n"
        "    return ((pixels - mean) / std)[None]\n"
    )
    about_p = "only its size is used: α = 0" if s.alpha == 0 else "longer side as on the page"
    and_a = " and the style image a (a square)" if s.beta > 0 else ""
    images = [f"# the photo p ({about_p}){and_a}"]
    images.append(f'p = read("{CONTENT_FILE}")  # (1, 3, h, w)')
    if s.beta > 0:
        images.append(f'a = read("{STYLE_FILE}")  # (1, 3, S, S)')
    cut = (
        "# the network up to the deepest stage the losses read, as the page cuts it\n"
        + stage_list(name)
        + f"body = torch.nn.Sequential(*stages[: {deepest} + 1])\n"
    )
    targets = ["with torch.no_grad():  # what x must match, computed once"]
    if s.alpha > 0:
        targets.append("    content_target = features(p)[content_stage]  # (1, C, h', w')")
    if s.beta > 0:
        targets.append("    style_maps = features(a)")
        targets.append("    style_targets = [gram(style_maps[i]) for i in style_stages]")
    if s.start == "content":
        start = "x = p.clone()  # start from the photo\n"
    else:
        start = (
            "# start from noise: pixels 0.5 ± 0.25, uniform, drawn from the seed\n"
            "g = torch.Generator().manual_seed(seed)\n"
            "x = ((0.5 + 0.5 * (torch.rand(p.shape, generator=g) - 0.5)) - mean) / std\n"
        )
    start += (
        "low, high = (0 - mean) / std, (1 - mean) / std  # pixels 0 and 255, normalised\n"
        "x = x.clamp(low, high).requires_grad_(True)  # only the pixels of x are optimised\n"
    )
    if s.optimiser == "adam":
        optimiser = "optimiser = torch.optim.Adam([x], lr=lr)\n"
    else:
        optimiser = (
            "# L-BFGS: one iteration per step, its line search may evaluate the loss again\n"
            "optimiser = torch.optim.LBFGS(\n"
            f"    [x], lr=1, max_iter=1, max_eval={LBFGS_EVALS}, history_size=20,"
            ' line_search_fn="strong_wolfe"\n'
            ")\n"
        )
    loop = (
        "def closure():\n"
        '    """One evaluation: the loss and its gradient with respect to x (not the weights)."""\n'
        "    optimiser.zero_grad()\n"
        "    total, content, style = losses(x)\n"
        "    total.backward()\n"
        "    seen.append((content.item(), style.item()))\n"
        "    return total\n"
    )
    run = (
        "history = []  # (content, style) losses before each step\n"
        "for step in range(1, steps + 1):\n"
        "    seen = []\n"
        "    optimiser.step(closure)\n"
        "    history.append(seen[0])  # the first evaluation: x before the step\n"
        "    with torch.no_grad():\n"
        "        x.clamp_(low, high)  # keep the pixels a picture can show\n"
        "(c0, s0), (c1, s1) = history[0], history[-1]\n"
        'print(f"Style loss {s0:.3g} → {s1:.3g}, content loss {c0:.3g} → {c1:.3g}")\n'
        "# back to pixels, as the page shows them: (h, w, 3) uint8\n"
        "image = ((x.detach()[0] * std + mean).clamp(0, 1) * 255).round().to(torch.uint8)\n"
        "image = image.permute(1, 2, 0)\n"
    )
    code = program(
        backbone.imports(name, photo=True),
        backbone.load_model(name),
        "# the page's settings\n" + _style_settings(s, stage_names, spec_std),
        read,
        "\n".join(images) + "\n",
        cut,
        FEATURES,
        GRAM if s.beta > 0 else "",
        TV if s.tv_weight > 0 else "",
        "\n".join(targets) + "\n",
        _style_losses(s),
        start + optimiser,
        loop,
        run,
    )
    return Snippet(
        code, "image", "style_transfer.py", needs=backbone.needs(name, True), files=tuple(files)
    )


# --- nearest images -------------------------------------------------------------------------


def _label_runs(labels: Sequence[str]) -> list[tuple[str, int]]:
    runs: list[tuple[str, int]] = []
    for label in labels:
        if runs and runs[-1][0] == label:
            runs[-1] = (label, runs[-1][1] + 1)
        else:
            runs.append((label, 1))
    return runs


def _labels_block(labels: Sequence[str]) -> str:
    """``labels = (["astronaut"] * 26 + …)``, or "" when the labels come in too many runs."""
    runs = _label_runs(labels)
    if not runs or len(runs) > MAX_LABEL_RUNS:
        return ""
    parts = [f"[{json.dumps(label, ensure_ascii=False)}] * {n}" for label, n in runs]
    if len(parts) == 1:
        return f"labels = {parts[0]}  # each image's class\n"
    body = "".join(f"    {'+ ' if k else ''}{p}\n" for k, p in enumerate(parts))
    return f"labels = (  # each image's class, in the gallery's order\n{body})\n"


def _resize_lines(side: int, what: str) -> str:
    """Lines that resize x (B, 3, s, s) to side × side as cnnplay.learned.features does."""
    return (
        "    s = x.shape[-1]\n"
        f"    if s != {side}:  # {what} (smoothed first when shrinking)\n"
        f'        x = F.interpolate(x, size=({side}, {side}), mode="bilinear", antialias=s > {side})\n'
    )


def _distance(metric: str, what: str, where: str) -> str:
    if metric == "cosine":
        return (
            f"    # cosine distance 1 − a·b / (|a| |b|): 0 = same direction, 2 = opposite\n"
            f"    d = 1 - (F.normalize({what}, dim=1) @ F.normalize({where}, dim=1).T)[0]\n"
        )
    return f"    d = ({where} - {what}).norm(dim=1)  # Euclidean distance |a − b|\n"


def nearest_images(
    name: str,
    images: np.ndarray,
    labels: Sequence[str],
    k: int,
    metric: str,
    query_index: int | None = None,
    query: np.ndarray | None = None,
    side: int = 128,
    sheet: tuple[str, bytes] | None = None,
) -> Snippet:
    """The k gallery images nearest to a query in feature space (the network's penultimate
    features, as ``cnnplay.learned.features.embed``) and in pixel space (32 × 32 × 3 numbers),
    by ``metric`` ("cosine" or "euclidean"), as ``cnnplay.learned.retrieval.nearest`` finds
    them.

    images: the gallery (N, S, S, 3) uint8, seen by the network at ``side`` px; labels: (N,)
    class names. The query is gallery image ``query_index`` (left out of its own neighbours)
    or the picture ``query`` ((side, side, 3) uint8, a photo's centre square). sheet: the
    gallery's PNG (gallery_file(images)) when the caller has it already. The result
    ``nearest`` is the list of k gallery indices by features, nearest first; ``distances``
    (k,), ``nearest_pixels`` and ``distances_pixels`` are left too."""
    images = np.asarray(images)
    n = len(images)
    if metric not in ("cosine", "euclidean"):
        raise SnippetError(f"no distance called {metric!r}")
    if (query_index is None) == (query is None):
        raise SnippetError("give the query as a gallery index or as a picture")
    if query_index is not None and not 0 <= query_index < n:
        raise SnippetError(f"the gallery has no image #{query_index}")
    available = n - (query_index is not None)
    if not 1 <= k <= available:
        raise SnippetError(f"{k} neighbours asked, {available} images to choose from")
    if len(labels) != n:
        raise SnippetError(f"{len(labels)} labels for {n} images")
    s = images.shape[1]
    rows, cols = sheet_shape(n)
    files = [sheet or gallery_file(images)]
    if query is not None:
        query = np.asarray(query)
        if query.shape != (side, side, 3):
            raise SnippetError(f"the query picture is ({side}, {side}, 3), got {query.shape}")
        files.append(backbone.photo_file(query, QUERY_FILE))
    gallery = (
        f"# the page's gallery: {n} images of {s} × {s} px, kept losslessly as the tiles of one\n"
        f"# picture beside the program ({cols} a row), so the distances are the page's\n"
        f'sheet = np.array(Image.open("{GALLERY_FILE}").convert("RGB"))  # {rows} rows of tiles\n'
        f"tiles = torch.from_numpy(sheet).reshape({rows}, {s}, {cols}, {s}, 3)  # row, y, column, x\n"
        f"gallery = tiles.permute(0, 2, 4, 1, 3).reshape(-1, 3, {s}, {s})[:{n}]  # (N, 3, S, S)\n"
        + _labels_block(labels)
    )
    features = (
        "def features(pictures):\n"
        '    """What the last linear layer reads: (B, 3, S, S) uint8 -> (B, D)."""\n'
        "    x = pictures.float() / 255  # 0..1\n"
        + _resize_lines(side, "to the side the network sees")
        + "    with torch.no_grad():\n"
        "        return model((x.clamp(0, 1) - mean) / std)\n"
    )
    pixels = (
        "def pixels(pictures):\n"
        f'    """Pixel space: each picture shrunk to {PIXEL_SIDE} × {PIXEL_SIDE} × 3 numbers'
        ' in 0..1, flattened."""\n'
        "    x = pictures.float() / 255\n"
        + _resize_lines(PIXEL_SIDE, "shrunk")
        + "    return x.clamp(0, 1).flatten(1)\n"
    )
    search = (
        "def search(q, vectors):\n"
        f'    """The {k} rows of vectors nearest to q (1, D): (indices, distances)."""\n'
        + _distance(metric, "q", "vectors")
        + (
            f'    d[{query_index}] = float("inf")  # the query itself is left out\n'
            if query_index is not None
            else ""
        )
        + f"    order = d.argsort(stable=True)[:{k}]  # nearest first\n"
        "    return order.tolist(), d[order]\n"
    )
    batches = (
        f"# the gallery's features, {BATCH} images at a time\n"
        "feats = torch.cat(\n"
        f"    [features(gallery[i : i + {BATCH}]) for i in range(0, len(gallery), {BATCH})]\n"
        ")  # (N, D)\n"
    )
    if query_index is not None:
        ask = (
            f"q = {query_index}  # the query: gallery image #{query_index}\n"
            "nearest, distances = search(feats[q : q + 1], feats)\n"
            "nearest_pixels, distances_pixels = search(pixels(gallery[q : q + 1]), "
            "pixels(gallery))\n"
        )
    else:
        ask = (
            f'photo = np.array(Image.open("{QUERY_FILE}").convert("RGB"))  # the query\n'
            "photo = torch.from_numpy(photo).permute(2, 0, 1)[None]  # (1, 3, S, S) uint8\n"
            "nearest, distances = search(features(photo), feats)\n"
            "nearest_pixels, distances_pixels = search(pixels(photo), pixels(gallery))\n"
        )
    label = " {labels[i]}" if _labels_block(labels) else ""
    report = (
        "for i, d in zip(nearest, distances.tolist()):\n"
        f'    print(f"#{{i}}{label}: d = {{d:.4f}}")\n'
    )
    code = program(
        backbone.imports(name, "import torch.nn.functional as F", photo=True),
        backbone.load_model(name),
        penultimate(name),
        gallery,
        features,
        pixels,
        search,
        batches + ask + report,
    )
    return Snippet(
        code, "nearest", "nearest_images.py", needs=backbone.needs(name, True), files=tuple(files)
    )


# --- DeepDream ------------------------------------------------------------------------------

DREAM_HELPERS = '''\
def objective(x):
    """L = ½ · the mean of the squared activations a of the stage: every unit counts, the
    strong ones most (∂L/∂a = a / (C·h·w)). (1, 3, H, W) -> a number."""
    a = body(x)  # (1, C, h, w)
    return 0.5 * (a * a).mean()


def resize(x, size):
    """(1, 3, h, w) -> (1, 3, *size), bilinear (smoothed first when shrinking)."""
    if tuple(x.shape[-2:]) == size:
        return x
    return F.interpolate(x, size=size, mode="bilinear", antialias=True, align_corners=False)
'''


def _dream_settings(stage: int, s: DeepDreamSettings, layer: str) -> str:
    """The settings block: the stage, the octaves, the steps (the jitter only when it is on)."""
    named = f" ({layer})" if layer else ""
    lines = [
        f"stage = {stage}  # the stage{named} whose activations the dream amplifies\n",
        f"octaves = {s.octaves}  # the scales the photo is dreamt at, smallest first\n",
        f"octave_scale = {number(s.octave_scale)}  # each octave is this much smaller than the next\n",
        f"steps = {s.steps}  # gradient steps per octave\n",
        f"step_size = {number(s.step_size)}  # λ: grey levels a pixel moves per step, on average\n",
    ]
    if s.jitter > 0:
        lines += [
            f"jitter = {s.jitter}  # roll the image by up to this many px before each step\n",
            f"seed = {s.seed}  # draws the jitter\n",
        ]
    return "".join(lines)


def _dream_loop(s: DeepDreamSettings) -> str:
    """The octaves, smallest first, each a loop of normalised gradient steps."""
    jitter = s.jitter > 0
    lines = [
        "# octave k is the photo shrunk by octave_scale^(octaves − 1 − k): the smallest first,\n",
        f"# the last the photo's own size; no side below {OCTAVE_MIN_SIDE} px\n",
        "sizes = []\n",
        "for k in range(octaves):\n",
        "    shrink = octave_scale ** (octaves - 1 - k)\n",
        f"    sizes.append((min(h, max({OCTAVE_MIN_SIDE}, round(h / shrink))),\n",
        f"                  min(w, max({OCTAVE_MIN_SIDE}, round(w / shrink)))))\n",
        "\n",
        "step = step_size / 255 / std  # λ in the network's units, per channel: (3, 1, 1)\n",
    ]
    if s.clamp:
        lines.append(
            "low, high = (0 - mean) / std, (1 - mean) / std  # pixels 0 and 255, normalised\n"
        )
    if jitter:
        lines.append("shifts = torch.Generator().manual_seed(seed)  # the jitter's own draws\n")
    lines += [
        "curve = []  # L at every step (before it)\n",
        "detail = torch.zeros(1, 3, *sizes[0])  # what the dream has added to the photo so far\n",
        "for size in sizes:  # smallest first\n",
        "    base = resize(full, size)  # the photo at this octave's size\n",
        "    x = base + resize(detail, size)  # plus the detail dreamt so far, enlarged\n",
        "    for _ in range(steps):\n",
    ]
    if jitter:
        lines += [
            "        # jitter: roll the image a few random px, so no pattern sticks to a grid\n",
            "        dy, dx = torch.randint(-jitter, jitter + 1, (2,), generator=shifts).tolist()\n",
            "        x = torch.roll(x, shifts=(dy, dx), dims=(2, 3))\n",
        ]
    lines += [
        "        x.requires_grad_(True)  # the pixels get a gradient; the weights stay frozen\n",
        "        loss = objective(x)\n",
        "        (grad,) = torch.autograd.grad(loss, x)  # ∂L/∂x: (1, 3, h, w)\n",
        "        curve.append(loss.item())\n",
        "        # gradient ascent x ← x + λ g / mean|g|: pixels move λ grey levels on average\n",
        "        scale = grad.abs().mean(dim=(1, 2, 3), keepdim=True).clamp_min(1e-12)\n",
        "        x = x.detach() + step * grad / scale\n",
    ]
    if jitter:
        lines.append("        x = torch.roll(x, shifts=(-dy, -dx), dims=(2, 3))  # roll back\n")
    if s.clamp:
        lines.append("        x = x.clamp(low, high)  # keep the pixels a picture can show\n")
    lines += [
        "    detail = x - base  # what the dream has added, at this octave's size\n",
        '    print(f"{size[1]}×{size[0]} px: L = {curve[-steps]:.3f} → {curve[-1]:.3f}")\n',
        "\n",
        "# the photo plus all the detail dreamt (the last octave is the photo's own size)\n",
        "x = full + resize(detail, (h, w))  # (1, 3, H, W)\n",
    ]
    if s.clamp:
        lines.append("x = x.clamp(low, high)\n")
    lines += [
        "with torch.no_grad():  # L of the whole photo, before and after\n",
        "    before, after = objective(full).item(), objective(x).item()\n",
        'print(f"L went from {before:.3f} to {after:.3f}")\n',
        "# back to pixels, as the page shows them: (H, W, 3) uint8\n",
        "image = ((x[0] * std + mean).clamp(0, 1) * 255).round().to(torch.uint8)\n",
        "image = image.permute(1, 2, 0)\n",
    ]
    return "".join(lines)


def dream(
    name: str,
    stage: int,
    settings: DeepDreamSettings,
    photo: np.ndarray,
    layer: str = "",
) -> Snippet:
    """DeepDream as ``cnnplay.synthesis.deepdream.dream`` runs it: gradient ascent on the
    photo's pixels of L = ½ · mean(a²), a the map of stage ``stage``, at ``settings.octaves``
    scales from small to large, each step λ · g / mean|g| after a random roll (jitter, undone
    after), the pixels clamped to the range a picture shows.

    photo: the photo as the page dreams on it, i.e. already shrunk to ``settings.max_side``
    (``cnnplay.synthesis.deepdream.fit``), (H, W, 3) uint8; it travels as a PNG. layer: the
    stage's module name for a comment ("blocks.4"). The result ``image`` is the (H, W, 3)
    uint8 dream; ``curve`` (L at every step, before it, all octaves in order), ``before`` and
    ``after`` (L of the whole photo and of the dream) are left too."""
    s = settings
    if stage < 0:
        raise SnippetError("a stage is a number >= 0")
    if s.octaves < 1:
        raise SnippetError("at least one octave")
    if s.steps < 1:
        raise SnippetError("at least one step per octave")
    if s.octave_scale < 1:
        raise SnippetError(f"an octave scale of {s.octave_scale:g} would enlarge the photo")
    cut = _cut(name, stage, layer).replace(f"stages[: {stage} + 1]", "stages[: stage + 1]")
    file = backbone.photo_file(photo, DREAM_FILE)  # SnippetError for what is not a picture
    h, w = np.asarray(photo).shape[:2]
    read = (
        f"# the photo, as the page dreams on it ({w}×{h} px)\n"
        f'photo = np.array(Image.open("{DREAM_FILE}").convert("RGB"))  # (H, W, 3) uint8\n'
        "pixels = torch.from_numpy(photo).permute(2, 0, 1).float() / 255  # (3, H, W) in 0..1\n"
        "full = ((pixels - mean) / std)[None]  # (1, 3, H, W) in the network's units\n"
        "h, w = photo.shape[:2]\n"
    )
    code = program(
        backbone.imports(name, "import torch.nn.functional as F", photo=True),
        backbone.load_model(name),
        "# the page's settings\n" + _dream_settings(stage, s, layer),
        read,
        cut,
        DREAM_HELPERS,
        _dream_loop(s),
    )
    return Snippet(code, "image", "deepdream.py", needs=backbone.needs(name, True), files=(file,))
