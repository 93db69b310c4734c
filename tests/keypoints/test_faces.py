"""The generated faces: shapes, determinism by seed, keypoints that sit on what is drawn, and the
horizontal flip (mirror the image, mirror x, swap the left/right labels)."""

from __future__ import annotations

import numpy as np
import pytest

from cnnplay.keypoints.faces import (
    FLIP_ORDER,
    KEYPOINT_TYPES,
    KEYPOINTS,
    PAIRS,
    SIDE,
    TEST_STREAM,
    flip_horizontal,
    flip_order,
    make_faces,
    mean_keypoints,
)

LEFT_EYE, RIGHT_EYE = KEYPOINTS.index("left eye"), KEYPOINTS.index("right eye")


@pytest.fixture(scope="module")
def faces():
    return make_faces(120, seed=3)


def dark_centroid_offsets(images: np.ndarray, points: np.ndarray, k: int, r: int = 2) -> np.ndarray:
    """Per face: the distance (px) from keypoint ``k`` to the darkness-weighted centroid of the
    (2r+1)² pixels around it; small when the keypoint sits on the middle of a dark blob (a
    pupil), about a pixel or more when it is off by a pixel or more."""
    out = []
    for img, pts in zip(images[:, 0].astype(np.float64), points, strict=True):
        x, y = pts[k]
        cx, cy = round(float(x)), round(float(y))
        win = img[cy - r : cy + r + 1, cx - r : cx + r + 1]
        weight = win.max() - win
        ys, xs = np.mgrid[cy - r : cy + r + 1, cx - r : cx + r + 1]
        total = weight.sum()
        out.append(np.hypot((weight * xs).sum() / total - x, (weight * ys).sum() / total - y))
    return np.array(out)


def test_shapes_dtypes_and_range(faces):
    assert faces.images.shape == (120, 1, SIDE, SIDE) and faces.images.dtype == np.uint8
    assert faces.points.shape == (120, len(KEYPOINTS), 2) and faces.points.dtype == np.float32
    assert len(faces) == 120 and faces.side == SIDE
    assert faces.points.min() >= 0 and faces.points.max() <= SIDE - 1
    assert len(KEYPOINT_TYPES) == len(KEYPOINTS)
    # faces differ: brightness, noise and position are random
    assert len({faces.images[k].tobytes() for k in range(len(faces))}) == len(faces)
    assert faces.images.std() > 20


def test_deterministic_by_seed_and_stream(faces):
    again = make_faces(120, seed=3)
    np.testing.assert_array_equal(again.images, faces.images)
    np.testing.assert_array_equal(again.points, faces.points)
    other = make_faces(120, seed=4)
    assert not np.array_equal(other.points, faces.points)
    held = make_faces(120, seed=3, stream=TEST_STREAM)
    assert not np.array_equal(held.points, faces.points)
    # face i depends on (stream, seed, i) only: a smaller set is the start of a larger one
    first = make_faces(10, seed=3)
    np.testing.assert_array_equal(first.images, faces.images[:10])
    np.testing.assert_array_equal(first.points, faces.points[:10])


def test_other_sides_and_bad_sizes():
    small = make_faces(5, seed=0, side=32)
    assert small.images.shape == (5, 1, 32, 32)
    assert small.points.max() <= 31 and small.points.min() >= 0
    empty = make_faces(0)
    assert empty.images.shape == (0, 1, SIDE, SIDE) and empty.points.shape == (0, 6, 2)
    with pytest.raises(ValueError, match="at least 0"):
        make_faces(-1)
    with pytest.raises(ValueError, match="at least 16"):
        make_faces(3, side=8)


def test_left_is_the_faces_own_left(faces):
    """As in the Kaggle set: the face's left eye and mouth corner are on the image's right."""
    for left, right in PAIRS:
        assert KEYPOINTS[left].startswith("left") and KEYPOINTS[right].startswith("right")
        assert (faces.points[:, left, 0] > faces.points[:, right, 0]).all()


