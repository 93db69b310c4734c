"""The grid detector: output layout, target encoding / decoding round trip, augmentation,
pipeline counts, and the shipped weights' AP@0.5 on fresh held-out scenes."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from cnnplay.detection.detector import (
    CARD_PATH,
    WEIGHTS_PATH,
    DetectorConfig,
    DihedralAugment,
    GridDetector,
    RawDetections,
    anchors_for,
    detection_loss,
    encode_targets,
    evaluate_on_scenes,
    load_detector,
    postprocess,
    raw_detections,
    split_output,
)
from cnnplay.ops.boxes import decode
from cnnplay.scenes import make_scene, make_scenes, stack_images

CFG = DetectorConfig()


def test_output_is_s_by_s_by_b5_plus_c():
    torch.manual_seed(0)
    model = GridDetector(CFG).eval()
    for side in (128, 256):
        out = model(torch.rand(2, 3, side, side))
        assert out.shape == (2, side // 16, side // 16, 3 * 5 + 3)
    deltas, obj, cls = split_output(out, CFG)
    assert deltas.shape == (2, 16, 16, 3, 4) and obj.shape == (2, 16, 16, 3)
    assert cls.shape == (2, 16, 16, 3)


@pytest.mark.parametrize("seed", range(8))
def test_targets_decode_back_to_the_boxes(seed):
    scene = make_scene(seed)
    target = encode_targets(scene.boxes, scene.labels, 8, CFG)  # (S, S, B, 6)
    pos = target[..., 4] > 0
    decoded = decode(target[..., :4], anchors_for(8, CFG))[pos]  # (P, 4)
    assert pos.sum() == len(scene.boxes)  # one positive anchor per object
    for box, label in zip(scene.boxes, scene.labels, strict=True):
        i = np.flatnonzero(np.abs(decoded - box).max(axis=1) < 1e-3)
        assert len(i) == 1 and target[..., 5][pos][i[0]] == label - 1
        cx, cy = (box[0] + box[2]) / 2, (box[1] + box[3]) / 2
        rows, cols, _ = np.nonzero(pos)
        assert (int(cy // 16), int(cx // 16)) in set(zip(rows, cols, strict=True))


def test_augmentation_moves_targets_with_images():
    scenes = make_scenes(12, seed=5)
    x = torch.from_numpy(stack_images(scenes))
    y = torch.from_numpy(np.stack([encode_targets(s.boxes, s.labels, 8, CFG) for s in scenes]))
    aug = DihedralAugment()
    xa = aug(x, torch.Generator().manual_seed(0))
    ya = aug.targets(y)
    assert len(aug.codes.unique()) > 3
    for n, s in enumerate(scenes):
        code, b = int(aug.codes[n]), s.boxes.astype(np.float64)
        img = x[n]
        if code & 4:
            b, img = b[:, [1, 0, 3, 2]], img.transpose(1, 2)
        if code & 1:
            b, img = np.stack([128 - b[:, 2], b[:, 1], 128 - b[:, 0], b[:, 3]], 1), img.flip(2)
        if code & 2:
            b, img = np.stack([b[:, 0], 128 - b[:, 3], b[:, 2], 128 - b[:, 1]], 1), img.flip(1)
        assert torch.equal(xa[n], img)
        pos = ya[n][..., 4].numpy() > 0
        got = decode(ya[n][..., :4].numpy(), anchors_for(8, CFG))[pos]
        # every transformed box is what the transformed target decodes to (cell ties aside)
        for box in b:
            assert np.abs(got - box).max(axis=1).min() < 1e-3


def test_loss_falls_on_a_tiny_batch():
    torch.manual_seed(0)
    model = GridDetector(CFG)
    scenes = make_scenes(4, seed=9)
    x = torch.from_numpy(stack_images(scenes))
    y = torch.from_numpy(np.stack([encode_targets(s.boxes, s.labels, 8, CFG) for s in scenes]))
    opt = torch.optim.Adam(model.parameters(), 3e-3)
    first = None
    for _ in range(15):
        loss = detection_loss(model(x), y, CFG)
        first = first if first is not None else float(loss.detach())
        opt.zero_grad()
        loss.backward()
        opt.step()
    assert float(loss.detach()) < 0.7 * first


def test_pipeline_counts_by_hand():
    # 4 boxes: two near-duplicates of class 1, one of class 2 on top of them, one weak
    boxes = np.array([[0, 0, 10, 10], [1, 0, 11, 10], [0, 1, 10, 11], [50, 50, 60, 60]], float)
    raw = RawDetections(
        boxes=boxes,
        objectness=np.array([0.9, 0.8, 0.7, 0.1]),
        class_probs=np.array([[1.0, 0, 0], [1.0, 0, 0], [0, 1.0, 0], [1.0, 0, 0]]),
        objectness_map=np.zeros((1, 1)),
        grid=1,
        seconds=0.0,
    )
    per_class = postprocess(raw, 0.3, 0.5, per_class=True)
    assert list(per_class.counts.values()) == [4, 4, 3, 2]
    np.testing.assert_array_equal(per_class.labels, [1, 2])
    agnostic = postprocess(raw, 0.3, 0.5, per_class=False)
    assert list(agnostic.counts.values()) == [4, 4, 3, 1]
    assert list(postprocess(raw, 0.05, 0.5).counts.values())[-2:] == [4, 3]


def test_shipped_weights_reach_the_card_on_fresh_scenes():
    assert WEIGHTS_PATH.stat().st_size < 5 * 2**20
    card = CARD_PATH.read_text()
    claimed = float(card.split("AP@0.5 = ")[1].split("*")[0])
    model = load_detector(device=torch.device("cpu"))
    scenes = make_scenes(100, seed=424242)  # never used in training or for the card
    result, dets = evaluate_on_scenes(model, scenes)
    assert result.mean_ap >= claimed - 0.05, (result.mean_ap, claimed)
    raw = raw_detections(model, scenes[0].image)
    assert raw.boxes.shape == (8 * 8 * 3, 4) and len(dets) == 100
