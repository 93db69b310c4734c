"""Your drawing made to look like a training image: greyscale as Pillow computes it, light
backgrounds inverted, the content cropped, fitted to 20×20 (MNIST) or 28×28 (Fashion-MNIST)
keeping its aspect, centred by its centre of mass or its box; position on the input does not
matter; blank inputs get a clear message; classification agrees with each model's own forward."""

from __future__ import annotations

import functools

import numpy as np
import pytest
import torch
from PIL import Image

from cnnplay.convnets.models import normalise
from cnnplay.convnets.preprocess import (
    RECIPES,
    PreprocessError,
    classify,
    coarse_grid,
    fit_into,
    grid_image,
    preprocess,
    top_k,
    top_k_figure,
)
from tests.convnets.helpers import fashion_split, quick_models


def ink_box(image: np.ndarray, level: int = 0) -> tuple[int, int, int, int]:
    """(top, bottom, left, right) exclusive of the pixels brighter than ``level``."""
    rows = np.where((image > level).any(axis=1))[0]
    cols = np.where((image > level).any(axis=0))[0]
    return rows.min(), rows.max() + 1, cols.min(), cols.max() + 1


def stroke(shape=(60, 80), box=(10, 50, 30, 46)) -> np.ndarray:
    """A white rectangle (rows box[0]:box[1], cols box[2]:box[3]) on black, uint8."""
    img = np.zeros(shape, np.uint8)
    img[box[0] : box[1], box[2] : box[3]] = 255
    return img


def test_mnist_recipe_fits_20_keeps_aspect_and_centres_the_mass():
    out = preprocess(stroke(), RECIPES["mnist"])
    final = out.pixels
    assert final.shape == (28, 28) and final.dtype == np.uint8
    top, bottom, left, right = ink_box(final)
    assert bottom - top == 20 and right - left == 8  # 40×16 -> 20×8
    weights = final.astype(np.float64)
    rows, cols = np.mgrid[0:28, 0:28]
    cy = np.average(rows, weights=weights)
    cx = np.average(cols, weights=weights)
    assert abs(cy - 13.5) <= 0.5 and abs(cx - 13.5) <= 0.5  # moved by whole pixels
    names = [s.name for s in out.steps]
    assert names == [
        "your image",
        "greyscale",
        "not inverted",
        "levels stretched",
        "cropped to the content",
        "fit 20×20",
        "centred in 28×28",
    ]
    assert out.steps[4].pixels.shape == (40, 16)


def test_centre_of_mass_differs_from_the_box_centre_for_a_lopsided_shape():
    img = np.zeros((40, 40), np.uint8)
    img[10:30, 0:10] = 255  # a bright left half
    img[10:30, 10:20] = 128  # a dimmer right half: the mass lies left of the box centre
    by_mass = preprocess(img, RECIPES["mnist"]).pixels
    top, bottom, left, right = ink_box(by_mass)
    assert (bottom - top, right - left) == (20, 20)
    assert left > 4  # a centred 20-wide box would start at column 4: this one sits right of it
    cx = np.average(np.mgrid[0:28, 0:28][1], weights=by_mass.astype(float))
    assert abs(cx - 13.5) <= 0.5


def test_fashion_recipe_fits_28_and_centres_the_box():
    final = preprocess(stroke(box=(10, 30, 20, 60)), RECIPES["fashion"]).pixels  # 20×40
    top, bottom, left, right = ink_box(final)
    assert (right - left, bottom - top) == (28, 14)
    assert (top, 28 - bottom) == (7, 7)


def test_dark_on_light_is_inverted_and_gives_the_same_image():
    light = preprocess(stroke(), RECIPES["mnist"])
    dark = preprocess(255 - stroke(), RECIPES["mnist"])
    assert dark.steps[2].name == "inverted" and light.steps[2].name == "not inverted"
    assert np.array_equal(dark.pixels, light.pixels)


