"""The regression head: output shape, coordinate normalisation, flip augmentation on batches
(against the numpy flip), the pixel-error metrics against a plain loop, and a short training that
beats the mean-face baseline by a wide margin."""

from __future__ import annotations

import math

import numpy as np
import pytest
import torch

from cnnplay.keypoints.faces import FLIP_ORDER, KEYPOINTS, SIDE, flip_horizontal, make_faces
from cnnplay.keypoints.model import (
    KeypointCNN,
    KeypointNetConfig,
    KeypointSettings,
    RandomFlips,
    build_model,
    denormalise_points,
    flip_batch,
    held_out,
    mean_pixel_error,
    normalise_images,
    normalise_points,
    point_errors,
    predict_points,
    rmse_pixels,
    score,
    start_at_mean_face,
    to_assignment_scale,
    train_keypoints,
)
from cnnplay.train import TrainConfig

K = len(KEYPOINTS)


pytestmark = pytest.mark.usefixtures("one_thread")  # tests/conftest.py


@pytest.fixture(scope="module")
def test_set():
    return held_out()


@pytest.fixture(scope="module")
def short_run(test_set):
    """384 faces, 5 epochs, flips on: a couple of seconds on one core."""
    train = make_faces(384, seed=1)
    model = build_model(1).cpu()
    history = train_keypoints(
        model, train, test_set, TrainConfig(epochs=5, batch_size=32, lr=3e-3, seed=1), flip=True
    )
    return model, train, history


def test_model_has_a_2k_output_linear_head():
    model = KeypointCNN(KeypointNetConfig(side=SIDE))
    out = model(torch.zeros(3, 1, SIDE, SIDE))
    assert out.shape == (3, 2 * K)
    last = model.head[-1]
    assert isinstance(last, torch.nn.Linear) and last.out_features == 2 * K
    with pytest.raises(ValueError, match="too many"):
        KeypointCNN(KeypointNetConfig(side=4, widths=(4, 4, 4)))


def test_build_model_is_seeded():
    a, b, c = build_model(5), build_model(5), build_model(6)
    for (name, p), q in zip(a.state_dict().items(), b.state_dict().values(), strict=True):
        torch.testing.assert_close(p, q, msg=name)
    assert not torch.equal(a.head[-1].weight, c.head[-1].weight)


def test_normalised_coordinates_round_trip():
    points = torch.tensor([[[0.0, 0.0], [SIDE - 1.0, SIDE - 1.0], [(SIDE - 1) / 2, 10.0]]])
    y = normalise_points(points, SIDE)
    assert y.shape == (1, 6)
    torch.testing.assert_close(y[0, :4], torch.tensor([-1.0, -1.0, 1.0, 1.0]))
    assert y[0, 4] == 0
    torch.testing.assert_close(denormalise_points(y, SIDE), points)
    x = normalise_images(torch.tensor([[[[0, 255]]]], dtype=torch.uint8))
    torch.testing.assert_close(x, torch.tensor([[[[-1.0, 1.0]]]]))


def test_flip_batch_matches_the_numpy_flip():
    faces = make_faces(6, seed=2)
    x = normalise_images(torch.from_numpy(faces.images))
    y = normalise_points(torch.from_numpy(faces.points), SIDE)
    mask = torch.tensor([True, False, True, True, False, False])
    fx, fy = flip_batch(x, y, mask)
    f_images, f_points = flip_horizontal(faces.images, faces.points, SIDE)
    for n in range(6):
        images, points = (f_images, f_points) if mask[n] else (faces.images, faces.points)
        torch.testing.assert_close(fx[n], normalise_images(torch.from_numpy(images[n])))
        torch.testing.assert_close(
            denormalise_points(fy[n : n + 1], SIDE)[0], torch.from_numpy(points[n]), atol=1e-4,
            rtol=0,
        )  # fmt: skip
    # the inputs are not changed, and flipping twice gives them back
    torch.testing.assert_close(x, normalise_images(torch.from_numpy(faces.images)))
    gx, gy = flip_batch(fx, fy, mask)
    torch.testing.assert_close(gx, x)
    torch.testing.assert_close(gy, y)


