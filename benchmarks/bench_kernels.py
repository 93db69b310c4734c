"""Speed of the Kernels page: server-side reruns, and a photo kernel against cv2.filter2D.

Run from the repository root: ``python -m benchmarks.bench_kernels`` (or ``make bench``).
Prints figures and ratios measured in this run; BENCHMARKS.md keeps the latest ones.
Targets (2-core CPU): rerun median <= 100 ms; photo kernel <= 2x cv2.filter2D.
"""

from __future__ import annotations

import argparse
import statistics

import cv2
import numpy as np
import torch

from benchmarks.common import rerun_times, summary, timeit
from cnnplay.device import configure_torch_threads, device_label, get_device
from cnnplay.filtering import filter_image, to_grayscale
from cnnplay.grids import x_image
from cnnplay.kernels import x_kernel
from cnnplay.ops.conv import conv2d_naive

GRID_TAB, PHOTOS_TAB = "± 1 grids: the notes' + and X", "Photos"  # views/kernels.py


def on_tab(at, label: str):
    """Open the page's tab ``label`` first if it is not open (an untimed run): the tabs are
    lazy, so a tab's widgets exist only while it is open."""
    if at.session_state["kn_tab_open"] != label:
        at.session_state["kn_tab"] = label
        at.run()
    return at


GRID_EDITS = [  # widget changes inside the (default) grid tab
    lambda a, r: a.number_input(key="kn_bias").set_value(float(r.integers(-5, 5))),
    lambda a, r: a.selectbox(key="kn_act").set_value(str(r.choice(["none", "ReLU", "sigmoid"]))),
    lambda a, r: a.radio(key="kn_padding").set_value(str(r.choice(["valid", "same"]))),
    lambda a, r: a.selectbox(key="kn_k1_preset").set_value(str(r.choice(["X", "+ (cross)"]))),
    lambda a, r: a.number_input(key="kn_step_j").set_value(int(r.integers(0, 4))),
    lambda a, r: a.toggle(key="kn_flip").set_value(bool(r.integers(2))),
]
PHOTO_EDITS = [  # widget changes inside the Photos tab
    lambda a, r: (
        on_tab(a, PHOTOS_TAB)
        .selectbox(key="kn_ph_kernel")
        .set_value(str(r.choice(["Sobel x (vertical edges)", "Gaussian blur", "Sharpen"])))
    ),
    lambda a, r: (
        on_tab(a, PHOTOS_TAB).select_slider(key="kn_ph_size").set_value(int(r.choice([3, 5, 7])))
    ),
]
EDITS = [*GRID_EDITS, *PHOTO_EDITS]  # the page's former list: both tabs, in turn


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
    print("   (a whole-page run: only the open tab's body runs; in the browser a change inside a")
    print("   tab reruns that tab's fragment alone)")
    reruns = rerun_times("kernels.py", GRID_EDITS)
    print(f"rerun, grid tab  {summary(reruns)}   target: median <= 100 ms")
    reruns = rerun_times("kernels.py", PHOTO_EDITS)
    print(f"rerun, photos    {summary(reruns)}   target: median <= 100 ms")

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
    naive = timeit(lambda: conv2d_naive(x_image(9), x_kernel(3), padding=1), args.repeats)
    print(f"conv2d_naive     {summary(naive)}")


if __name__ == "__main__":
    main()
