"""Speed of the Padding, stride & dilation page: server-side reruns after widget changes.

Run from the repository root: ``python -m benchmarks.bench_padding``.
Prints figures measured in this run. Target (2-core CPU): rerun median <= 100 ms.
"""

from __future__ import annotations

import argparse

import numpy as np
import torch

from benchmarks.common import rerun_times, summary, timeit
from cnnplay.device import configure_torch_threads, device_label, get_device
from cnnplay.ops.conv import conv_matrix, conv_transpose2d_naive

TABS = (  # views/padding.py
    "Output size & sliding",
    "Padding modes",
    "Shrinking, stride, dilation",
    "Transposed convolution",
)


def on_tab(at, label: str):
    """Open the page's tab ``label`` first if it is not open (an untimed run): the tabs are
    lazy, so a tab's widgets exist only while it is open."""
    if at.session_state["pd_tab_open"] != label:
        at.session_state["pd_tab"] = label
        at.run()
    return at


SIZE_EDITS = [  # widget changes inside the (default) output-size tab
    lambda a, r: a.number_input(key="pd_n").set_value(int(r.integers(4, 9))),
    lambda a, r: a.number_input(key="pd_k").set_value(int(r.integers(1, 4))),
    lambda a, r: a.number_input(key="pd_s").set_value(int(r.integers(1, 3))),
    lambda a, r: a.number_input(key="pd_p").set_value(int(r.integers(0, 3))),
    lambda a, r: a.number_input(key="pd_d").set_value(int(r.integers(1, 3))),
    lambda a, r: a.selectbox(key="pd_mode").set_value(
        str(r.choice(["zeros", "replicate", "circular"]))
    ),
]
OTHER_EDITS = [  # one widget change in each other tab, the tab opened first (untimed)
    lambda a, r: on_tab(a, TABS[1]).slider(key="pd_mpad").set_value(int(r.integers(1, 4))),
    lambda a, r: on_tab(a, TABS[2]).slider(key="pd_sl").set_value(int(r.integers(1, 20))),
    lambda a, r: on_tab(a, TABS[3]).number_input(key="pd_ts").set_value(int(r.integers(1, 3))),
    lambda a, r: (
        on_tab(a, TABS[3])
        .radio(key="pd_mx")
        .set_value(
            str(
                r.choice(
                    [
                        "seed 002: 1D, K = 3, stride 1, padding 1",
                        "seed 002: 1D, K = 3, stride 2, padding 1",
                    ]
                )
            )
        )
    ),
]
EDITS = [*SIZE_EDITS, *OTHER_EDITS]  # the page's former list: every tab, in turn


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    args = parser.parse_args()
    configure_torch_threads()
    print(f"device: {device_label(get_device())}; torch {torch.__version__}")

    print("\n== Padding page: server-side rerun after a widget change (AppTest, 20 changes)")
    print("   (a whole-page run: only the open tab's body runs; in the browser a change inside a")
    print("   tab reruns that tab's fragment alone)")
    reruns = rerun_times("padding.py", SIZE_EDITS)
    print(f"rerun, size tab  {summary(reruns)}   target: median <= 100 ms")
    reruns = rerun_times("padding.py", OTHER_EDITS)
    print(f"rerun, others    {summary(reruns)}   target: median <= 100 ms")

    print("\n== with the animation built (toggle on)")
    reruns = rerun_times(
        "padding.py", [lambda a, r: a.toggle(key="pd_anim").set_value(True), *SIZE_EDITS[:5]]
    )
    print(f"rerun, animated  {summary(reruns)}")

    print("\n== the loop versions behind the page")
    rng = np.random.default_rng(0)
    x, w = rng.standard_normal((4, 4)), rng.standard_normal((3, 3))
    transposed = timeit(lambda: conv_transpose2d_naive(x, w, 2, 1), args.repeats)
    print(f"conv_transpose2d_naive 4x4, 3x3, s2   {summary(transposed)}")
    matrix = timeit(lambda: conv_matrix((8, 8), w), args.repeats)
    print(f"conv_matrix 8x8 input, 3x3            {summary(matrix)}")


if __name__ == "__main__":
    main()