def test_flipped_left_eye_is_the_original_right_eye_mirrored():
    y = torch.arange(2 * K, dtype=torch.float32)[None] / (2 * K)  # (1, 2K) distinct values
    _, fy = flip_batch(torch.zeros(1, 1, 4, 4), y, torch.tensor([True]))
    points, flipped = y.reshape(K, 2), fy.reshape(K, 2)
    left, right = KEYPOINTS.index("left eye"), KEYPOINTS.index("right eye")
    assert flipped[left, 0] == -points[right, 0] and flipped[left, 1] == points[right, 1]
    for k in range(K):
        assert flipped[k, 0] == -points[FLIP_ORDER[k], 0]


def test_random_flips_are_seeded_and_can_be_off():
    faces = make_faces(64, seed=0)
    xb, yb = torch.from_numpy(faces.images), normalise_points(torch.from_numpy(faces.points), SIDE)
    a, b = RandomFlips(7)(xb, yb), RandomFlips(7)(xb, yb)
    torch.testing.assert_close(a, b)
    flipped = (a[1] != yb).any(dim=1)  # (64,) which faces were mirrored
    assert 16 <= int(flipped.sum()) <= 48  # about half
    off_x, off_y = RandomFlips(7, enabled=False)(xb, yb)
    torch.testing.assert_close(off_x, normalise_images(xb))
    assert off_y is yb


def loop_mean_error(pred: np.ndarray, true: np.ndarray) -> float:
    total, count = 0.0, 0
    for n in range(true.shape[0]):
        for k in range(true.shape[1]):
            px, py = pred[n][k] if pred.ndim == 3 else pred[k]
            total += math.hypot(float(px) - float(true[n, k, 0]), float(py) - float(true[n, k, 1]))
            count += 1
    return total / count


def loop_rmse(pred: np.ndarray, true: np.ndarray) -> float:
    total, count = 0.0, 0
    for n in range(true.shape[0]):
        for k in range(true.shape[1]):
            for c in range(2):
                p = pred[n, k, c] if pred.ndim == 3 else pred[k, c]
                total += (float(p) - float(true[n, k, c])) ** 2
                count += 1
    return math.sqrt(total / count)


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_pixel_errors_match_a_loop(seed):
    rng = np.random.default_rng(seed)
    true = rng.uniform(0, SIDE - 1, (7, K, 2)).astype(np.float32)
    pred = true + rng.normal(0, 2, true.shape).astype(np.float32)
    assert mean_pixel_error(pred, true) == pytest.approx(loop_mean_error(pred, true), rel=1e-9)
    assert rmse_pixels(pred, true) == pytest.approx(loop_rmse(pred, true), rel=1e-9)
    mean_face = true.mean(axis=0)  # (K, 2): the same points for every face
    assert mean_pixel_error(mean_face, true) == pytest.approx(
        loop_mean_error(mean_face, true), rel=1e-9
    )
    assert rmse_pixels(mean_face, true) == pytest.approx(loop_rmse(mean_face, true), rel=1e-9)
    errors = point_errors(pred, true)
    assert errors.shape == (7, K)
    assert errors[3, 2] == pytest.approx(math.dist(pred[3, 2], true[3, 2]), rel=1e-6)


def test_pixel_error_of_known_offsets():
    """Every point moved by (3, 4): the mean distance is 5 px and the RMSE √((9 + 16) / 2)."""
    true = np.zeros((2, K, 2))
    pred = true + np.array([3.0, 4.0])
    assert mean_pixel_error(pred, true) == pytest.approx(5.0)
    assert rmse_pixels(pred, true) == pytest.approx(math.sqrt(12.5))
    assert to_assignment_scale(0.8, 48) == pytest.approx(1.6)


