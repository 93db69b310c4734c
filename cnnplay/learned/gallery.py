"""Galleries: a few hundred labelled images to search, map and mine for a unit's top patches
(seed 002, "Retrieving Raw Images", "Conditioned Retrieval", "Clustering Raw Images").

A :class:`Gallery` is plain data, all images one square side, each with a class name:

- :func:`photo_gallery`: the six bundled sample photos, each cut into 26 square crops at three
  scales (the whole centre square, a 3×3 grid at 60 % of the shorter side, a 4×4 grid at 35 %),
  labelled with the photo's name: the same scene seen at different zooms and places, so two
  crops of one photo can differ a lot pixel by pixel;
- :func:`fashion_gallery`: Fashion-MNIST test images, ``per_class`` of each of the 10 classes
  (drawn by a fixed seed), grey copied to RGB; when the data set is not installed it falls back
  to the generated shapes set (cnnplay.data.shapes) and says so in ``notes``;
- :func:`labelled_gallery`: any cnnplay.data.labelled.LabelledImages (e.g. a session's own
  transfer-learning classes), at most ``limit`` images;
- :func:`shifted`: a gallery with every image moved a few pixels and mirrored at random (fixed
  seed): the same things, different pixels;
- :func:`combine`: several galleries as one, resized to a common side.

Everything is deterministic (the only draws, of Fashion-MNIST images and of shifts, are seeded).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from PIL import Image

from cnnplay.data import fashion
from cnnplay.data.labelled import LabelledImages, square, subsample
from cnnplay.data.shapes import shapes_set
from cnnplay.images import load_sample, sample_names

PHOTO_SIDE = 128  # side of every photo crop, pixels
PHOTO_MAX_SIDE = 640  # the sample photos are read with their longer side at most this
# (fraction of the photo's shorter side, crops per axis): 1 + 9 + 16 = 26 crops per photo
PHOTO_SCALES: tuple[tuple[float, int], ...] = ((1.0, 1), (0.6, 3), (0.35, 4))
FASHION_SEED = 0  # which Fashion-MNIST test images are drawn (fixed: the gallery never changes)


@dataclass(frozen=True)
class Gallery:
    """Labelled images, all of one square side."""

    images: np.ndarray  # (N, S, S, 3) uint8 RGB, one side S for all
    labels: list[str]  # (N,) class name of each image, e.g. "Sneaker", "astronaut"
    source: str  # one line for the user: where the images come from
    notes: tuple[str, ...] = field(default=())  # remarks for the user (a fallback, a cap)

    def __post_init__(self) -> None:
        if self.images.ndim != 4 or self.images.shape[3] != 3 or self.images.dtype != np.uint8:
            raise ValueError(f"images must be (N, S, S, 3) uint8, got {self.images.shape}")
        if self.images.shape[1] != self.images.shape[2]:
            raise ValueError(f"images must be square, got {self.images.shape[1:3]}")
        if len(self.labels) != len(self.images):
            raise ValueError(f"{len(self.labels)} labels for {len(self.images)} images")

    def __len__(self) -> int:
        return len(self.images)

    @property
    def side(self) -> int:
        """S, pixels."""
        return int(self.images.shape[1])

    @property
    def classes(self) -> list[str]:
        """The class names, in order of first appearance."""
        return list(dict.fromkeys(self.labels))

    def label_ids(self) -> np.ndarray:
        """(N,) int64: each image's class as an index into :attr:`classes`."""
        index = {name: k for k, name in enumerate(self.classes)}
        return np.array([index[name] for name in self.labels], np.int64)

    def counts(self) -> dict[str, int]:
        """Images per class, in :attr:`classes` order."""
        ids = self.label_ids()
        return {name: int((ids == k).sum()) for k, name in enumerate(self.classes)}


def resize_square(image: np.ndarray, side: int) -> np.ndarray:
    """(s, s, 3) uint8 -> (side, side, 3) uint8 (LANCZOS down, BILINEAR up; unchanged if equal)."""
    if image.shape[0] == side and image.shape[1] == side:
        return np.ascontiguousarray(image)
    resample = Image.Resampling.LANCZOS if image.shape[0] > side else Image.Resampling.BILINEAR
    return np.asarray(Image.fromarray(np.ascontiguousarray(image)).resize((side, side), resample))


