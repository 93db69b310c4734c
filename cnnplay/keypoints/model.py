"""A CNN with a regression head: 2K numbers out, the (x, y) of K keypoints, trained with the mean
squared error (seed 000: "4 neurons (x1, y1, x2, y2) with no activation function, and we could use
the mean squared error as loss").

Targets are normalised: pixel coordinates in ``[0, S - 1]`` map to ``[-1, 1]``
(:func:`normalise_points`), so the loss does not depend on the image size and the outputs are of
the size a freshly initialised layer gives. Before training, the head is set to answer the mean
face (:func:`start_at_mean_face`): the network starts where the baseline is. Scores are in pixels:
:func:`mean_pixel_error` (the mean distance between a predicted and a true point) and
:func:`rmse_pixels` (the root of the mean squared coordinate error, the Kaggle facial-keypoints
score), against the baseline that predicts the training set's mean face for every image.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor, nn

from cnnplay.device import get_device
from cnnplay.keypoints.faces import (
    ASSIGNMENT_SIDE,
    FLIP_ORDER,
    KEYPOINTS,
    SIDE,
    TEST_STREAM,
    TRAIN_STREAM,
    FaceSet,
    make_faces,
    mean_keypoints,
)
from cnnplay.progress import ProgressFn, StopFn
from cnnplay.seeding import generator, seeded
from cnnplay.train import History, TrainConfig, fit

FLIP_STREAM = 2**33  # the flips draw from seed + this: other numbers than the batch order's


@dataclass(frozen=True)
class KeypointNetConfig:
    side: int = SIDE  # input image side S (pixels)
    num_points: int = len(KEYPOINTS)  # K keypoints: the head has 2K outputs
    widths: tuple[int, ...] = (8, 16, 32)  # channels of the conv blocks (each halves the side)
    hidden: int = 128  # units of the dense layer before the 2K outputs


class KeypointCNN(nn.Module):
    """(N, 1, S, S) normalised pixels -> (N, 2K) normalised coordinates
    ``(x_1, y_1, ..., x_K, y_K)`` in about [-1, 1].

    Per block: 3×3 conv (padding 1) → batch norm → ReLU → 2×2 max pool; then flatten → dense
    (``hidden``) → ReLU → dense 2K with no activation (a regression head)."""

    def __init__(self, config: KeypointNetConfig = KeypointNetConfig()) -> None:
        super().__init__()
        self.config = config
        blocks: list[nn.Module] = []
        channels, side = 1, config.side
        for width in config.widths:
            blocks += [
                nn.Conv2d(channels, width, 3, padding=1),  # (N, width, side, side)
                nn.BatchNorm2d(width),
                nn.ReLU(),
                nn.MaxPool2d(2),  # (N, width, side // 2, side // 2)
            ]
            channels, side = width, side // 2
        if side < 1:
            raise ValueError(
                f"{len(config.widths)} blocks are too many for a side of {config.side}"
            )
        self.features = nn.Sequential(*blocks)
        self.head = nn.Sequential(
            nn.Flatten(),  # (N, channels * side * side)
            nn.Linear(channels * side * side, config.hidden),
            nn.ReLU(),
            nn.Linear(config.hidden, 2 * config.num_points),  # (N, 2K): no activation
        )

    def forward(self, x: Tensor) -> Tensor:
        return self.head(self.features(x))  # (N, 2K)


def build_model(seed: int, config: KeypointNetConfig = KeypointNetConfig()) -> KeypointCNN:
    """A fresh :class:`KeypointCNN` on the device, initial weights drawn from ``seed`` alone."""
    return seeded(lambda: KeypointCNN(config), seed).to(get_device())


@dataclass(frozen=True)
class KeypointSettings:
    """One training run of the Keypoints tab; the defaults are the tab's (measured: its
    ``MEASURED`` note)."""

    faces: int = 2000  # generated training faces
    epochs: int = 15  # passes over them
    flip: bool = True  # mirror each training face with probability 1/2
    seed: int = 0  # the training faces, initial weights, batch order and flips
    batch_size: int = 32  # faces per optimiser step
    lr: float = 3e-3  # peak learning rate of the one-cycle schedule (Adam)

    def train_config(self) -> TrainConfig:
        return TrainConfig(self.epochs, self.batch_size, self.lr, seed=self.seed)

    def label(self) -> str:
        """A short name: "flips on" / "flips off"."""
        return "flips on" if self.flip else "flips off"


TEST_FACES = 300  # held-out faces: the same for every run and seed (TEST_STREAM, seed 0)


def held_out(side: int = SIDE) -> FaceSet:
    """The held-out faces every run is scored on: (TEST_FACES, 1, side, side)."""
    return make_faces(TEST_FACES, 0, side, TEST_STREAM)


def training_faces(settings: KeypointSettings, side: int = SIDE) -> FaceSet:
    """The training faces of ``settings``: (faces, 1, side, side), drawn from its seed."""
    return make_faces(settings.faces, settings.seed, side, TRAIN_STREAM)


# --- coordinates and pixels ------------------------------------------------------------------


def normalise_images(images: Tensor) -> Tensor:
    """(N, 1, S, S) uint8 0..255 -> float32 (N, 1, S, S) in [-1, 1]."""
    return images.float() / 127.5 - 1.0


def normalise_points(points: Tensor, side: int) -> Tensor:
    """(N, K, 2) pixels in [0, S - 1] -> (N, 2K) float32 in [-1, 1] (the image centre is 0)."""
    centre = (side - 1) / 2
    return ((points.float() - centre) / centre).flatten(1)  # (N, 2K)


def denormalise_points(y: Tensor, side: int) -> Tensor:
    """(N, 2K) normalised -> (N, K, 2) pixels (inverse of :func:`normalise_points`)."""
    centre = (side - 1) / 2
    return y.reshape(len(y), -1, 2) * centre + centre  # (N, K, 2)


def flip_batch(x: Tensor, y: Tensor, flip: Tensor) -> tuple[Tensor, Tensor]:
    """Mirror the faces where ``flip`` (N,) bool is True: x (N, C, S, S) columns reversed, y
    (N, 2K) normalised coordinates: x negated (the centre is 0) and every left/right pair's
    labels swapped (:data:`cnnplay.keypoints.faces.FLIP_ORDER`). New tensors."""
    order = torch.as_tensor(FLIP_ORDER, device=y.device)
    points = y.reshape(len(y), -1, 2)  # (N, K, 2)
    mirrored = torch.stack([-points[..., 0], points[..., 1]], dim=-1)[:, order]  # (N, K, 2)
    keep = flip.to(x.device).reshape(-1, *([1] * (x.dim() - 1)))  # (N, 1, 1, 1)
    x_out = torch.where(keep, x.flip(-1), x)
    y_out = torch.where(flip.to(y.device).reshape(-1, 1, 1), mirrored, points)
    return x_out, y_out.flatten(1)


def start_at_mean_face(model: KeypointCNN, points: np.ndarray, side: int) -> KeypointCNN:
    """Make the untrained head answer (about) the mean face: its bias becomes the normalised
    mean of ``points`` (N, K, 2) pixels and its weights a tenth of their random values. Training
    then starts from the baseline instead of from random points near the image centre, which
    takes a few epochs fewer. Returns ``model``, changed in place."""
    last = model.head[-1]
    mean_face = torch.as_tensor(mean_keypoints(points)[None], dtype=torch.float32)  # (1, K, 2)
    with torch.no_grad():
        last.bias.copy_(normalise_points(mean_face, side)[0].to(last.bias.device))  # (2K,)
        last.weight.mul_(0.1)
    return model


class RandomFlips:
    """``prepare(xb, yb)`` for :func:`cnnplay.train.fit`: normalises a batch of uint8 images and
    mirrors each face with probability 1/2 (:func:`flip_batch`), drawing from its own generator
    of ``seed`` (the same seed gives the same flips)."""

    def __init__(self, seed: int, enabled: bool = True) -> None:
        self.enabled = enabled
        self.gen = generator(seed + FLIP_STREAM)

    def __call__(self, xb: Tensor, yb: Tensor) -> tuple[Tensor, Tensor]:
        x = normalise_images(xb)  # (B, 1, S, S)
        if not self.enabled:
            return x, yb
        flip = torch.rand(len(xb), generator=self.gen) < 0.5  # (B,) drawn on the CPU
        return flip_batch(x, yb, flip)


# --- scores ----------------------------------------------------------------------------------


def point_errors(pred: np.ndarray, true: np.ndarray) -> np.ndarray:
    """(N, K, 2), (N, K, 2) pixels -> (N, K) float64 distances in pixels."""
    diff = np.asarray(pred, dtype=np.float64) - np.asarray(true, dtype=np.float64)
    return np.sqrt((diff**2).sum(axis=-1))


def mean_pixel_error(pred: np.ndarray, true: np.ndarray) -> float:
    """The mean distance in pixels between predicted and true points, over every image and
    keypoint. ``pred`` may be (K, 2) (the same points for every image: the baseline)."""
    true = np.asarray(true, dtype=np.float64)
    return float(point_errors(np.broadcast_to(pred, true.shape), true).mean())


def rmse_pixels(pred: np.ndarray, true: np.ndarray) -> float:
    """The root of the mean squared coordinate error in pixels (each x and each y counted
    once: the Kaggle facial-keypoints score). ``pred`` may be (K, 2) like the baseline."""
    true = np.asarray(true, dtype=np.float64)
    diff = np.broadcast_to(np.asarray(pred, dtype=np.float64), true.shape) - true
    return float(np.sqrt((diff**2).mean()))


def to_assignment_scale(pixels: float, side: int) -> float:
    """An error in pixels of ``side``-pixel images -> the same error on the assignment's
    96 × 96 images (the faces scaled up, errors scaled with them)."""
    return pixels * ASSIGNMENT_SIDE / side


@dataclass(frozen=True)
class KeypointScores:
    """Held-out scores of a model and of the mean-face baseline, in pixels of ``side``."""

    side: int  # the images' side (pixels)
    mean_px: float  # the model's mean distance, predicted to true point
    rmse_px: float  # the model's root mean squared coordinate error
    baseline_px: float  # the mean distance when every prediction is the training mean face
    baseline_rmse_px: float  # ... its root mean squared coordinate error
    per_keypoint_px: tuple[float, ...]  # the model's mean distance per keypoint (K,)
    baseline_per_keypoint_px: tuple[float, ...]  # the baseline's mean distance per keypoint (K,)

    @property
    def mean_96(self) -> float:
        """``mean_px`` scaled to the assignment's 96 × 96 images."""
        return to_assignment_scale(self.mean_px, self.side)

    @property
    def rmse_96(self) -> float:
        """``rmse_px`` scaled to the assignment's 96 × 96 images."""
        return to_assignment_scale(self.rmse_px, self.side)


