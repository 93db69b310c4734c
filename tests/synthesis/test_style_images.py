"""cnnplay.synthesis.style_images: each generated texture is deterministic, (side, side, 3)
uint8, far from constant and unlike the others; style sources by name include the photos."""

from __future__ import annotations

import numpy as np
import pytest

from cnnplay.images import sample_names
from cnnplay.synthesis.style_images import (
    MAX_SIDE,
    MIN_SIDE,
    style_image,
    style_names,
    texture,
    texture_names,
)


@pytest.mark.parametrize("name", texture_names())
@pytest.mark.parametrize("side", [48, 160])
def test_texture_is_deterministic_shaped_and_not_constant(name, side):
    a = texture(name, side)
    assert a.shape == (side, side, 3) and a.dtype == np.uint8
    np.testing.assert_array_equal(texture(name, side), a)  # the same pixels every time
    assert a.std() > 25  # strong contrast, as a painting has
    assert len(np.unique(a.reshape(-1, 3) // 32, axis=0)) >= 6  # several colours, not one
    assert (a.std(axis=(0, 1)) > 10).all()  # every channel varies


def test_textures_differ_from_each_other_and_keep_their_look_across_sides():
    images = {n: texture(n, 96) for n in texture_names()}
    names = list(images)
    for i, a in enumerate(names):
        for b in names[i + 1 :]:
            assert np.abs(images[a].astype(int) - images[b].astype(int)).mean() > 20, (a, b)
    for name in names:  # features scale with the side: the mean colour stays
        small, large = texture(name, 64), texture(name, 256)
        assert np.abs(small.mean((0, 1)) - large.mean((0, 1))).max() < 20, name


def test_style_sources_are_the_textures_then_the_photos():
    assert style_names() == texture_names() + sample_names()
    assert len(texture_names()) >= 3
    photo = style_image("chelsea (cat)", 200)
    assert photo.dtype == np.uint8 and photo.ndim == 3 and max(photo.shape[:2]) == 200
    assert style_image("mosaic", 64).shape == (64, 64, 3)


def test_unknown_names_and_sides_are_refused():
    with pytest.raises(KeyError):
        texture("nope")
    with pytest.raises(KeyError):
        style_image("nope")
    for side in (MIN_SIDE - 1, MAX_SIDE + 1):
        with pytest.raises(ValueError):
            texture("swirls", side)
