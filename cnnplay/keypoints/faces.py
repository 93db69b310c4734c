"""A generated set of drawn faces with keypoints (seed 000: "output the coordinates of the eyes";
seed 001: the facial-keypoint assignment), deterministic by seed.

Each face is a head (an ellipse, sometimes with hair), two eyes (white with a dark pupil), a nose
(a line ending in a nostril blob) and a mouth (a curve between two corners, smiling, frowning or
open), drawn with soft (anti-aliased) edges, so a keypoint's position is visible to a fraction of
a pixel. Position, size, a small rotation, the expression, the brightness of face and
background, a lighting gradient and noise are random.

Coordinates are in pixels, x to the right and y down, with pixel ``(row i, column j)``'s centre
at ``(x, y) = (j, i)`` (as in the Kaggle facial-keypoints set): a face's points lie in
``[0, side - 1]``. "Left" and "right" are the face's own: its left eye is on the image's right
(also as in the Kaggle set). Mirroring an image left-right therefore maps ``x`` to
``side - 1 - x`` and turns the left eye into a right eye: :func:`flip_horizontal` swaps the labels
of every left/right pair (:data:`PAIRS`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SIDE = 48  # image side in pixels (half the Kaggle set's 96)
ASSIGNMENT_SIDE = 96  # the Kaggle facial-keypoints images of seed 001's assignment: 96 × 96
KEYPOINTS: tuple[str, ...] = (
    "left eye",
    "right eye",
    "nose tip",
    "left mouth corner",
    "right mouth corner",
    "bottom lip",
)
KEYPOINT_TYPES: tuple[str, ...] = (  # per keypoint: its type (one legend entry per type)
    "eye centre",
    "eye centre",
    "nose tip",
    "mouth corner",
    "mouth corner",
    "bottom lip",
)
PAIRS: tuple[tuple[int, int], ...] = ((0, 1), (3, 4))  # (left, right) keypoint indices
TRAIN_STREAM, TEST_STREAM = 0, 1  # random streams: training faces never equal held-out ones


def flip_order(
    num_points: int = len(KEYPOINTS), pairs: tuple[tuple[int, int], ...] = PAIRS
) -> np.ndarray:
    """(K,) int64: after a left-right flip, keypoint ``k`` is the mirrored original keypoint
    ``order[k]`` (the left eye is the mirrored right eye, and so on)."""
    order = np.arange(num_points)
    for left, right in pairs:
        order[left], order[right] = right, left
    return order


FLIP_ORDER = flip_order()  # (K,) the label swap of a flip


@dataclass(frozen=True)
class FaceSet:
    images: np.ndarray  # (N, 1, S, S) uint8 grey levels 0..255
    points: np.ndarray  # (N, K, 2) float32 (x, y) pixels of KEYPOINTS, in [0, S - 1]
    side: int  # S, the image side in pixels

    def __len__(self) -> int:
        return len(self.images)

    def take(self, index: np.ndarray | slice) -> FaceSet:
        """The faces at ``index`` (a slice or an integer array), as a new FaceSet."""
        return FaceSet(self.images[index], self.points[index], self.side)


def _soft(distance_px: np.ndarray) -> np.ndarray:
    """Coverage 0..1 of a pixel whose centre lies ``distance_px`` outside a shape's edge
    (negative: inside); a one-pixel ramp, so edges are anti-aliased."""
    return np.clip(0.5 - distance_px, 0.0, 1.0)


def _ellipse_distance(u: np.ndarray, v: np.ndarray, cu, cv, a, b) -> np.ndarray:
    """Approximate signed distance (face units) from (u, v) to the ellipse of centre (cu, cv)
    and half-axes (a, b): exact on the axes of a circle, close enough for drawing."""
    q = np.sqrt(((u - cu) / a) ** 2 + ((v - cv) / b) ** 2)
    return (q - 1.0) * min(a, b)


def _segment_distance(u: np.ndarray, v: np.ndarray, p0, p1) -> np.ndarray:
    """Distance (face units) from (u, v) to the segment p0–p1."""
    du, dv = p1[0] - p0[0], p1[1] - p0[1]
    t = np.clip(((u - p0[0]) * du + (v - p0[1]) * dv) / (du * du + dv * dv), 0.0, 1.0)
    return np.hypot(u - p0[0] - t * du, v - p0[1] - t * dv)


def _blend(image: np.ndarray, alpha: np.ndarray, tone: float) -> np.ndarray:
    return image * (1.0 - alpha) + tone * alpha


def _draw_face(rng: np.random.Generator, side: int) -> tuple[np.ndarray, np.ndarray]:
    """One face: ((S, S) float64 grey levels, unclipped, (K, 2) float64 keypoints in pixels)."""
    # the head: half-height r (pixels), width/height ratio, centre, rotation
    r = rng.uniform(0.27, 0.36) * side
    aspect = rng.uniform(0.78, 0.92)
    room = max(0.0, side / 2 - 1.05 * r - 1.0)
    shift = min(0.12 * side, room)
    cx, cy = (side - 1) / 2 + rng.uniform(-shift, shift, 2)
    angle = np.deg2rad(rng.uniform(-15.0, 15.0))
    # the features, in face units (r = 1; u to the image right, v down before the rotation)
    eye_u, eye_v = rng.uniform(0.30, 0.42), rng.uniform(-0.32, -0.18)
    eye_w = rng.uniform(0.15, 0.21)
    eye_h = eye_w * rng.uniform(0.55, 0.9)  # how open the eyes are
    pupil = min(0.9 * eye_h, 0.6 * eye_w)
    nose = (rng.uniform(-0.05, 0.05), rng.uniform(0.06, 0.20))
    mouth_v = rng.uniform(0.40, 0.55)
    mouth_u = rng.uniform(0.22, 0.36)  # half the mouth's width
    smile = rng.uniform(-0.10, 0.16)  # > 0: the middle lower than the corners
    opening = rng.uniform(0.0, 0.14) if rng.random() < 0.6 else 0.0
    hairline = rng.uniform(-0.78, -0.52) if rng.random() < 0.5 else None
    # tones: face and background far apart, dark features, a lighting gradient, noise
    face = rng.uniform(110.0, 235.0)
    gap = rng.uniform(50.0, 100.0)
    background = (
        face - gap if face - gap >= 0 and (face + gap > 255 or rng.random() < 0.5) else face + gap
    )
    dark = face * rng.uniform(0.10, 0.40)
    hair = face * rng.uniform(0.25, 0.55)
    white = min(255.0, face + rng.uniform(15.0, 40.0))
    light = rng.uniform(-40.0, 40.0)  # grey levels across the image
    light_dir = rng.uniform(0.0, 2 * np.pi)
    noise = rng.uniform(2.0, 10.0)

    ys, xs = np.mgrid[0:side, 0:side].astype(np.float64)  # pixel centres (y, x)
    dx, dy = xs - cx, ys - cy
    cos, sin = np.cos(angle), np.sin(angle)
    u = (dx * cos + dy * sin) / r  # face coordinates of every pixel
    v = (-dx * sin + dy * cos) / r

    image = np.full((side, side), background)
    head = _ellipse_distance(u, v, 0.0, 0.0, aspect, 1.0)
    image = _blend(image, _soft(head * r), face)
    if hairline is not None:
        image = _blend(image, _soft(head * r) * _soft((v - hairline) * r), hair)
    image = _blend(image, _soft((np.abs(head) - 0.035) * r), dark)  # the outline
    for sign in (1.0, -1.0):  # left eye (+u, the image's right before rotation), right eye
        eye = _ellipse_distance(u, v, sign * eye_u, eye_v, eye_w, eye_h)
        image = _blend(image, _soft(eye * r), white)
        image = _blend(image, _soft((np.abs(eye) - 0.02) * r), dark)  # the eye's outline
        image = _blend(
            image, _soft(_ellipse_distance(u, v, sign * eye_u, eye_v, pupil, pupil) * r), dark
        )
    bridge = (0.6 * nose[0], eye_v + 0.12)
    image = _blend(image, _soft((_segment_distance(u, v, bridge, nose) - 0.035) * r), dark)
    image = _blend(image, _soft(_ellipse_distance(u, v, nose[0], nose[1], 0.09, 0.05) * r), dark)
    t2 = 1.0 - np.clip(u / mouth_u, -1.0, 1.0) ** 2  # 0 at the corners, 1 in the middle
    top = mouth_v + smile * t2  # the upper lip line
    bottom = mouth_v + (smile + opening) * t2  # the lower lip line
    lip = 0.04
    across = np.maximum(top - lip - v, v - bottom - lip)
    along = np.abs(u) - mouth_u
    image = _blend(image, _soft(np.maximum(across, along) * r), dark)

    image += light * ((xs - cx) * np.cos(light_dir) + (ys - cy) * np.sin(light_dir)) / side
    image += rng.normal(0.0, noise, image.shape)

    local = np.array(
        [
            [eye_u, eye_v],
            [-eye_u, eye_v],
            [nose[0], nose[1]],
            [mouth_u, mouth_v],
            [-mouth_u, mouth_v],
            [0.0, mouth_v + smile + opening],
        ]
    )  # (K, 2) face units
    px = cx + r * (local[:, 0] * cos - local[:, 1] * sin)
    py = cy + r * (local[:, 0] * sin + local[:, 1] * cos)
    return image, np.stack([px, py], axis=1)


def make_faces(n: int, seed: int = 0, side: int = SIDE, stream: int = TRAIN_STREAM) -> FaceSet:
    """``n`` generated faces (:class:`FaceSet`: images (n, 1, side, side) uint8, points
    (n, K, 2) float32 pixels). Face ``i`` depends only on (stream, seed, i, side): the first 100
    of 1,000 faces are the 100 faces of ``n=100``. ``stream`` separates sets that must never share
    a face (TRAIN_STREAM, TEST_STREAM)."""
    if n < 0:
        raise ValueError(f"the number of faces must be at least 0 (got {n})")
    if side < 16:
        raise ValueError(f"faces need a side of at least 16 pixels (got {side})")
    images = np.empty((n, 1, side, side), np.uint8)
    points = np.empty((n, len(KEYPOINTS), 2), np.float32)
    for i in range(n):
        rng = np.random.default_rng([int(stream), int(seed), i])
        image, pts = _draw_face(rng, side)
        images[i, 0] = np.clip(np.rint(image), 0, 255).astype(np.uint8)
        points[i] = pts
    return FaceSet(images, points, side)


def flip_horizontal(
    images: np.ndarray, points: np.ndarray, side: int
) -> tuple[np.ndarray, np.ndarray]:
    """Mirror faces left-right: images (N, C, S, S) -> the same with columns reversed; points
    (N, K, 2) pixels -> x replaced by ``side - 1 - x`` and every left/right pair's labels swapped
    (the new left eye is the old right eye, mirrored). New arrays; the inputs are unchanged.
    Flipping twice gives the inputs back."""
    mirrored = np.asarray(points, dtype=np.float32).copy()
    mirrored[..., 0] = (side - 1) - mirrored[..., 0]
    return np.ascontiguousarray(images[..., ::-1]), mirrored[:, FLIP_ORDER]


def mean_keypoints(points: np.ndarray) -> np.ndarray:
    """(N, K, 2) -> (K, 2) float64: the average face's keypoints (the baseline's prediction)."""
    return np.asarray(points, dtype=np.float64).mean(axis=0)
