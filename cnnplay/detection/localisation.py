"""Classification + localisation (seed 002): one object per image, one network with two heads — a
class and a box — and two losses, ``CE + λ · box loss``, where the box loss is either

- the squared error on the coordinates, ``‖[x̂, ŷ, ŵ, ĥ] − [x, y, w, h]‖²`` (:func:`l2_box_loss`),
  which counts pixels whatever the box's size, or
- ``1 − IoU`` (:func:`iou_loss`), which divides by the size: a *relative* error, so a 4-px slip
  costs a small box much more than a large one.

Boxes here are ``(cx, cy, w, h)`` (centre, width, height: the notes' ``[x, y, w, h]``) as
fractions of the image side, in [0, 1]; :func:`cxcywh_to_xyxy` turns them into corners.
Everything is deterministic by seed: the single-object images (:func:`make_single_objects`,
drawn with :mod:`cnnplay.scenes`), the initial weights (:func:`cnnplay.seeding.seeded`) and the
batch order (:func:`cnnplay.train.fit`), so the same network trained with the two losses starts
from the same weights and sees the same batches: only the loss differs.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import plotly.graph_objects as go
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cnnplay.detection.plots import box_layer, boxes_figure
from cnnplay.device import get_device
from cnnplay.plots.style import DET_GT_COLOUR, FONT_SIZE, SERIES_COLOURS
from cnnplay.progress import ProgressFn
from cnnplay.scenes import CLASSES, SceneConfig, iter_scenes
from cnnplay.seeding import seeded
from cnnplay.train import History, TrainConfig, fit

# one shape on a 64-px canvas, 6 to 45 px across (its box: 7 to 63 px), over a shaded background
# with mild noise and no clutter (the network is small and trains in seconds)
SINGLE = SceneConfig(
    size=64, min_objects=1, max_objects=1, min_extent=0.1, max_extent=0.7, clutter=0, noise_std=4.0
)
SIZE_EDGES = (0.0, 12.0, 20.0, 28.0, 36.0, 64.0)  # object-size bins (√area of the true box, px)
IOU_EPS = 1e-9  # added to the union: a 0/0 IoU (two empty boxes) is 0, not nan


# --- data ---------------------------------------------------------------------------------
@dataclass(frozen=True, eq=False)
class ObjectImages:
    """Images with exactly one object each and its class and box."""

    images: np.ndarray  # (N, H, W, 3) uint8 RGB
    boxes: np.ndarray  # (N, 4) float32 xyxy in pixels, x1 / y1 exclusive (cnnplay.scenes)
    labels: np.ndarray  # (N,) int64 class index 0..len(CLASSES) - 1 (CLASSES order)

    def __len__(self) -> int:
        return len(self.images)

    @property
    def side(self) -> int:
        """The images' side in pixels (square images)."""
        return int(self.images.shape[1])

    def sizes(self) -> np.ndarray:
        """(N,) float64 object size: √(box area) in pixels."""
        b = self.boxes.astype(np.float64)
        return np.sqrt((b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1]))

    def tensors(self) -> tuple[Tensor, Tensor]:
        """x: (N, 3, H, W) uint8; y: (N, 5) float32 = (class index, cx, cy, w, h as fractions
        of the side) — what :func:`train_localiser` stores and :func:`to_batch` converts."""
        x = torch.from_numpy(np.ascontiguousarray(self.images.transpose(0, 3, 1, 2)))
        boxes = xyxy_to_cxcywh(torch.from_numpy(self.boxes).double()) / self.side  # (N, 4)
        y = torch.cat([torch.from_numpy(self.labels).double()[:, None], boxes], dim=1)
        return x, y.float()


