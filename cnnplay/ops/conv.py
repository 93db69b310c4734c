"""2D convolution written as readable loops: the teaching code and the reference for tests.

Every function here works on numpy arrays in float64 and is checked against
``torch.nn.functional.conv2d`` in ``tests/ops/test_conv.py``. Real-sized work (photos, models)
uses torch instead; see ``cnnplay.filtering``.

Conventions, as in torch: ``x`` is (C, H, W) or (H, W); ``w`` is (K, C, kh, kw), (C, kh, kw) or
(kh, kw); the operation computed is cross-correlation,

    y[k, i, j] = b[k] + sum_{c, u, v} w[k, c, u, v] * xpad[c, i*s + u*d, j*s + v*d],

and ``flip=True`` turns it into true convolution by flipping the kernel on both spatial axes.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import numpy as np

PaddingMode = Literal["zeros", "reflect", "replicate", "circular"]
PADDING_MODES: tuple[str, ...] = ("zeros", "reflect", "replicate", "circular")
_NUMPY_PAD_MODE = {
    "zeros": "constant",
    "reflect": "reflect",
    "replicate": "edge",
    "circular": "wrap",
}

IntPair = int | tuple[int, int]
Padding = IntPair | Literal["valid", "same"]


def as_pair(value: IntPair, name: str) -> tuple[int, int]:
    """``3 -> (3, 3)``; ``(1, 2) -> (1, 2)``; rejects negatives and non-integers."""
    pair = (value, value) if isinstance(value, (int, np.integer)) else tuple(value)
    if len(pair) != 2 or not all(isinstance(v, (int, np.integer)) for v in pair):
        raise ValueError(f"{name} must be an int or a pair of ints, got {value!r}")
    return int(pair[0]), int(pair[1])


def conv_output_size(n: int, k: int, stride: int = 1, padding: int = 0, dilation: int = 1) -> int:
    """Output length along one axis: ``floor((n + 2p - d(k-1) - 1) / s) + 1``.

    Returns 0 or less when the dilated kernel does not fit in the padded input (torch refuses
    such shapes; pages explain why instead of crashing).
    """
    if k < 1 or stride < 1 or dilation < 1 or padding < 0 or n < 0:
        raise ValueError("need n >= 0, k >= 1, stride >= 1, dilation >= 1, padding >= 0")
    return (n + 2 * padding - dilation * (k - 1) - 1) // stride + 1


def resolve_padding(
    padding: Padding, kernel: tuple[int, int], dilation: tuple[int, int]
) -> tuple[int, int, int, int]:
    """Padding as (top, bottom, left, right).

    ``"valid"`` is no padding; ``"same"`` keeps the size at stride 1 and, like torch, puts the
    odd extra cell (even kernels) at the bottom / right.
    """
    if padding == "valid":
        return 0, 0, 0, 0
    if padding == "same":
        total = [d * (k - 1) for k, d in zip(kernel, dilation, strict=True)]
        return total[0] // 2, total[0] - total[0] // 2, total[1] // 2, total[1] - total[1] // 2
    ph, pw = as_pair(padding, "padding")
    if ph < 0 or pw < 0:
        raise ValueError(f"padding must be >= 0, got {padding!r}")
    return ph, ph, pw, pw


def pad2d(
    x: np.ndarray, pads: tuple[int, int, int, int], mode: PaddingMode = "zeros"
) -> np.ndarray:
    """Pad the last two axes of ``x`` (…, H, W) by (top, bottom, left, right).

    zeros: 0 outside; reflect: mirror without repeating the edge ("mirroring");
    replicate: repeat the edge value ("repetition"); circular: wrap around.
    """
    if mode not in _NUMPY_PAD_MODE:
        raise ValueError(f"padding_mode must be one of {PADDING_MODES}, got {mode!r}")
    top, bottom, left, right = pads
    h, w = x.shape[-2:]
    if mode == "reflect" and (max(top, bottom) >= h or max(left, right) >= w):
        raise ValueError(f"reflect padding must be smaller than the input ({h}×{w}), got {pads}")
    if mode == "circular" and (max(top, bottom) > h or max(left, right) > w):
        raise ValueError(f"circular padding cannot exceed the input size ({h}×{w}), got {pads}")
    widths = [(0, 0)] * (x.ndim - 2) + [(top, bottom), (left, right)]
    return np.pad(x, widths, mode=_NUMPY_PAD_MODE[mode])


def _as_kchw(x: np.ndarray, w: np.ndarray) -> tuple[np.ndarray, np.ndarray, bool]:
    """Bring x to (C, H, W) and w to (K, C, kh, kw); the flag says whether w had a K axis."""
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if x.ndim == 2:
        x = x[None]  # (1, H, W)
    if x.ndim != 3:
        raise ValueError(f"x must be (H, W) or (C, H, W), got shape {x.shape}")
    has_k = w.ndim == 4
    if w.ndim == 2:
        w = w[None]  # (1, kh, kw)
    if w.ndim == 3:
        w = w[None]  # (1, C, kh, kw)
    if w.ndim != 4:
        raise ValueError(f"w must be (kh, kw), (C, kh, kw) or (K, C, kh, kw), got {w.shape}")
    if w.shape[1] != x.shape[0]:
        raise ValueError(
            f"the kernel has {w.shape[1]} slice(s) but the input has {x.shape[0]} channel(s): "
            "a kernel needs one slice per input channel"
        )
    return x, w, has_k


@dataclass(frozen=True)
class ConvGeometry:
    """Everything about where a kernel lands, for given input and settings."""

    pads: tuple[int, int, int, int]  # (top, bottom, left, right) cells added around the input
    stride: tuple[int, int]  # step between neighbouring output cells, in input cells
    dilation: tuple[int, int]  # spacing between kernel taps
    kernel: tuple[int, int]  # (kh, kw)
    out_shape: tuple[int, int]  # (H', W')

    def window(self, i: int, j: int) -> tuple[slice, slice]:
        """Slices of the *padded* input that output cell (i, j) reads (with the dilation step)."""
        (sh, sw), (dh, dw), (kh, kw) = self.stride, self.dilation, self.kernel
        return (
            slice(i * sh, i * sh + dh * (kh - 1) + 1, dh),
            slice(j * sw, j * sw + dw * (kw - 1) + 1, dw),
        )


def conv_geometry(
    in_shape: tuple[int, int],
    kernel: tuple[int, int],
    stride: IntPair = 1,
    padding: Padding = 0,
    dilation: IntPair = 1,
) -> ConvGeometry:
    """Padding, stride, dilation and output shape for an (H, W) input and a (kh, kw) kernel.

    Raises ``ValueError`` with a readable reason when the kernel does not fit.
    """
    stride, dilation = as_pair(stride, "stride"), as_pair(dilation, "dilation")
    if min(stride) < 1 or min(dilation) < 1 or min(kernel) < 1:
        raise ValueError("stride, dilation and kernel size must be at least 1")
    if padding == "same" and stride != (1, 1):
        raise ValueError("padding='same' is only defined for stride 1")
    pads = resolve_padding(padding, kernel, dilation)
    out = []
    for axis in (0, 1):
        n_padded = in_shape[axis] + pads[2 * axis] + pads[2 * axis + 1]
        span = dilation[axis] * (kernel[axis] - 1) + 1
        if span > n_padded:
            raise ValueError(
                f"the kernel spans {span} cells but the padded input is only {n_padded} cells "
                f"{'tall' if axis == 0 else 'wide'}: add padding or use a smaller kernel"
            )
        out.append((n_padded - span) // stride[axis] + 1)
    return ConvGeometry(pads, stride, dilation, tuple(kernel), (out[0], out[1]))


def conv2d_naive(
    x: np.ndarray,
    w: np.ndarray,
    bias: np.ndarray | float | None = None,
    stride: IntPair = 1,
    padding: Padding = 0,
    dilation: IntPair = 1,
    padding_mode: PaddingMode = "zeros",
    flip: bool = False,
) -> np.ndarray:
    """Cross-correlation (``flip=False``, what CNN layers compute) or convolution (``flip=True``).

    x: (H, W) or (C, H, W). w: (kh, kw), (C, kh, kw) or (K, C, kh, kw). bias: scalar or (K,).
    Returns float64 (H', W') when w has no K axis, else (K, H', W'), with
    H' = floor((H + pad_top + pad_bottom - d(kh-1) - 1) / s) + 1 (W' likewise).
    """
    x, w, has_k = _as_kchw(x, w)
    if flip:
        w = w[..., ::-1, ::-1]  # true convolution: the kernel turned by 180°
    k_out = w.shape[0]
    geo = conv_geometry(x.shape[1:], w.shape[2:], stride, padding, dilation)
    xp = pad2d(x, geo.pads, padding_mode)  # (C, H + pads, W + pads)
    b = np.broadcast_to(np.asarray(0.0 if bias is None else bias, dtype=np.float64), (k_out,))
    y = np.empty((k_out, *geo.out_shape))
    for k in range(k_out):
        for i in range(geo.out_shape[0]):
            for j in range(geo.out_shape[1]):
                rows, cols = geo.window(i, j)
                y[k, i, j] = np.sum(w[k] * xp[:, rows, cols]) + b[k]
    return y if has_k else y[0]


@dataclass(frozen=True)
class ConvStep:
    """One output cell of a convolution, spelled out (what the step-through view shows)."""

    i: int  # output row
    j: int  # output column
    rows: np.ndarray  # (kh,) padded-input row of each kernel tap
    cols: np.ndarray  # (kw,) padded-input column of each kernel tap
    window: np.ndarray  # (C, kh, kw) the input values under the kernel
    kernel: np.ndarray  # (C, kh, kw) the kernel as applied (already flipped when flip=True)
    products: np.ndarray  # (C, kh, kw) window * kernel
    bias: float
    total: float  # products.sum() + bias, before the activation


def conv_step(
    x: np.ndarray,
    w: np.ndarray,
    i: int,
    j: int,
    bias: float = 0.0,
    stride: IntPair = 1,
    padding: Padding = 0,
    dilation: IntPair = 1,
    padding_mode: PaddingMode = "zeros",
    flip: bool = False,
) -> ConvStep:
    """Spell out output cell (i, j) for one kernel: x (H, W) or (C, H, W), w (kh, kw) or
    (C, kh, kw). ``total`` equals ``conv2d_naive(...)[i, j]``."""
    x3, w4, _ = _as_kchw(x, w)
    kernel = w4[0, :, ::-1, ::-1] if flip else w4[0]  # (C, kh, kw)
    geo = conv_geometry(x3.shape[1:], kernel.shape[1:], stride, padding, dilation)
    if not (0 <= i < geo.out_shape[0] and 0 <= j < geo.out_shape[1]):
        raise IndexError(f"output cell ({i}, {j}) is outside the {geo.out_shape} output")
    rows, cols = geo.window(i, j)
    window = pad2d(x3, geo.pads, padding_mode)[:, rows, cols]  # (C, kh, kw)
    products = window * kernel
    return ConvStep(
        i=i,
        j=j,
        rows=np.arange(rows.start, rows.stop, rows.step),
        cols=np.arange(cols.start, cols.stop, cols.step),
        window=window,
        kernel=np.ascontiguousarray(kernel),
        products=products,
        bias=float(bias),
        total=float(products.sum() + bias),
    )


# --- output sizes of layer stacks, work counts ------------------------------------------------


def stack_sizes(n: int, k: int, layers: int, same: bool = False, stride: int = 1) -> list[int]:
    """Side length after each of ``layers`` convolutions with a k-wide kernel, starting at n.

    ``same=False`` (valid): each layer gives ``floor((n - k) / s) + 1``, i.e. n - k + 1 at stride
    1, so a deep stack runs out of pixels; ``same=True`` pads by (k - 1) / 2 (odd k) and keeps
    ceil(n / s). Returns [n, n_1, n_2, …]; the list stops early at the first size below 1 (0).
    """
    sizes = [n]
    for _ in range(layers):
        current = sizes[-1]
        nxt = -(-current // stride) if same else conv_output_size(current, k, stride)
        if nxt < 1:
            sizes.append(0)
            break
        sizes.append(nxt)
    return sizes


def multiply_count(
    in_shape: tuple[int, int],
    kernel: tuple[int, int],
    stride: IntPair = 1,
    padding: Padding = 0,
    dilation: IntPair = 1,
) -> int:
    """Multiplications of one single-channel convolution: H' · W' · kh · kw (dilation spreads
    the taps but adds none; stride s skips positions, dividing the count by about s²)."""
    geo = conv_geometry(in_shape, kernel, stride, padding, dilation)
    return geo.out_shape[0] * geo.out_shape[1] * kernel[0] * kernel[1]


def border_zoom(
    image: np.ndarray, pad: int, mode: PaddingMode = "zeros", crop: int = 24, scale: int = 1
) -> np.ndarray:
    """The top-left ``crop`` × ``crop`` corner of a photo, padded by ``pad`` pixels on every side
    with ``mode``, to see what each padding mode invents at the border.

    image: (H, W, 3) or (H, W) uint8 (or float in 0..255). Returns uint8 of side
    (crop + 2·pad)·scale (each pixel a scale × scale block, so the zoom stays sharp), with a
    trailing 3 for colour; zero padding shows as black. Raises ValueError when the mode cannot pad
    that much.
    """
    img = np.asarray(image, dtype=np.float64)
    corner = img[:crop, :crop]  # (c, c[, 3])
    chw = corner[None] if corner.ndim == 2 else np.moveaxis(corner, -1, 0)  # (C, c, c)
    padded = pad2d(chw, (pad, pad, pad, pad), mode)  # (C, c + 2p, c + 2p)
    padded = padded.repeat(scale, axis=1).repeat(scale, axis=2)  # (C, (c + 2p)s, (c + 2p)s)
    out = padded[0] if corner.ndim == 2 else np.moveaxis(padded, 0, -1)
    return np.clip(np.rint(out), 0, 255).astype(np.uint8)


def is_toeplitz(m: np.ndarray) -> bool:
    """True when every row is the row above shifted one place right (m[i+1, j+1] == m[i, j]):
    the shape of a stride-1 1D convolution's matrix. A stride-2 convolution's Wᵀ fails it."""
    m = np.asarray(m)
    return bool(np.array_equal(m[1:, 1:], m[:-1, :-1]))


def torch_conv2d(
    x: np.ndarray,
    w: np.ndarray,
    stride: IntPair = 1,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    padding_mode: PaddingMode = "zeros",
) -> np.ndarray:
    """The reference: ``torch.nn.functional.conv2d`` (float64) on x (H, W) and w (kh, kw),
    padding with ``F.pad`` for the non-zero modes. Returns (H', W').

    Raises ValueError carrying torch's own message for shapes torch rejects.
    """
    import torch
    import torch.nn.functional as F

    ph, pw = as_pair(padding, "padding")
    xt = torch.tensor(np.asarray(x, dtype=np.float64))[None, None]  # (1, 1, H, W)
    wt = torch.tensor(np.asarray(w, dtype=np.float64))[None, None]  # (1, 1, kh, kw)
    try:
        if padding_mode != "zeros" and (ph or pw):
            mode = {"reflect": "reflect", "replicate": "replicate", "circular": "circular"}
            xt = F.pad(xt, (pw, pw, ph, ph), mode=mode[padding_mode])
            ph = pw = 0
        y = F.conv2d(xt, wt, stride=stride, padding=(ph, pw), dilation=dilation)
    except RuntimeError as err:  # torch's wording, e.g. "Kernel size can't be greater than …"
        raise ValueError(f"torch refuses: {str(err).splitlines()[0]}") from err
    return y[0, 0].numpy()


# --- transposed convolution -------------------------------------------------------------------


def conv_transpose_output_size(
    n: int, k: int, stride: int = 1, padding: int = 0, output_padding: int = 0, dilation: int = 1
) -> int:
    """Output length of a transposed convolution: ``(n - 1)s - 2p + d(k - 1) + output_padding + 1``
    (for d = 1: (n - 1)s - 2p + k). It can come out 0 or negative when p is large (torch
    refuses)."""
    if n < 1 or k < 1 or stride < 1 or dilation < 1 or padding < 0 or output_padding < 0:
        raise ValueError("need n >= 1, k >= 1, stride >= 1, dilation >= 1, padding >= 0")
    return (n - 1) * stride - 2 * padding + dilation * (k - 1) + output_padding + 1


@dataclass(frozen=True)
class Stamp:
    """One input cell of a transposed convolution: it adds value × kernel into the output."""

    i: int  # input row
    j: int  # input column
    value: float  # x[i, j]
    rows: range  # rows of the *uncropped* output the stamp covers (step = 1)
    cols: range  # columns of the uncropped output
    stamp: np.ndarray  # (kh, kw) value * w
    total: np.ndarray  # (Hf, Wf) uncropped output after adding this stamp (and all before it)


def conv_transpose_stamps(x: np.ndarray, w: np.ndarray, stride: IntPair = 1) -> list[Stamp]:
    """The transposed convolution as the notes' ``trans_conv`` loop (seed 001), one stamp per
    input cell in row-major order: ``Y[i*s : i*s + kh, j*s : j*s + kw] += X[i, j] * K``.

    x: (H, W); w: (kh, kw). The totals are the *uncropped* output ((H-1)s + kh, (W-1)s + kw);
    padding p then crops p rows/columns from each side (see :func:`conv_transpose2d_naive`).
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if x.ndim != 2 or w.ndim != 2:
        raise ValueError(f"x and w must be 2D, got shapes {x.shape} and {w.shape}")
    (sh, sw), (kh, kw) = as_pair(stride, "stride"), w.shape
    if min(sh, sw) < 1:
        raise ValueError("stride must be at least 1")
    y = np.zeros(((x.shape[0] - 1) * sh + kh, (x.shape[1] - 1) * sw + kw))  # (Hf, Wf)
    stamps = []
    for i in range(x.shape[0]):
        for j in range(x.shape[1]):
            rows, cols = range(i * sh, i * sh + kh), range(j * sw, j * sw + kw)
            stamp = x[i, j] * w  # (kh, kw)
            y[i * sh : i * sh + kh, j * sw : j * sw + kw] += stamp
            stamps.append(Stamp(i, j, float(x[i, j]), rows, cols, stamp, y.copy()))
    return stamps