def score(pred: np.ndarray, test: FaceSet, train_points: np.ndarray) -> KeypointScores:
    """Scores of ``pred`` (N, K, 2) on ``test``, and of the baseline: the mean of
    ``train_points`` (M, K, 2) for every face."""
    mean_face = mean_keypoints(train_points)  # (K, 2)
    baseline = np.broadcast_to(mean_face, test.points.shape)  # (N, K, 2)
    return KeypointScores(
        side=test.side,
        mean_px=mean_pixel_error(pred, test.points),
        rmse_px=rmse_pixels(pred, test.points),
        baseline_px=mean_pixel_error(baseline, test.points),
        baseline_rmse_px=rmse_pixels(baseline, test.points),
        per_keypoint_px=tuple(point_errors(pred, test.points).mean(axis=0).tolist()),
        baseline_per_keypoint_px=tuple(point_errors(baseline, test.points).mean(axis=0).tolist()),
    )


# --- training and prediction -----------------------------------------------------------------


def predict_points(model: nn.Module, images: np.ndarray, batch: int = 256) -> np.ndarray:
    """(N, 1, S, S) uint8 -> (N, K, 2) float32 predicted pixels, in eval mode, without changing
    the model (its training/eval mode is restored)."""
    device = next(model.parameters()).device
    side = images.shape[-1]
    was_training = model.training
    model.eval()
    out = []
    with torch.inference_mode():
        for start in range(0, len(images), batch):
            x = torch.from_numpy(np.ascontiguousarray(images[start : start + batch])).to(device)
            y = model(normalise_images(x))  # (B, 2K)
            out.append(denormalise_points(y, side).cpu().numpy())
    model.train(was_training)
    return np.concatenate(out).astype(np.float32) if out else np.empty((0, 0, 2), np.float32)


