"""Transfer learning (seed 000, "Re-using pretrained layers"): three ways to learn the user's own
classes, measured side by side.

1. ``scratch``: a small CNN (:class:`cnnplay.models.small_cnn.SmallCNN`) trained from random
   weights on the images.
2. ``head``: the pretrained convolutional base frozen, a new linear head on its pooled features.
   The base's features are computed once per image (:func:`prefix_features`, cached by the
   caller in a :class:`FeatureStore`), so training the head takes seconds.
3. ``finetune``: the last ``n`` convolutional stages of the base trained too, at a lower
   learning rate, with a new head. Without augmentation the frozen part's output is cached the
   same way; with augmentation every batch goes through the whole network (the frozen part under
   ``no_grad``).

A model is a :class:`TransferNet`: ``FrozenPrefix(stages[:split])`` → trainable copies of
``stages[split:]`` → ``nn.Linear(D, K)``. The prefix holds the *shared* backbone's modules,
never changed (no grad, never switched to train mode); only the copied suffix and the head are
trained, so one session's training never changes another's model. Batch-norm layers in the
trained suffix keep their ImageNet statistics (eval mode), the usual choice for small datasets.

Images enter as :class:`Inputs`: (N, 3, S, S) uint8 pixels, read as float32 normalised with the
backbone's mean and std a batch at a time (one photo: :func:`to_inputs`). Training uses
:func:`cnnplay.train.fit` (progress callback, stop check).
"""

from __future__ import annotations

import copy
import time
from collections import OrderedDict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cnnplay.device import get_device
from cnnplay.models.small_cnn import SmallCNN
from cnnplay.progress import ProgressFn, StopFn
from cnnplay.seeding import generator, seeded
from cnnplay.train import History, TrainConfig, fit

STRATEGIES: dict[str, str] = {  # key -> label shown to the user
    "scratch": "Small CNN from scratch",
    "head": "Frozen base + new head",
    "finetune": "Fine-tune last blocks + head",
}
FEATURE_BATCH = 64  # images per forward pass when extracting features


# --- inputs and augmentation --------------------------------------------------------------


def _resized(images: np.ndarray, side: int) -> Tensor:
    """(N, H, W, 3) uint8 -> (N, 3, side, side) float32 pixels in [0, 1] (antialiased bilinear
    resampling when H, W differ from ``side``)."""
    x = torch.from_numpy(np.array(images, copy=True)).permute(0, 3, 1, 2).float() / 255
    if x.shape[-2:] != (side, side):
        x = F.interpolate(x, size=(side, side), mode="bilinear", antialias=True)  # (N, 3, S, S)
    return x.clamp(0, 1)


def _normalise(p: Tensor, mean: Sequence[float], std: Sequence[float]) -> Tensor:
    """(N, 3, S, S) pixels in [0, 1] -> (p - mean) / std, float32, on p's device."""
    m = torch.tensor(mean, dtype=torch.float32, device=p.device).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32, device=p.device).view(1, 3, 1, 1)
    return ((p - m) / s).contiguous()


def to_inputs(images: np.ndarray, side: int, mean: Sequence[float], std: Sequence[float]) -> Tensor:
    """(N, H, W, 3) uint8 -> (N, 3, side, side) float32 normalised ((p/255 - mean) / std), CPU.
    Resized with antialiased bilinear interpolation when H, W differ from ``side``."""
    return _normalise(_resized(images, side), mean, std)


