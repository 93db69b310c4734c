"""Instance segmentation from a semantic mask: connected components of each class's mask."""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

# --- instances ----------------------------------------------------------------------------


@dataclass(frozen=True)
class Instances:
    ids: np.ndarray  # (H, W) int64: 0 background, 1..n one number per connected object
    classes: np.ndarray  # (n,) int64 class of each instance (ids[i] == i + 1)
    areas: np.ndarray  # (n,) int64 pixels of each instance


def instances_from_semantic(semantic: np.ndarray, min_area: int = 1) -> Instances:
    """Instance segmentation the simple way: each 8-connected component of each class's mask is
    one object (components smaller than ``min_area`` pixels are dropped as specks).
    Two touching objects of the same class become one instance: what a semantic mask cannot
    tell apart. semantic: (H, W) integer class map, 0 = background."""
    ids = np.zeros(semantic.shape, np.int64)
    classes: list[int] = []
    areas: list[int] = []
    for k in np.unique(semantic):
        if k == 0:
            continue
        n, comp, stats, _ = cv2.connectedComponentsWithStats(
            (semantic == k).astype(np.uint8), connectivity=8
        )
        for j in range(1, n):
            area = int(stats[j, cv2.CC_STAT_AREA])
            if area < min_area:
                continue
            classes.append(int(k))
            areas.append(area)
            ids[comp == j] = len(classes)
    return Instances(ids, np.asarray(classes, np.int64), np.asarray(areas, np.int64))
