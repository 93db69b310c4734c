"""RoI pooling vs RoI align (seed 002): how a region of interest of any size becomes a fixed
grid of features, by quantised bins (Fast R-CNN) or by bilinear sample points (Mask R-CNN).

The functions here give the geometry the page draws — the integer cell ranges of each RoI-pool
bin and the sample points of each RoI-align bin — and the outputs of ``torchvision.ops.roi_pool``
and ``roi_align``; the tests rebuild both outputs from that geometry with plain loops.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

import numpy as np
import torch
import torchvision


@dataclass
class RoiComparison:
    pooled: np.ndarray  # (o, o) roi_pool output: the max over each quantised bin
    aligned: np.ndarray  # (o, o) roi_align output: the mean of each bin's bilinear samples
    pool_bins: np.ndarray  # (o, o, 4) int: each bin's cells [row0, row1) × [col0, col1)
    sample_points: np.ndarray  # (o, o, n, n, 2) float (x, y) in feature-map units (cell i
    # spans [i, i + 1]); n = sampling ratio
    box: np.ndarray  # (4,) the RoI in feature-map units, xyxy


def roi_pool_bins(box: np.ndarray, output: int, height: int, width: int) -> np.ndarray:
    """torchvision's RoI-pool quantisation (spatial scale 1): (o, o, 4) int bins
    (row0, row1, col0, col1), half-open, on an (height, width) map. The box corners are rounded
    to whole cells, and each bin is floor/ceil-ed to whole cells: the "snapping" that RoI align
    removes."""
    x0, y0, x1, y1 = (math.floor(float(v) + 0.5) for v in box)  # C's round() for v >= 0
    roi_w, roi_h = max(x1 - x0 + 1, 1), max(y1 - y0 + 1, 1)
    bin_w, bin_h = roi_w / output, roi_h / output
    bins = np.zeros((output, output, 4), np.int64)
    for i in range(output):
        r0 = min(max(math.floor(i * bin_h) + y0, 0), height)
        r1 = min(max(math.ceil((i + 1) * bin_h) + y0, 0), height)
        for j in range(output):
            c0 = min(max(math.floor(j * bin_w) + x0, 0), width)
            c1 = min(max(math.ceil((j + 1) * bin_w) + x0, 0), width)
            bins[i, j] = (r0, r1, c0, c1)
    return bins


def roi_align_points(box: np.ndarray, output: int, sampling_ratio: int) -> np.ndarray:
    """(o, o, n, n, 2) (x, y) sample points of ``roi_align(aligned=True)``, in the map's
    continuous coordinates where cell i spans [i, i + 1] (its value sits at its centre)."""
    x0, y0, x1, y1 = (float(v) for v in box)
    bin_w, bin_h = (x1 - x0) / output, (y1 - y0) / output
    n = sampling_ratio
    offs = (np.arange(n) + 0.5) / n  # (n,) within a bin, in bin units
    ys = y0 + (np.arange(output)[:, None] + offs[None, :]) * bin_h  # (o, n)
    xs = x0 + (np.arange(output)[:, None] + offs[None, :]) * bin_w  # (o, n)
    pts = np.zeros((output, output, n, n, 2))
    pts[..., 0] = xs[None, :, None, :]  # (1, o, 1, n) -> x
    pts[..., 1] = ys[:, None, :, None]  # (o, 1, n, 1) -> y
    return pts


def compare_roi(
    feature: np.ndarray, box: np.ndarray, output: int = 2, sampling_ratio: int = 2
) -> RoiComparison:
    """RoI pool and RoI align of one ``box`` (xyxy, feature-map units) on one (H, W) map."""
    fmap = torch.from_numpy(np.asarray(feature, np.float64))[None, None]  # (1, 1, H, W)
    rois = torch.tensor([[0.0, *map(float, box)]], dtype=torch.float64)  # (1, 5)
    pooled = torchvision.ops.roi_pool(fmap, rois, output, 1.0)[0, 0]  # (o, o)
    aligned = torchvision.ops.roi_align(
        fmap, rois, output, 1.0, sampling_ratio=sampling_ratio, aligned=True
    )[0, 0]  # (o, o)
    h, w = feature.shape
    return RoiComparison(
        pooled=pooled.numpy(),
        aligned=aligned.numpy(),
        pool_bins=roi_pool_bins(np.asarray(box), output, h, w),
        sample_points=roi_align_points(np.asarray(box), output, sampling_ratio),
        box=np.asarray(box, np.float64),
    )