@dataclass(frozen=True, eq=False)
class Inputs:
    """N images as a network's inputs, kept as resized uint8 pixels, a quarter of float32 (600
    images of 224 px: 90 MB, not 361 MB), and normalised when read: ``inputs[idx]`` is the
    (n, 3, S, S) float32 tensor ``(p / 255 - mean) / std`` of the selected images, as
    :func:`to_inputs` gives up to the rounding of the resized pixels to whole levels. Read-only:
    a page shares one between sessions; training reads it a batch at a time
    (``fit(..., inputs.pixels[idx], y, prepare=inputs.prepare)``)."""

    pixels: Tensor  # (N, 3, S, S) uint8, resized
    mean: tuple[float, ...]  # per channel, of pixels / 255
    std: tuple[float, ...]

    @classmethod
    def from_images(
        cls, images: np.ndarray, side: int, mean: Sequence[float], std: Sequence[float]
    ) -> Inputs:
        """(N, H, W, 3) uint8 images, resized to ``side`` as :func:`to_inputs` does."""
        pixels = _resized(images, side).mul_(255).round_().to(torch.uint8)  # (N, 3, S, S)
        return cls(pixels, tuple(map(float, mean)), tuple(map(float, std)))

    def __len__(self) -> int:
        return len(self.pixels)

    def __getitem__(self, index) -> Tensor:
        return self.normalise(self.pixels[index])

    def normalise(self, pixels: Tensor) -> Tensor:
        """(n, 3, S, S) uint8 pixels (any device) -> normalised float32 inputs."""
        return _normalise(pixels.float().div_(255), self.mean, self.std)

    def prepare(self, xb: Tensor, yb: Tensor) -> tuple[Tensor, Tensor]:
        """``fit``'s per-batch hook: stored pixels in, normalised inputs out."""
        return self.normalise(xb), yb


def to_pixels(x: Tensor, mean: Sequence[float], std: Sequence[float]) -> np.ndarray:
    """Inverse of :func:`to_inputs`: (N, 3, S, S) -> (N, S, S, 3) uint8."""
    m = torch.tensor(mean, dtype=torch.float32).view(1, 3, 1, 1)
    s = torch.tensor(std, dtype=torch.float32).view(1, 3, 1, 1)
    p = (x.detach().cpu().float() * s + m).clamp(0, 1) * 255  # (N, 3, S, S)
    return p.round().to(torch.uint8).permute(0, 2, 3, 1).numpy()


@dataclass(frozen=True)
class Augmentation:
    flip: bool = True  # random horizontal flip (p = 0.5)
    rotation: float = 15.0  # largest rotation, degrees, either way
    crop: float = 0.8  # smallest random crop side, as a fraction of the image (1 = no crop)
    jitter: float = 0.2  # largest brightness / contrast / saturation change, fraction (0 = off)

    @property
    def active(self) -> bool:
        return self.flip or self.rotation > 0 or self.crop < 1 or self.jitter > 0


NO_AUGMENTATION = Augmentation(flip=False, rotation=0.0, crop=1.0, jitter=0.0)


def augment(
    x: Tensor,
    gen: torch.Generator,
    aug: Augmentation,
    mean: Sequence[float],
    std: Sequence[float],
) -> Tensor:
    """A random flip, rotation, crop and colour jitter per image, drawn from ``gen``.

    x: (N, 3, S, S) normalised; returns a new tensor of the same shape, device and
    normalisation. Geometry is one affine resampling (reflection at the borders, so no black
    corners); colour is changed on the 0..1 pixels and clipped there.
    """
    n = len(x)
    if n == 0 or not aug.active:
        return x
    u = torch.rand(n, 7, generator=gen).to(x.device)  # (N, 7) uniform draws
    angle = torch.deg2rad(torch.tensor(aug.rotation, device=x.device)) * (2 * u[:, 0] - 1)
    scale = 1 - (1 - aug.crop) * u[:, 1]  # crop side fraction in [crop, 1]
    flip = torch.where(u[:, 2] < 0.5, -1.0, 1.0) if aug.flip else torch.ones(n, device=x.device)
    shift = (1 - scale)[:, None] * (2 * u[:, 3:5] - 1)  # (N, 2) crop centre offset
    cos, sin = torch.cos(angle) * scale, torch.sin(angle) * scale
    theta = torch.stack(
        [
            torch.stack([cos * flip, -sin, shift[:, 0]], 1),
            torch.stack([sin * flip, cos, shift[:, 1]], 1),
        ],
        1,
    )  # (N, 2, 3)
    grid = F.affine_grid(theta, list(x.shape), align_corners=False)  # (N, S, S, 2)
    out = F.grid_sample(x, grid, mode="bilinear", padding_mode="reflection", align_corners=False)
    if aug.jitter > 0:
        m = torch.tensor(mean, device=x.device).view(1, 3, 1, 1)
        s = torch.tensor(std, device=x.device).view(1, 3, 1, 1)
        p = out * s + m  # (N, 3, S, S) pixels 0..1
        j = (1 + aug.jitter * (2 * u[:, 5:7] - 1)).view(n, 2, 1, 1, 1)  # brightness, contrast
        grey = p.mean(dim=(1, 2, 3), keepdim=True)  # (N, 1, 1, 1)
        p = ((p - grey) * j[:, 1] + grey) * j[:, 0]
        sat = 1 + aug.jitter * (2 * torch.rand(n, 1, 1, 1, generator=gen).to(x.device) - 1)
        luma = p.mean(dim=1, keepdim=True)  # (N, 1, S, S)
        p = (luma + (p - luma) * sat).clamp(0, 1)
        out = (p - m) / s
    return out


