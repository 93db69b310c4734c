"""PyTorch code for the Transfer learning page's "Train & compare" tab: the pretrained base
split into stages, frozen, a new linear head for the page's classes, the last blocks unfrozen for
fine-tuning, and a small CNN from scratch beside them, each trained with the page's settings in a
plain loop on a stand-in data set of the page's size.

The program's ``TransferNet`` holds the same stages, in the same order, as
``cnnplay.transfer.strategies.build_transfer`` over ``body_stages``, so its trainable and total
parameter counts are ``count_params``' and, with the page model's weights loaded, it gives the
same logits (tested); its ``SmallCNN`` has the layer names of ``cnnplay.models.small_cnn``, so the
page's state_dict loads into it. Initial weights come from ``torch.manual_seed(seed)``: the same
numbers as the page's for that training seed. The images are random stand-ins (the batch order
and the augmentations are not the page's), so ``Snippet.shape_only`` is set.
"""

from __future__ import annotations

from collections.abc import Mapping

from cnnplay.models.pretrained import REGISTRY
from cnnplay.snippets import backbone
from cnnplay.snippets.common import Snippet, SnippetError, number, program
from cnnplay.train import TrainConfig
from cnnplay.transfer.strategies import NO_AUGMENTATION, STRATEGIES, Augmentation

STAND_IN_IMAGES = 64  # stand-in training images when the caller names no number

# the body as stages, per family: what cnnplay.models.pretrained.body_stages returns
_STAGES_TIMM = """\
# the body as stages in forward order, without ImageNet's 1000-class layer:
# (N, 3, side, side) -> (N, dim) pooled features (timm's global_pool also flattens)
stages = nn.Sequential(
    model.conv_stem, model.bn1, *model.blocks, model.conv_head, model.bn2, model.global_pool
)
dim = model.classifier.in_features  # the length of the pooled feature vector
"""

_STAGES_RESNET = """\
# the body as stages in forward order, without ImageNet's 1000-class layer:
# (N, 3, side, side) -> (N, dim) pooled features
stages = nn.Sequential(
    model.conv1, model.bn1, model.relu, model.maxpool,
    model.layer1, model.layer2, model.layer3, model.layer4,
    model.avgpool, nn.Flatten(1),
)
dim = model.fc.in_features  # the length of the pooled feature vector
"""

_STAGES_FEATURES = """\
# the body as stages in forward order, without ImageNet's 1000-class layer (the classifier's
# other layers belong to it): (N, 3, side, side) -> (N, dim) features
stages = nn.Sequential(*model.features, model.avgpool, nn.Flatten(1), *model.classifier[:-1])
dim = model.classifier[-1].in_features  # the length of the feature vector
"""

_TUNABLE = """\
# the stages that hold a convolution: the "blocks" one can unfreeze, deepest last
tunable = [i for i, s in enumerate(stages) if any(isinstance(m, nn.Conv2d) for m in s.modules())]
"""

_TRANSFER_NET = '''\
class TransferNet(nn.Module):
    """The pretrained stages before `split` frozen, the others trained, then a new head."""

    def __init__(self, split):
        super().__init__()
        self.frozen = stages[:split].requires_grad_(False)  # ImageNet's filters, kept as is
        self.tuned = stages[split:].requires_grad_(True)  # fine-tuned (none: split = len)
        self.head = nn.Linear(dim, num_classes)  # new: one output per class of yours

    def forward(self, x):  # (N, 3, side, side) normalised
        with torch.no_grad():  # nothing to learn in the frozen part: no gradients needed
            x = self.frozen(x)
        return self.head(self.tuned(x))  # (N, num_classes) logits

    def train(self, mode=True):
        super().train(mode)
        self.frozen.eval()  # the frozen stages always run as at inference
        for m in self.modules():  # few images: batch norm keeps its ImageNet statistics
            if isinstance(m, nn.BatchNorm2d):
                m.eval()
        return self
'''

