"""Synthetic shape scenes with ground truth for detection and segmentation.

A scene is a noisy, cluttered background with a few filled shapes of several classes, colours and
sizes, which may overlap (later shapes are drawn over earlier ones). Every scene comes with

- ``boxes``: one ``(x0, y0, x1, y1)`` box per object around its *visible* pixels, in pixel
  coordinates with ``x1``/``y1`` exclusive (a 1-pixel object at (3, 5) is ``(3, 5, 4, 6)``);
- ``labels``: the class of each object, ``1..len(CLASSES)`` (0 is the background);
- ``semantic``: ``(H, W)`` class id per pixel; ``instances``: ``(H, W)`` object number per pixel
  (0 background, ``i + 1`` for ``boxes[i]``).

Objects hidden below the visibility threshold by later shapes are dropped from the ground truth
(their visible pixels are re-labelled background), so boxes, masks and labels always agree.
Clutter (thin lines and small specks in random colours) is drawn *under* the shapes and is never an
object: a model has to learn shapes, not "anything that is not the background".

Everything is deterministic by seed: ``make_scene(seed)`` is the same scene on every machine.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field

import cv2
import numpy as np

CLASSES: tuple[str, ...] = ("circle", "square", "triangle")  # class id = index + 1


@dataclass(frozen=True)
class SceneConfig:
    size: int = 128  # image height and width, pixels
    min_objects: int = 1  # objects per scene, drawn uniformly in [min_objects, max_objects]
    max_objects: int = 4
    min_extent: float = 0.12  # object size (box side before rotation) as a fraction of `size`
    max_extent: float = 0.35
    max_overlap: float = 0.3  # largest IoU allowed between a new object's box and earlier ones
    min_visible: float = 0.5  # objects with less than this fraction visible are dropped
    clutter: int = 6  # distractor lines and specks drawn under the shapes
    noise_std: float = 8.0  # Gaussian pixel noise, 0..255 scale
    min_contrast: float = 60.0  # least RGB distance between an object's colour and the background


@dataclass
class Scene:
    image: np.ndarray  # (H, W, 3) uint8 RGB
    boxes: np.ndarray  # (N, 4) float32 xyxy, pixel units, x1/y1 exclusive
    labels: np.ndarray  # (N,) int64 in 1..len(CLASSES)
    semantic: np.ndarray  # (H, W) int64 class id per pixel, 0 = background
    instances: np.ndarray  # (H, W) int64 object number per pixel, 0 = background
    seed: int = 0
    names: list[str] = field(default_factory=list)  # class name per object


def _box_iou_one(box: np.ndarray, others: list[np.ndarray]) -> float:
    """Largest IoU between ``box`` (4,) and any of ``others`` (each (4,)); 0 when empty."""
    best = 0.0
    for o in others:
        iw = max(0.0, min(box[2], o[2]) - max(box[0], o[0]))
        ih = max(0.0, min(box[3], o[3]) - max(box[1], o[1]))
        inter = iw * ih
        union = (box[2] - box[0]) * (box[3] - box[1]) + (o[2] - o[0]) * (o[3] - o[1]) - inter
        best = max(best, inter / union if union > 0 else 0.0)
    return best


def _shape_mask(
    kind: int, cx: float, cy: float, extent: float, angle: float, size: int
) -> np.ndarray:
    """(size, size) bool mask of one filled shape centred at (cx, cy), side/diameter ``extent``."""
    mask = np.zeros((size, size), np.uint8)
    name = CLASSES[kind - 1]
    if name == "circle":
        cv2.circle(mask, (round(cx), round(cy)), max(1, round(extent / 2)), 1, thickness=-1)
        return mask.astype(bool)
    if name == "square":
        h = extent / 2
        corners = np.array([[-h, -h], [h, -h], [h, h], [-h, h]])
    else:  # triangle: equilateral, side = extent, centred on its centroid
        r = extent / np.sqrt(3)
        t = np.deg2rad([90, 210, 330])
        corners = np.stack([r * np.cos(t), r * np.sin(t)], axis=1)
    c, s = np.cos(angle), np.sin(angle)
    rot = corners @ np.array([[c, s], [-s, c]])  # rotate by `angle`
    pts = np.round(rot + [cx, cy]).astype(np.int32)
    cv2.fillPoly(mask, [pts], 1)
    return mask.astype(bool)


def _colour_far_from(rng: np.random.Generator, ref: np.ndarray, min_dist: float) -> np.ndarray:
    for _ in range(100):
        colour = rng.integers(0, 256, 3).astype(np.float64)
        if np.linalg.norm(colour - ref) >= min_dist:
            return colour
    return 255.0 - ref  # the complement is always far enough for sensible min_dist


def make_scene(seed: int, config: SceneConfig | None = None) -> Scene:
    """One scene, fully determined by ``seed`` and ``config`` (see the module docstring)."""
    cfg = config or SceneConfig()
    if cfg.size < 16:
        raise ValueError(f"scene size must be at least 16 pixels, got {cfg.size}")
    if not 0 < cfg.min_objects <= cfg.max_objects:
        raise ValueError("need 0 < min_objects <= max_objects")
    rng = np.random.default_rng(seed)
    n = cfg.size
    background = rng.integers(0, 256, 3).astype(np.float64)
    # a gentle linear gradient so "background" is not one colour
    ramp = np.linspace(-1, 1, n)
    direction = rng.normal(size=2)
    direction /= np.linalg.norm(direction) + 1e-9
    shade = (direction[0] * ramp[None, :] + direction[1] * ramp[:, None])[..., None] * 20.0
    image = np.clip(background + shade, 0, 255)  # (H, W, 3) float

    for _ in range(cfg.clutter):  # distractors under the shapes
        colour = rng.integers(0, 256, 3).tolist()
        if rng.random() < 0.5:
            p0 = tuple(int(v) for v in rng.integers(0, n, 2))
            p1 = tuple(int(v) for v in rng.integers(0, n, 2))
            canvas = np.zeros((n, n), np.uint8)
            cv2.line(canvas, p0, p1, 1, thickness=int(rng.integers(1, 3)))
        else:
            canvas = np.zeros((n, n), np.uint8)
            centre = tuple(int(v) for v in rng.integers(0, n, 2))
            cv2.circle(canvas, centre, int(rng.integers(1, max(2, n // 40) + 1)), 1, -1)
        image[canvas.astype(bool)] = colour

    count = int(rng.integers(cfg.min_objects, cfg.max_objects + 1))
    instances = np.zeros((n, n), np.int64)
    kinds: list[int] = []
    placed: list[np.ndarray] = []
    drawn_area: list[int] = []  # pixels of each shape when it was drawn
    for _ in range(count):
        for _attempt in range(30):
            kind = int(rng.integers(1, len(CLASSES) + 1))
            extent = float(rng.uniform(cfg.min_extent, cfg.max_extent) * n)
            margin = extent / 2 + 1
            cx, cy = rng.uniform(margin, n - margin, 2)
            angle = float(rng.uniform(0, 2 * np.pi))
            mask = _shape_mask(kind, cx, cy, extent, angle, n)
            if not mask.any():
                continue
            ys, xs = np.nonzero(mask)
            box = np.array([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1], np.float64)
            if _box_iou_one(box, placed) <= cfg.max_overlap:
                break
        else:
            continue  # no room for this object
        colour = _colour_far_from(rng, background, cfg.min_contrast)
        image[mask] = colour
        instances[mask] = len(kinds) + 1
        kinds.append(kind)
        placed.append(box)
        drawn_area.append(int(mask.sum()))

    # ground truth from what is visible
    boxes, labels, keep_ids = [], [], []
    for i, kind in enumerate(kinds):
        visible = instances == i + 1
        if visible.sum() < cfg.min_visible * drawn_area[i]:
            instances[visible] = 0  # mostly hidden: not an object any more
            continue
        ys, xs = np.nonzero(visible)
        boxes.append([xs.min(), ys.min(), xs.max() + 1, ys.max() + 1])
        labels.append(kind)
        keep_ids.append(i + 1)
    renumbered = np.zeros_like(instances)
    semantic = np.zeros((n, n), np.int64)
    for new_id, (old_id, kind) in enumerate(zip(keep_ids, labels, strict=True), start=1):
        sel = instances == old_id
        renumbered[sel] = new_id
        semantic[sel] = kind

    if cfg.noise_std > 0:
        image = image + rng.normal(0.0, cfg.noise_std, image.shape)
    return Scene(
        image=np.clip(np.round(image), 0, 255).astype(np.uint8),
        boxes=np.asarray(boxes, np.float32).reshape(-1, 4),
        labels=np.asarray(labels, np.int64),
        semantic=semantic,
        instances=renumbered,
        seed=seed,
        names=[CLASSES[k - 1] for k in labels],
    )


def iter_scenes(
    count: int, seed: int = 0, config: SceneConfig | None = None
) -> Iterator[Scene]:
    """``count`` scenes, made one at a time; scene ``i`` is ``make_scene(seed * 1_000_003 + i,
    config)``, so sets made with different ``seed`` values never share a scene and a prefix of
    a set is a smaller set."""
    return (make_scene(seed * 1_000_003 + i, config) for i in range(count))


def make_scenes(count: int, seed: int = 0, config: SceneConfig | None = None) -> list[Scene]:
    """The scenes of :func:`iter_scenes`, as a list."""
    return list(iter_scenes(count, seed, config))


def scene_arrays(
    count: int, seed: int = 0, config: SceneConfig | None = None
) -> tuple[np.ndarray, np.ndarray]:
    """The images and class maps of ``make_scenes(count, seed, config)``, compactly: (N, H, W, 3)
    uint8 RGB and (N, H, W) uint8 class ids. The scenes are made one at a time and dropped, so
    a training set never holds them all (a scene also carries int64 semantic and instance maps:
    ~310 KB at 128 px against these 64 KB)."""
    cfg = config or SceneConfig()
    images = np.empty((count, cfg.size, cfg.size, 3), np.uint8)
    classes = np.empty((count, cfg.size, cfg.size), np.uint8)
    for i, scene in enumerate(iter_scenes(count, seed, cfg)):
        images[i] = scene.image
        classes[i] = scene.semantic  # ids 0..len(CLASSES): fit in uint8
    return images, classes


def stack_images(scenes: list[Scene]) -> np.ndarray:
    """(N, 3, H, W) float32 in [0, 1] from the scenes' images, ready for ``torch.from_numpy``."""
    return np.stack([s.image for s in scenes]).transpose(0, 3, 1, 2).astype(np.float32) / 255.0


def stack_semantic(scenes: list[Scene]) -> np.ndarray:
    """(N, H, W) int64 class-id maps of the scenes."""
    return np.stack([s.semantic for s in scenes])