# --- models -------------------------------------------------------------------------------


class FrozenPrefix(nn.Module):
    """The frozen part of a shared backbone: runs under ``no_grad``, never leaves eval mode.
    ``train()`` does not touch the wrapped modules (they belong to a model other sessions use)."""

    def __init__(self, stages: nn.Sequential) -> None:
        super().__init__()
        self.stages = stages

    def train(self, mode: bool = True) -> FrozenPrefix:
        self.training = False
        return self

    def forward(self, x: Tensor) -> Tensor:
        with torch.no_grad():
            return self.stages(x)


class TransferNet(nn.Sequential):
    """prefix (frozen) → suffix (trained copy) → head (new). Batch norm stays in eval mode."""

    def train(self, mode: bool = True) -> TransferNet:
        self.training = mode
        for child in self.children():
            child.train(mode)
            if isinstance(child, FrozenPrefix):
                continue  # shared modules: left alone
            for module in child.modules():
                if isinstance(module, nn.modules.batchnorm._BatchNorm):
                    module.eval()
        return self

    @property
    def trainable(self) -> TransferNet:
        """Everything after the frozen prefix (shares its modules), fed prefix features."""
        return self[1:]


def build_transfer(
    stages: nn.Sequential, split: int, num_classes: int, dim: int, seed: int = 0
) -> TransferNet:
    """A TransferNet over ``stages`` (from :func:`cnnplay.models.pretrained.body_stages`):
    stages[:split] frozen and shared, stages[split:] deep-copied and trainable, a new
    ``Linear(dim, num_classes)`` head (its initial weights from a generator of ``seed``).
    split = len(stages) trains only the head."""
    device = get_device()
    suffix = copy.deepcopy(stages[split:]).requires_grad_(True).to(device)
    head = seeded(lambda: nn.Linear(dim, num_classes), seed).to(device)
    # (the shared prefix is already on the device)
    parts = OrderedDict(prefix=FrozenPrefix(stages[:split]), suffix=suffix, head=head)
    return TransferNet(parts).eval()


def build_scratch(num_classes: int, seed: int = 0, width: int = 16) -> SmallCNN:
    """A SmallCNN with initial weights from a generator of ``seed``, on the device."""
    return seeded(lambda: SmallCNN(num_classes, width), seed).to(get_device())


def count_params(model: nn.Module) -> tuple[int, int]:
    """(trainable, total) parameter counts."""
    params = list(model.parameters())
    return sum(p.numel() for p in params if p.requires_grad), sum(p.numel() for p in params)


# --- features -----------------------------------------------------------------------------


def prefix_features(
    module: nn.Module,
    x: Tensor | Inputs,
    on_progress: ProgressFn | None = None,
    batch: int = FEATURE_BATCH,
) -> Tensor:
    """``module(x)`` in batches under inference mode: N inputs -> (N, ...) on the CPU.
    ``on_progress(images done, N, {})`` after each batch."""
    device = next(module.parameters(), torch.empty(0, device=get_device())).device
    out = []
    with torch.inference_mode():
        for start in range(0, len(x), batch):
            xb = x[start : start + batch].to(device)  # (b, 3, S, S)
            out.append(module(xb).float().cpu())
            if on_progress is not None:
                on_progress(min(start + batch, len(x)), len(x), {})
    return torch.cat(out) if out else torch.zeros(0)