def make_single_objects(count: int, seed: int, config: SceneConfig = SINGLE) -> ObjectImages:
    """``count`` single-object images: scene ``i`` is ``cnnplay.scenes.make_scene(seed *
    1_000_003 + i, config)`` (``config`` must allow exactly one object), so the same seed gives
    the same images on every machine and sets of different seeds share none."""
    if config.min_objects != 1 or config.max_objects != 1:
        raise ValueError("single-object images need min_objects = max_objects = 1")
    if count < 1:
        raise ValueError("need at least one image")
    n = config.size
    images = np.empty((count, n, n, 3), np.uint8)
    boxes = np.empty((count, 4), np.float32)
    labels = np.empty(count, np.int64)
    for i, scene in enumerate(iter_scenes(count, seed, config)):
        if len(scene.boxes) != 1:  # a lone object is always placed and visible
            raise RuntimeError(f"scene {scene.seed} has {len(scene.boxes)} objects, not 1")
        images[i], boxes[i], labels[i] = scene.image, scene.boxes[0], scene.labels[0] - 1
    return ObjectImages(images, boxes, labels)


def to_batch(xb: Tensor, yb: Tensor) -> tuple[Tensor, Tensor]:
    """(B, 3, H, W) uint8 -> float32 in [0, 1]; (B, 5) targets unchanged (fit's ``prepare``)."""
    return xb.float().div_(255), yb


# --- boxes and the two box losses -------------------------------------------------------------
def cxcywh_to_xyxy(boxes: Tensor) -> Tensor:
    """(..., 4) (cx, cy, w, h) -> (..., 4) (x0, y0, x1, y1), any units; differentiable."""
    cx, cy, w, h = boxes.unbind(-1)
    return torch.stack([cx - w / 2, cy - h / 2, cx + w / 2, cy + h / 2], dim=-1)


def to_xyxy(box: np.ndarray) -> np.ndarray:
    """(..., 4) (cx, cy, w, h) -> (..., 4) xyxy as a float64 array (:func:`cxcywh_to_xyxy`)."""
    return cxcywh_to_xyxy(torch.from_numpy(np.asarray(box, np.float64))).numpy()


def xyxy_to_cxcywh(boxes: Tensor) -> Tensor:
    """(..., 4) (x0, y0, x1, y1) -> (..., 4) (cx, cy, w, h), any units."""
    x0, y0, x1, y1 = boxes.unbind(-1)
    return torch.stack([(x0 + x1) / 2, (y0 + y1) / 2, x1 - x0, y1 - y0], dim=-1)


def paired_iou(a: Tensor, b: Tensor, eps: float = IOU_EPS) -> Tensor:
    """IoU of each box with its partner: (N, 4), (N, 4) xyxy -> (N,) in [0, 1], differentiable
    (``torchvision.ops.box_iou(a, b).diagonal()`` without the N × N table). A box with x1 < x0
    (or y1 < y0) has area 0. The gradient is 0 where the boxes do not overlap."""
    lt = torch.maximum(a[:, :2], b[:, :2])  # (N, 2) top-left of the intersection
    rb = torch.minimum(a[:, 2:], b[:, 2:])  # (N, 2) bottom-right
    wh = (rb - lt).clamp(min=0)  # (N, 2)
    inter = wh[:, 0] * wh[:, 1]  # (N,)
    area_a = (a[:, 2] - a[:, 0]).clamp(min=0) * (a[:, 3] - a[:, 1]).clamp(min=0)
    area_b = (b[:, 2] - b[:, 0]).clamp(min=0) * (b[:, 3] - b[:, 1]).clamp(min=0)
    return inter / (area_a + area_b - inter + eps)


def l2_box_loss(pred: Tensor, target: Tensor) -> Tensor:
    """Squared error on the coordinates, summed over (cx, cy, w, h), averaged over the boxes:
    (N, 4), (N, 4) -> () — in the units of the boxes (squared)."""
    return ((pred - target) ** 2).sum(dim=1).mean()


def iou_loss(pred: Tensor, target: Tensor) -> Tensor:
    """1 − IoU averaged over the boxes: (N, 4), (N, 4) cxcywh (any units: IoU has none) -> ()."""
    return (1 - paired_iou(cxcywh_to_xyxy(pred), cxcywh_to_xyxy(target))).mean()


@dataclass(frozen=True)
class BoxLoss:
    label: str  # its name on the page
    fn: Callable[[Tensor, Tensor], Tensor]  # (N, 4), (N, 4) cxcywh -> () loss
    latex: str  # the formula, for st.latex
    weight: float  # λ: the box term's weight against the cross-entropy in training


