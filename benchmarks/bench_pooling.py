"""Speed of the Pooling page: server-side reruns, and pooling a photo with torch vs the loops.

Run from the repository root: ``python -m benchmarks.bench_pooling``.
Prints figures and ratios measured in this run. Target (2-core CPU): rerun median <= 100 ms.
"""

from __future__ import annotations

import argparse
import statistics

import numpy as np
import torch

from benchmarks.common import rerun_times, summary, timeit
from cnnplay.device import configure_torch_threads, device_label, get_device
from cnnplay.ops.pool import SEED002_UNPOOL, max_unpool2d, pool2d_naive, pool_image

SOURCES = [
    "Seed 000: the + and X feature maps (2 channels)",
    "Seed 002: 4×4 with remembered maxima",
    "Random 8×8 digits (ties!)",
]
UPSTREAM = ["all ones", "1, 2, 3, … (one number per output cell)"]


def in_tab(label: str, edit):
    """``edit`` with the lazy tab ``label`` open (AppTest runs the whole script, so this times
    the page's header plus that one tab: an upper bound of the fragment rerun a browser gets)."""

    def run(at, rng) -> None:
        if "pl_tab" not in at.session_state or at.session_state["pl_tab"] != label:
            at.session_state["pl_tab"] = label  # as tests/views/apptest_utils.open_tab
            at.run()  # (untimed: the tab's first run)
        edit(at, rng)

    return run


EDITS = [  # the shared settings above the tabs, then one widget inside each tab
    in_tab(
        "Pool a grid",
        lambda a, r: a.radio(key="pl_mode").set_value(str(r.choice(["max", "avg"]))),
    ),
    in_tab(
        "Pool a grid",
        lambda a, r: a.number_input(key="pl_size").set_value(int(r.integers(1, 4))),
    ),
    in_tab(
        "Pool a grid",
        lambda a, r: a.number_input(key="pl_stride").set_value(int(r.integers(1, 4))),
    ),
    in_tab(
        "Pool a grid",
        lambda a, r: a.selectbox(key="pl_source").set_value(str(r.choice(SOURCES))),
    ),
    in_tab(
        "Invariance",
        lambda a, r: a.number_input(key="pl_inv_dx").set_value(int(r.integers(0, 3))),
    ),
    in_tab(
        "Backprop",
        lambda a, r: a.radio(key="pl_upstream").set_value(str(r.choice(UPSTREAM))),
    ),
    in_tab(
        "Saving work",
        lambda a, r: a.number_input(key="pl_sv_side").set_value(int(r.choice([32, 64, 224]))),
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--size", type=int, default=512, help="photo side, pixels")
    args = parser.parse_args()
    configure_torch_threads()
    device = get_device()
    print(f"device: {device_label(device)}; torch {torch.__version__}")

    print(
        "\n== Pooling page: server-side rerun after a widget change (AppTest, 20 changes; "
        "the page header plus the open tab)"
    )
    reruns = rerun_times("pooling.py", EDITS)
    print(f"rerun            {summary(reruns)}   target: median <= 100 ms")

    print(f"\n== 2x2 max / avg pooling, stride 2, of a {args.size}x{args.size} RGB photo")
    rng = np.random.default_rng(0)
    photo = rng.integers(0, 256, (args.size, args.size, 3), dtype=np.uint8)
    chw = photo.transpose(2, 0, 1).astype(np.float64)  # (3, H, W) for the loop version
    loop_repeats = 3
    rows = {}
    for mode in ("max", "avg"):
        rows[f"pool_image {mode} (torch)"] = timeit(
            lambda m=mode: pool_image(photo, 2, mode=m, device=device), args.repeats
        )
        rows[f"pool2d_naive {mode} (loops)"] = timeit(
            lambda m=mode: pool2d_naive(chw, 2, mode=m), loop_repeats
        )
    err = float(np.abs(pool_image(photo, 2) - pool2d_naive(chw, 2).transpose(1, 2, 0)).max())
    for mode in ("max", "avg"):
        fast = rows[f"pool_image {mode} (torch)"]
        slow = rows[f"pool2d_naive {mode} (loops)"]
        print(f"{'pool_image ' + mode + ' (torch)':28s} {summary(fast)}")
        print(
            f"{'pool2d_naive ' + mode + ' (loops)':28s} {summary(slow)}   "
            f"loops / torch {statistics.median(slow) / statistics.median(fast):7.0f}x"
        )
    print(f"max |torch - loops| = {err:.2e}")

    print("\n== the readable loop versions on seed 002's 4x4 example (what the page runs)")
    y, idx = pool2d_naive(SEED002_UNPOOL, 2, return_indices=True)
    small = {
        "pool2d_naive": lambda: pool2d_naive(SEED002_UNPOOL, 2, 1, return_indices=True),
        "max_unpool2d": lambda: max_unpool2d(y, idx, (4, 4)),
    }
    for name, fn in small.items():
        print(f"{name:16s} {summary(timeit(fn, args.repeats))}")


if __name__ == "__main__":
    main()