def conv_transpose2d_naive(
    x: np.ndarray,
    w: np.ndarray,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
) -> np.ndarray:
    """Transposed convolution ("deconvolution"), as ``torch.nn.functional.conv_transpose2d``.

    x: (H, W); w: (kh, kw). Each input value stamps a scaled copy of the kernel into the output,
    stamps ``stride`` cells apart, overlaps adding up; then ``padding`` rows/columns are cropped
    from each side and ``output_padding`` adds rows/columns at the bottom/right. Returns float64
    (H', W') with H' = (H - 1)s - 2p + kh + output_padding. Raises ValueError when that is < 1
    or when output_padding >= stride (torch's rule).
    """
    x = np.asarray(x, dtype=np.float64)
    w = np.asarray(w, dtype=np.float64)
    if x.ndim != 2 or w.ndim != 2 or 0 in x.shape or 0 in w.shape:
        raise ValueError(f"x and w must be non-empty 2D arrays, got {x.shape} and {w.shape}")
    stride, padding = as_pair(stride, "stride"), as_pair(padding, "padding")
    output_padding = as_pair(output_padding, "output_padding")
    if min(stride) < 1 or min(padding) < 0 or min(output_padding) < 0:
        raise ValueError("stride must be >= 1, padding and output_padding >= 0")
    if any(op >= s for op, s in zip(output_padding, stride, strict=True)):
        raise ValueError(f"output_padding {output_padding} must be smaller than stride {stride}")
    out = [
        conv_transpose_output_size(x.shape[a], w.shape[a], stride[a], padding[a], output_padding[a])
        for a in (0, 1)
    ]
    if min(out) < 1:
        covered = [(x.shape[a] - 1) * stride[a] + w.shape[a] for a in (0, 1)]
        raise ValueError(
            f"the output would be {out[0]}×{out[1]}: padding {padding} crops more than the "
            f"{covered[0]}×{covered[1]} the stamps cover"
        )
    full = conv_transpose_stamps(x, w, stride)[-1].total  # (Hf, Wf)
    full = np.pad(full, ((0, output_padding[0]), (0, output_padding[1])))  # extra rows, all 0
    (ph, pw) = padding
    return full[ph : ph + out[0], pw : pw + out[1]].copy()


