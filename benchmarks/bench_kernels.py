"""Speed of the Kernels page: server-side reruns, and a photo kernel against cv2.filter2D.

Run from the repository root: ``python -m benchmarks.bench_kernels`` (or ``make bench``).
Prints figures and ratios measured in this run; BENCHMARKS.md keeps the latest ones.
Targets (2-core CPU): rerun median <= 100 ms; photo kernel <= 2x cv2.filter2D.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable
from pathlib import Path

import cv2
import numpy as np
import torch

from cnnplay.device import configure_torch_threads, device_label, get_device
from cnnplay.filtering import filter_image, to_grayscale
from cnnplay.grids import x_image
from cnnplay.kernels import x_kernel
from cnnplay.ops.conv import conv2d_naive

PAGE = Path(__file__).resolve().parents[1] / "pages" / "kernels.py"


def timeit(fn: Callable[[], object], repeats: int) -> list[float]:
    """Wall times in ms of ``repeats`` calls, after one warm-up call."""
    fn()
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        if get_device().type == "cuda":
            torch.cuda.synchronize()
        times.append((time.perf_counter() - start) * 1000)
    return times


def summary(times: list[float]) -> str:
    q = statistics.quantiles(times, n=10)
    return f"median {statistics.median(times):7.2f} ms   p10 {q[0]:7.2f}   p90 {q[-1]:7.2f}"


def bench_reruns(changes: int = 20) -> list[float]:
    """Server-side time of the page's rerun after each of ``changes`` widget changes."""
    from streamlit.testing.v1 import AppTest

    at = AppTest.from_file(str(PAGE), default_timeout=120).run()
    edits: list[Callable[[AppTest], object]] = [
        lambda a: a.number_input(key="bias").set_value(float(np.random.randint(-5, 5))),
        lambda a: a.selectbox(key="act").set_value(np.random.choice(["none", "ReLU", "sigmoid"])),
        lambda a: a.radio(key="padding").set_value(np.random.choice(["valid", "same"])),
        lambda a: a.selectbox(key="k1_preset").set_value(np.random.choice(["X", "+ (cross)"])),
        lambda a: a.number_input(key="step_j").set_value(int(np.random.randint(0, 4))),
        lambda a: a.toggle(key="flip").set_value(bool(np.random.randint(2))),
        lambda a: a.selectbox(key="ph_kernel").set_value(
            np.random.choice(["Sobel x (vertical edges)", "Gaussian blur", "Sharpen"])
        ),
    ]
    np.random.seed(0)
    times = []
    for n in range(changes):
        edits[n % len(edits)](at)
        start = time.perf_counter()
        at.run()
        times.append((time.perf_counter() - start) * 1000)
        assert not at.exception, at.exception
    return times


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--size", type=int, default=1024, help="photo side, pixels")
    args = parser.parse_args()
    configure_torch_threads()
    device = get_device()
    print(
        f"device: {device_label(device)}; torch {torch.__version__}; OpenCV {cv2.__version__}; "
        f"cv2 threads {cv2.getNumThreads()}"
    )

    print("\n== Kernels page: server-side rerun after a widget change (AppTest, 20 changes)")
    reruns = bench_reruns()
    print(f"rerun            {summary(reruns)}   target: median <= 100 ms")

    print(
        f"\n== 5x5 kernel on a {args.size}x{args.size} RGB photo (uint8 in, float32 out, "
        "mirrored border)"
    )
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (args.size, args.size, 3), dtype=np.uint8)
    kernel = rng.standard_normal((5, 5)).astype(np.float32)
    ref = cv2.filter2D(photo, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT_101)
    ours = filter_image(photo, kernel, device=device)
    err = float(np.abs(ours - ref).max())
    cv = timeit(
        lambda: cv2.filter2D(photo, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT_101),
        args.repeats,
    )
    rows = {"cv2.filter2D (reference)": cv}
    rows["filter_image (auto)"] = timeit(
        lambda: filter_image(photo, kernel, device=device), args.repeats
    )
    for method in ("phase_split", "grouped"):
        rows[f"filter_image {method}"] = timeit(
            lambda m=method: filter_image(photo, kernel, device=device, method=m), args.repeats
        )
    gray = to_grayscale(photo)
    rows["cv2.filter2D grayscale"] = timeit(
        lambda: cv2.filter2D(gray, cv2.CV_32F, kernel, borderType=cv2.BORDER_REFLECT_101),
        args.repeats,
    )
    rows["filter_image grayscale"] = timeit(
        lambda: filter_image(gray, kernel, device=device), args.repeats
    )
    base = statistics.median(cv)
    for name, times in rows.items():
        ref_ms = statistics.median(rows["cv2.filter2D grayscale"]) if "grayscale" in name else base
        print(
            f"{name:26s} {summary(times)}   ratio to cv2 {statistics.median(times) / ref_ms:5.2f}x"
        )
    print(f"max |filter_image - cv2| = {err:.2e}   target: ratio <= 2x")

    print("\n== conv2d_naive (the readable loop version) on the 9x9 X, 3x3 kernel, zero-padded")
    print(
        f"conv2d_naive     {summary(timeit(lambda: conv2d_naive(x_image(9), x_kernel(3), padding=1), args.repeats))}"
    )


if __name__ == "__main__":
    main()