BOX_LOSSES: dict[str, BoxLoss] = {
    "l2": BoxLoss(
        "L2 on coordinates",
        l2_box_loss,
        r"\|[\hat x, \hat y, \hat w, \hat h] - [x, y, w, h]\|_2^2",
        weight=10.0,  # coordinates are fractions of the side: a 4-px slip on 64 px is 0.004
    ),
    "iou": BoxLoss(
        "1 − IoU",
        iou_loss,
        r"1 - \mathrm{IoU}(\hat b, b) = 1 - \frac{|\hat b \cap b|}{|\hat b \cup b|}",
        weight=1.0,
    ),
}


@dataclass(frozen=True)
class LossOfBox:
    """Both box losses of one predicted box against one true box (the page's panel)."""

    l2: float  # squared coordinate error, pixels²
    iou: float  # IoU in [0, 1]
    l2_grad: np.ndarray  # (4,) ∂ L2 / ∂ (x̂, ŷ, ŵ, ĥ), per pixel
    iou_grad: np.ndarray  # (4,) ∂ (1 − IoU) / ∂ (x̂, ŷ, ŵ, ĥ), per pixel


def losses_of_box(pred: np.ndarray, truth: np.ndarray) -> LossOfBox:
    """Both losses and their gradients for a predicted and a true box, (4,) each, (cx, cy, w, h)
    in pixels (float64, computed with the training losses)."""
    p = torch.tensor(np.asarray(pred, np.float64)[None], requires_grad=True)  # (1, 4)
    t = torch.tensor(np.asarray(truth, np.float64)[None])
    l2 = l2_box_loss(p, t)
    (g_l2,) = torch.autograd.grad(l2, p)
    loss = iou_loss(p, t)
    (g_iou,) = torch.autograd.grad(loss, p)
    return LossOfBox(
        float(l2.detach()), 1 - float(loss.detach()), g_l2[0].numpy(), g_iou[0].numpy()
    )