def torch_conv_transpose2d(
    x: np.ndarray,
    w: np.ndarray,
    stride: IntPair = 1,
    padding: IntPair = 0,
    output_padding: IntPair = 0,
) -> np.ndarray:
    """The reference: ``torch.nn.functional.conv_transpose2d`` (float64), x (H, W), w (kh, kw).

    Raises ValueError carrying torch's message for settings torch rejects."""
    import torch
    import torch.nn.functional as F

    xt = torch.tensor(np.asarray(x, dtype=np.float64))[None, None]  # (1, 1, H, W)
    wt = torch.tensor(np.asarray(w, dtype=np.float64))[None, None]  # (1, 1, kh, kw)
    try:
        y = F.conv_transpose2d(
            xt, wt, stride=stride, padding=padding, output_padding=output_padding
        )
    except RuntimeError as err:
        raise ValueError(f"torch refuses: {str(err).splitlines()[0]}") from err
    return y[0, 0].numpy()


def zero_insert(x: np.ndarray, stride: IntPair) -> np.ndarray:
    """Put s - 1 zeros between neighbouring values: (H, W) -> ((H-1)s + 1, (W-1)s + 1).

    A stride-s transposed convolution is an ordinary stride-1 convolution of this zero-inserted
    input with the flipped kernel and padding k - 1 - p; at stride 1 no zeros are needed."""
    sh, sw = as_pair(stride, "stride")
    x = np.asarray(x, dtype=np.float64)
    out = np.zeros(((x.shape[0] - 1) * sh + 1, (x.shape[1] - 1) * sw + 1))
    out[::sh, ::sw] = x
    return out


