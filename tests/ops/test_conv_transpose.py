"""Transposed convolution, the matrix view and the size helpers against torch (float64)."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F

from cnnplay.ops.conv import (
    border_zoom,
    conv2d_naive,
    conv_matrix,
    conv_matrix_taps,
    conv_output_size,
    conv_transpose2d_naive,
    conv_transpose_output_size,
    conv_transpose_stamps,
    multiply_count,
    pad2d,
    stack_sizes,
    torch_conv2d,
    torch_conv_transpose2d,
    zero_insert,
)

RNG = np.random.default_rng(1)


def torch_transpose(x, w, stride, padding, output_padding=0):
    xt = torch.from_numpy(x)[None, None]
    wt = torch.from_numpy(w)[None, None]
    y = F.conv_transpose2d(xt, wt, stride=stride, padding=padding, output_padding=output_padding)
    return y[0, 0].numpy()


def test_seed001_trans_conv_example():
    x = np.array([[0.0, 1.0], [2.0, 3.0]])
    k = np.array([[0.0, 1.0], [2.0, 3.0]])
    np.testing.assert_array_equal(conv_transpose2d_naive(x, k), [[0, 0, 1], [0, 4, 6], [4, 12, 9]])
    stamps = conv_transpose_stamps(x, k)
    assert [(s.i, s.j, s.value) for s in stamps] == [(0, 0, 0), (0, 1, 1), (1, 0, 2), (1, 1, 3)]
    np.testing.assert_array_equal(stamps[1].total, [[0, 0, 1], [0, 2, 3], [0, 0, 0]])
    assert stamps[3].rows == range(1, 3) and stamps[3].cols == range(1, 3)
    np.testing.assert_array_equal(stamps[3].stamp, 3 * k)


TRANSPOSE_CASES = list(
    itertools.product(
        [(2, 2), (3, 4), (1, 5)],
        [(1, 1), (2, 2), (3, 3), (2, 3)],
        [1, 2, 3, (1, 2)],
        [0, 1, 2, (1, 0)],
        [0, 1],
    )
)


@pytest.mark.parametrize("shape,ksize,stride,padding,output_padding", TRANSPOSE_CASES)
def test_conv_transpose2d_naive_matches_torch(shape, ksize, stride, padding, output_padding):
    x = RNG.standard_normal(shape)
    w = RNG.standard_normal(ksize)
    try:
        expected = torch_transpose(x, w, stride, padding, output_padding)
    except RuntimeError:  # output too small, or output_padding >= stride: we refuse too
        with pytest.raises(ValueError):
            conv_transpose2d_naive(x, w, stride, padding, output_padding)
        with pytest.raises(ValueError, match="torch refuses"):
            torch_conv_transpose2d(x, w, stride, padding, output_padding)
        return
    got = conv_transpose2d_naive(x, w, stride, padding, output_padding)
    torch.testing.assert_close(torch.from_numpy(got), torch.from_numpy(expected))
    np.testing.assert_allclose(torch_conv_transpose2d(x, w, stride, padding, output_padding), got)
    sh, sw = (stride, stride) if isinstance(stride, int) else stride
    ph, pw = (padding, padding) if isinstance(padding, int) else padding
    assert got.shape == (
        conv_transpose_output_size(shape[0], ksize[0], sh, ph, output_padding),
        conv_transpose_output_size(shape[1], ksize[1], sw, pw, output_padding),
    )


@pytest.mark.parametrize("stride,padding", itertools.product([1, 2, 3], [0, 1, 2]))
def test_transpose_is_a_convolution_of_the_zero_inserted_input(stride, padding):
    """A stride-s transposed convolution = stride-1 convolution of the zero-inserted input with
    the flipped kernel and padding k - 1 - p."""
    x = RNG.standard_normal((3, 4))
    w = RNG.standard_normal((3, 3))
    expected = conv_transpose2d_naive(x, w, stride, padding)
    got = conv2d_naive(zero_insert(x, stride), w, padding=2 - padding, flip=True)
    np.testing.assert_allclose(got, expected)


MATRIX_CASES = list(
    itertools.product([(4, 4), (5, 3), (1, 6)], [(1, 3), (3, 3), (2, 2)], [1, 2], [0, 1], [1, 2])
)


@pytest.mark.parametrize("shape,ksize,stride,padding,dilation", MATRIX_CASES)
def test_conv_matrix_is_the_convolution_and_its_transpose(shape, ksize, stride, padding, dilation):
    x = RNG.standard_normal(shape)
    w = RNG.standard_normal(ksize)
    try:
        y = conv2d_naive(x, w, stride=stride, padding=padding, dilation=dilation)
    except ValueError:
        with pytest.raises(ValueError):
            conv_matrix(shape, w, stride, padding, dilation)
        return
    m = conv_matrix(shape, w, stride, padding, dilation)
    assert m.shape == (y.size, x.size)
    np.testing.assert_allclose(m @ x.ravel(), y.ravel())
    # W^T is torch's conv_transpose2d; output_padding makes up the rows the stride skipped.
    g = RNG.standard_normal(y.shape)
    op = [
        shape[a] - conv_transpose_output_size(y.shape[a], ksize[a], stride, padding, 0, dilation)
        for a in (0, 1)
    ]
    xt = torch.from_numpy(g)[None, None]
    wt = torch.from_numpy(w)[None, None]
    expected = F.conv_transpose2d(
        xt, wt, stride=stride, padding=padding, dilation=dilation, output_padding=tuple(op)
    )[0, 0].numpy()
    np.testing.assert_allclose((m.T @ g.ravel()).reshape(shape), expected)
    # ... and the gradient of the convolution, as autograd computes it.
    xg = torch.from_numpy(x)[None, None].requires_grad_()
    out = F.conv2d(xg, wt, stride=stride, padding=padding, dilation=dilation)
    out.backward(torch.from_numpy(g)[None, None])
    np.testing.assert_allclose(xg.grad[0, 0].numpy(), (m.T @ g.ravel()).reshape(shape))


def test_seed002_matrices():
    """The notes' 1D example: K = 3 (x, y, z), input a b c d, padding 1, stride 1 and 2."""
    taps = conv_matrix_taps((1, 4), (1, 3), stride=1, padding=(0, 1), on_padded=True)
    assert taps.tolist() == [
        [0, 1, 2, -1, -1, -1],
        [-1, 0, 1, 2, -1, -1],
        [-1, -1, 0, 1, 2, -1],
        [-1, -1, -1, 0, 1, 2],
    ]
    taps2 = conv_matrix_taps((1, 4), (1, 3), stride=2, padding=(0, 1), on_padded=True)
    assert taps2.tolist() == [[0, 1, 2, -1, -1, -1], [-1, -1, 0, 1, 2, -1]]
    # W^T a' with stride 2: [ax, ay, az + bx, by, bz, 0]
    x_, y_, z_ = 2.0, 3.0, 5.0
    m = conv_matrix((1, 4), np.array([[x_, y_, z_]]), stride=2, padding=(0, 1), on_padded=True)
    a, b = 7.0, 11.0
    np.testing.assert_allclose(m.T @ [a, b], [a * x_, a * y_, a * z_ + b * x_, b * y_, b * z_, 0])
    # Without the padded columns, the matrix acts on the real input only.
    assert conv_matrix_taps((1, 4), (1, 3), padding=(0, 1)).shape == (4, 4)