class FeatureStore:
    """A small least-recently-used cache of feature tensors for one session, keyed by
    whatever identifies them (data digest, backbone, input side, split, views)."""

    def __init__(self, capacity: int = 4) -> None:
        self.capacity = capacity  # entries kept; older ones are dropped
        self._items: OrderedDict = OrderedDict()

    def get(self, key, compute: Callable[[], Tensor]) -> tuple[Tensor, bool]:
        """(tensor, was it cached?) — ``compute()`` runs only on a miss."""
        if key in self._items:
            self._items.move_to_end(key)
            return self._items[key], True
        value = compute()
        self._items[key] = value
        while len(self._items) > self.capacity:
            self._items.popitem(last=False)
        return value, False

    def __len__(self) -> int:
        return len(self._items)


# --- training -----------------------------------------------------------------------------


@dataclass
class RunResult:
    strategy: str  # key of STRATEGIES
    model: nn.Module  # images (N, 3, S, S) -> logits (N, K)
    history: History  # per-epoch train_loss, val_loss, val_accuracy
    trainable: int  # parameters trained
    total: int  # parameters in the model
    train_seconds: float  # time in fit()
    feature_seconds: float  # time spent computing (uncached) features for this run
    val_pred: np.ndarray = field(default_factory=lambda: np.zeros(0, np.int64))  # (n_val,)
    val_accuracy: float = float("nan")  # fraction 0..1 (nan with no validation images)
    train_accuracy: float = float("nan")  # on the un-augmented training images


def _evaluator(x: Tensor, y: Tensor) -> Callable[[nn.Module], dict[str, float]]:
    def evaluate(model: nn.Module) -> dict[str, float]:
        if len(x) == 0:
            return {}
        logits = model(x)
        return {
            "val_loss": float(F.cross_entropy(logits, y)),
            "val_accuracy": float((logits.argmax(1) == y).float().mean()),
        }

    return evaluate


def _logits(
    model: nn.Module, x: Tensor | Inputs, index: Tensor | None = None, batch: int = 256
) -> Tensor:
    """(n, K) logits of ``x[index]`` (all of x by default), read and run a batch at a time."""
    device = next(model.parameters()).device
    index = torch.arange(len(x)) if index is None else index
    model.eval()
    with torch.no_grad():
        parts = [
            model(x[index[i : i + batch]].to(device)).cpu() for i in range(0, len(index), batch)
        ]
    return torch.cat(parts) if parts else torch.zeros(0)


def _finish(
    result: RunResult, model: nn.Module, x: Tensor | Inputs, y: Tensor, tr, va
) -> RunResult:
    """Fill in the accuracies and validation predictions of a trained model."""
    if len(va):
        pred = _logits(model, x, va).argmax(1)
        result.val_pred = pred.numpy()
        result.val_accuracy = float((pred == y[va]).float().mean())
    result.train_accuracy = float((_logits(model, x, tr).argmax(1) == y[tr]).float().mean())
    return result


def train_scratch(
    x: Inputs,
    y: Tensor,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    num_classes: int,
    config: TrainConfig,
    aug: Augmentation = NO_AUGMENTATION,
    mean: Sequence[float] = (0.5, 0.5, 0.5),
    std: Sequence[float] = (0.5, 0.5, 0.5),
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    model: nn.Module | None = None,
) -> RunResult:
    """Strategy 1. x: the N images, y: (N,) int64; indices select train/val."""
    model = model if model is not None else build_scratch(num_classes, config.seed)
    device = next(model.parameters()).device
    tr, va = torch.as_tensor(train_idx), torch.as_tensor(val_idx)
    history = fit(
        model,
        F.cross_entropy,
        x.pixels[tr],  # (n, 3, S, S) uint8, normalised a batch at a time
        y[tr],
        config,
        prepare=x.prepare,
        augment=(lambda xb, g: augment(xb, g, aug, mean, std)) if aug.active else None,
        evaluate=_evaluator(x[va].to(device), y[va].to(device)),
        on_progress=on_progress,
        should_stop=should_stop,
    )
    trainable, total = count_params(model)
    result = RunResult("scratch", model, history, trainable, total, history.seconds, 0.0)
    return _finish(result, model, x, y, tr, va)