def test_eye_keypoints_sit_on_the_pupils(faces):
    """The darkness around each eye keypoint is centred on it (the pupil), to a fraction of a
    pixel; the same points moved by up to 1.5 px are clearly off."""
    for k in (LEFT_EYE, RIGHT_EYE):
        assert dark_centroid_offsets(faces.images, faces.points, k).mean() < 0.35
    rng = np.random.default_rng(0)
    moved = faces.points + rng.choice([-1.5, 1.5], faces.points.shape).astype(np.float32)
    assert dark_centroid_offsets(faces.images, moved, LEFT_EYE).mean() > 0.6


def test_flip_order_swaps_left_and_right_names():
    """Independently of PAIRS: the label a flipped keypoint takes is its name with left and
    right exchanged."""
    swapped = [
        n.replace("left", "#").replace("right", "left").replace("#", "right") for n in KEYPOINTS
    ]
    assert [KEYPOINTS[i] for i in FLIP_ORDER] == swapped
    np.testing.assert_array_equal(FLIP_ORDER[FLIP_ORDER], np.arange(len(KEYPOINTS)))
    np.testing.assert_array_equal(flip_order(4, ((0, 3),)), [3, 1, 2, 0])


def test_flip_mirrors_pixels_and_coordinates(faces):
    images, points = faces.images[:8], faces.points[:8]
    before = (images.copy(), points.copy())
    f_images, f_points = flip_horizontal(images, points, SIDE)
    np.testing.assert_array_equal(images, before[0])  # inputs unchanged
    np.testing.assert_array_equal(points, before[1])
    for n in range(8):  # pixel by pixel: column j comes from column S - 1 - j
        for j in range(SIDE):
            np.testing.assert_array_equal(f_images[n, 0, :, j], images[n, 0, :, SIDE - 1 - j])
    # a flipped face's left eye is the original's right eye, mirrored (y unchanged)
    np.testing.assert_allclose(f_points[:, LEFT_EYE, 0], SIDE - 1 - points[:, RIGHT_EYE, 0])
    np.testing.assert_allclose(f_points[:, LEFT_EYE, 1], points[:, RIGHT_EYE, 1])
    np.testing.assert_allclose(f_points[:, RIGHT_EYE, 0], SIDE - 1 - points[:, LEFT_EYE, 0])
    nose = KEYPOINTS.index("nose tip")
    np.testing.assert_allclose(f_points[:, nose, 0], SIDE - 1 - points[:, nose, 0])
    # and the flipped face still has its left eye on the image's right
    for left, right in PAIRS:
        assert (f_points[:, left, 0] > f_points[:, right, 0]).all()


def test_flipping_twice_is_the_identity(faces):
    once = flip_horizontal(faces.images, faces.points, SIDE)
    twice = flip_horizontal(*once, SIDE)
    np.testing.assert_array_equal(twice[0], faces.images)
    np.testing.assert_allclose(twice[1], faces.points, atol=1e-5)
    assert not np.array_equal(once[0], faces.images)


def test_flipped_keypoints_sit_on_the_flipped_pupils(faces):
    f_images, f_points = flip_horizontal(faces.images, faces.points, SIDE)
    for k in (LEFT_EYE, RIGHT_EYE):
        assert dark_centroid_offsets(f_images, f_points, k).mean() < 0.35
    # mirroring the x coordinates but not the image would put them off the pupils
    assert dark_centroid_offsets(faces.images, f_points, LEFT_EYE).mean() > 0.6


def test_mean_keypoints_is_the_average_face(faces):
    mean = mean_keypoints(faces.points)
    assert mean.shape == (len(KEYPOINTS), 2)
    expected = np.zeros((len(KEYPOINTS), 2))
    for face in faces.points.astype(np.float64):
        expected += face
    np.testing.assert_allclose(mean, expected / len(faces), rtol=1e-12)