# --- the matrix view --------------------------------------------------------------------------


def conv_matrix_taps(
    in_shape: tuple[int, int],
    kernel: tuple[int, int],
    stride: IntPair = 1,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    on_padded: bool = False,
) -> np.ndarray:
    """Which kernel tap multiplies which input cell: int array (H'·W', N), entry u·kw + v for tap
    (u, v), -1 where the matrix holds 0. Rows are output cells, columns input cells (row-major).

    N = H·W, or (H + 2ph)(W + 2pw) with ``on_padded=True`` (the notes' picture, where the padded
    zeros are part of the input vector). Zero padding only.
    """
    geo = conv_geometry(in_shape, kernel, stride, as_pair(padding, "padding"), dilation)
    top, _, left, _ = geo.pads
    hp, wp = in_shape[0] + 2 * top, in_shape[1] + 2 * left
    ho, wo = geo.out_shape
    taps = np.full((ho * wo, hp * wp), -1, dtype=np.int64)
    for i in range(ho):
        for j in range(wo):
            rows, cols = geo.window(i, j)
            for u, r in enumerate(range(rows.start, rows.stop, rows.step)):
                for v, c in enumerate(range(cols.start, cols.stop, cols.step)):
                    taps[i * wo + j, r * wp + c] = u * kernel[1] + v
    if on_padded:
        return taps
    inside = np.zeros((hp, wp), dtype=bool)
    inside[top : top + in_shape[0], left : left + in_shape[1]] = True
    return taps[:, inside.ravel()]  # padded zeros multiply nothing: drop their columns


def conv_matrix(
    in_shape: tuple[int, int],
    w: np.ndarray,
    stride: IntPair = 1,
    padding: IntPair = 0,
    dilation: IntPair = 1,
    on_padded: bool = False,
) -> np.ndarray:
    """The convolution as a matrix W (H'·W', N): ``W @ x.ravel() == conv2d_naive(x, w, stride,
    padding, dilation).ravel()`` for x of shape ``in_shape`` (zero padding), and ``W.T @ y.ravel()``
    is the transposed convolution of y (H', W'), reshaped to ``in_shape`` (see seed 002).

    w: (kh, kw). N = H·W, or the padded size with ``on_padded=True``. float64.
    """
    w = np.asarray(w, dtype=np.float64)
    taps = conv_matrix_taps(in_shape, w.shape, stride, padding, dilation, on_padded)
    return np.where(taps >= 0, w.ravel()[np.maximum(taps, 0)], 0.0)