def train_transfer(
    net: TransferNet,
    x: Inputs,
    y: Tensor,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    config: TrainConfig,
    store: FeatureStore,
    data_key: object,
    aug: Augmentation = NO_AUGMENTATION,
    views: int = 2,
    mean: Sequence[float] = (0.5, 0.5, 0.5),
    std: Sequence[float] = (0.5, 0.5, 0.5),
    on_progress: ProgressFn | None = None,
    on_features: ProgressFn | None = None,
    should_stop: StopFn | None = None,
) -> RunResult:
    """Strategies 2 and 3: train ``net.trainable`` (suffix + head) of a :func:`build_transfer`.

    The prefix's output for all N images is taken from ``store`` under ``(data_key, split
    length, "plain")`` or computed once (``on_features(done, total, {})``). With augmentation
    and no suffix (strategy 2), ``views`` augmented copies of each training image are pushed
    through the prefix once and cached too; with augmentation and a suffix (strategy 3), each
    batch runs through the whole net. Validation always uses the plain cached features.
    """
    prefix = net[0]
    split = len(prefix.stages)
    tr, va = torch.as_tensor(train_idx), torch.as_tensor(val_idx)
    spent = 0.0

    def cached(key: tuple, make: Callable[[], Tensor]) -> Tensor:
        nonlocal spent
        start = time.perf_counter()
        value, hit = store.get((data_key, split, *key), make)
        spent += 0.0 if hit else time.perf_counter() - start
        return value

    feats = cached(("plain",), lambda: prefix_features(prefix, x, on_features))  # (N, ...)
    head_only = len(net) == 2 or len(net[1]) == 0
    device = next(net.trainable.parameters()).device
    evaluate = _evaluator(feats[va].to(device), y[va].to(device))
    prepare = None
    if not aug.active:
        model, xt, yt, augment_fn = net.trainable, feats[tr], y[tr], None
    elif head_only:

        def augmented_views() -> Tensor:
            gen = generator(config.seed)
            copies = torch.cat([augment(x[tr], gen, aug, mean, std) for _ in range(views)])
            return prefix_features(prefix, copies, on_features)  # (views·n_train, D)

        extra = cached(
            ("views", views, aug, config.seed, tuple(train_idx.tolist())), augmented_views
        )
        model, xt = net.trainable, torch.cat([feats[tr], extra])
        yt = torch.cat([y[tr]] + [y[tr]] * views)
        augment_fn = None
    else:
        model, xt, yt, prepare = net, x.pixels[tr], y[tr], x.prepare
        augment_fn = lambda xb, g: augment(xb, g, aug, mean, std)  # noqa: E731

    def evaluate_full(m: nn.Module) -> dict[str, float]:
        return evaluate(m.trainable if m is net else m)

    history = fit(
        model,
        F.cross_entropy,
        xt,
        yt,
        config,
        prepare=prepare,
        augment=augment_fn,
        evaluate=evaluate_full,
        on_progress=on_progress,
        should_stop=should_stop,
    )
    trainable, total = count_params(net)
    strategy = "head" if head_only else "finetune"
    result = RunResult(strategy, net, history, trainable, total, history.seconds, spent)
    return _finish(result, net.trainable, feats, y, tr, va)


def stopped_result(
    strategy: str,
    model: nn.Module,
    epochs: Sequence[dict],
    seconds: float,
    x: Inputs,
    y: Tensor,
    train_idx: np.ndarray,
    val_idx: np.ndarray,
    store: FeatureStore | None = None,
    data_key: object = None,
) -> RunResult:
    """A RunResult for a run that was interrupted (a Stop button), from the model as it is
    now and the epochs it completed. Transfer nets are evaluated on their cached features."""
    history = History(epochs=list(epochs), stopped=True, seconds=seconds)
    trainable, total = count_params(model)
    result = RunResult(strategy, model, history, trainable, total, seconds, 0.0)
    tr, va = torch.as_tensor(train_idx), torch.as_tensor(val_idx)
    if isinstance(model, TransferNet):
        prefix = model[0]
        store = store if store is not None else FeatureStore()
        key = (data_key, len(prefix.stages), "plain")
        feats, _ = store.get(key, lambda: prefix_features(prefix, x))
        return _finish(result, model.trainable, feats, y, tr, va)
    return _finish(result, model, x, y, tr, va)


# --- after training -----------------------------------------------------------------------



def predict_probs(model: nn.Module, x: Tensor) -> np.ndarray:
    """Softmax probabilities (N, K) float32 for inputs (N, 3, S, S)."""
    return torch.softmax(_logits(model, x), dim=1).numpy()