def crop_grid(image: np.ndarray, fraction: float, per_axis: int) -> list[np.ndarray]:
    """Square crops of side ``round(fraction * min(H, W))``, ``per_axis`` evenly spaced places
    along each axis (corners included; one place: the centre), row by row.
    image: (H, W, 3) uint8. Returns per_axis² arrays (c, c, 3) uint8."""
    h, w = image.shape[:2]
    c = max(1, round(fraction * min(h, w)))
    if per_axis == 1:
        tops, lefts = [(h - c) // 2], [(w - c) // 2]
    else:
        tops = np.linspace(0, h - c, per_axis).round().astype(int).tolist()
        lefts = np.linspace(0, w - c, per_axis).round().astype(int).tolist()
    return [image[t : t + c, l : l + c] for t in tops for l in lefts]


def photo_gallery(side: int = PHOTO_SIDE) -> Gallery:
    """The six sample photos, each cut into 26 crops at three scales (:data:`PHOTO_SCALES`),
    resized to ``side``; label = the photo's name ("astronaut", "chelsea (cat)", ...).
    Returns images (156, side, side, 3) uint8, grouped by photo, big crops first."""
    images, labels = [], []
    for name in sample_names():
        photo = load_sample(name, PHOTO_MAX_SIDE)  # (H, W, 3) uint8
        for fraction, per_axis in PHOTO_SCALES:
            for crop in crop_grid(photo, fraction, per_axis):
                images.append(resize_square(crop, side))
                labels.append(name)
    per_photo = sum(n * n for _, n in PHOTO_SCALES)
    return Gallery(
        np.stack(images),
        labels,
        f"the {len(sample_names())} sample photos, {per_photo} crops each (the whole photo, "
        "a 3×3 grid of crops at 60 % and a 4×4 grid at 35 % of its shorter side)",
    )


def fashion_gallery(per_class: int, side: int = 28) -> Gallery:
    """``per_class`` Fashion-MNIST test images of each of the 10 classes (drawn by
    :data:`FASHION_SEED`), grey copied to RGB, at ``side`` (28: the originals). Labels are
    the class names ("T-shirt/top", ..., "Ankle boot").

    When Fashion-MNIST is not installed (fashion.available("test") is False, or its files are
    damaged), the generated shapes set stands in (5 classes, ``per_class`` each) and ``notes``
    says so. Returns images (10·per_class, side, side, 3) uint8."""
    if per_class < 1:
        raise ValueError(f"per_class must be at least 1 (got {per_class})")
    try:
        data = fashion.load_fashion(per_class, FASHION_SEED, split="test", side=side)
    except fashion.FashionUnavailable as err:
        shapes = shapes_set(per_class, FASHION_SEED)
        images = np.stack([square(im, side) for im in shapes.images])
        return Gallery(
            images,
            [shapes.classes[k] for k in shapes.labels],
            f"generated shapes, {per_class} per class (instead of Fashion-MNIST)",
            (f"{err} Generated shapes stand in for it here.",),
        )
    return Gallery(
        data.images,
        [data.classes[k] for k in data.labels],
        f"Fashion-MNIST test images, {per_class} per class",
    )


def labelled_gallery(
    data: LabelledImages, limit: int, side: int | None = None, source: str | None = None
) -> Gallery:
    """A gallery of a labelled set (e.g. one's own classes): at most ``limit`` images, taken
    evenly from every class (cnnplay.data.labelled.subsample, fixed seed) when there are more,
    at ``side`` (default: the set's own). ``notes`` says when images were left out."""
    if limit < 1:
        raise ValueError(f"limit must be at least 1 (got {limit})")
    pick = np.arange(len(data.labels))
    notes = list(data.notes)
    if len(pick) > limit:
        k = max(1, len(data.classes))
        pick = np.sort(subsample(data.labels, max(1, limit // k), FASHION_SEED))[:limit]
        notes.append(f"{len(pick)} of the {len(data.labels)} images are used (at most {limit}).")
    side = side or int(data.images.shape[1])
    images = np.stack([resize_square(im, side) for im in data.images[pick]])
    return Gallery(
        images,
        [data.classes[int(k)] for k in data.labels[pick]],
        source or data.source,
        tuple(notes),
    )


def shift_image(image: np.ndarray, dy: int, dx: int, mirror: bool) -> np.ndarray:
    """(S, S, 3) uint8 moved by (dy, dx) pixels (down, right; the border pixels are repeated
    into the uncovered edge) and, with ``mirror``, flipped left-right first."""
    s = image.shape[0]
    src = image[:, ::-1] if mirror else image
    m = max(abs(dy), abs(dx))
    if m == 0:
        return np.ascontiguousarray(src)
    padded = np.pad(src, ((m, m), (m, m), (0, 0)), mode="edge")  # (S + 2m, S + 2m, 3)
    return np.ascontiguousarray(padded[m - dy : m - dy + s, m - dx : m - dx + s])


def shifted(gallery: Gallery, max_shift: float, seed: int = 0) -> Gallery:
    """Every image moved by up to ``max_shift`` (a fraction of the side) in each direction and
    mirrored left-right with probability 1/2, drawn by ``seed``: the same classes with
    different pixels. Same shape and labels."""
    rng = np.random.default_rng(seed)
    m = round(max_shift * gallery.side)
    images = np.stack(
        [
            shift_image(im, *(int(v) for v in rng.integers(-m, m + 1, 2)), bool(rng.random() < 0.5))
            for im in gallery.images
        ]
    )
    return Gallery(
        images,
        list(gallery.labels),
        f"{gallery.source}, each moved up to {m} px and mirrored at random",
        gallery.notes,
    )


def combine(galleries: Sequence[Gallery], side: int, source: str | None = None) -> Gallery:
    """The galleries one after another, every image resized to ``side``; labels kept (a class
    name in two galleries is one class). Notes are joined."""
    if not galleries:
        raise ValueError("combine needs at least one gallery")
    images = np.concatenate(
        [np.stack([resize_square(im, side) for im in g.images]) for g in galleries]
    )
    labels = [name for g in galleries for name in g.labels]
    notes = tuple(note for g in galleries for note in g.notes)
    return Gallery(images, labels, source or "; ".join(g.source for g in galleries), notes)
