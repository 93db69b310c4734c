"""Synthetic scenes: deterministic, and boxes / labels / masks always agree."""

from __future__ import annotations

import numpy as np
import pytest

from cnnplay.scenes import CLASSES, SceneConfig, make_scene, make_scenes, stack_images


def test_same_seed_same_scene_other_seed_other_scene():
    a, b, c = make_scene(7), make_scene(7), make_scene(8)
    assert np.array_equal(a.image, b.image) and np.array_equal(a.boxes, b.boxes)
    assert not np.array_equal(a.image, c.image)


@pytest.mark.parametrize("seed", range(40))
def test_ground_truth_agrees_with_masks(seed):
    s = make_scene(seed)
    n = len(s.labels)
    assert s.image.shape == (128, 128, 3) and s.image.dtype == np.uint8
    assert s.boxes.shape == (n, 4) and set(np.unique(s.instances)) == set(range(n + 1))
    for i in range(n):
        ys, xs = np.nonzero(s.instances == i + 1)
        assert s.boxes[i].tolist() == [xs.min(), ys.min(), xs.max() + 1, ys.max() + 1]
        assert set(np.unique(s.semantic[s.instances == i + 1])) == {s.labels[i]}
        assert s.names[i] == CLASSES[s.labels[i] - 1]
    assert np.array_equal(s.semantic > 0, s.instances > 0)


def test_config_is_respected():
    cfg = SceneConfig(size=64, min_objects=2, max_objects=2, max_overlap=0.0, noise_std=0)
    scenes = make_scenes(30, seed=3, config=cfg)
    assert all(s.image.shape == (64, 64, 3) for s in scenes)
    assert all(len(s.labels) == 2 for s in scenes)  # no overlap allowed: nothing gets hidden
    counts = np.bincount(np.concatenate([s.labels for s in scenes]), minlength=4)
    assert (counts[1:] > 0).all()  # every class occurs
    x = stack_images(scenes)
    assert x.shape == (30, 3, 64, 64) and x.dtype == np.float32 and 0 <= x.min() and x.max() <= 1


def test_sets_with_different_seeds_do_not_overlap():
    a = {s.image.tobytes() for s in make_scenes(20, seed=0)}
    b = {s.image.tobytes() for s in make_scenes(20, seed=1)}
    assert not a & b


def test_nonsense_config_is_refused():
    with pytest.raises(ValueError):
        make_scene(0, SceneConfig(size=8))
    with pytest.raises(ValueError):
        make_scene(0, SceneConfig(min_objects=3, max_objects=2))