def test_score_matches_the_metrics(test_set):
    rng = np.random.default_rng(0)
    pred = test_set.points + rng.normal(0, 1, test_set.points.shape).astype(np.float32)
    train_points = make_faces(50, seed=9).points
    s = score(pred, test_set, train_points)
    mean_face = train_points.astype(np.float64).sum(axis=0) / len(train_points)
    assert s.mean_px == pytest.approx(loop_mean_error(pred, test_set.points), rel=1e-9)
    assert s.baseline_px == pytest.approx(loop_mean_error(mean_face, test_set.points), rel=1e-9)
    assert s.baseline_rmse_px == pytest.approx(loop_rmse(mean_face, test_set.points), rel=1e-9)
    assert s.mean_96 == pytest.approx(2 * s.mean_px) and s.rmse_96 == pytest.approx(2 * s.rmse_px)
    assert np.mean(s.per_keypoint_px) == pytest.approx(s.mean_px, rel=1e-9)
    assert np.mean(s.baseline_per_keypoint_px) == pytest.approx(s.baseline_px, rel=1e-9)


def test_start_at_mean_face_sets_the_bias():
    model = build_model(0).cpu()
    points = make_faces(40, seed=1).points
    start_at_mean_face(model, points, SIDE)
    centre = (SIDE - 1) / 2
    expected = ((points.astype(np.float64).mean(axis=0) - centre) / centre).ravel()
    np.testing.assert_allclose(model.head[-1].bias.detach().numpy(), expected, atol=1e-6)


def test_short_training_beats_the_mean_baseline(short_run, test_set):
    model, train, history = short_run
    pred = predict_points(model, test_set.images)
    s = score(pred, test_set, train.points)
    # measured: about 1.5 px against 4.7 px; a third of the baseline's error leaves a wide margin
    assert s.mean_px < 0.6 * s.baseline_px, (s.mean_px, s.baseline_px)
    assert len(history.epochs) == 5 and not history.stopped
    # the per-epoch held-out error (torch) is the numpy metric of predict_points
    assert history.epochs[-1]["val_error_px"] == pytest.approx(s.mean_px, rel=1e-4)
    losses = history.series("train_loss")
    assert losses[-1] < losses[0]


def test_predict_points_keeps_the_model(short_run, test_set):
    model, _, _ = short_run
    model.train()
    before = {k: v.clone() for k, v in model.state_dict().items()}
    pred = predict_points(model, test_set.images[:5])
    assert pred.shape == (5, K, 2) and pred.dtype == np.float32
    assert model.training
    for k, v in model.state_dict().items():
        torch.testing.assert_close(v, before[k], msg=k)
    model.eval()


def test_training_is_seeded_and_can_stop(test_set):
    train = make_faces(64, seed=0)
    config = TrainConfig(epochs=1, batch_size=16, lr=3e-3, seed=4)
    runs = []
    for _ in range(2):
        model = build_model(4).cpu()
        train_keypoints(model, train, test_set, config, flip=True)
        runs.append(predict_points(model, test_set.images[:10]))
    np.testing.assert_array_equal(runs[0], runs[1])
    calls = []
    model = build_model(4).cpu()
    history = train_keypoints(
        model,
        train,
        test_set,
        TrainConfig(epochs=3, batch_size=16, seed=4),
        should_stop=lambda: len(calls) >= 2,
        on_progress=lambda step, total, metrics: calls.append(step),
    )
    # stopped before step 3: the first epoch ends early, with the two steps it made
    assert history.stopped and calls[:2] == [1, 2] and len(history.epochs) == 1
    history = train_keypoints(
        build_model(4).cpu(), train, test_set, config, should_stop=lambda: True
    )
    assert history.stopped and history.epochs == []


def test_settings_make_the_training_config():
    s = KeypointSettings(faces=250, epochs=3, flip=False, seed=9)
    assert s.train_config() == TrainConfig(3, 32, 3e-3, seed=9)
    assert s.label() == "flips off" and KeypointSettings().label() == "flips on"