_SMALL_CNN = '''\
class SmallCNN(nn.Module):
    """Three conv → batch norm → ReLU → 2×2 max-pool stages (the first conv with stride 2),
    global average pooling and one linear layer, all learned from your images."""

    def __init__(self, width=16):
        super().__init__()
        layers, channels = [], 3
        for stage, out in enumerate((width, 2 * width, 4 * width)):
            stride = 2 if stage == 0 else 1
            layers += [
                nn.Conv2d(channels, out, 3, stride=stride, padding=1, bias=False),
                nn.BatchNorm2d(out),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(2),
            ]
            channels = out
        self.features = nn.Sequential(*layers)
        self.pool = nn.AdaptiveAvgPool2d(1)  # global average pooling: one number per map
        self.classifier = nn.Linear(channels, num_classes)

    def forward(self, x):  # (N, 3, side, side) normalised
        x = self.features(x)  # (N, 4 · width, side / 16, side / 16)
        return self.classifier(self.pool(x).flatten(1))  # (N, num_classes) logits
'''

_COUNT = '''\
def count(net):
    """(trainable, all) parameters: what the page's results table shows."""
    params = list(net.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)
'''

_STAND_IN = """\
# a stand-in for your images: random pixels, (N, 3, side, side) uint8, labels 0..K-1;
# your own images instead, a folder per class (my_images/cats/…, my_images/dogs/…), with
# import torchvision and from torchvision.transforms import v2:
# data = torchvision.datasets.ImageFolder(
#     "my_images", v2.Compose([v2.Resize(side), v2.CenterCrop(side), v2.PILToTensor()])
# )
torch.manual_seed(seed)
pixels = torch.randint(0, 256, (images, 3, side, side), dtype=torch.uint8)
labels = torch.arange(images) % num_classes
data = torch.utils.data.TensorDataset(pixels, labels)
"""

_AUGMENTED = '''\
def augmented(batch):
    """(B, 3, side, side) uint8 -> a new random version of each image."""
    return torch.stack([augment(image) for image in batch])
'''


def _train(aug: bool, weight_decay: float) -> str:
    """The training function: Adam on the trainable parameters, cross-entropy loss."""
    decay = f", weight_decay={number(weight_decay)}" if weight_decay else ""
    new_views = (
        '            if name != "head":  # a new random version of each image, every epoch\n'
        "                xb = augmented(xb)\n"
        if aug
        else ""
    )
    return (
        "def train(net, name, data):\n"
        '    """`epochs[name]` passes over `data` with Adam on the trainable parameters."""\n'
        "    params = [p for p in net.parameters() if p.requires_grad]  # not the frozen ones\n"
        f"    optimizer = torch.optim.Adam(params, lr=lr[name]{decay})\n"
        "    loader = torch.utils.data.DataLoader(data, batch_size=batch_size, shuffle=True)\n"
        "    for epoch in range(epochs[name]):\n"
        "        net.train()\n"
        "        total = 0.0\n"
        "        for xb, yb in loader:  # (B, 3, side, side) uint8 pixels, (B,) class ids\n"
        + new_views
        + "            x = (xb.float() / 255 - mean) / std  # normalised as the base expects\n"
        "            loss = nn.functional.cross_entropy(net(x), yb)\n"
        "            optimizer.zero_grad()\n"
        "            loss.backward()\n"
        "            optimizer.step()\n"
        "            total += loss.item() * len(yb)\n"
        '        print(f"{name}: epoch {epoch + 1}, training loss {total / len(data):.3f}")\n'
        "    net.eval()\n"
    )


def _augment(aug: Augmentation, side: int) -> str:
    """``augment = v2.Compose([...])`` with the page's active transformations."""
    steps = []
    if aug.flip:
        steps.append("    v2.RandomHorizontalFlip(),  # mirrored, half of the time\n")
    if aug.rotation > 0:
        steps.append(
            f"    v2.RandomRotation({number(aug.rotation)}),  # ± degrees (black corners; the"
            " page fills them by reflection)\n"
        )
    if aug.crop < 1:
        steps.append(
            f"    v2.RandomResizedCrop(side, scale=({number(aug.crop)}**2, 1), ratio=(1, 1)),"
            f"  # {round(100 * aug.crop)}–100 % of the side\n"
        )
    if aug.jitter > 0:
        j = number(aug.jitter)
        steps.append(
            f"    v2.ColorJitter(brightness={j}, contrast={j}, saturation={j}),"
            f"  # ± {round(100 * aug.jitter)} %\n"
        )
    return (
        "# data augmentation: artificial training examples, a random draw per image and call\n"
        "augment = v2.Compose([\n" + "".join(steps) + "])\n"
    )


