"""The image patches that excite one unit most (seed 002, "Retrieving Raw Images": "images can
be cropped by the receptive field of a_{i,j,c}").

A *unit* here is one channel ``c`` of a stage's feature map; the same filter runs at every
position ``(i, j)``, so its activations over a gallery are ``a[n, c, i, j]`` for every image
``n`` and position. :func:`stage_maxima` keeps, per image and channel, the largest activation
and where it is; :func:`top_units` then picks the k images where channel ``c`` fires most (one
patch per image, at its strongest position, as in the notes' figures). :func:`unit_box` gives
the input pixels that position sees, its theoretical receptive field from cnnplay.receptive::

    r_l = r_{l-1} + (k_l - 1) · d_l · j_{l-1},   j_l = j_{l-1} · s_l,
    start_l = start_{l-1} - p_l · j_{l-1}

(r: field size, j: jump = input pixels between neighbouring units, k / s / p / d: kernel,
stride, padding, dilation). Unit ``(i, j)`` sees rows ``start + i·jump … start + i·jump + r - 1``
and the same for columns. Deep units can see more than the whole image (the field reaches into
the padding): the crop is then clipped to the image (:attr:`Box.clipped`).

Nothing outside that box can change the unit's value (tested, also on EfficientNet-Lite0).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch import nn

from cnnplay.learned.features import model_dtype, to_input
from cnnplay.models.pretrained import PretrainedSpec
from cnnplay.models.stages import model_device, truncated
from cnnplay.progress import ProgressFn, StopFn
from cnnplay.receptive import Field, FieldRow, receptive_field_table

FIELD_FILL = 128  # grey for the part of a field outside the image, when a crop is padded


@dataclass(frozen=True)
class StageMaxima:
    """Each channel's strongest activation in each image of a gallery, and where it is."""

    values: np.ndarray  # (N, C) float32: max over positions of a[n, c, :, :]
    rows: np.ndarray  # (N, C) int16: row i of that maximum in the (h, w) map
    cols: np.ndarray  # (N, C) int16: column j
    map_shape: tuple[int, int]  # (h, w) of the stage's feature map
    side: int  # the network's input side, pixels (the images were resized to it)
    inside_only: bool = False  # only units whose whole field lies inside the image counted

    @property
    def channels(self) -> int:
        return int(self.values.shape[1])


def inside_positions(field: Field | FieldRow, shape: tuple[int, int], side: int) -> np.ndarray:
    """(h, w) bool: the map positions whose whole field lies inside the side × side image
    (units that see no padding). Possibly all False (a field wider than the image)."""
    f = Field(field.jump, field.size, field.start)
    ok_rows = np.array([f.span(i)[0] >= 0 and f.span(i)[1] < side for i in range(shape[0])])
    ok_cols = np.array([f.span(j)[0] >= 0 and f.span(j)[1] < side for j in range(shape[1])])
    return np.outer(ok_rows, ok_cols)


