"""Dense layer = convolution: the reshaped head computes the dense layer exactly (float64), the
converted CNN gives the CNN's logits on 28×28 images, and its class map on a canvas equals the
original CNN run on every 28×28 window at stride 4 (a loop written here); the map geometry
(jump 4, field 26) is checked by perturbing pixels; nothing changes the CNN."""

from __future__ import annotations

import copy
import functools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from torch.testing import assert_close

from cnnplay.convnets.dense_to_conv import (
    aligned_positions,
    canvas_figure,
    class_logits,
    class_map,
    class_map_figure,
    dense_as_conv,
    fully_convolutional,
    make_canvas,
    map_geometry,
    max_difference,
    sliding_windows,
    time_class_map,
)
from cnnplay.convnets.models import build, normalise
from cnnplay.seeding import generator
from tests.convnets.helpers import fashion_split, quick_models

TOL64 = {"rtol": 1e-10, "atol": 1e-10}


@functools.cache
def cnn64() -> torch.nn.Module:
    """A seeded, untrained CNN in float64 (its own copy), eval mode."""
    return build("cnn", 10, seed=3).double().eval()


@functools.cache
def trained() -> tuple[torch.nn.Module, object]:
    split = fashion_split(n_train=400, n_test=64)
    models, _ = quick_models(split, names=("cnn",))
    return models["cnn"], split


def random_canvas(shape: tuple[int, int], seed: int) -> np.ndarray:
    gen = generator(seed)
    return torch.randint(0, 256, shape, generator=gen, dtype=torch.uint8).numpy()


def loop_windows_logits(cnn: torch.nn.Module, canvas: np.ndarray, n_rows: int, n_cols: int):
    """The reference: the CNN on the 28×28 window at (4i, 4j), one window at a time (a window
    that overhangs the canvas by up to 2 pixels gets black there). (K, n_rows, n_cols)."""
    out = None
    for i in range(n_rows):
        for j in range(n_cols):
            window = np.zeros((28, 28), np.uint8)
            part = canvas[4 * i : 4 * i + 28, 4 * j : 4 * j + 28]
            window[: part.shape[0], : part.shape[1]] = part
            x = normalise(torch.from_numpy(window)[None, None]).double()  # as the page does
            with torch.no_grad():
                logits = cnn(x)[0]  # (K,)
            if out is None:
                out = torch.zeros(len(logits), n_rows, n_cols, dtype=logits.dtype)
            out[:, i, j] = logits
    return out


@pytest.mark.parametrize("in_shape,k", [((64, 5, 5), 10), ((3, 2, 4), 1), ((1, 1, 1), 7)])
def test_reshaped_dense_layer_is_the_dense_layer(in_shape, k):
    c, h, w = in_shape
    linear = torch.nn.Linear(c * h * w, k).double()
    with torch.no_grad():
        linear.weight.copy_(torch.randn(k, c * h * w, generator=generator(1), dtype=torch.float64))
    before = copy.deepcopy(linear.state_dict())
    conv = dense_as_conv(linear, in_shape)
    assert conv.weight.shape == (k, c, h, w) and conv.kernel_size == (h, w)
    x = torch.randn(5, c, h, w, generator=generator(2), dtype=torch.float64)
    assert_close(conv(x)[:, :, 0, 0], F.linear(x.flatten(1), linear.weight, linear.bias), **TOL64)
    for key, value in linear.state_dict().items():  # the dense layer is untouched
        assert torch.equal(value, before[key])


def test_wrong_shape_is_refused():
    with pytest.raises(ValueError, match="1,600"):
        dense_as_conv(torch.nn.Linear(1600, 10), (64, 4, 4))


def test_converted_cnn_gives_the_cnn_logits_on_28x28():
    cnn = cnn64()
    x = torch.randint(0, 256, (6, 1, 28, 28), generator=generator(4), dtype=torch.uint8)
    converted = fully_convolutional(cnn)
    out = converted(normalise(x).double())
    assert out.shape == (6, 10, 1, 1)
    assert_close(out[:, :, 0, 0], cnn(normalise(x).double()), **TOL64)


def test_max_difference_is_rounding_for_the_trained_cnn_and_not_for_a_wrong_reshape():
    cnn, split = trained()
    before = copy.deepcopy(cnn.state_dict())
    converted = fully_convolutional(cnn)
    assert max_difference(cnn, converted, split.x_test) < 1e-4
    # the same weights in another order ((K, h, w, C) read as (K, C, h, w)) are another layer
    wrong = fully_convolutional(cnn)
    with torch.no_grad():
        w = converted[1].weight  # (K, 64, 5, 5)
        wrong[1].weight.copy_(w.permute(0, 2, 3, 1).reshape(w.shape))
    assert max_difference(cnn, wrong, split.x_test) > 1e-2
    for key, value in cnn.state_dict().items():
        assert torch.equal(value, before[key])


