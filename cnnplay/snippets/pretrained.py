"""PyTorch code for the Inside a pretrained CNN page: the top-5 prediction, one layer's feature
maps (a forward hook), the gradient explanations (saliency and Grad-CAM), the occlusion map
(a grey patch slid over the photo) and an FGSM adversarial example of the page's network for
the page's photo.

Every program loads the network as ``cnnplay.models.pretrained`` does
(:mod:`cnnplay.snippets.backbone`) and reads the photo the page's model sees from a PNG beside
it, so its numbers are the page's (tested against ``cnnplay.explain``).
"""

from __future__ import annotations

import numpy as np

from cnnplay.snippets import backbone
from cnnplay.snippets.common import Snippet, SnippetError, number, program

CATEGORIES = (
    "# the 1,000 ImageNet class names, in the order of the network's outputs\n"
    'categories = torchvision.models.ResNet18_Weights.IMAGENET1K_V1.meta["categories"]\n'
)


def _snippet(
    name: str, pixels: np.ndarray, body: str, result: str, file_name: str, *more: str
) -> Snippet:
    """A program: imports (``more``: further import lines), the network, the photo, then
    ``body``."""
    return Snippet(
        program(
            backbone.imports(name, *more, photo=True),
            backbone.load_model(name),
            backbone.read_photo("x"),
            body,
        ),
        result,
        file_name,
        needs=backbone.needs(name, photo=True),
        files=(backbone.photo_file(pixels),),
    )


def prediction(name: str, pixels: np.ndarray, k: int = 5) -> Snippet:
    """The network's top-k classes for the photo. pixels: (S, S, 3) uint8, the crop the model
    sees. The result ``top`` is a list of k (class name, probability) pairs, best first;
    ``probs`` (1000,) is left too."""
    if not 1 <= k <= 1000:
        raise SnippetError(f"top-{k} of 1,000 classes")
    body = (
        CATEGORIES
        + "with torch.no_grad():\n"
        + "    logits = model(x)  # (1, 1000): one score per class\n"
        + "probs = logits.softmax(dim=1)[0]  # (1000,) probabilities that sum to 1\n"
        + f"best = probs.topk({k})\n"
        + "top = [(categories[i], p) for p, i in zip(best.values.tolist(), best.indices.tolist())]\n"
        + "for label, p in top:\n"
        + '    print(f"{100 * p:5.1f}%  {label}")\n'
    )
    return _snippet(name, pixels, body, "top", "top5.py", "import torchvision")


def feature_maps(name: str, pixels: np.ndarray, layer: str, count: int) -> Snippet:
    """The output of the module ``layer`` (a name of ``model.named_modules()``) for the photo,
    caught by a forward hook, and its ``count`` strongest maps (highest mean first). The result
    ``maps`` is (C, h, w); ``strongest`` (count,) the channel indices."""
    if not layer or count < 1:
        raise SnippetError("choose a layer and at least one map")
    body = (
        "kept = {}\n"
        "\n"
        "\n"
        "def keep(module, inputs, output):  # runs each time the layer computes\n"
        '    kept["maps"] = output.detach()\n'
        "\n"
        "\n"
        f'hook = model.get_submodule("{layer}").register_forward_hook(keep)\n'
        "with torch.no_grad():\n"
        "    model(x)\n"
        "hook.remove()  # a hook stays until removed\n"
        'maps = kept["maps"][0]  # (C, h, w): one map per channel of the layer\n'
        "means = maps.mean(dim=(1, 2))  # (C,) how strongly each map fires on average\n"
        f"strongest = means.argsort(descending=True, stable=True)[:{count}]\n"
        'print(f"{maps.shape[0]} maps of {maps.shape[1]}×{maps.shape[2]}; "\n'
        '      f"strongest: channel {int(strongest[0])} (mean {float(means[strongest[0]]):.3f})")\n'
    )
    return _snippet(name, pixels, body, "maps", "feature_maps.py")


