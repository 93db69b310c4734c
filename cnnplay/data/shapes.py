"""A small labelled set the app generates: one coloured shape per image on a noisy background.

The fallback when no real labelled set can be read (Fashion-MNIST missing and no network), so the
transfer-learning page always has something to train on. Deterministic by seed.
"""

from __future__ import annotations

import numpy as np
from PIL import Image, ImageDraw

from cnnplay.data.labelled import LabelledImages

CLASSES: tuple[str, ...] = ("circle", "square", "triangle", "cross", "ring")
SIDE = 64  # generated image side, pixels


def _polygon(kind: str, cx: float, cy: float, r: float, angle: float) -> list[tuple[float, float]]:
    """Corner points of a square or a triangle of 'radius' r, rotated by ``angle`` radians."""
    turns = {"square": [45, 135, 225, 315], "triangle": [90, 210, 330]}[kind]
    t = np.deg2rad(turns) + angle
    return [(cx + r * np.cos(a), cy - r * np.sin(a)) for a in t]


def _draw(kind: str, rng: np.random.Generator) -> np.ndarray:
    """One (SIDE, SIDE, 3) uint8 image of ``kind``."""
    background = rng.integers(0, 256, 3)
    colour = (background + rng.integers(90, 166, 3)) % 256  # always far from the background
    img = Image.new("RGB", (SIDE, SIDE), tuple(int(v) for v in background))
    draw = ImageDraw.Draw(img)
    r = rng.uniform(0.18, 0.34) * SIDE
    cx, cy = rng.uniform(r, SIDE - r, 2)
    angle = rng.uniform(0, 2 * np.pi)
    fill = tuple(int(v) for v in colour)
    if kind == "circle":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], fill=fill)
    elif kind == "ring":
        draw.ellipse([cx - r, cy - r, cx + r, cy + r], outline=fill, width=max(2, int(r / 3)))
    elif kind == "cross":
        w = r / 3
        for a in (angle, angle + np.pi / 2):
            dx, dy = np.cos(a), np.sin(a)
            ends = [(cx - r * dx, cy - r * dy), (cx + r * dx, cy + r * dy)]
            draw.line(ends, fill=fill, width=max(2, int(w)))
    else:
        draw.polygon(_polygon(kind, cx, cy, r, angle), fill=fill)
    pixels = np.asarray(img, dtype=np.float32) + rng.normal(0, 10, (SIDE, SIDE, 3))
    return np.clip(np.rint(pixels), 0, 255).astype(np.uint8)


def shapes_set(per_class: int = 30, seed: int = 0) -> LabelledImages:
    """``per_class`` images of each of the five shapes: images (5·per_class, 64, 64, 3) uint8."""
    rng = np.random.default_rng(seed)
    labels = np.repeat(np.arange(len(CLASSES)), per_class)
    images = np.stack([_draw(CLASSES[k], rng) for k in labels])
    return LabelledImages(images, labels.astype(np.int64), CLASSES, "generated shapes")
