"""Speed of the Receptive field page: server-side reruns, and receptive-field tables of networks.

Run from the repository root: ``python -m benchmarks.bench_receptive``.
Prints figures measured in this run. Target (2-core CPU): rerun median <= 100 ms (the arithmetic
views; network tables are cached per (network, input side) by the page). The tabs are lazy: a
rerun runs the page's header and the open tab only, so each tab's widget changes are timed with
that tab open.
"""

from __future__ import annotations

import argparse

import torch

from benchmarks.common import rerun_times, summary, timeit
from cnnplay.device import configure_torch_threads, device_label, get_device
from cnnplay.models.zoo import ARCHITECTURES
from cnnplay.receptive import PRESETS, receptive_field_table

STACK, NETWORK, IMAGE, KERNELS = "Stack of layers", "Real network", "On an image", "3×3 stacks"


def in_tab(label: str, edit):
    """``edit`` with the lazy tab ``label`` open (opened first by an untimed run: a tab's
    widgets exist only while it is open). AppTest runs the whole script, so this times the
    page's header plus that one tab: an upper bound of the fragment rerun a browser gets."""

    def run(at, rng) -> None:
        if at.session_state["rf_tab_open"] != label:
            at.session_state["rf_tab"] = label
            at.run()
        edit(at, rng)

    return run


RERUNS = {  # name: (the tab kept open, the widget changes inside it)
    "stack of layers (default)": (
        STACK,
        [
            lambda a, r: a.selectbox(key="rf_preset").set_value(str(r.choice(list(PRESETS)))),
            lambda a, r: a.number_input(key="rf_size").set_value(int(r.choice([32, 64, 224]))),
        ],
    ),
    "real network": (
        NETWORK,
        [lambda a, r: a.selectbox(key="rf_net").set_value(str(r.choice(["ResNet-18", "VGG-16"])))],
    ),
    "on an image (unit row)": (
        IMAGE,
        [lambda a, r: a.number_input(key="rf_img_r").set_value(int(r.integers(0, 10)))],
    ),
    "3×3 stacks": (
        KERNELS,
        [
            lambda a, r: a.number_input(key="rf_F").set_value(int(r.choice([5, 7, 9]))),
            lambda a, r: a.number_input(key="rf_C").set_value(int(r.integers(1, 512))),
        ],
    ),
}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    configure_torch_threads()
    print(f"device: {device_label(get_device())}; torch {torch.__version__}")

    print(
        "\n== Receptive field page: server-side rerun after a widget change (AppTest, 20 changes)"
    )
    for name, (label, edits) in RERUNS.items():
        reruns = rerun_times("receptive_field.py", [in_tab(label, e) for e in edits])
        print(f"{name:26s} {summary(reruns)}   target: median <= 100 ms")

    print("\n== receptive_field_table (meta-device forward pass), 224×224 input")
    for name in ("ResNet-50", "ResNet-18", "VGG-16", "GoogLeNet", "DenseNet-121"):
        model = ARCHITECTURES[name]()
        times = timeit(lambda m=model: receptive_field_table(m, 224), args.repeats)
        print(f"{name:14s} {summary(times)}")


if __name__ == "__main__":
    main()
