"""cnnplay.segmentation: metrics against plain loop / set references, boundary bands and
instances against scipy.ndimage, the loss against torch, augmentation of masks, training."""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy import ndimage

from cnnplay.dihedral import Dihedral
from cnnplay.images import fit_to_multiple
from cnnplay.metrics import confusion_matrix
from cnnplay.scenes import SceneConfig, make_scenes
from cnnplay.segmentation.instances import instances_from_semantic
from cnnplay.segmentation.metrics import (
    boundary_accuracy,
    boundary_band,
    evaluate,
    scores,
)
from cnnplay.segmentation.training import (
    SceneTensors,
    SegTrainSettings,
    segmentation_loss,
    to_training_batch,
    train_unet,
)
from cnnplay.segmentation.unet import UNet, UNetConfig, image_tensor

RNG = np.random.default_rng(0)


def test_iou_and_dice_are_the_set_formulas() -> None:
    pred, target = RNG.integers(0, 4, (40, 40)), RNG.integers(0, 3, (40, 40))  # class 3: FP only
    s = scores(confusion_matrix(target, pred, 5))  # class 4: absent from both
    for c in range(4):
        p, t = pred == c, target == c
        inter, union = (p & t).sum(), (p | t).sum()
        assert s.iou[c] == pytest.approx(inter / union)
        assert s.dice[c] == pytest.approx(2 * inter / (p.sum() + t.sum()))
        assert s.dice[c] == pytest.approx(2 * s.iou[c] / (1 + s.iou[c]))
    assert s.iou[3] == 0 and np.isnan(s.iou[4]) and np.isnan(s.dice[4])
    assert s.mean_iou == pytest.approx(np.mean(s.iou[:4]))
    assert s.pixel_accuracy == pytest.approx((pred == target).mean())


def test_perfect_prediction_scores_one() -> None:
    target = RNG.integers(0, 4, (2, 16, 16))
    s = scores(confusion_matrix(target, target, 4))
    assert s.mean_iou == 1.0 and s.mean_dice == 1.0
    assert boundary_accuracy(target, target) == 1.0


def test_shape_mismatch_is_refused() -> None:
    with pytest.raises(ValueError, match="differ in shape"):
        boundary_accuracy(np.zeros((4, 4), int), np.zeros((2, 4, 4), int))


@pytest.mark.parametrize("width", [1, 2, 3])
def test_boundary_band_matches_scipy(width: int) -> None:
    sem = np.zeros((30, 30), int)
    sem[5:15, 4:20] = 1
    sem[18:27, 10:25] = 2
    sem[RNG.integers(0, 30, 8), RNG.integers(0, 30, 8)] = 3
    right = np.zeros_like(sem, bool)
    right[:, :-1] = sem[:, 1:] != sem[:, :-1]
    down = np.zeros_like(sem, bool)
    down[:-1, :] = sem[1:, :] != sem[:-1, :]
    edge = right | np.roll(right, 1, axis=1) | down | np.roll(down, 1, axis=0)
    ref = edge
    if width > 1:
        ref = ndimage.binary_dilation(edge, np.ones((3, 3)), iterations=width - 1)
    np.testing.assert_array_equal(boundary_band(sem, width), ref)


def test_boundary_accuracy_sees_only_the_edges() -> None:
    target = np.zeros((40, 40), int)
    target[10:30, 10:30] = 1
    interior_wrong = target.copy()
    interior_wrong[18:22, 18:22] = 2  # far from any edge
    assert boundary_accuracy(interior_wrong, target) == 1.0
    eroded = np.zeros_like(target)
    eroded[12:28, 12:28] = 1  # 2 px lost all round
    assert boundary_accuracy(eroded, target) < 0.8
    assert np.isnan(boundary_accuracy(np.zeros((8, 8), int), np.zeros((8, 8), int)))


def test_instances_are_8_connected_pieces_per_class_like_scipy() -> None:
    sem = RNG.choice(4, (48, 48), p=[0.55, 0.15, 0.15, 0.15])
    inst = instances_from_semantic(sem)
    expected = sum(ndimage.label(sem == c, np.ones((3, 3)))[1] for c in (1, 2, 3))
    assert len(inst.classes) == expected == inst.ids.max()
    for i, (c, area) in enumerate(zip(inst.classes, inst.areas, strict=True), start=1):
        piece = inst.ids == i
        assert piece.sum() == area and (sem[piece] == c).all()
        assert ndimage.label(piece, np.ones((3, 3)))[1] == 1
    assert ((inst.ids > 0) == (sem > 0)).all()


def test_touching_objects_of_one_class_merge_and_specks_drop() -> None:
    sem = np.zeros((20, 30), int)
    sem[2:10, 2:10] = 1
    sem[2:10, 10:18] = 1  # touches the first square
    sem[12:18, 2:8] = 2
    sem[15, 25] = 3  # one-pixel speck
    inst = instances_from_semantic(sem, min_area=2)
    assert sorted(inst.classes.tolist()) == [1, 2]
    assert inst.areas[inst.classes == 1][0] == 128


