"""cnnplay.transfer: augmentation, the frozen/trainable split, cached features, the three
strategies on a small set, confusion matrix and the weight export."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from torchvision.models import resnet18

from cnnplay.data.labelled import stratified_split
from cnnplay.data.shapes import shapes_set
from cnnplay.models.pretrained import body_stages, feature_dim, tunable_stages
from cnnplay.train import TrainConfig
from cnnplay.transfer.export import export_head, read_export
from cnnplay.transfer.strategies import (
    NO_AUGMENTATION,
    Augmentation,
    FeatureStore,
    Inputs,
    augment,
    build_transfer,
    predict_probs,
    stopped_result,
    to_inputs,
    to_pixels,
    train_scratch,
    train_transfer,
)

MEAN = STD = (0.5, 0.5, 0.5)


@pytest.fixture(scope="module")
def backbone():
    torch.manual_seed(0)
    return resnet18().eval().requires_grad_(False)


@pytest.fixture(scope="module")
def data():
    d = shapes_set(per_class=6, seed=0)
    x = Inputs.from_images(d.images, 32, MEAN, STD)
    tr, va = stratified_split(d.labels, 0.34, 0)
    return x, torch.from_numpy(d.labels), tr, va


def test_inputs_round_trip():
    images = np.random.default_rng(0).integers(0, 256, (3, 16, 16, 3), dtype=np.uint8)
    x = to_inputs(images, 16, (0.4, 0.5, 0.6), (0.2, 0.3, 0.4))
    assert x.shape == (3, 3, 16, 16) and x.dtype == torch.float32
    assert np.array_equal(to_pixels(x, (0.4, 0.5, 0.6), (0.2, 0.3, 0.4)), images)


def test_inputs_keep_uint8_pixels_and_read_as_to_inputs_does():
    """A quarter of the bytes; read back, the same normalised tensor as to_inputs up to the
    rounding of the resized pixels (half a grey level / std), exactly at the original size."""
    images = np.random.default_rng(1).integers(0, 256, (5, 40, 40, 3), dtype=np.uint8)
    mean, std = (0.4, 0.5, 0.6), (0.2, 0.3, 0.4)
    for side in (40, 24):
        x = Inputs.from_images(images, side, mean, std)
        assert x.pixels.dtype == torch.uint8 and x.pixels.shape == (5, 3, side, side)
        assert len(x) == 5
        full = to_inputs(images, side, mean, std)
        tol = 0.5 / 255 / min(std) + 1e-6 if side != 40 else 1e-6
        torch.testing.assert_close(x[:], full, rtol=0, atol=tol)
        pick = torch.tensor([3, 0])
        torch.testing.assert_close(x[pick], full[pick], rtol=0, atol=tol)
        xb, yb = x.prepare(x.pixels[pick], torch.tensor([1, 2]))
        torch.testing.assert_close(xb, x[pick], rtol=0, atol=0)
        assert yb.tolist() == [1, 2]
    same_size = Inputs.from_images(images, 40, mean, std)
    assert np.array_equal(to_pixels(same_size[:], mean, std), images)


def test_augmentation_is_seeded_and_flip_alone_flips():
    x = torch.randn(6, 3, 20, 20)
    g = lambda: torch.Generator().manual_seed(1)  # noqa: E731
    assert augment(x, g(), NO_AUGMENTATION, MEAN, STD) is x
    aug = Augmentation()
    torch.testing.assert_close(augment(x, g(), aug, MEAN, STD), augment(x, g(), aug, MEAN, STD))
    assert augment(x, g(), aug, MEAN, STD).shape == x.shape
    flipped = augment(x, g(), Augmentation(True, 0.0, 1.0, 0.0), MEAN, STD)
    n_flipped = 0
    for a, b in zip(x, flipped, strict=True):
        same = torch.allclose(a, b, atol=1e-5)
        mirrored = torch.allclose(torch.flip(a, dims=[2]), b, atol=1e-5)
        assert same or mirrored
        n_flipped += mirrored
    assert 0 < n_flipped < len(x)


def test_head_and_finetune_never_change_the_shared_backbone(backbone, data):
    x, y, tr, va = data
    before = {k: v.clone() for k, v in backbone.state_dict().items()}
    stages = body_stages(backbone)
    store = FeatureStore()
    head = build_transfer(stages, len(stages), 5, feature_dim(backbone))
    cfg = TrainConfig(epochs=15, batch_size=8, lr=1e-2)
    r = train_transfer(head, x, y, tr, va, cfg, store, "k")
    assert r.strategy == "head" and r.trainable == 512 * 5 + 5
    losses = r.history.series("train_loss")
    assert losses[-1] < losses[0] and r.feature_seconds > 0
    assert r.val_pred.shape == (len(va),) and 0 <= r.val_accuracy <= 1
    again = train_transfer(
        build_transfer(stages, len(stages), 5, 512), x, y, tr, va, cfg, store, "k"
    )
    assert again.feature_seconds == 0  # features came from the store
    split = tunable_stages(stages)[-1]
    ft = build_transfer(stages, split, 5, 512)
    r2 = train_transfer(
        ft, x, y, tr, va, TrainConfig(epochs=1, lr=1e-3), store, "k", Augmentation()
    )
    assert r2.strategy == "finetune" and r2.trainable > r.trainable
    for key, value in backbone.state_dict().items():
        torch.testing.assert_close(value, before[key], msg=key)
    assert not any(p.requires_grad for p in backbone.parameters())
    assert not any(m.training for m in backbone.modules())
    # the trained copy did change, and predicts like its parts chained
    assert not torch.equal(ft.suffix[0][0].conv1.weight, stages[split][0].conv1.weight)
    probs = predict_probs(ft, x[:4])
    assert probs.shape == (4, 5) and np.allclose(probs.sum(1), 1, atol=1e-5)


def test_augmented_head_caches_extra_views(backbone, data):
    x, y, tr, va = data
    stages = body_stages(backbone)
    store = FeatureStore()
    net = build_transfer(stages, len(stages), 5, 512)
    seen = []
    r = train_transfer(
        net,
        x,
        y,
        tr,
        va,
        TrainConfig(epochs=1, batch_size=64),
        store,
        "k",
        Augmentation(),
        views=3,
        on_features=lambda d, t, m: seen.append(t),
    )
    assert len(store) == 2 and seen[-1] == 3 * len(tr)
    assert len(r.history.epochs) == 1


def test_scratch_learns_and_stop_keeps_a_usable_model(data):
    x, y, tr, va = data
    r = train_scratch(x, y, tr, va, 5, TrainConfig(epochs=4, batch_size=8, lr=3e-3))
    assert r.strategy == "scratch" and len(r.history.epochs) == 4
    assert r.trainable == r.total > 0
    calls = iter(range(100))
    stopped = train_scratch(
        x, y, tr, va, 5, TrainConfig(epochs=4, batch_size=8), should_stop=lambda: next(calls) >= 3
    )
    assert stopped.history.stopped and len(stopped.history.epochs) <= 1
    again = stopped_result("scratch", stopped.model, stopped.history.epochs, 1.0, x, y, tr, va)
    assert again.history.stopped and again.val_pred.shape == (len(va),)


def test_export_round_trip(backbone, data):
    x, y, tr, va = data
    stages = body_stages(backbone)
    net = build_transfer(stages, len(stages), 5, 512, seed=3)
    blob = export_head(net, ["a", "b", "c", "d", "e"], {"strategy": "head"})
    weights, classes, card = read_export(blob)
    assert classes == ["a", "b", "c", "d", "e"] and card["strategy"] == "head"
    fresh = build_transfer(stages, len(stages), 5, 512, seed=4)
    fresh.trainable.load_state_dict(weights)
    torch.testing.assert_close(predict_probs(fresh, x[:3]), predict_probs(net, x[:3]))