@pytest.mark.parametrize(
    "shape", [(56, 56), (60, 60), (57, 59), (28, 121), (28, 28), (26, 40), (61, 33)]
)
def test_class_map_is_the_cnn_on_every_window(shape):
    cnn = cnn64()
    canvas = random_canvas(shape, seed=sum(shape))
    converted = fully_convolutional(cnn)
    logits = class_logits(converted, canvas)  # (K, H', W') float64
    _, ho, wo = logits.shape
    assert (ho, wo) == ((shape[0] - 26) // 4 + 1, (shape[1] - 26) // 4 + 1)
    reference = loop_windows_logits(cnn, canvas, ho, wo)
    assert_close(logits, reference, **TOL64)
    assert_close(class_map(converted, canvas), torch.softmax(reference, 0).float())
    assert_close(sliding_windows(cnn, canvas), torch.softmax(reference, 0).float())


def test_geometry_from_receptive_fields_and_by_perturbation():
    cnn = cnn64()
    converted = fully_convolutional(cnn)
    canvas = random_canvas((56, 60), seed=5)
    geo = map_geometry(converted, canvas.shape)
    assert (geo.jump, geo.field, geo.start) == (4, 26, 0)
    assert geo.size == tuple(class_logits(converted, canvas).shape[1:])
    i, j = 3, 4
    (r0, r1), (c0, c1) = geo.span(i), geo.span(j)
    assert (r0, r1, c0, c1) == (12, 37, 16, 41)
    base = class_logits(converted, canvas)[:, i, j]
    outside = canvas.copy()
    outside[:r0] = 255 - outside[:r0]
    outside[r1 + 1 :] = 255 - outside[r1 + 1 :]
    outside[:, :c0] = 255 - outside[:, :c0]
    outside[:, c1 + 1 :] = 255 - outside[:, c1 + 1 :]
    assert_close(class_logits(converted, outside)[:, i, j], base, **TOL64)  # never read
    for r, c in [(r0, c0), (r1, c1), (r0, c1), (r1, c0)]:  # each corner of the field is read
        corner = canvas.copy()
        corner[r, c] = 255 - corner[r, c]
        assert not torch.allclose(class_logits(converted, corner)[:, i, j], base, 0, 1e-12)


def test_canvas_layout_and_aligned_positions_give_each_images_own_answer():
    cnn = cnn64()
    images = torch.randint(0, 256, (5, 1, 28, 28), generator=generator(6), dtype=torch.uint8)
    canvas = make_canvas(images.numpy(), (4, 0, 2), rows=2, cols=2, gap=4)
    assert canvas.pixels.shape == (60, 60) and canvas.origins == ((0, 0), (0, 32), (32, 0))
    assert np.array_equal(canvas.pixels[32:60, 0:28], images[2, 0].numpy())
    assert not canvas.pixels[28:32].any() and not canvas.pixels[32:, 32:].any()  # gaps, slot 4
    positions = aligned_positions(canvas, 4)
    assert positions == [(0, 0), (0, 8), (8, 0)]
    logits = class_logits(fully_convolutional(cnn), canvas.pixels)
    for (i, j), index in zip(positions, canvas.indices, strict=True):
        own = cnn(normalise(images[index : index + 1]).double())[0]
        assert_close(logits[:, i, j], own, **TOL64)
    odd = make_canvas(images.numpy(), (0, 1), rows=1, cols=2, gap=3)
    assert odd.pixels.shape == (28, 59) and aligned_positions(odd, 4) == [(0, 0), None]
    with pytest.raises(ValueError):
        make_canvas(images.numpy(), (0, 1, 2), rows=1, cols=2)


def test_figures_and_timing():
    cnn, split = trained()
    converted = fully_convolutional(cnn)
    canvas = make_canvas(split.x_test.numpy(), (0, 1, 2, 3), 2, 2)
    probs = class_map(converted, canvas.pixels).numpy()
    geo = map_geometry(converted, canvas.pixels.shape)
    fig = class_map_figure(probs, split.classes, geo, None, [(0, 0)], (1, 2))
    trace = fig.data[0]
    assert np.allclose(np.asarray(trace.z), probs.max(axis=0))
    assert trace.text[1][2] == str(int(probs[:, 1, 2].argmax()))
    assert fig.layout.xaxis.title.text and trace.colorbar.title.text == "P(top class)"
    one = class_map_figure(probs, split.classes, geo, 3)
    assert np.allclose(np.asarray(one.data[0].z), probs[3])
    assert canvas_figure(canvas.pixels, "c", ((0, 25), (4, 29))).layout.shapes[0].x0 == 3.5
    seconds = time_class_map(converted, canvas.pixels, repeats=3)
    assert 0 < seconds < 5