def test_stack_sizes_and_multiplies():
    assert stack_sizes(28, 5, 3) == [28, 24, 20, 16]
    assert stack_sizes(10, 3, 8) == [10, 8, 6, 4, 2, 0]  # runs out of pixels after 5 layers
    assert stack_sizes(10, 3, 4, same=True) == [10] * 5
    assert stack_sizes(10, 3, 3, same=True, stride=2) == [10, 5, 3, 2]
    assert multiply_count((6, 6), (3, 3)) == 16 * 9
    assert multiply_count((6, 6), (3, 3), stride=2) == 4 * 9
    assert multiply_count((9, 9), (3, 3), dilation=2) == 25 * 9  # wider view, same 9 weights


def test_output_size_formulas_and_torch_refusals():
    assert conv_output_size(3, 5) < 1
    with pytest.raises(ValueError, match="torch refuses"):
        torch_conv2d(np.zeros((3, 3)), np.zeros((5, 5)))
    with pytest.raises(ValueError, match="torch refuses"):
        torch_conv2d(np.zeros((3, 3)), np.zeros((2, 2)), padding=3, padding_mode="reflect")
    assert torch_conv2d(np.zeros((3, 3)), np.zeros((5, 5)), padding=1).shape == (1, 1)
    assert conv_transpose_output_size(2, 2, padding=2) == -1
    with pytest.raises(ValueError, match="crops more"):
        conv_transpose2d_naive(np.zeros((2, 2)), np.zeros((2, 2)), padding=2)
    with pytest.raises(ValueError, match="output_padding"):
        conv_transpose2d_naive(np.zeros((2, 2)), np.zeros((2, 2)), stride=2, output_padding=2)


