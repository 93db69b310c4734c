"""cnnplay.detection.roi: the drawn RoI-pool bins and RoI-align sample points rebuild torchvision's
outputs with plain loops."""

from __future__ import annotations

import numpy as np
import pytest

from cnnplay.detection.roi import compare_roi


def bilinear(fmap: np.ndarray, x: float, y: float) -> float:
    """Value at continuous (x, y), cell i spanning [i, i+1] (torchvision's aligned=True)."""
    h, w = fmap.shape
    x, y = x - 0.5, y - 0.5
    if y < -1 or y > h or x < -1 or x > w:
        return 0.0
    x, y = min(max(x, 0.0), w - 1), min(max(y, 0.0), h - 1)
    x0, y0 = int(np.floor(x)), int(np.floor(y))
    x1, y1 = min(x0 + 1, w - 1), min(y0 + 1, h - 1)
    ax, ay = x - x0, y - y0
    top = fmap[y0, x0] * (1 - ax) + fmap[y0, x1] * ax
    bottom = fmap[y1, x0] * (1 - ax) + fmap[y1, x1] * ax
    return float(top * (1 - ay) + bottom * ay)


@pytest.mark.parametrize("seed", range(12))
def test_bins_and_points_rebuild_torchvision(seed):
    rng = np.random.default_rng(seed)
    fmap = rng.normal(size=(12, 14))
    x0, y0 = rng.uniform(0, 8, 2)
    box = np.array([x0, y0, x0 + rng.uniform(1, 6), y0 + rng.uniform(1, 6)])
    out, ratio = int(rng.integers(1, 5)), int(rng.integers(1, 4))
    r = compare_roi(fmap, box, out, ratio)
    assert r.pooled.shape == r.aligned.shape == (out, out)
    for i in range(out):
        for j in range(out):
            r0, r1, c0, c1 = r.pool_bins[i, j]
            expected = fmap[r0:r1, c0:c1].max() if r1 > r0 and c1 > c0 else 0.0
            assert r.pooled[i, j] == pytest.approx(expected)
            pts = r.sample_points[i, j].reshape(-1, 2)
            mean = np.mean([bilinear(fmap, x, y) for x, y in pts])
            assert r.aligned[i, j] == pytest.approx(mean, abs=1e-9)


def test_align_moves_with_the_box_pool_snaps():
    fmap = np.tile(np.arange(10.0), (10, 1))  # value = column index
    a = compare_roi(fmap, np.array([2.0, 2.0, 6.0, 6.0]), 2, 2)
    b = compare_roi(fmap, np.array([2.3, 2.0, 6.3, 6.0]), 2, 2)
    assert np.allclose(b.aligned - a.aligned, 0.3)  # align follows a sub-cell shift exactly
    assert np.allclose(a.pooled, b.pooled)  # pooling snaps both boxes to the same cells