def explanations(name: str, pixels: np.ndarray, target: int, layer: str) -> Snippet:
    """The saliency map (|∂logit/∂pixel|, max over RGB) and Grad-CAM on ``layer`` for class
    ``target``, from one backward pass. The result ``saliency`` is (S, S); ``cam`` (S, S) in
    0..1 is left too."""
    if not 0 <= target < 1000:
        raise SnippetError(f"class {target} is not one of the 1,000 ImageNet classes")
    if not layer:
        raise SnippetError("choose a Grad-CAM layer")
    body = (
        "kept = {}\n"
        "\n"
        "\n"
        "def keep(module, inputs, output):\n"
        '    kept["act"] = output\n'
        "    return output.clone()  # later in-place layers change the copy, not the kept maps\n"
        "\n"
        "\n"
        f'hook = model.get_submodule("{layer}").register_forward_hook(keep)\n'
        "x.requires_grad_(True)  # gradients with respect to the pixels, not the weights\n"
        f"score = model(x)[0, {target}]  # the logit of class {target}\n"
        "hook.remove()\n"
        'act = kept["act"]  # (1, C, h, w)\n'
        "grad_x, grad_act = torch.autograd.grad(score, (x, act))\n"
        "# saliency: how much each pixel would move the score, the largest of its R, G, B\n"
        "saliency = grad_x[0].abs().amax(dim=0)  # (S, S)\n"
        "# Grad-CAM: weight each map by its average gradient, keep what speaks for the class\n"
        "weights = grad_act.mean(dim=(2, 3), keepdim=True)  # (1, C, 1, 1)\n"
        "cam = F.relu((weights * act.detach()).sum(dim=1, keepdim=True))  # (1, 1, h, w)\n"
        'cam = F.interpolate(cam, size=x.shape[-2:], mode="bilinear", align_corners=False)\n'
        "cam = (cam / cam.max() if cam.max() > 0 else cam)[0, 0]  # (S, S) in 0..1\n"
    )
    more = "import torch.nn.functional as F"
    return _snippet(name, pixels, body, "saliency", "saliency_gradcam.py", more)


def occlusion(name: str, pixels: np.ndarray, target: int, patch: int, stride: int) -> Snippet:
    """The occlusion test: a mid-grey ``patch`` × ``patch`` square slid over the photo by
    ``stride`` pixels (the last position of a row or column is moved in so that it covers the
    last pixels, as cnnplay does), one forward pass per position (four per batch), and how much
    the probability of class ``target`` falls at each. pixels: (S, S, 3) uint8, the crop the
    model sees. The result ``drops`` is (rows, cols), row-major like ``positions`` (the
    (top, left) of each patch); ``base`` (the unoccluded probability) and ``heat`` (S, S) (the
    mean drop over the patches covering each pixel, the picture the page draws) are left too."""
    if not 0 <= target < 1000:
        raise SnippetError(f"class {target} is not one of the 1,000 ImageNet classes")
    if patch < 1 or stride < 1:
        raise SnippetError("the patch and the stride are at least one pixel")
    body = (
        CATEGORIES
        + f"target = {target}  # the class whose probability we watch\n"
        + f"patch, stride = {patch}, {stride}  # side of the grey square and its step, pixels\n"
        + "fill = (0.5 - mean) / std  # (3, 1, 1) a mid-grey pixel, normalised\n"
        + "\n"
        + "\n"
        + "def starts(n):  # where the patch starts along a side of n pixels\n"
        + "    out = list(range(0, max(n - patch, 0) + 1, stride))\n"
        + "    if out[-1] + patch < n:\n"
        + "        out.append(n - patch)  # one more, so the last pixels are covered too\n"
        + "    return out\n"
        + "\n"
        + "\n"
        + "rows, cols = starts(x.shape[2]), starts(x.shape[3])\n"
        + "positions = [(r, c) for r in rows for c in cols]  # (top, left) of each patch\n"
        + "with torch.no_grad():\n"
        + "    base = model(x).softmax(dim=1)[0, target]  # the probability, nothing hidden\n"
        + "    drops = []\n"
        + "    for start in range(0, len(positions), 4):  # 4 covered photos per forward pass\n"
        + "        chunk = positions[start : start + 4]\n"
        + "        batch = x.repeat(len(chunk), 1, 1, 1)  # (B, 3, S, S) copies of the photo\n"
        + "        for i, (r, c) in enumerate(chunk):\n"
        + "            batch[i, :, r : r + patch, c : c + patch] = fill  # hide one square\n"
        + "        probs = model(batch).softmax(dim=1)[:, target]  # (B,)\n"
        + "        drops.append(base - probs)  # a big drop: the network needed that square\n"
        + "drops = torch.cat(drops).view(len(rows), len(cols))  # (rows, cols)\n"
        + "# the picture: each pixel gets the mean drop of the patches that covered it\n"
        + "heat = torch.zeros(x.shape[2:])  # (S, S)\n"
        + "count = torch.zeros(x.shape[2:])\n"
        + "for (r, c), d in zip(positions, drops.flatten()):\n"
        + "    heat[r : r + patch, c : c + patch] += d\n"
        + "    count[r : r + patch, c : c + patch] += 1\n"
        + "heat = heat / count.clamp(min=1)\n"
        + "r, c = positions[int(drops.argmax())]\n"
        + 'print(f"{categories[target]}: {100 * float(base):.1f}% unoccluded; "\n'
        + '      f"hiding rows {r}-{r + patch - 1}, columns {c}-{c + patch - 1} "\n'
        + '      f"takes {100 * float(drops.max()):.1f} points off")\n'
    )
    return _snippet(name, pixels, body, "drops", "occlusion.py", "import torchvision")


