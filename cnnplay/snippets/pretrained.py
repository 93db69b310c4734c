"""PyTorch code for the Inside a pretrained CNN page: the top-5 prediction, one layer's feature
maps (a forward hook) and the gradient explanations (saliency and Grad-CAM) of the page's
network for the page's photo.

Every program loads the network as ``cnnplay.models.pretrained`` does
(:mod:`cnnplay.snippets.backbone`) and reads the photo the page's model sees from a PNG beside
it, so its numbers are the page's (tested against ``cnnplay.explain``).
"""

from __future__ import annotations

import numpy as np

from cnnplay.snippets import backbone
from cnnplay.snippets.common import Snippet, SnippetError, program

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