def _strategies(which: list[str], aug: bool) -> str:
    """Build, count and train each strategy in the page's order."""
    parts = [
        "nets, counts = {}, {}  # per strategy: the trained net; (trainable, all) parameters\n"
    ]
    if "scratch" in which:
        parts.append(
            "# 1. a small CNN from scratch: every weight learned from your images\n"
            "torch.manual_seed(seed)  # the page's initial weights for this training seed\n"
            'nets["scratch"] = SmallCNN()\n'
            'counts["scratch"] = count(nets["scratch"])\n'
            'train(nets["scratch"], "scratch", data)\n'
        )
    if "head" in which:
        data = "head_data" if aug else "data"
        copies = (
            "# the frozen base's features need computing only once per image (the page caches\n"
            "# them), so the head trains on the images plus `views` copies of each, drawn once\n"
            "copies = torch.cat([pixels] + [augmented(pixels) for _ in range(views)])\n"
            "head_data = torch.utils.data.TensorDataset(copies, labels.repeat(views + 1))\n"
            if aug
            else ""
        )
        parts.append(
            "# 2. the pretrained base frozen: only a new linear head learns\n"
            + copies
            + "torch.manual_seed(seed)\n"
            'nets["head"] = TransferNet(split=len(stages))\n'
            'counts["head"] = count(nets["head"])\n'
            f'train(nets["head"], "head", {data})\n'
        )
    if "finetune" in which:
        shared = (
            "# (it shares the loaded network's modules with 2. and changes them: it comes last)\n"
            if "head" in which
            else ""
        )
        parts.append(
            "# 3. fine-tuning: the last `blocks` conv stages learn too, at their own learning rate\n"
            + shared
            + "torch.manual_seed(seed)\n"
            'nets["finetune"] = TransferNet(split=tunable[-blocks])\n'
            'counts["finetune"] = count(nets["finetune"])\n'
            'train(nets["finetune"], "finetune", data)\n'
        )
    parts.append(
        "for name, (trainable, total) in counts.items():\n"
        '    print(f"{name}: {trainable:,} of {total:,} parameters trained, "\n'
        '          f"{total - trainable:,} frozen")\n'
    )
    return "\n".join(parts)


def _stages(name: str) -> str:
    """The lines that split the loaded ``model`` into ``stages`` and give ``dim``, as
    ``body_stages`` does for its family."""
    tv = backbone.torchvision_name(name)
    if tv is None:
        return _STAGES_TIMM
    return _STAGES_RESNET if tv.startswith("resnet") else _STAGES_FEATURES


def _settings(
    which: list[str],
    configs: Mapping[str, TrainConfig],
    num_classes: int,
    side: int,
    blocks: int,
    images: int,
    views: int | None,
) -> str:
    first = configs[which[0]]
    epochs = ", ".join(f'"{k}": {configs[k].epochs}' for k in which)
    rates = ", ".join(f'"{k}": {number(configs[k].lr)}' for k in which)
    lines = [
        "# the page's settings\n",
        f"num_classes, side = {num_classes}, {side}  # your classes; input side in pixels\n",
        f"images = {images}  # as many as the page trains on (random stand-ins here)\n",
        f"batch_size, seed = {first.batch_size}, {first.seed}  # seed: the initial weights\n",
        f"epochs = {{{epochs}}}\n",
        f"lr = {{{rates}}}  # Adam's learning rate per strategy\n",
    ]
    if "finetune" in which:
        lines.append(f"blocks = {blocks}  # conv stages of the base that fine-tuning trains\n")
    if views is not None:
        lines.append(f"views = {views}  # augmented copies per image for the frozen-base head\n")
    return "".join(lines)