def maxima_of(
    maps: torch.Tensor, mask: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(B, C, h, w) feature maps -> per image and channel: max value, its row, its column
    ((B, C) float32, int64, int64). Equal maxima: the first in row-major order (torch.max).
    mask: (h, w) bool, the positions taken into account (at least one True; default all)."""
    b, c, h, w = maps.shape
    if mask is not None:
        allowed = torch.as_tensor(mask, device=maps.device)  # (h, w)
        maps = maps.masked_fill(~allowed, float("-inf"))  # (B, C, h, w)
    flat = maps.reshape(b, c, h * w)  # (B, C, h·w)
    values, where = flat.max(dim=2)  # (B, C), (B, C)
    where = where.cpu().numpy().astype(np.int64)
    return values.float().cpu().numpy(), where // w, where % w


def stage_maxima(
    model: nn.Module,
    spec: PretrainedSpec,
    images: np.ndarray,
    index: int,
    side: int,
    batch: int = 32,
    on_progress: ProgressFn | None = None,
    should_stop: StopFn | None = None,
    inside: Field | FieldRow | None = None,
) -> StageMaxima:
    """Run ``truncated(model, index)`` (read-only, inference mode) on every image, resized to
    ``side`` and normalised with the spec, keeping only each channel's maximum per image.

    images: (N, S, S, 3) uint8. ``on_progress(done, N, {})`` after each batch; a
    ``should_stop()`` that says stop ends early with the images done so far (n <= N rows).
    inside: the stage's field; when given, only units whose whole field lies inside the image
    count (:func:`inside_positions`; all units when none does). Units at the border see the
    zero padding, and their response to the image's edge can outshine everything inside.
    Raises ValueError when stage ``index`` gives no (N, C, h, w) map."""
    net = truncated(model, index)
    device, dtype = model_device(model), model_dtype(model)
    values, rows, cols = [], [], []
    shape = (0, 0)
    restricted = False
    n = len(images)
    with torch.inference_mode():
        for start in range(0, n, batch):
            if should_stop is not None and should_stop():
                break
            x = to_input(images[start : start + batch], side, spec, device, dtype)  # (B,3,s,s)
            maps = net(x)  # (B, C, h, w)
            if maps.dim() != 4:
                raise ValueError(f"stage {index} gives no feature map (shape {tuple(maps.shape)})")
            shape = (int(maps.shape[2]), int(maps.shape[3]))
            mask = None if inside is None else inside_positions(inside, shape, side)
            restricted = mask is not None and bool(mask.any())
            v, r, c = maxima_of(maps, mask if restricted else None)
            values.append(v)
            rows.append(r.astype(np.int16))
            cols.append(c.astype(np.int16))
            if on_progress is not None:
                on_progress(min(start + batch, n), n, {})
    if not values:
        empty = np.zeros((0, 0))
        return StageMaxima(empty.astype(np.float32), empty.astype(np.int16),
                           empty.astype(np.int16), shape, side)  # fmt: skip
    return StageMaxima(
        np.concatenate(values), np.concatenate(rows), np.concatenate(cols), shape, side, restricted
    )


@dataclass(frozen=True)
class TopUnit:
    """One of a channel's strongest activations over a gallery."""

    image: int  # gallery index
    row: int  # i, in the stage's feature map
    col: int  # j
    value: float  # the activation a[image, c, row, col]


def top_units(maxima: StageMaxima, channel: int, k: int) -> list[TopUnit]:
    """The k images where ``channel`` fires most, strongest first, each at its strongest
    position (at most one per image). Equal values: lower image index first."""
    v = maxima.values[:, channel]  # (N,)
    order = np.argsort(-v, kind="stable")[:k]
    return [
        TopUnit(int(n), int(maxima.rows[n, channel]), int(maxima.cols[n, channel]), float(v[n]))
        for n in order
    ]


def peak_channels(maxima: StageMaxima, k: int) -> list[int]:
    """The k channels with the highest peak over the gallery (max over images), highest
    first (equal peaks: lower channel first): units that some images excite strongly."""
    peaks = maxima.values.max(axis=0)  # (C,)
    return [int(c) for c in np.argsort(-peaks, kind="stable")[:k]]


# --- the receptive field of a unit -----------------------------------------------------------


def stage_field_row(model: nn.Module, index: int, side: int) -> FieldRow:
    """The row of ``receptive_field_table(truncated(model, index), side)`` that gives the
    field of the stage's output: the widest field (the last of equal ones). In a residual
    block the last conv in forward order can be a 1×1 shortcut with a small field, and the
    block's output (main path ∪ shortcut) has the main path's field, the widest one.
    A meta-device copy is traced: the model is not touched."""
    rows = receptive_field_table(truncated(model, index), side)
    if not rows:
        raise ValueError(f"stage {index} has no convolution or pooling layer")
    widest = max(r.size for r in rows)
    return [r for r in rows if r.size == widest][-1]


def has_global_gates(module: nn.Module) -> bool:
    """Whether ``module`` holds squeeze-and-excitation gates (torchvision's
    SqueezeExcitation, timm's SqueezeExcite, or any global average pool to 1×1 inside it):
    each channel is scaled by a summary of the whole map, so strictly every unit then depends
    on every pixel, and the theoretical field (cnnplay.receptive follows the local path only)
    is where the unit's *pattern* is, not all it depends on. EfficientNet-Lite0 has none."""
    return any(
        (isinstance(m, nn.AdaptiveAvgPool2d) and m.output_size in (1, (1, 1)))
        or "SqueezeExcit" in type(m).__name__
        for m in module.modules()
    )


@dataclass(frozen=True)
class Box:
    """The input pixels one unit sees: its theoretical field and the part inside the image."""

    top: int  # first row of the field (may be < 0: padding)
    left: int  # first column
    size: int  # r, the field's side (pixels)
    side: int  # the image's side, pixels

    @property
    def bottom(self) -> int:
        """One past the field's last row."""
        return self.top + self.size

    @property
    def right(self) -> int:
        """One past the field's last column."""
        return self.left + self.size

    @property
    def inside(self) -> tuple[int, int, int, int]:
        """(top, left, bottom, right), half-open, clipped to the image 0 … side."""
        clip = lambda v: min(max(v, 0), self.side)  # noqa: E731
        return clip(self.top), clip(self.left), clip(self.bottom), clip(self.right)

    @property
    def clipped(self) -> bool:
        """Whether part of the field lies outside the image (in the padding)."""
        return self.top < 0 or self.left < 0 or self.bottom > self.side or self.right > self.side


def unit_box(field: Field | FieldRow, row: int, col: int, side: int) -> Box:
    """The field of unit (row, col): rows start + row·jump … + size - 1, the same for columns
    (square fields: one Field for both axes). side: the input image's side, pixels."""
    f = Field(field.jump, field.size, field.start)
    return Box(f.span(row)[0], f.span(col)[0], f.size, side)


def crop(image: np.ndarray, box: Box, pad: bool = False, fill: int = FIELD_FILL) -> np.ndarray:
    """The pixels of ``image`` (side, side, 3) uint8 inside ``box``: the clipped part, or with
    ``pad`` the whole field (box.size, box.size, 3), ``fill`` grey where it leaves the image."""
    t, l, b, r = box.inside
    if not pad:
        return np.ascontiguousarray(image[t:b, l:r])
    out = np.full((box.size, box.size, 3), fill, np.uint8)
    out[t - box.top : b - box.top, l - box.left : r - box.left] = image[t:b, l:r]
    return out