# --- the network ------------------------------------------------------------------------------
class Localiser(nn.Module):
    """A small CNN with two heads. (N, 3, H, W) float in [0, 1], H = W = 64 ->
    (class logits (N, C), box (N, 4) = (cx, cy, w, h) as fractions of the side, in (0, 1))."""

    def __init__(self, classes: int = len(CLASSES), width: int = 8, side: int = 64) -> None:
        super().__init__()
        w = width
        layers: list[nn.Module] = []
        c_in = 3
        for k, c_out in enumerate((w, 2 * w, 4 * w, 4 * w)):  # four conv blocks: /16
            layers += [  # the first one strides (cheap at full size), the others pool
                nn.Conv2d(c_in, c_out, 3, stride=2 if k == 0 else 1, padding=1, bias=False),
                nn.BatchNorm2d(c_out),
                nn.ReLU(inplace=True),
                *([nn.MaxPool2d(2)] if k else []),
            ]
            c_in = c_out
        self.features = nn.Sequential(*layers, nn.Flatten())  # (N, 4w · (side/16)²)
        flat = c_in * (side // 16) ** 2
        self.shared = nn.Sequential(nn.Linear(flat, 128), nn.ReLU(inplace=True))
        self.class_head = nn.Linear(128, classes)
        self.box_head = nn.Linear(128, 4)

    def forward(self, x: Tensor) -> tuple[Tensor, Tensor]:
        # each image standardised (its mean colour removed, divided by its spread): the random
        # background colours of the scenes then carry no weight
        mean = x.mean(dim=(2, 3), keepdim=True)  # (N, 3, 1, 1)
        std = x.std(dim=(1, 2, 3), keepdim=True) + 1e-3  # (N, 1, 1, 1)
        h = self.shared(self.features((x - mean) / std))  # (N, 128)
        return self.class_head(h), torch.sigmoid(self.box_head(h))  # (N, C), (N, 4)


def build_localiser(seed: int, width: int = 8) -> Localiser:
    """A fresh :class:`Localiser` whose initial weights are drawn from ``seed`` alone."""
    return seeded(lambda: Localiser(width=width), seed)


@dataclass(frozen=True)
class LocSettings:
    train_images: int = 1000  # single-object training images (make_single_objects(n, data_seed))
    test_images: int = 400  # test images (make_single_objects(n, TEST_SEED)), never trained on
    epochs: int = 12  # passes over the training images
    batch_size: int = 32  # images per optimiser step
    lr: float = 5e-3  # peak learning rate of Adam's one-cycle schedule
    width: int = 8  # channels of the first conv block (then 2×, 4×, 4×)
    seed: int = 0  # the initial weights and the batch order (the same for both losses)
    data_seed: int = 1  # the training images


TEST_SEED = 2  # make_single_objects seed of the test images (the training seed is 1)


def localisation_loss(
    box: str, weight: float | None = None
) -> Callable[[tuple[Tensor, Tensor], Tensor], Tensor]:
    """``CE(logits, class) + λ · box loss`` for fit (λ: ``weight``, default the loss's own):
    output (logits (B, C), boxes (B, 4)), target (B, 5) = (class, cx, cy, w, h) -> ()."""
    spec = BOX_LOSSES[box]
    lam = spec.weight if weight is None else float(weight)

    def loss(out: tuple[Tensor, Tensor], target: Tensor) -> Tensor:
        logits, boxes = out
        ce = F.cross_entropy(logits, target[:, 0].long())
        return ce + lam * spec.fn(boxes, target[:, 1:])

    return loss


@dataclass(frozen=True, eq=False)
class Predictions:
    labels: np.ndarray  # (N,) int64 predicted class index
    boxes: np.ndarray  # (N, 4) float64 predicted xyxy, pixels


def predict(model: Localiser, images: np.ndarray, batch: int = 256) -> Predictions:
    """The model's class and box for (N, H, W, 3) uint8 images (eval mode, no gradients)."""
    device = next(model.parameters()).device
    was_training = model.training
    model.eval()
    labels, boxes = [], []
    with torch.inference_mode():
        for start in range(0, len(images), batch):
            x = torch.from_numpy(np.ascontiguousarray(images[start : start + batch]))
            x = x.permute(0, 3, 1, 2).float().div(255).to(device)  # (B, 3, H, W)
            logits, b = model(x)
            labels.append(logits.argmax(1).cpu().numpy())
            boxes.append(cxcywh_to_xyxy(b.double()).cpu().numpy() * images.shape[1])
    model.train(was_training)
    return Predictions(np.concatenate(labels), np.concatenate(boxes))


def box_ious(pred: np.ndarray, truth: np.ndarray) -> np.ndarray:
    """(N, 4), (N, 4) xyxy -> (N,) float64 IoU of each predicted box with its true box."""
    a = torch.from_numpy(np.asarray(pred, np.float64))
    b = torch.from_numpy(np.asarray(truth, np.float64))
    return paired_iou(a, b, eps=0.0).nan_to_num(0.0).numpy()


@dataclass(frozen=True)
class Scores:
    accuracy: float  # share of test images whose class is right, 0..1
    mean_iou: float  # mean IoU of the predicted boxes with the true ones, 0..1
    mean_px_error: float  # mean |error| of x0, y0, x1, y1 in pixels


def score(pred: Predictions, test: ObjectImages) -> Scores:
    ious = box_ious(pred.boxes, test.boxes)
    px = np.abs(pred.boxes - test.boxes.astype(np.float64)).mean()
    return Scores(float((pred.labels == test.labels).mean()), float(ious.mean()), float(px))


def train_localiser(
    box: str,
    settings: LocSettings,
    train: ObjectImages,
    test: ObjectImages,
    on_progress: ProgressFn | None = None,
    should_stop: Callable[[], bool] | None = None,
    model: Localiser | None = None,
    box_weight: float | None = None,
) -> tuple[Localiser, History]:
    """Train a fresh :func:`build_localiser` (seed ``settings.seed``; or ``model``, in place)
    with ``CE + λ · box loss`` (``box``: a key of :data:`BOX_LOSSES`; λ: ``box_weight``, by
    default the loss's own), Adam; after every epoch the test images are scored
    (``test_accuracy``, ``test_miou``). Returns the model (eval mode) and the history."""
    if box not in BOX_LOSSES:
        raise ValueError(f"unknown box loss {box!r}; choose from {sorted(BOX_LOSSES)}")
    if model is None:
        model = build_localiser(settings.seed, settings.width)
    model = model.to(get_device())
    x, y = train.tensors()
    config = TrainConfig(settings.epochs, settings.batch_size, settings.lr, seed=settings.seed)

    optimizer = torch.optim.Adam(model.parameters(), lr=settings.lr)
    per_epoch = (len(x) + config.batch_size - 1) // config.batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=settings.lr, total_steps=per_epoch * config.epochs, pct_start=0.2
    )

    def evaluate(m: nn.Module) -> dict[str, float]:
        s = score(predict(m, test.images), test)
        return {"test_accuracy": s.accuracy, "test_miou": s.mean_iou}

    def progress(step: int, total: int, metrics: dict[str, float]) -> None:
        if step < total:
            schedule.step()  # after every optimiser step
        if on_progress is not None:
            on_progress(step, total, metrics)

    history = fit(
        model,
        localisation_loss(box, box_weight),
        x,
        y,
        config,
        optimizer=optimizer,
        prepare=to_batch,
        evaluate=evaluate,
        on_progress=progress,
        should_stop=should_stop,
    )
    return model, history