def fgsm(name: str, pixels: np.ndarray, label: int, levels: float) -> Snippet:
    """One FGSM step (Goodfellow et al. 2015) against class ``label`` (the network's
    prediction): every pixel moves by ε = ``levels`` / 255 on the 0..1 pixel scale (``levels``
    grey levels out of 255, as the page states it), in normalised units ε / std, in the
    direction that raises the loss of ``label``; then the input is clamped back to real pixels
    (0..255). pixels: (S, S, 3) uint8, the crop the model sees. The result ``x_adv`` is
    (1, 3, S, S) normalised; ``new_label`` and ``new_prob`` (the top class of the perturbed
    photo and its probability) and ``picture`` ((S, S, 3) uint8, the perturbed photo) are left
    too."""
    if not 0 <= label < 1000:
        raise SnippetError(f"class {label} is not one of the 1,000 ImageNet classes")
    if not np.isfinite(levels) or levels < 0:
        raise SnippetError(f"ε = {levels!r} grey levels: it is a number of at least 0")
    body = (
        CATEGORIES
        + f"label = {label}  # the class the network predicts for the photo\n"
        + f"epsilon = {number(levels)} / 255  # ε: {number(levels)} grey levels out of 255, "
        + "on the 0..1 pixel scale\n"
        + "x.requires_grad_(True)  # gradients with respect to the pixels, not the weights\n"
        + "loss = F.cross_entropy(model(x), torch.tensor([label]))  # low when label is sure\n"
        + "(grad,) = torch.autograd.grad(loss, x)  # (1, 3, S, S)\n"
        + "# FGSM: every pixel takes one step of ε in the direction that raises the loss;\n"
        + "# the network reads normalised pixels, (pixel - mean) / std, so the step is ε / std\n"
        + "x_adv = x.detach() + epsilon / std * grad.sign()  # (1, 3, S, S)\n"
        + "# keep a real photo: every pixel stays between 0 and 255\n"
        + "low, high = (0 - mean) / std, (1 - mean) / std  # (3, 1, 1) normalised bounds\n"
        + "x_adv = x_adv.clamp(low, high)\n"
        + "with torch.no_grad():\n"
        + "    probs = model(x_adv).softmax(dim=1)[0]  # (1000,)\n"
        + "best = probs.max(dim=0)  # the new top class\n"
        + "new_label, new_prob = int(best.indices), float(best.values)\n"
        + "# the perturbed photo as pixels, e.g. to save with Image.fromarray(picture)\n"
        + "pixels_adv = (x_adv[0] * std + mean).clamp(0, 1) * 255  # (3, S, S)\n"
        + "picture = pixels_adv.round().to(torch.uint8).permute(1, 2, 0).numpy()  # (S, S, 3)\n"
        + 'print(f"{categories[label]} -> {categories[new_label]} ({100 * new_prob:.1f}%)")\n'
    )
    more = ("import torch.nn.functional as F", "import torchvision")
    return _snippet(name, pixels, body, "x_adv", "fgsm.py", *more)
