"""A tiny single-shot grid detector (YOLO-style) for the synthetic shape scenes (seed 002).

The network is fully convolutional: a backbone divides the image into S×S cells (stride 16, so a
128-px scene gives S = 8 and a 256-px scene S = 16), and a 1×1 head predicts, for every cell,
``B × 5 + C`` numbers — for each of the B anchors 4 box corrections and 1 objectness logit, plus C
class logits shared by the cell: the notes' ``S × S × (B × 5 + C)`` output.

Training labels (YOLO's rule): each ground-truth box is assigned to the cell containing its
midpoint and, there, to the anchor whose shape matches it best by IoU. Box corrections use
Faster R-CNN's anchor-relative encoding (:func:`cnnplay.ops.boxes.encode`).

At test time (:func:`postprocess`): ① class score = class probability × objectness, ② discard
low scores, ③ non-maximum suppression (per class or class-agnostic). Each stage's count is kept
so the page can show how B×S×S boxes become a handful.
"""

from __future__ import annotations

import time
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
import torchvision
from torch import Tensor, nn

from cnnplay.dihedral import Dihedral
from cnnplay.ops.boxes import box_iou, decode, encode, grid_anchors
from cnnplay.scenes import CLASSES, Scene

ASSET_DIR = Path(__file__).resolve().parents[2] / "assets" / "detector"
WEIGHTS_PATH = ASSET_DIR / "detector.pt"
CARD_PATH = ASSET_DIR / "CARD.md"


@dataclass(frozen=True)
class DetectorConfig:
    anchors: tuple[tuple[float, float], ...] = ((20.0, 20.0), (30.0, 30.0), (44.0, 44.0))
    # (width, height) of the B anchors in pixels; the scenes' shapes are 15-45 px and near square
    classes: int = len(CLASSES)  # C, the object classes (background is not a class here)
    stride: int = 16  # input pixels per grid cell
    width: int = 32  # channels of the first conv block; later blocks use multiples of it

    @property
    def boxes_per_cell(self) -> int:
        return len(self.anchors)

    @property
    def outputs_per_cell(self) -> int:
        """B × 5 + C."""
        return self.boxes_per_cell * 5 + self.classes


def _block(c_in: int, c_out: int, pool: bool) -> list[nn.Module]:
    layers: list[nn.Module] = [
        nn.Conv2d(c_in, c_out, 3, padding=1, bias=False),
        nn.BatchNorm2d(c_out),
        nn.ReLU(inplace=True),
    ]
    return layers + [nn.MaxPool2d(2)] if pool else layers