# --- IoU by object size -----------------------------------------------------------------------
@dataclass(frozen=True)
class SizeBins:
    labels: list[str]  # one per bin, e.g. "12–20 px"
    centres: np.ndarray  # (K,) float64 mean object size in each bin, px
    counts: np.ndarray  # (K,) int64 objects per bin
    mean_iou: dict[str, np.ndarray]  # series name -> (K,) mean IoU per bin (nan: empty bin)
    mean_px: dict[str, np.ndarray]  # series name -> (K,) mean |corner error| per bin, px


def by_size(
    sizes: np.ndarray,
    truth: np.ndarray,
    preds: dict[str, np.ndarray],
    edges: tuple[float, ...] = SIZE_EDGES,
) -> SizeBins:
    """Group test objects by size (``sizes`` (N,) px, bins ``[edges[k], edges[k + 1])``, the
    last one closed) and average each series' IoU and pixel error per bin. truth: (N, 4) xyxy;
    preds: name -> (N, 4) predicted xyxy."""
    sizes = np.asarray(sizes, np.float64)
    bins = np.clip(np.searchsorted(edges, sizes, side="right") - 1, 0, len(edges) - 2)  # (N,)
    k = len(edges) - 1
    counts = np.bincount(bins, minlength=k)
    centres = np.array([sizes[bins == i].mean() if counts[i] else np.nan for i in range(k)])
    labels = [f"{edges[i]:g}–{edges[i + 1]:g} px" for i in range(k)]
    ious, pxs = {}, {}
    for name, boxes in preds.items():
        iou = box_ious(boxes, truth)  # (N,)
        px = np.abs(np.asarray(boxes, np.float64) - truth).mean(axis=1)  # (N,)
        ious[name] = np.array([iou[bins == i].mean() if counts[i] else np.nan for i in range(k)])
        pxs[name] = np.array([px[bins == i].mean() if counts[i] else np.nan for i in range(k)])
    return SizeBins(labels, centres, counts.astype(np.int64), ious, pxs)


# --- figures ----------------------------------------------------------------------------------
LOSS_COLOURS = {"l2": SERIES_COLOURS[0], "iou": SERIES_COLOURS[1]}  # blue, vermillion
OTHER_COLOUR = SERIES_COLOURS[3]  # reddish purple: a predicted box of no loss (the panel's)