def test_position_on_the_input_does_not_matter():
    a = preprocess(stroke(box=(5, 35, 10, 22)), RECIPES["mnist"]).pixels
    b = preprocess(stroke(box=(25, 55, 60, 72)), RECIPES["mnist"]).pixels
    assert np.array_equal(a, b)


def test_rgb_greyscale_matches_pillow():
    gen = np.random.default_rng(0)
    rgb = gen.integers(0, 256, (30, 40, 3), dtype=np.uint8)
    rgb[:3] = rgb[-3:] = 0  # a dark border: the background
    grey = preprocess(rgb, RECIPES["fashion"]).steps[1].pixels
    pil = np.asarray(Image.fromarray(rgb).convert("L"))
    assert np.abs(grey.astype(int) - pil.astype(int)).max() <= 1


@pytest.mark.parametrize(
    "image",
    [
        np.zeros((20, 20), np.uint8),
        np.full((20, 20), 200, np.uint8),
        np.full((9, 9, 3), 255, np.uint8),
    ],
)
def test_blank_images_get_a_clear_message(image):
    with pytest.raises(PreprocessError, match="blank"):
        preprocess(image, RECIPES["mnist"])


def test_bad_arrays_get_a_clear_message():
    with pytest.raises(PreprocessError, match="8-bit"):
        preprocess(np.zeros((20, 20)), RECIPES["mnist"])
    with pytest.raises(PreprocessError, match="8-bit"):
        preprocess(np.zeros((1, 20), np.uint8), RECIPES["mnist"])


def test_fit_into_averages_when_shrinking_and_keeps_range():
    half = np.zeros((40, 40))
    half[:, :20] = 1.0
    small = fit_into(half, 20)
    assert small.shape == (20, 20)
    assert np.allclose(small[:, :10], 1) and np.allclose(small[:, 10:], 0)
    big = fit_into(np.eye(4), 20)
    assert big.shape == (20, 20) and big.min() >= 0 and big.max() <= 1


def test_grid_and_coarse_copy():
    cells = np.zeros((16, 16))
    cells[2:14, 7] = 1
    assert np.array_equal(grid_image(cells)[2:14, 7], np.full(12, 255, np.uint8))
    image = np.zeros((28, 28), np.uint8)
    image[:14, :14] = 255
    coarse = coarse_grid(image, 14)
    assert coarse.shape == (14, 14) and set(np.unique(coarse)) <= {0.0, 1.0}
    assert coarse[:7, :7].all() and not coarse[7:, :].any() and not coarse[:, 7:].any()


@functools.cache
def models():
    split = fashion_split(n_train=300, n_test=8)
    trained, _ = quick_models(split)
    return trained, split


def test_classify_agrees_with_each_models_forward():
    trained, split = models()
    pixels = split.x_test[3, 0].numpy()
    probs = classify(trained, pixels)
    assert set(probs) == {"mlp", "cnn", "fcn"}
    x = normalise(torch.from_numpy(pixels)[None, None])
    for name, model in trained.items():
        with torch.no_grad():
            out = model(x)[0].double()  # logits (MLP, CNN) or log-probabilities (FCN)
        want = torch.exp(out - torch.logsumexp(out, 0)).numpy()
        assert probs[name].sum() == pytest.approx(1.0, abs=1e-9)
        np.testing.assert_allclose(probs[name], want, rtol=1e-5, atol=1e-7)
    fcn_probs = trained["fcn"].class_map(x)[0].mean(dim=(1, 2)).double().detach().numpy()
    np.testing.assert_allclose(probs["fcn"], fcn_probs, rtol=1e-5, atol=1e-7)


def test_top_k_and_its_chart():
    probs = np.array([0.1, 0.3, 0.3, 0.05, 0.25])
    assert top_k(probs, 3) == [1, 2, 4]  # a tie goes to the lower index
    fig = top_k_figure(probs, ("a", "b", "c", "d", "e"), "top 3")
    assert list(fig.data[0].y) == ["e", "c", "b"]  # best on top
    assert fig.layout.xaxis.title.text == "probability" and fig.layout.yaxis.title.text == "class"
