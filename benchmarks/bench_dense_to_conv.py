"""The Train a CNN page's "Dense = convolution" tab: the class map of a canvas of four 28×28
images (2×2, 56×56 px) from the CNN whose dense head became a 5×5 convolution, in one forward
pass, against the reference it replaces: the original CNN run on every 28×28 window at the
map's stride (4 px), one window at a time, in the same run.

Run from the repository root: ``python -m benchmarks.bench_dense_to_conv``. Weights do not change
the time, so the CNN is a freshly built one. Target (2-core CPU): the class map ≤ 50 ms.
"""

from __future__ import annotations

import statistics

import numpy as np

from benchmarks.common import timeit
from cnnplay.convnets.dense_to_conv import (
    class_map,
    fully_convolutional,
    make_canvas,
    sliding_windows,
)
from cnnplay.convnets.models import build
from cnnplay.device import configure_torch_threads, device_label

TARGET_MS = 50.0
REPEATS = 30


def main() -> None:
    configure_torch_threads()
    print(f"device: {device_label()}")
    cnn = build("cnn", 10, seed=0).eval()
    converted = fully_convolutional(cnn)
    images = np.random.default_rng(0).integers(0, 256, (4, 28, 28), dtype=np.uint8)
    canvas = make_canvas(images, (0, 1, 2, 3), 2, 2).pixels  # (56, 56) uint8
    one_pass = statistics.median(timeit(lambda: class_map(converted, canvas), REPEATS))
    windows = statistics.median(timeit(lambda: sliding_windows(cnn, canvas), REPEATS))
    positions = class_map(converted, canvas).shape[-2:]
    print(f"canvas 56×56 (4 images), class map {positions[0]}×{positions[1]} positions")
    print(
        f"  one forward pass (dense head as a 5×5 conv): {one_pass:8.2f} ms (median of {REPEATS})"
    )
    print(f"  reference, the CNN on every window:          {windows:8.2f} ms")
    print(f"  one pass is {windows / one_pass:.1f}× faster; target ≤ {TARGET_MS:.0f} ms: "
          f"{'met' if one_pass <= TARGET_MS else 'NOT met'}")  # fmt: skip


if __name__ == "__main__":
    main()
