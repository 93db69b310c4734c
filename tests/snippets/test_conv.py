"""The convolution snippets against what the pages compute: ``conv2d_naive`` (the Kernels grid
tab and the Padding page's output-size tab), ``filter_image`` / ``conv_layer_image`` (the
Photos tab, on the snippet's own stand-in photo) and ``stack_sizes`` (the shrinking stack)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from cnnplay.filtering import conv_layer_image, filter_image
from cnnplay.grids import PLUS_3, X_3, plus_and_x_image
from cnnplay.ops.activations import ACTIVATIONS
from cnnplay.ops.conv import conv2d_naive, conv_geometry, stack_sizes
from cnnplay.snippets.common import SnippetError
from cnnplay.snippets.conv import conv2d, conv_stack, photo_conv
from tests.snippets.runner import run

pytestmark = pytest.mark.usefixtures("one_thread")


def fits(shape, kernel, stride, padding, dilation, mode) -> bool:
    """Whether the page would compute this convolution (the snippet is shown only then)."""
    try:
        geo = conv_geometry(shape, kernel, stride, padding, dilation)
    except ValueError:
        return False
    top, bottom, left, right = geo.pads
    if mode == "reflect":
        return max(top, bottom) < shape[0] and max(left, right) < shape[1]
    if mode == "circular":
        return max(top, bottom) <= shape[0] and max(left, right) <= shape[1]
    return True


def test_the_notes_plus_and_x():
    """The README's example, number for number, and both kernels in one layer."""
    snippet = conv2d(plus_and_x_image()[None], [PLUS_3[None], X_3[None]], 0.0, padding="valid")
    assert "nn.Conv2d(1, 2, kernel_size=3" in snippet.code  # one layer, two output channels
    y = run(snippet)["y"]
    assert y.shape == (2, 4, 4)
    assert y[0].tolist() == [[9, -1, 1, -1], [-1, -1, -1, -5], [1, -1, -1, 5], [-1, -5, 5, -7]]


GEOMETRY = list(
    itertools.product(
        [1, 2, (2, 1)],  # stride
        [0, 1, (1, 2), "valid", "same"],  # padding
        [1, 2],  # dilation
        ["zeros", "reflect", "replicate", "circular"],
    )
)


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel")  # torch's note
@pytest.mark.parametrize("stride, padding, dilation, mode", GEOMETRY)
def test_geometry_and_padding_modes_match_the_loop_version(stride, padding, dilation, mode):
    """The Padding page's tab: an (H, W) grid, a (kh, kw) kernel, every geometry it allows."""
    rng = np.random.default_rng(0)
    x = rng.integers(1, 10, (5, 6)).astype(float)
    w = rng.normal(size=(3, 2))
    if not fits(x.shape, w.shape, stride, padding, dilation, mode):
        with pytest.raises(ValueError):
            conv2d(x, w, None, stride, padding, dilation, mode)
        return
    ns = run(conv2d(x, w, None, stride, padding, dilation, mode))
    expected = conv2d_naive(x, w, None, stride, padding, dilation, mode)
    torch.testing.assert_close(ns["y"], torch.from_numpy(expected))


@pytest.mark.parametrize(
    "channels, kernels, bias, act, flip, padding",
    [
        (1, 1, None, "none", False, "valid"),
        (1, 2, 0.5, "ReLU", True, "same"),
        (2, 2, -1.0, "sigmoid", False, "same"),  # grayscale + depth, two two-slice kernels
        (2, 1, np.array([0.25]), "ReLU", True, "valid"),
        (3, 3, np.array([0.5, -1.0, 2.0]), "none", False, 1),
    ],
)
def test_channels_kernels_bias_activation_and_flip(channels, kernels, bias, act, flip, padding):
    """The Kernels grid tab: (C, H, W) input, kernels of C slices, bias, activation, true
    convolution."""
    rng = np.random.default_rng(channels * 10 + kernels)
    x = np.round(rng.normal(size=(channels, 6, 7)), 1)
    w = [np.round(rng.normal(size=(channels, 3, 3)), 1) for _ in range(kernels)]
    ns = run(conv2d(x, w, bias, padding=padding, flip=flip, activation=act))
    weight = np.stack(w)  # (K, C, 3, 3)
    expected = ACTIVATIONS[act](conv2d_naive(x, weight, bias, padding=padding, flip=flip))
    torch.testing.assert_close(ns["y"], torch.from_numpy(expected))