@pytest.mark.parametrize("mode", ["zeros", "reflect", "replicate", "circular"])
@pytest.mark.parametrize("stride,padding,dilation", [(1, 1, 1), (2, 2, 1), ((1, 2), (2, 1), 2)])
def test_torch_conv2d_matches_naive(mode, stride, padding, dilation):
    x = RNG.standard_normal((6, 7))
    w = RNG.standard_normal((3, 2))
    got = torch_conv2d(x, w, stride, padding, dilation, mode)
    np.testing.assert_allclose(
        got,
        conv2d_naive(x, w, stride=stride, padding=padding, dilation=dilation, padding_mode=mode),
    )


def test_border_zoom():
    photo = RNG.integers(0, 256, (40, 50, 3)).astype(np.uint8)
    zoom = border_zoom(photo, 4, "replicate", crop=10)
    assert zoom.shape == (18, 18, 3) and zoom.dtype == np.uint8
    np.testing.assert_array_equal(zoom[4:14, 4:14], photo[:10, :10])
    np.testing.assert_array_equal(zoom[0, 0], photo[0, 0])  # the corner repeated
    assert not border_zoom(photo, 4, "zeros", crop=10)[:4].any()  # black band
    expected = pad2d(np.moveaxis(photo[:10, :10].astype(float), -1, 0), (4,) * 4, "reflect")
    np.testing.assert_array_equal(
        border_zoom(photo, 4, "reflect", crop=10), np.moveaxis(expected, 0, -1)
    )
    with pytest.raises(ValueError, match="reflect padding"):
        border_zoom(photo, 10, "reflect", crop=10)
    gray = border_zoom(photo[..., 0], 2, "circular", crop=6)
    assert gray.shape == (10, 10)


def test_toeplitz_tells_stride1_from_stride2():
    w1 = conv_matrix_taps((1, 4), (1, 3), stride=1, padding=(0, 1), on_padded=True)
    w2 = conv_matrix_taps((1, 4), (1, 3), stride=2, padding=(0, 1), on_padded=True)
    from cnnplay.ops.conv import is_toeplitz

    assert is_toeplitz(w1) and is_toeplitz(w1.T)
    assert not is_toeplitz(w2.T)


def test_border_zoom_scales():
    photo = RNG.integers(0, 256, (30, 30)).astype(np.uint8)
    zoom = border_zoom(photo, 2, "zeros", crop=4, scale=3)
    assert zoom.shape == (24, 24)
    assert (zoom[6:9, 6:9] == photo[0, 0]).all()