def test_loss_is_cross_entropy_plus_soft_dice() -> None:
    logits = torch.randn(2, 4, 8, 8, dtype=torch.float64, requires_grad=True)
    target = torch.randint(0, 4, (2, 8, 8))
    loss = segmentation_loss(logits, target)
    probs = logits.softmax(1)
    onehot = F.one_hot(target, 4).permute(0, 3, 1, 2).double()
    dice = [
        (2 * (probs[:, c] * onehot[:, c]).sum() + 1) / (probs[:, c].sum() + onehot[:, c].sum() + 1)
        for c in range(4)
    ]
    ref = F.cross_entropy(logits, target) + 1 - sum(dice) / 4
    torch.testing.assert_close(loss, ref)
    loss.backward()
    assert logits.grad is not None and torch.isfinite(logits.grad).all()
    perfect = F.one_hot(target, 4).permute(0, 3, 1, 2).double() * 50
    assert segmentation_loss(perfect, target) < 1e-3


def test_dihedral_moves_masks_with_their_images() -> None:
    y = torch.randint(0, 4, (16, 12, 12))
    x = F.one_hot(y, 4).permute(0, 3, 1, 2).float()  # the mask as a 4-channel image
    aug = Dihedral()
    xa = aug(x, torch.Generator().manual_seed(3))
    ya = aug.targets(y)
    assert len(aug.codes.unique()) > 1
    torch.testing.assert_close(xa.argmax(1), ya)


def test_scene_tensors_are_compact_and_batches_are_what_the_model_takes() -> None:
    scenes = make_scenes(3, seed=5, config=SceneConfig(size=32))
    data = SceneTensors.from_scenes(scenes)
    assert data.images.shape == (3, 3, 32, 32) and data.images.dtype == torch.uint8
    assert data.classes.shape == (3, 32, 32) and data.classes.dtype == torch.uint8
    # generated one at a time: the same pixels and classes as the scenes themselves
    made = SceneTensors.generate(3, seed=5, size=32)
    torch.testing.assert_close(made.images, data.images, rtol=0, atol=0)
    torch.testing.assert_close(made.classes, data.classes, rtol=0, atol=0)
    x, y = to_training_batch(data.images[1:], data.classes[1:])
    assert x.dtype == torch.float32 and y.dtype == torch.int64
    torch.testing.assert_close(x, image_tensor(np.stack([s.image for s in scenes[1:]])))
    np.testing.assert_array_equal(y[0].numpy(), scenes[1].semantic)


def test_training_learns_a_small_set_and_reports_progress() -> None:
    """Fit 8 small scenes (scored on themselves): from "all background" to mean IoU > 0.6."""
    cfg = UNetConfig(depth=2, base_width=8)
    scenes = make_scenes(8, seed=1, config=SceneConfig(size=32))
    settings = SegTrainSettings(epochs=30, batch_size=8, lr=1e-2, augment=False)
    torch.manual_seed(0)
    before = evaluate(UNet(cfg).eval(), scenes)
    assert before["val_pixel_accuracy"] > 0.8 and before["val_miou"] < 0.3  # the prior start
    calls = []
    model, history = train_unet(
        cfg, settings, scenes, lambda s, t, m: calls.append((s, t, m)), train_scenes=scenes
    )
    assert len(history.epochs) == 30 and not history.stopped
    assert [c[0] for c in calls] == list(range(1, 31)) and calls[-1][1] == 30
    assert history.epochs[-1]["val_miou"] > 0.6
    assert history.epochs[-1]["train_loss"] < 0.5 * history.epochs[0]["train_loss"]
    assert not model.training


def test_training_stops_when_asked() -> None:
    cfg = UNetConfig(depth=1, base_width=4)
    settings = SegTrainSettings(train_scenes=16, epochs=5, batch_size=4, scene_size=32)
    val = make_scenes(2, seed=9, config=SceneConfig(size=32))
    steps = []
    _, history = train_unet(cfg, settings, val, lambda s, t, m: steps.append(s),
                            should_stop=lambda: len(steps) >= 2)
    assert history.stopped and max(steps) == 2  # the partial epoch still reports its record


@pytest.mark.parametrize(
    "shape, multiple, max_side, expected",
    [
        ((100, 70), 32, 256, (96, 64)),
        ((600, 300), 32, 256, (256, 128)),
        ((64, 64), 32, 256, (64, 64)),
        ((20, 50), 32, 256, (32, 32)),
        ((1000, 999), 8, 200, (200, 200)),
    ],
)
def test_fit_to_multiple(shape, multiple, max_side, expected) -> None:
    image = RNG.integers(0, 256, (*shape, 3)).astype(np.uint8)
    out, note = fit_to_multiple(image, multiple, max_side)
    assert out.shape == (*expected, 3) and out.dtype == np.uint8
    assert (note == "") == (shape == expected)