@pytest.mark.parametrize("padding", ["valid", "same"])
def test_kernels_of_different_sizes_give_one_map_each(padding):
    """Kernel 1 is 3×3 and kernel 2 5×5 (the tab allows it): two layers, a tuple of maps."""
    rng = np.random.default_rng(3)
    x = rng.choice([-1.0, 1.0], size=(1, 7, 7))
    w1, w2 = rng.normal(size=(1, 3, 3)), rng.normal(size=(1, 5, 5))
    ns = run(conv2d(x, [w1, w2], 1.5, padding=padding, activation="ReLU"))
    assert isinstance(ns["y"], tuple) and len(ns["y"]) == 2
    for got, w in zip(ns["y"], (w1, w2), strict=True):
        expected = ACTIVATIONS["ReLU"](conv2d_naive(x, w, 1.5, padding=padding))
        torch.testing.assert_close(got, torch.from_numpy(expected))


def test_settings_without_a_program_are_refused():
    with pytest.raises(SnippetError):
        conv2d(np.zeros((4, 4)), np.ones((3, 3)), activation="tanh")
    with pytest.raises(SnippetError):
        conv2d(np.zeros((2, 4, 4)), np.ones((3, 3, 3)))  # three slices for two channels
    with pytest.raises(ValueError):
        conv2d(np.zeros((2, 2)), np.ones((3, 3)))  # the kernel does not fit
    with pytest.raises(SnippetError):
        conv2d(np.full((4, 4), np.nan), np.ones((3, 3)))


KERNEL = np.array([[1.0, 0.0, -1.0], [2.0, 0.0, -2.0], [1.0, 0.0, -1.0]])  # Sobel x


@pytest.mark.parametrize("mode", ["gray", "per channel", "cnn"])
@pytest.mark.parametrize("pad", ["reflect", "replicate", "zeros", "circular"])
def test_photo_snippet_computes_the_page_function_on_its_stand_in(mode, pad):
    """The Photos tab: the snippet's result has the page's shape, and on the snippet's own random
    photo it equals what the page's functions give."""
    kernel = KERNEL if mode != "cnn" else np.ones((5, 5)) / 25
    weight = np.stack([kernel, -kernel, 0.5 * kernel]) if mode == "cnn" else None
    shape = (17, 23) if mode == "gray" else (17, 23, 3)
    snippet = photo_conv(shape, kernel, mode, weight, 3.0, pad)
    assert snippet.shape_only
    ns = run(snippet)
    y = ns["y"].detach()
    assert tuple(y.shape) == shape[:2] + ((3,) if mode == "per channel" else ())
    x = ns["x"][0].permute(1, 2, 0).numpy()  # (H, W, C) as the page holds a photo
    if mode == "gray":
        expected = filter_image(x[..., 0], kernel, padding_mode=pad)
    elif mode == "per channel":
        expected = filter_image(x, kernel, padding_mode=pad)
    else:
        expected = conv_layer_image(x, weight, 3.0, padding_mode=pad)
    torch.testing.assert_close(y, torch.from_numpy(expected), rtol=1e-5, atol=1e-3)


def test_photo_cnn_mode_needs_its_slices():
    with pytest.raises(SnippetError):
        photo_conv((8, 8, 3), KERNEL, "cnn")


@pytest.mark.parametrize("n, f, layers", [(32, 5, 10), (8, 3, 3), (6, 7, 2), (4, 1, 20), (9, 3, 4)])
def test_shrinking_stack_sizes(n, f, layers):
    """The Padding page's stack: the sides after each layer, valid and zero-padded."""
    sides = run(conv_stack(n, f, layers))["sides"]
    assert sides == {"valid": stack_sizes(n, f, layers), "same": stack_sizes(n, f, layers, True)}
