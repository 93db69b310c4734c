"""Named kernels: shapes, sums and the responses that make them what they are called."""

import cv2
import numpy as np
import pytest

from cnnplay import kernels as K
from cnnplay.ops.conv import conv2d_naive


@pytest.mark.parametrize("name", list(K.PATTERN_KERNELS))
@pytest.mark.parametrize("size", [3, 5])
def test_pattern_kernels(name, size):
    k = K.PATTERN_KERNELS[name](size)
    assert k.ndim == 2 and k.shape[0] == k.shape[1] and k.dtype == np.float64


@pytest.mark.parametrize("name", list(K.PHOTO_KERNELS))
@pytest.mark.parametrize("size", [3, 5, 7])
def test_photo_kernels_shapes(name, size):
    if size not in K.PHOTO_KERNEL_SIZES.get(name, (size,)):
        with pytest.raises(ValueError):  # a size the kernel does not come in: said, not hidden
            K.PHOTO_KERNELS[name](size, 1.2)
        return
    k = K.PHOTO_KERNELS[name](size, 1.2)
    assert k.shape == (size, size) and np.isfinite(k).all()


def test_sums():
    assert K.gaussian_kernel(7, 1.5).sum() == pytest.approx(1)
    assert K.box_kernel(5).sum() == pytest.approx(1)
    assert K.sharpen_kernel(3).sum() == pytest.approx(1)
    assert K.sharpen_kernel(5).sum() == pytest.approx(1)
    for k in (
        K.sobel_kernel("x"),
        K.sobel_kernel("y", 5),
        K.laplacian_kernel(3),
        K.laplacian_kernel(5),
    ):
        assert k.sum() == pytest.approx(0)


def test_gaussian_matches_opencv():
    g = cv2.getGaussianKernel(5, 1.3)
    np.testing.assert_allclose(K.gaussian_kernel(5, 1.3), g @ g.T, rtol=1e-6)
    with pytest.raises(ValueError):
        K.gaussian_kernel(5, 0)


def test_sobel_matches_opencv():
    kx, ky = cv2.getDerivKernels(1, 0, 3)
    np.testing.assert_allclose(K.sobel_kernel("x"), ky @ kx.T)
    np.testing.assert_allclose(K.sobel_kernel("y"), (ky @ kx.T).T)


def test_edge_kernels_respond_to_edges():
    step = np.zeros((7, 7))
    step[:, 4:] = 1  # a vertical edge
    assert np.abs(conv2d_naive(step, K.sobel_kernel("x"))).max() > 0
    np.testing.assert_allclose(conv2d_naive(step, K.sobel_kernel("y")), 0)
    flat = np.full((6, 6), 3.0)
    np.testing.assert_allclose(conv2d_naive(flat, K.laplacian_kernel()), 0)
    np.testing.assert_allclose(conv2d_naive(flat, K.identity_kernel(5)), 3)


def test_detectors_peak_on_their_pattern():
    from cnnplay.grids import plus_image, x_image

    assert conv2d_naive(x_image(9), K.x_kernel(3)).max() == 9
    assert conv2d_naive(plus_image(9), K.plus_kernel(5)).max() == 25
    assert K.emboss_kernel(3).tolist() == [[-2, -1, 0], [-1, 1, 1], [0, 1, 2]]