def size_figure(bins: SizeBins, names: dict[str, str], height: int = 330) -> go.Figure:
    """Mean IoU (left) and mean corner error in pixels (right) against the object size, one
    line per box loss (``names``: key -> legend name), the objects per bin on hover."""
    data = []
    x = [lab for lab, c in zip(bins.labels, bins.counts, strict=True) if c]
    keep = bins.counts > 0
    for key, name in names.items():
        colour = LOSS_COLOURS.get(key, OTHER_COLOUR)
        for field, axis, show in ((bins.mean_iou, "", True), (bins.mean_px, "2", False)):
            data.append(
                {
                    "type": "scatter",
                    "mode": "lines+markers",
                    "x": x,
                    "y": field[key][keep].tolist(),
                    "customdata": bins.counts[keep].tolist(),
                    "xaxis": f"x{axis}",
                    "yaxis": f"y{axis}",
                    "name": name,
                    "legendgroup": key,
                    "showlegend": show,
                    "line": {"color": colour, "width": 2},
                    "marker": {"size": 7, "color": colour},
                    "hovertemplate": f"{name}<br>%{{x}}: %{{y:.3f}} "
                    "(%{customdata} objects)<extra></extra>",
                }
            )
    layout = {
        "height": height,
        "margin": {"l": 60, "r": 10, "t": 20, "b": 60},
        "font": {"size": FONT_SIZE},
        "xaxis": {"domain": [0, 0.45], "title": {"text": "object size √(w·h)"}, "type": "category"},
        "yaxis": {"title": {"text": "mean IoU (test)"}, "range": [0, 1.02]},
        "xaxis2": {
            "domain": [0.55, 1],
            "title": {"text": "object size √(w·h)"},
            "type": "category",
            "anchor": "y2",
        },
        "yaxis2": {
            "title": {"text": "mean corner error (px)"},
            "rangemode": "tozero",
            "anchor": "x2",
        },
        "showlegend": True,
        "legend": {"orientation": "h", "y": -0.25, "yanchor": "top"},
    }
    return go.Figure({"data": data, "layout": layout}, _validate=False)


def _legend_entry(name: str, colour: str, dash: str) -> dict:
    """A legend-only line (box outlines are drawn as one path without a legend entry)."""
    return {
        "type": "scatter",
        "x": [None],
        "y": [None],
        "mode": "lines",
        "line": {"color": colour, "width": 2, "dash": dash},
        "name": name,
        "showlegend": True,
    }


def boxes_legend_figure(
    image: np.ndarray | None,
    truth: np.ndarray,
    preds: dict[str, np.ndarray],
    names: dict[str, str],
    title: str = "",
    size: tuple[int, int] | None = None,
    px: int = 260,
    truth_name: str = "true box",
    source: str | None = None,
) -> go.Figure:
    """An image (or a blank ``size`` canvas) with the true box (dotted, green) and each
    predicted box (``preds``: loss key -> (4,) xyxy, coloured by loss) and a legend below."""
    layers = [box_layer(truth, DET_GT_COLOUR, None, 2.5, "dot", name=truth_name)]
    layers += [
        box_layer(b, LOSS_COLOURS.get(k, OTHER_COLOUR), None, 2, name=names[k])
        for k, b in preds.items()
    ]
    fig = boxes_figure(image, layers, size=size, title=title, px=px, source=source)
    fig.add_trace(go.Scatter(_legend_entry(truth_name, DET_GT_COLOUR, "dot"), _validate=False))
    for k in preds:
        entry = _legend_entry(names[k], LOSS_COLOURS.get(k, OTHER_COLOUR), "solid")
        fig.add_trace(go.Scatter(entry, _validate=False))
    fig.update_layout(
        showlegend=True,
        legend={"orientation": "h", "y": -0.02, "yanchor": "top", "font": {"size": 11}},
        height=fig.layout.height + 50,
        margin={"b": 50},
    )
    return fig


# --- test images with their boxes -----------------------------------------------------------
EXAMPLES = {  # how the page picks test images to draw: name -> what it shows
    "sizes": "from the smallest object to the largest",
    "small": "the smallest objects",
    "worst_l2": "where L2 did worst (lowest IoU)",
    "worst_iou": "where 1 − IoU did worst (lowest IoU)",
}