class GridDetector(nn.Module):
    """(N, 3, H, W) float in [0, 1], H and W multiples of 16 -> (N, S, S, B × 5 + C) raw
    outputs (S = H / 16): per anchor (dx, dy, dw, dh, objectness logit), then C class logits."""

    def __init__(self, config: DetectorConfig = DetectorConfig()) -> None:
        super().__init__()
        self.config = config
        w = config.width
        self.backbone = nn.Sequential(
            nn.Conv2d(3, w // 2, 3, stride=2, padding=1, bias=False),  # /2
            nn.BatchNorm2d(w // 2),
            nn.ReLU(inplace=True),
            nn.MaxPool2d(2),  # /4
            *_block(w // 2, w, pool=True),  # /8
            *_block(w, 2 * w, pool=True),  # /16
            *_block(2 * w, 4 * w, pool=False),
            *_block(4 * w, 4 * w, pool=False),
        )
        self.head = nn.Conv2d(4 * w, config.outputs_per_cell, 1)

    @staticmethod
    def normalise(x: Tensor) -> Tensor:
        """(N, 3, H, W) pixels in [0, 1] -> roughly zero-mean, unit-spread inputs."""
        return (x - 0.5) / 0.25

    def forward(self, x: Tensor) -> Tensor:
        out = self.head(self.backbone(self.normalise(x)))  # (N, B*5+C, S, S)
        return out.permute(0, 2, 3, 1)  # (N, S, S, B*5+C)


def split_output(out: Tensor, config: DetectorConfig) -> tuple[Tensor, Tensor, Tensor]:
    """(N, S, S, B*5+C) -> deltas (N, S, S, B, 4), objectness logits (N, S, S, B), class logits
    (N, S, S, C)."""
    n, s = out.shape[0], out.shape[1]
    nb = config.boxes_per_cell
    per_box = out[..., : nb * 5].reshape(n, s, s, nb, 5)  # (N, S, S, B, 5)
    return per_box[..., :4], per_box[..., 4], out[..., nb * 5 :]


def anchors_for(grid: int, config: DetectorConfig) -> np.ndarray:
    """(S, S, B, 4) xyxy anchors of the detector's grid."""
    return grid_anchors(grid, config.stride, np.asarray(config.anchors))


def assign(box: np.ndarray, grid: int, config: DetectorConfig) -> tuple[int, int, int, float]:
    """YOLO's label rule for one (4,) xyxy box: the cell (row i, col j) holding its midpoint
    and, there, the anchor b with the highest IoU. Returns (i, j, b, that IoU)."""
    anchors = anchors_for(grid, config)  # (S, S, B, 4)
    cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
    j = min(int(cx // config.stride), grid - 1)
    i = min(int(cy // config.stride), grid - 1)
    ious = box_iou(box, anchors[i, j])[0]  # (B,)
    b = int(ious.argmax())
    return i, j, b, float(ious[b])


def encode_targets(scene_boxes: np.ndarray, labels: np.ndarray, grid: int, config: DetectorConfig):
    """Training target of one scene: (S, S, B, 6) float32 = (dx, dy, dw, dh, object, class-1).

    Every box goes to the anchor :func:`assign` picks; all other entries have object = 0. A
    second box landing on the same anchor replaces the first (rare with 16-px cells; the scenes
    keep boxes apart).
    """
    target = np.zeros((grid, grid, config.boxes_per_cell, 6), np.float32)
    anchors = anchors_for(grid, config)  # (S, S, B, 4)
    for box, label in zip(np.asarray(scene_boxes), np.asarray(labels), strict=True):
        i, j, b, _ = assign(box, grid, config)
        target[i, j, b, :4] = encode(box, anchors[i, j, b])
        target[i, j, b, 4] = 1.0
        target[i, j, b, 5] = label - 1
    return target


def detection_loss(out: Tensor, target: Tensor, config: DetectorConfig) -> Tensor:
    """Scalar loss for (N, S, S, B*5+C) outputs and (N, S, S, B, 6) targets: objectness BCE
    over all anchors (positives weighted up, as they are few), smooth-L1 on the positives' box
    corrections and cross-entropy on the classes of cells that hold an object."""
    deltas, obj, cls = split_output(out, config)
    pos = target[..., 4] > 0.5  # (N, S, S, B)
    obj_loss = F.binary_cross_entropy_with_logits(
        obj, target[..., 4], pos_weight=torch.tensor(5.0, device=out.device)
    )
    if not pos.any():
        return obj_loss
    box_loss = F.smooth_l1_loss(deltas[pos], target[..., :4][pos], beta=0.1)
    cell_has = pos.any(dim=-1)  # (N, S, S)
    cell_class = (target[..., 5] * target[..., 4]).amax(dim=-1).long()  # (N, S, S)
    cls_loss = F.cross_entropy(cls[cell_has], cell_class[cell_has])
    return obj_loss + 2.0 * box_loss + cls_loss


class DihedralAugment(Dihedral):
    """The 8 symmetries of the square on images and their (N, S, S, B, 6) grid targets. With
    square anchors the encoded targets transform exactly: a horizontal flip mirrors the cells
    and negates dx, a transpose swaps rows with columns, dx with dy and dw with dh. Use as
    ``fit(..., augment=aug)`` with ``loss_fn(out, y) = loss(out, aug.targets(y))``.
    """

    def _target(self, t: Tensor, code: int) -> Tensor:
        """(n, S, S, B, 6) grid targets under one symmetry: cells move, offsets turn."""
        t = self._apply(t, code, 1, 2).clone()
        if code & 4:
            t[..., [0, 1, 2, 3]] = t[..., [1, 0, 3, 2]]
        if code & 1:
            t[..., 0] = -t[..., 0]
        if code & 2:
            t[..., 1] = -t[..., 1]
        return t


@dataclass
class RawDetections:
    boxes: np.ndarray  # (S*S*B, 4) xyxy pixels, clipped to the image, every anchor's box
    objectness: np.ndarray  # (S*S*B,) sigmoid objectness in [0, 1]
    class_probs: np.ndarray  # (S*S*B, C) softmax class probabilities of the box's cell
    objectness_map: np.ndarray  # (S, S) the best anchor's objectness per cell
    grid: int  # S
    seconds: float  # forward pass wall time


@dataclass
class Detections:
    boxes: np.ndarray  # (K, 4) xyxy pixels
    scores: np.ndarray  # (K,) class score = class probability × objectness
    labels: np.ndarray  # (K,) int64 class id in 1..C
    counts: dict[str, int]  # boxes left after each stage, in order
    candidates: np.ndarray  # (M,) indices into the raw boxes that passed the score threshold
    candidate_boxes: np.ndarray  # (M, 4) their boxes
    candidate_scores: np.ndarray  # (M,)
    candidate_labels: np.ndarray  # (M,) int64 in 1..C


@torch.inference_mode()
def raw_detections(model: GridDetector, image: np.ndarray) -> RawDetections:
    """Run the model on one (H, W, 3) uint8 image (H, W multiples of 16) and decode every box."""
    cfg = model.config
    device = next(model.parameters()).device
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float().div(255).to(device)  # (1,3,H,W)
    start = time.perf_counter()
    out = model(x)[0]  # (S, S, B*5+C)
    seconds = time.perf_counter() - start
    deltas, obj, cls = split_output(out[None], cfg)
    s = out.shape[0]
    anchors = anchors_for(s, cfg)  # (S, S, B, 4)
    boxes = decode(deltas[0].double().cpu().numpy(), anchors)  # (S, S, B, 4)
    h, w = image.shape[:2]
    boxes = np.clip(boxes, 0, [w, h, w, h])
    objectness = torch.sigmoid(obj[0]).cpu().numpy()  # (S, S, B)
    probs = torch.softmax(cls[0], dim=-1).cpu().numpy()  # (S, S, C)
    nb = cfg.boxes_per_cell
    return RawDetections(
        boxes=boxes.reshape(-1, 4),
        objectness=objectness.reshape(-1),
        class_probs=np.repeat(probs[:, :, None, :], nb, axis=2).reshape(-1, cfg.classes),
        objectness_map=objectness.max(axis=-1),
        grid=s,
        seconds=seconds,
    )


def postprocess(
    raw: RawDetections, score_threshold: float, iou_threshold: float, per_class: bool = True
) -> Detections:
    """The three test-time steps on all S×S×B boxes (torchvision's NMS, on CPU arrays):
    ① class score = max class probability × objectness, ② keep scores ≥ ``score_threshold``,
    ③ NMS at ``iou_threshold`` (per class, or class-agnostic)."""
    class_scores = raw.class_probs * raw.objectness[:, None]  # (S*S*B, C)
    labels = class_scores.argmax(axis=1) + 1  # (S*S*B,)
    scores = class_scores.max(axis=1)
    cand = np.flatnonzero(scores >= score_threshold)
    b = torch.from_numpy(raw.boxes[cand]).double()
    sc = torch.from_numpy(scores[cand]).double()
    lab = torch.from_numpy(labels[cand])
    if per_class:
        keep = torchvision.ops.batched_nms(b, sc, lab, iou_threshold).numpy()
    else:
        keep = torchvision.ops.nms(b, sc, iou_threshold).numpy()
    counts = {
        "all boxes (S×S×B)": len(scores),
        "scored": len(scores),
        f"score ≥ {score_threshold:g}": len(cand),
        "after NMS": len(keep),
    }
    return Detections(
        boxes=raw.boxes[cand][keep],
        scores=scores[cand][keep],
        labels=labels[cand][keep].astype(np.int64),
        counts=counts,
        candidates=cand,
        candidate_boxes=raw.boxes[cand],
        candidate_scores=scores[cand],
        candidate_labels=labels[cand].astype(np.int64),
    )


def detect(
    model: GridDetector,
    image: np.ndarray,
    score_threshold: float = 0.3,
    iou_threshold: float = 0.5,
    per_class: bool = True,
) -> Detections:
    """Raw output -> scores -> threshold -> NMS for one (H, W, 3) uint8 image."""
    return postprocess(raw_detections(model, image), score_threshold, iou_threshold, per_class)


@torch.inference_mode()
def feature_map(model: GridDetector, image: np.ndarray, layers: int) -> np.ndarray:
    """(C, H', W') float32 output of ``model.backbone[:layers]`` for one (H, W, 3) uint8 image
    (e.g. layers = 8: the stride-8 map after the second pooling)."""
    device = next(model.parameters()).device
    x = torch.from_numpy(image).permute(2, 0, 1)[None].float().div(255).to(device)  # (1,3,H,W)
    return model.backbone[:layers](model.normalise(x))[0].float().cpu().numpy()


def scene_tensors(scenes: list[Scene], config: DetectorConfig) -> tuple[Tensor, Tensor]:
    """(N, 3, H, W) float32 images in [0, 1] and (N, S, S, B, 6) targets for training."""
    from cnnplay.scenes import stack_images

    grid = scenes[0].image.shape[0] // config.stride
    x = torch.from_numpy(stack_images(scenes))
    y = torch.from_numpy(
        np.stack([encode_targets(s.boxes, s.labels, grid, config) for s in scenes])
    )
    return x, y


def load_detector(path: Path = WEIGHTS_PATH, device: torch.device | None = None) -> GridDetector:
    """The shipped detector (eval mode, frozen), loaded with ``weights_only=True``."""
    from cnnplay.device import get_device

    model = GridDetector()
    model.load_state_dict(torch.load(path, map_location="cpu", weights_only=True))
    model.eval().requires_grad_(False)
    return model.to(device or get_device())


def evaluate_raw(
    raws: list[RawDetections],
    scenes: list[Scene],
    score_threshold: float = 0.05,
    iou_threshold: float = 0.5,
    per_class: bool = True,
    match_iou: float = 0.5,
):
    """Post-process already computed raw outputs (one per scene) at these thresholds and score
    them against the scenes' ground truth: returns (Evaluation, list of Detections)."""
    from cnnplay.detection.metrics import evaluate

    dets = [postprocess(r, score_threshold, iou_threshold, per_class) for r in raws]
    result = evaluate(
        [(d.boxes, d.scores, d.labels) for d in dets],
        [(s.boxes, s.labels) for s in scenes],
        match_iou,
    )
    return result, dets


def evaluate_on_scenes(
    model: GridDetector,
    scenes: list[Scene],
    score_threshold: float = 0.05,
    iou_threshold: float = 0.5,
    per_class: bool = True,
    match_iou: float = 0.5,
):
    """:class:`cnnplay.detection.metrics.Evaluation` of ``model`` on ``scenes`` (AP@``match_iou``
    and precision / recall of the detections kept at these thresholds), plus the per-scene
    detections: returns (evaluation, list of Detections)."""
    raws = [raw_detections(model, s.image) for s in scenes]
    return evaluate_raw(raws, scenes, score_threshold, iou_threshold, per_class, match_iou)
