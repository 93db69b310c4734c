"""The optional COCO detector's plumbing, with random weights (no download): NMS switched off,
candidates as arrays; and its offline failure is PretrainedUnavailable."""

from __future__ import annotations

import urllib.error

import numpy as np
import pytest
import torch

import cnnplay.detection.coco as coco
import cnnplay.models.pretrained as pretrained


def test_candidates_with_random_weights(monkeypatch):
    from torchvision.models.detection import ssdlite320_mobilenet_v3_large

    torch.manual_seed(0)
    monkeypatch.setattr(
        coco,
        "load_torchvision",
        lambda name, on_progress=None: ssdlite320_mobilenet_v3_large(
            weights=None, weights_backbone=None
        ),
    )
    model = coco.load_coco_detector()
    assert model.nms_thresh == 1.0 and not model.training
    image = np.random.default_rng(0).integers(0, 256, (120, 160, 3), dtype=np.uint8)
    c = coco.coco_candidates(model, image)
    assert c.boxes.shape == (len(c.scores), 4) and len(c.labels) == len(c.scores)
    assert len(c.scores) <= coco.MAX_CANDIDATES
    names = coco.coco_categories()
    assert names[0] == "__background__" and names[1] == "person"


def test_offline_download_raises_unavailable(monkeypatch, tmp_path):
    def offline(*args, **kwargs):
        raise urllib.error.URLError("no network in this test")

    monkeypatch.setattr(torch.hub, "get_dir", lambda: str(tmp_path))
    monkeypatch.setattr(pretrained.urllib.request, "urlopen", offline)
    with pytest.raises(pretrained.PretrainedUnavailable):
        coco.load_coco_detector()
