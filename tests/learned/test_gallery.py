"""cnnplay.learned.gallery: the photo crops, Fashion-MNIST (and its fallback), one's own labelled
images capped, moved-and-mirrored copies, and galleries combined."""

from __future__ import annotations

import numpy as np
import pytest

from cnnplay.data import fashion
from cnnplay.data.labelled import LabelledImages, square
from cnnplay.images import load_sample, sample_names
from cnnplay.learned import gallery as gallery_module
from cnnplay.learned.gallery import (
    PHOTO_MAX_SIDE,
    Gallery,
    combine,
    crop_grid,
    fashion_gallery,
    labelled_gallery,
    photo_gallery,
    shift_image,
    shifted,
)


@pytest.fixture(scope="module")
def photos() -> Gallery:
    return photo_gallery()


def test_photo_gallery_is_26_crops_of_each_sample_labelled_by_its_photo(photos):
    names = sample_names()
    assert photos.images.shape == (26 * len(names), 128, 128, 3)
    assert photos.images.dtype == np.uint8 and photos.side == 128
    assert photos.classes == names
    assert photos.counts() == {name: 26 for name in names}
    # each photo starts with its whole centre square, as cnnplay.data.labelled.square cuts it
    for k, name in enumerate(names):
        first = photos.images[26 * k]
        expected = square(load_sample(name, PHOTO_MAX_SIDE), 128)
        np.testing.assert_array_equal(first, expected)
    assert np.array_equal(photo_gallery().images, photos.images)  # deterministic


def test_photo_crops_differ_from_each_other(photos):
    flat = photos.images.reshape(len(photos), -1)
    assert len(np.unique(flat, axis=0)) == len(photos)


def test_crop_grid_spans_the_image_corner_to_corner():
    image = np.arange(10 * 16 * 3, dtype=np.int64).reshape(10, 16, 3).astype(np.uint8)
    crops = crop_grid(image, 0.5, 3)  # 5×5 crops, tops 0, 2 (rounded 2.5), 5; lefts 0, 6 (5.5), 11
    assert len(crops) == 9 and all(c.shape == (5, 5, 3) for c in crops)
    np.testing.assert_array_equal(crops[0], image[0:5, 0:5])
    np.testing.assert_array_equal(crops[-1], image[5:10, 11:16])
    (centre,) = crop_grid(image, 1.0, 1)  # the centre square
    np.testing.assert_array_equal(centre, image[:, 3:13])


@pytest.mark.skipif(not fashion.available("test"), reason="Fashion-MNIST is not installed")
def test_fashion_gallery_draws_per_class_grey_images_with_class_names():
    g = fashion_gallery(3)
    assert g.images.shape == (30, 28, 28, 3) and g.images.dtype == np.uint8
    assert g.classes == list(fashion.CLASSES)
    assert set(g.counts().values()) == {3}
    np.testing.assert_array_equal(g.images[..., 0], g.images[..., 2])  # grey copied to RGB
    assert not g.notes
    assert np.array_equal(fashion_gallery(3).images, g.images)  # deterministic
    assert fashion_gallery(2, side=40).images.shape == (20, 40, 40, 3)


def test_without_fashion_mnist_shapes_stand_in_and_say_so(monkeypatch):
    def missing(*args, **kwargs):
        raise fashion.FashionUnavailable("Fashion-MNIST is not installed here.")

    monkeypatch.setattr(gallery_module.fashion, "load_fashion", missing)
    g = fashion_gallery(4)
    assert len(g) == 20 and g.side == 28  # 5 shapes × 4
    assert "circle" in g.classes
    assert "instead of Fashion-MNIST" in g.source
    assert len(g.notes) == 1 and "not installed" in g.notes[0]


def test_labelled_gallery_caps_the_count_fairly_and_says_so():
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (50, 20, 20, 3), dtype=np.uint8)
    labels = np.repeat(np.arange(5), 10)
    data = LabelledImages(images, labels, ("a", "b", "c", "d", "e"), "mine")
    g = labelled_gallery(data, 20, side=16)
    assert g.images.shape == (20, 16, 16, 3)
    assert g.counts() == {name: 4 for name in "abcde"}
    assert g.notes and "20 of the 50" in g.notes[0]
    whole = labelled_gallery(data, 100)
    assert len(whole) == 50 and whole.side == 20 and not whole.notes
    np.testing.assert_array_equal(whole.images, images)
    assert whole.labels == [data.classes[k] for k in labels]


def test_shift_image_moves_and_mirrors():
    image = np.zeros((6, 6, 3), np.uint8)
    image[1, 2] = 200
    moved = shift_image(image, 2, 1, mirror=False)  # 2 down, 1 right
    assert moved[3, 3, 0] == 200 and moved.sum() == 200 * 3
    mirrored = shift_image(image, 0, 0, mirror=True)
    assert mirrored[1, 3, 0] == 200
    both = shift_image(image, -1, 0, mirror=True)  # mirrored first, then 1 up
    assert both[0, 3, 0] == 200


def test_shifted_gallery_keeps_labels_and_changes_pixels(photos):
    small = Gallery(photos.images[:10], photos.labels[:10], "ten")
    moved = shifted(small, 0.1, seed=3)
    assert moved.images.shape == small.images.shape and moved.labels == small.labels
    assert not np.array_equal(moved.images, small.images)
    assert np.array_equal(shifted(small, 0.1, seed=3).images, moved.images)


def test_combine_resizes_to_one_side_and_keeps_labels(photos):
    a = Gallery(photos.images[:3], photos.labels[:3], "a", ("note a",))
    b = Gallery(np.zeros((2, 28, 28, 3), np.uint8), ["x", "y"], "b")
    both = combine([a, b], 64)
    assert both.images.shape == (5, 64, 64, 3)
    assert both.labels == a.labels + ["x", "y"]
    assert both.notes == ("note a",) and both.source == "a; b"
    assert both.label_ids().tolist() == [0, 0, 0, 1, 2]


def test_gallery_checks_its_arrays():
    with pytest.raises(ValueError, match="uint8"):
        Gallery(np.zeros((2, 8, 8, 3), np.float32), ["a", "b"], "x")
    with pytest.raises(ValueError, match="square"):
        Gallery(np.zeros((2, 8, 9, 3), np.uint8), ["a", "b"], "x")
    with pytest.raises(ValueError, match="labels"):
        Gallery(np.zeros((2, 8, 8, 3), np.uint8), ["a"], "x")