def _check(
    which: list[str],
    configs: Mapping[str, TrainConfig],
    num_classes: int,
    side: int,
    blocks: int,
    images: int,
    views: int,
) -> None:
    """SnippetError for settings that make no program."""
    if not which or set(configs) - set(STRATEGIES):
        raise SnippetError(f"strategies are {', '.join(STRATEGIES)}; got {', '.join(configs)}")
    if num_classes < 2:
        raise SnippetError("a classifier needs at least two classes")
    if side < 16:
        raise SnippetError(f"the small CNN needs an input side of 16 pixels or more, not {side}")
    if images < 1 or views < 1:
        raise SnippetError("training needs at least one image and one augmented copy")
    if "finetune" in which and blocks < 1:
        raise SnippetError("fine-tuning unfreezes at least one block")
    for k in which:
        c = configs[k]
        if c.epochs < 1 or c.batch_size < 1:
            raise SnippetError(f"{STRATEGIES[k]}: epochs and batch size must be at least 1")
        if not c.lr > 0:
            raise SnippetError(f"{STRATEGIES[k]}: the learning rate must be positive")
    first = configs[which[0]]
    if any(
        (c.batch_size, c.seed, c.weight_decay) != (first.batch_size, first.seed, first.weight_decay)
        for c in configs.values()
    ):
        raise SnippetError("the strategies share one batch size, seed and weight decay")


def train_compare(
    name: str,
    num_classes: int,
    side: int,
    configs: Mapping[str, TrainConfig],
    blocks: int = 2,
    aug: Augmentation = NO_AUGMENTATION,
    views: int = 2,
    images: int = STAND_IN_IMAGES,
) -> Snippet:
    """The "Train & compare" tab as a program: the strategies of ``configs`` (keys of
    STRATEGIES: "scratch", "head", "finetune"; each its epochs and learning rate, all one batch
    size and seed) trained on ``images`` random stand-in images of (3, side, side) and
    ``num_classes`` classes, over the backbone ``name`` (a key of
    ``cnnplay.models.pretrained.REGISTRY``). Fine-tuning trains the last ``blocks`` stages
    that hold a convolution (``tunable_stages``); with ``aug`` active, scratch and fine-tuning
    draw new augmentations per batch and the head trains on the images plus ``views`` copies
    drawn once, as the page does.

    Result ``counts``: {strategy: (trainable, all) parameter counts}, as ``count_params`` of
    the page's models; ``nets`` (the trained models), ``stages``, ``tunable``, ``pixels``
    ((images, 3, side, side) uint8), ``labels``, ``mean`` and ``std`` are left too. Raises
    SnippetError for settings that make no program."""
    which = [k for k in STRATEGIES if k in configs]
    _check(which, configs, num_classes, side, blocks, images, views)
    transfer = "head" in which or "finetune" in which
    augmenting = aug.active
    more = ["from torch import nn"]
    if augmenting:
        more.append("from torchvision.transforms import v2")
    imports = backbone.imports(name, *more) if transfer else "import torch\nfrom torch import nn\n"
    parts = [
        imports,
        _settings(
            which,
            configs,
            num_classes,
            side,
            blocks,
            images,
            views if augmenting and "head" in which else None,
        ),
    ]
    if transfer:
        parts += [backbone.load_model(name), _stages(name), _TUNABLE, _TRANSFER_NET]
    else:  # only the small CNN: the base's normalisation, no base
        spec_mean, spec_std = _mean_std(name)
        parts.append(
            f"mean = torch.tensor([{spec_mean}]).view(3, 1, 1)  # the page's normalisation\n"
            f"std = torch.tensor([{spec_std}]).view(3, 1, 1)\n"
        )
    if "scratch" in which:
        parts.append(_SMALL_CNN)
    parts.append(_COUNT)
    if augmenting:
        parts += [_augment(aug, side), _AUGMENTED]
    parts += [
        _train(augmenting, configs[which[0]].weight_decay),
        _STAND_IN,
        _strategies(which, augmenting),
    ]
    return Snippet(
        program(*parts),
        "counts",
        "transfer_learning.py",
        shape_only=True,
        needs=backbone.needs(name) if transfer else (),
    )


def _mean_std(name: str) -> tuple[str, str]:
    """The backbone's normalisation mean and std as source ("0.5, 0.5, 0.5")."""
    backbone.torchvision_name(name)  # SnippetError for an unknown name
    spec = REGISTRY[name]
    return ", ".join(number(v) for v in spec.mean), ", ".join(number(v) for v in spec.std)