def example_indices(kind: str, sizes: np.ndarray, ious: dict[str, np.ndarray], k: int = 8):
    """(k,) int64 indices of test images to draw (``kind``: a key of :data:`EXAMPLES`): evenly
    spread over the sorted sizes, the k smallest, or the k lowest IoUs of one loss (ties: the
    lower index first). sizes: (N,) px; ious: loss key -> (N,) IoU."""
    sizes = np.asarray(sizes, np.float64)
    k = min(k, len(sizes))
    if kind == "sizes":
        order = np.argsort(sizes, kind="stable")
        return order[np.round(np.linspace(0, len(sizes) - 1, k)).astype(np.int64)]
    if kind == "small":
        return np.argsort(sizes, kind="stable")[:k]
    if kind in ("worst_l2", "worst_iou"):
        return np.argsort(ious[kind.removeprefix("worst_")], kind="stable")[:k]
    raise ValueError(f"unknown kind {kind!r}; choose from {sorted(EXAMPLES)}")


def mosaic(
    images: np.ndarray, cols: int, gap: int = 3, strip: int = 0
) -> tuple[np.ndarray, np.ndarray]:
    """Tile (K, H, W, 3) uint8 images in rows of ``cols``, white gaps of ``gap`` px between them
    and a white strip of ``strip`` px under each row (room for text) -> the (rows·(H + strip +
    gap) − gap, cols·(W + gap) − gap, 3) uint8 mosaic and the (K, 2) float64 (x, y) offsets of
    each tile's top-left corner."""
    k, h, w = images.shape[:3]
    rows = (k + cols - 1) // cols
    pitch_y, pitch_x = h + strip + gap, w + gap
    out = np.full((rows * pitch_y - gap, cols * pitch_x - gap, 3), 255, np.uint8)
    offsets = np.zeros((k, 2), np.float64)
    for i in range(k):
        y, x = (i // cols) * pitch_y, (i % cols) * pitch_x
        out[y : y + h, x : x + w] = images[i]
        offsets[i] = x, y
    return out, offsets


def examples_figure(
    test: ObjectImages,
    index: np.ndarray,
    preds: dict[str, Predictions],
    names: dict[str, str],
    cols: int = 4,
    px: int = 720,
) -> go.Figure:
    """The test images ``index`` (K,) in one mosaic with the true box (dotted green) and each
    loss's predicted box (``preds``: loss key -> predictions on all of ``test``), a legend, and
    under each image each loss's IoU in its colour (✓ / ✗: whether its class is right)."""
    index = np.asarray(index, np.int64)
    side = test.side
    strip = max(8, side // 6)  # the text line under each image
    tiles, offsets = mosaic(test.images[index], cols, strip=strip)
    shift = np.tile(offsets, 2)  # (K, 4): x, y, x, y
    truth = test.boxes[index].astype(np.float64) + shift
    moved = {k: p.boxes[index] + shift for k, p in preds.items()}
    fig = boxes_legend_figure(tiles, truth, moved, names, px=px)
    fig.update_xaxes(showticklabels=False)  # pixels of a mosaic mean nothing
    fig.update_yaxes(showticklabels=False)
    for n, (key, p) in enumerate(preds.items()):
        iou = box_ious(p.boxes[index], test.boxes[index])
        right = p.labels[index] == test.labels[index]
        fig.add_trace(
            go.Scatter(
                {
                    "x": (offsets[:, 0] + 1 + n * side / 2).tolist(),
                    "y": (offsets[:, 1] + side + strip / 2).tolist(),
                    "mode": "text",
                    "text": [
                        f"{v:.2f} {'✓' if ok else '✗'}" for v, ok in zip(iou, right, strict=True)
                    ],
                    "textposition": "middle right",
                    "textfont": {"color": LOSS_COLOURS.get(key, OTHER_COLOUR), "size": 11},
                    "hovertemplate": f"{names[key]}: IoU %{{text}}<extra></extra>",
                    "showlegend": False,
                },
                _validate=False,
            )
        )
    return fig
