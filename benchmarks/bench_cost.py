"""Speed of the Bottleneck & cost page: server-side reruns, cost.count on ResNet-50, and the
measured block timings (count ratio vs time ratio) on this device.

Run from the repository root: ``python -m benchmarks.bench_cost``.
Prints figures and ratios measured in this run. Target (2-core CPU): rerun median <= 100 ms.
"""

from __future__ import annotations

import argparse

import torch

from benchmarks.common import rerun_times, summary, timeit
from cnnplay.cost import DESIGNS, BlockSettings, count, time_blocks
from cnnplay.device import configure_torch_threads, device_label, get_device
from cnnplay.models.zoo import ARCHITECTURES


def in_tab(label: str, change):
    """An edit of a widget in one of the page's lazy tabs: open the tab first if it is not (an
    untimed run), then change the widget; the timed rerun is that of the open tab."""

    def edit(at, rng) -> None:
        if at.session_state["bn_tab_open"] != label:
            at.session_state["bn_tab"] = label
            at.run()
        change(at, rng)

    return edit


EDITS = [
    in_tab("Dense, local, shared", lambda a, r: a.number_input(key="bn_side").set_value(
        int(r.choice([28, 32, 64])))),
    in_tab("Dense, local, shared", lambda a, r: a.number_input(key="bn_maps").set_value(
        int(r.integers(1, 8)))),
    in_tab("Bottleneck", lambda a, r: a.number_input(key="bn_cin").set_value(
        int(r.choice([64, 128, 256])))),
    in_tab("Bottleneck", lambda a, r: a.number_input(key="bn_mid").set_value(
        int(r.choice([16, 32, 64])))),
    in_tab("Bottleneck", lambda a, r: a.number_input(key="bn_groups").set_value(
        int(r.choice([1, 4, 8, 32])))),
    in_tab("Layer list", lambda a, r: a.number_input(key="bn_ex_side").set_value(
        int(r.choice([64, 128, 256])))),
    in_tab("Layer list", lambda a, r: a.radio(key="bn_ex_metric").set_value(
        str(r.choice(["#units", "MACs"])))),
]  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=10)
    args = parser.parse_args()
    configure_torch_threads()
    device = get_device()
    print(f"device: {device_label(device)}; torch {torch.__version__}")

    print(
        "\n== Bottleneck & cost page: server-side rerun after a widget change inside a tab "
        "(20 changes; only the open tab runs)"
    )
    reruns = rerun_times("bottleneck_cost.py", EDITS)
    print(f"rerun            {summary(reruns)}   target: median <= 100 ms")

    print("\n== cost.count on ResNet-50, 1x3x224x224 (meta device)")
    with torch.device("meta"):
        resnet = ARCHITECTURES["ResNet-50"]()
    report = count(resnet, (1, 3, 224, 224))
    print(
        f"count            {summary(timeit(lambda: count(resnet, (1, 3, 224, 224)), args.repeats))}"
    )
    print(
        f"                 {report.params:,} params, {report.macs:,} MACs, {len(report.rows)} rows"
    )

    s = BlockSettings()
    devices = ["cpu"] + ([str(device)] if device.type != "cpu" else [])
    for dev in devices:
        for batch, side in ((2, 28), (8, 56)):
            print(
                f"\n== blocks 256->256 (bottleneck 64, groups 32), "
                f"batch {batch}, {side}x{side}, {dev}"
            )
            timings = time_blocks(
                s, DESIGNS, batch=batch, side=side, repeats=args.repeats, device=dev
            )
            base = timings[0]
            for t in timings:
                print(
                    f"{t.design:11s} {t.macs:>14,} MACs  {t.median_ms:8.2f} ms   "
                    f"count ratio {base.macs / t.macs:5.1f}x   time ratio "
                    f"{base.median_ms / t.median_ms:5.1f}x"
                )


if __name__ == "__main__":
    main()