def train_keypoints(
    model: nn.Module,
    train: FaceSet,
    test: FaceSet,
    config: TrainConfig,
    flip: bool = False,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    start_at_mean: bool = True,
) -> History:
    """Train ``model`` in place with the mean squared error on normalised coordinates (Adam,
    a one-cycle learning rate peaking at ``config.lr``); after
    every epoch the history gets ``val_loss`` (the held-out MSE, normalised) and
    ``val_error_px`` (the held-out mean pixel error). ``flip``: mirror each training face with
    probability 1/2 (image, x coordinates and left/right labels). ``start_at_mean``: first
    set the head to answer the training set's mean face (:func:`start_at_mean_face`; needs a
    :class:`KeypointCNN`). Returns the history."""
    if train.side != test.side:
        raise ValueError(f"training ({train.side}) and held-out ({test.side}) sides differ")
    if start_at_mean:
        start_at_mean_face(model, train.points, train.side)
    device = next(model.parameters()).device
    x = torch.from_numpy(train.images).to(device)  # (N, 1, S, S) uint8: normalised per batch
    y = normalise_points(torch.from_numpy(train.points), train.side).to(device)  # (N, 2K)
    x_test = normalise_images(torch.from_numpy(test.images).to(device))  # (M, 1, S, S)
    y_test = normalise_points(torch.from_numpy(test.points), test.side).to(device)  # (M, 2K)
    centre = (test.side - 1) / 2

    def evaluate(m: nn.Module) -> dict[str, float]:
        pred = torch.cat([m(x_test[i : i + 256]) for i in range(0, len(x_test), 256)])
        dist = ((pred - y_test).reshape(len(pred), -1, 2) * centre).norm(dim=-1)  # (M, K) px
        return {"val_loss": float(F.mse_loss(pred, y_test)), "val_error_px": float(dist.mean())}

    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    per_epoch = (len(x) + config.batch_size - 1) // config.batch_size
    schedule = torch.optim.lr_scheduler.OneCycleLR(
        optimizer, max_lr=config.lr, total_steps=per_epoch * config.epochs, pct_start=0.2
    )

    def progress(step: int, total: int, metrics: dict[str, float]) -> None:
        if step < total:
            schedule.step()  # the learning rate of the next step
        if on_progress is not None:
            on_progress(step, total, metrics)

    return fit(
        model,
        F.mse_loss,
        x,
        y,
        config,
        optimizer=optimizer,
        prepare=RandomFlips(config.seed, enabled=flip),
        evaluate=evaluate,
        on_progress=progress,
        should_stop=should_stop,
    )
