"""conv2d_naive and friends against torch.nn.functional.conv2d (float64) and scipy."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch
import torch.nn.functional as F
from scipy.signal import convolve2d

from cnnplay.ops.conv import (
    conv2d_naive,
    conv_geometry,
    conv_output_size,
    conv_step,
    pad2d,
)

RNG = np.random.default_rng(0)
TORCH_PAD = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "replicate",
    "circular": "circular",
}


def torch_conv(x, w, bias, stride, padding, dilation, padding_mode):
    """Reference: x (C, H, W), w (K, C, kh, kw) -> (K, H', W') via torch in float64."""
    xt = torch.from_numpy(x)[None]
    wt = torch.from_numpy(w)
    bt = None if bias is None else torch.from_numpy(np.asarray(bias, dtype=np.float64))
    if padding_mode != "zeros" and padding not in ("same", "valid"):
        ph, pw = (padding, padding) if isinstance(padding, int) else padding
        xt = F.pad(xt, (pw, pw, ph, ph), mode=TORCH_PAD[padding_mode])
        padding = 0
    return F.conv2d(xt, wt, bt, stride=stride, padding=padding, dilation=dilation)[0].numpy()


CASES = [
    # (H, W), C, K, (kh, kw), stride, padding, dilation
    *itertools.product(
        [(6, 6), (7, 5)],
        [1, 3],
        [1, 2],
        [(1, 1), (3, 3), (2, 3)],
        [1, 2, (1, 2)],
        [0, 1, (2, 1)],
        [1, 2],
    ),
    ((9, 9), 2, 2, (5, 5), 1, "same", 1),
    ((9, 8), 1, 1, (4, 4), 1, "same", 2),
    ((5, 5), 1, 1, (3, 3), 1, "valid", 1),
]


MODES = ["zeros", "reflect", "replicate", "circular"]
PARAMS = [
    (*case, mode)
    for case in CASES
    for mode in MODES
    if mode == "zeros" or case[5] not in ("same", "valid")
]  # torch pads those with zeros


@pytest.mark.parametrize("shape,c,k,ksize,stride,padding,dilation,padding_mode", PARAMS)
def test_conv2d_naive_matches_torch(shape, c, k, ksize, stride, padding, dilation, padding_mode):
    x = RNG.standard_normal((c, *shape))
    w = RNG.standard_normal((k, c, *ksize))
    b = RNG.standard_normal(k)
    try:
        expected = torch_conv(x, w, b, stride, padding, dilation, padding_mode)
    except RuntimeError:
        with pytest.raises(ValueError):
            conv2d_naive(x, w, b, stride, padding, dilation, padding_mode)
        return
    got = conv2d_naive(x, w, b, stride, padding, dilation, padding_mode)
    assert got.shape == expected.shape
    torch.testing.assert_close(torch.from_numpy(got), torch.from_numpy(expected))


def test_shapes_without_k_axis():
    x = RNG.standard_normal((5, 6))
    w = RNG.standard_normal((3, 3))
    y = conv2d_naive(x, w, bias=0.5)
    assert y.shape == (3, 4)
    expected = torch_conv(x[None], w[None, None], [0.5], 1, 0, 1, "zeros")[0]
    np.testing.assert_allclose(y, expected)
    y3 = conv2d_naive(np.stack([x, x]), np.stack([w, w]))  # (C, kh, kw): one kernel, 2 slices
    np.testing.assert_allclose(y3, 2 * conv2d_naive(x, w))


@pytest.mark.parametrize("ksize", [(3, 3), (2, 4), (5, 1)])
def test_flip_is_true_convolution(ksize):
    x = RNG.standard_normal((7, 8))
    w = RNG.standard_normal(ksize)
    np.testing.assert_allclose(conv2d_naive(x, w, flip=True), convolve2d(x, w, mode="valid"))
    # Cross-correlation differs from convolution unless the kernel is 180°-symmetric.
    assert not np.allclose(conv2d_naive(x, w), convolve2d(x, w, mode="valid"))
    sym = w + w[::-1, ::-1]
    np.testing.assert_allclose(conv2d_naive(x, sym), conv2d_naive(x, sym, flip=True))


def test_full_convolution_is_commutative():
    """x * w == w * x for true convolution with full padding (a property torch does not test)."""
    x = RNG.standard_normal((4, 4))
    w = RNG.standard_normal((3, 3))
    a = conv2d_naive(x, w, padding=2, flip=True)
    b = conv2d_naive(w, x, padding=3, flip=True)
    np.testing.assert_allclose(a, b)


@pytest.mark.parametrize(
    "n,k,s,p,d", itertools.product([1, 5, 8, 13], [1, 2, 3, 5], [1, 2, 3], [0, 1, 2], [1, 2])
)
def test_conv_output_size_matches_torch(n, k, s, p, d):
    size = conv_output_size(n, k, s, p, d)
    x = torch.zeros(1, 1, n, n)
    w = torch.zeros(1, 1, k, k)
    if size < 1:
        with pytest.raises(RuntimeError):
            F.conv2d(x, w, stride=s, padding=p, dilation=d)
    else:
        assert F.conv2d(x, w, stride=s, padding=p, dilation=d).shape[-1] == size


def test_conv_step_spells_out_every_cell():
    x = RNG.standard_normal((2, 6, 5))
    w = RNG.standard_normal((2, 3, 3))
    for flip, padding in [(False, 0), (True, 1), (False, "same")]:
        y = conv2d_naive(x, w, bias=0.25, padding=padding, flip=flip)
        for i, j in itertools.product(range(y.shape[0]), range(y.shape[1])):
            step = conv_step(x, w, i, j, bias=0.25, padding=padding, flip=flip)
            assert step.total == pytest.approx(y[i, j])
            np.testing.assert_allclose(step.products, step.window * step.kernel)
    step = conv_step(x, w, 1, 2, padding=1)
    np.testing.assert_array_equal(step.rows, [1, 2, 3])
    np.testing.assert_array_equal(step.cols, [2, 3, 4])
    with pytest.raises(IndexError):
        conv_step(x, w, 4, 0)


def test_geometry_dilation_window():
    geo = conv_geometry((9, 9), (3, 3), stride=2, padding=1, dilation=2)
    assert geo.out_shape == (4, 4)
    rows, cols = geo.window(1, 3)
    assert list(range(rows.start, rows.stop, rows.step)) == [2, 4, 6]
    assert list(range(cols.start, cols.stop, cols.step)) == [6, 8, 10]


@pytest.mark.parametrize("mode", ["reflect", "replicate", "circular", "zeros"])
def test_pad2d_matches_torch(mode):
    x = RNG.standard_normal((2, 4, 5))
    got = pad2d(x, (1, 2, 3, 1), mode)
    expected = F.pad(torch.from_numpy(x)[None], (3, 1, 1, 2), mode=TORCH_PAD[mode])[0].numpy()
    np.testing.assert_allclose(got, expected)


def test_readable_errors():
    x = np.zeros((3, 3))
    with pytest.raises(ValueError, match="kernel spans 5 cells"):
        conv2d_naive(x, np.zeros((5, 5)))
    with pytest.raises(ValueError, match="one slice per input channel"):
        conv2d_naive(np.zeros((2, 4, 4)), np.zeros((3, 3, 3)))
    with pytest.raises(ValueError, match="reflect padding"):
        conv2d_naive(x, np.zeros((3, 3)), padding=3, padding_mode="reflect")
    with pytest.raises(ValueError, match="stride 1"):
        conv2d_naive(x, np.zeros((3, 3)), stride=2, padding="same")
    with pytest.raises(ValueError, match="padding_mode"):
        conv2d_naive(x, np.zeros((3, 3)), padding_mode="mirror")


def test_inputs_are_not_modified():
    x = RNG.standard_normal((5, 5))
    w = RNG.standard_normal((3, 3))
    x0, w0 = x.copy(), w.copy()
    conv2d_naive(x, w, padding=1, flip=True)
    conv_step(x, w, 0, 0, flip=True)
    np.testing.assert_array_equal(x, x0)
    np.testing.assert_array_equal(w, w0)
