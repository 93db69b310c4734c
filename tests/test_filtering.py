"""filter_image (torch, on the device) against the loop version and against cv2.filter2D."""

import cv2
import numpy as np
import pytest
import torch

from cnnplay.filtering import filter_image, to_grayscale
from cnnplay.ops.conv import conv2d_naive

RNG = np.random.default_rng(1)
CV2_BORDER = {
    "reflect": cv2.BORDER_REFLECT_101,
    "replicate": cv2.BORDER_REPLICATE,
    "zeros": cv2.BORDER_CONSTANT,
}
METHODS = ["phase_split", "grouped"]


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("ksize", [(1, 1), (3, 3), (5, 5), (7, 3), (2, 4), (4, 4), (9, 9)])
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("shape", [(13, 17, 3), (20, 9), (33, 70, 3)])
def test_matches_loop_version(method, ksize, padding_mode, shape):
    """Same size output: padding (k-1)//2 before, k//2 after, like torch's padding='same'."""
    image = RNG.integers(0, 256, shape).astype(np.uint8)
    kernel = RNG.standard_normal(ksize)
    got = filter_image(
        image, kernel, padding_mode=padding_mode, method=method, device=torch.device("cpu")
    )
    assert got.shape == image.shape and got.dtype == np.float32
    channels = image[..., None] if image.ndim == 2 else image
    pads = ((ksize[0] - 1) // 2, ksize[0] // 2, (ksize[1] - 1) // 2, ksize[1] // 2)
    from cnnplay.ops.conv import pad2d

    expected = np.stack(
        [
            conv2d_naive(pad2d(channels[..., c].astype(np.float64), pads, padding_mode), kernel)
            for c in range(channels.shape[-1])
        ],
        axis=-1,
    ).reshape(image.shape)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=2e-2)


@pytest.mark.parametrize("method", METHODS)
@pytest.mark.parametrize("padding_mode", ["reflect", "replicate", "zeros"])
def test_matches_opencv_on_a_photo(method, padding_mode):
    from cnnplay.images import load_sample, sample_names

    image = load_sample(sample_names()[0], max_side=256)
    kernel = RNG.standard_normal((5, 5)).astype(np.float32)
    expected = cv2.filter2D(image, cv2.CV_32F, kernel, borderType=CV2_BORDER[padding_mode])
    got = filter_image(image, kernel, padding_mode=padding_mode, method=method)
    np.testing.assert_allclose(got, expected, rtol=1e-4, atol=2e-2)


def test_flip_and_grayscale():
    image = RNG.integers(0, 256, (16, 16, 3)).astype(np.uint8)
    kernel = RNG.standard_normal((3, 3))
    np.testing.assert_allclose(
        filter_image(image, kernel, flip=True),
        filter_image(image, kernel[::-1, ::-1]),
        rtol=1e-5,
        atol=1e-3,
    )
    gray = to_grayscale(image)
    assert gray.shape == (16, 16) and gray.dtype == np.float32
    np.testing.assert_allclose(gray, cv2.cvtColor(image, cv2.COLOR_RGB2GRAY), atol=0.51)
    assert filter_image(gray, kernel).shape == (16, 16)


def test_bad_settings_are_value_errors():
    image = np.zeros((4, 4, 3), np.uint8)
    with pytest.raises(ValueError, match="too large"):
        filter_image(image, np.ones((11, 11)), padding_mode="reflect")
    with pytest.raises(ValueError, match="finite"):
        filter_image(image, np.array([[np.nan]]))
    with pytest.raises(ValueError, match="padding_mode"):
        filter_image(image, np.ones((3, 3)), padding_mode="mirror")
    with pytest.raises(ValueError, match="image must be"):
        filter_image(np.zeros((4, 4, 2)), np.ones((3, 3)))
    assert filter_image(image, np.ones((11, 11)), padding_mode="zeros").shape == (4, 4, 3)


def test_input_is_not_modified():
    image = RNG.integers(0, 256, (8, 8, 3)).astype(np.uint8)
    before = image.copy()
    filter_image(image, np.ones((3, 3)))
    np.testing.assert_array_equal(image, before)


@pytest.mark.parametrize("ksize", [(1, 1), (3, 3), (5, 5), (4, 2)])
@pytest.mark.parametrize("padding_mode", ["zeros", "reflect", "replicate", "circular"])
def test_conv_layer_image_matches_torch_conv2d(ksize, padding_mode):
    """One CNN filter on a colour photo: sum_c x_c * w_c + b, one map, as F.conv2d with a
    (1, 3, kh, kw) weight on the same padded input."""
    from cnnplay.filtering import conv_layer_image

    image = RNG.integers(0, 256, (19, 23, 3)).astype(np.uint8)
    weight = RNG.standard_normal((3, *ksize))
    got = conv_layer_image(image, weight, bias=-2.5, padding_mode=padding_mode)
    assert got.shape == (19, 23) and got.dtype == np.float32
    x = torch.from_numpy(image.astype(np.float64)).permute(2, 0, 1)[None]  # (1, 3, H, W)
    pads = ((ksize[1] - 1) // 2, ksize[1] // 2, (ksize[0] - 1) // 2, ksize[0] // 2)
    mode = "constant" if padding_mode == "zeros" else padding_mode
    xp = torch.nn.functional.pad(x, pads, mode=mode)
    w = torch.from_numpy(weight)[None]  # (1, 3, kh, kw)
    expected = torch.nn.functional.conv2d(xp, w, bias=torch.tensor([-2.5], dtype=torch.float64))
    np.testing.assert_allclose(got, expected[0, 0].numpy(), rtol=1e-4, atol=1e-2)


def test_conv_layer_image_is_not_per_channel_filtering():
    """Equal slices k/3 give the filter of the channel mean: one map, not three."""
    from cnnplay.filtering import conv_layer_image

    image = RNG.integers(0, 256, (12, 14, 3)).astype(np.uint8)
    kernel = RNG.standard_normal((3, 3))
    one_map = conv_layer_image(image, np.stack([kernel / 3] * 3))
    per_channel = filter_image(image, kernel)  # (H, W, 3): image filtering
    assert per_channel.shape == (12, 14, 3) and one_map.shape == (12, 14)
    np.testing.assert_allclose(one_map, per_channel.mean(axis=2), rtol=1e-4, atol=1e-3)
    with pytest.raises(ValueError):
        conv_layer_image(image, np.stack([kernel] * 2))  # 2 slices for 3 channels
