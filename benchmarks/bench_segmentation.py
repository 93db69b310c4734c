"""Speed of the Segmentation page: inference of the three shipped networks on one 128×128 scene,
live training of the default configuration (time and mean IoU reached, epoch by epoch), and the
page's rerun after a widget change.

Run from the repository root: ``python -m benchmarks.bench_segmentation [--until 0.85]``.
Prints figures and ratios measured in this run. Targets (2-core CPU): inference on one 128×128
scene ≤ 50 ms; live training of the default configuration to mean IoU ≥ 0.85 on held-out scenes
≤ 60 s.
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Callable

import numpy as np
import torch
from streamlit.testing.v1 import AppTest

from benchmarks.common import rerun_times, summary, timeit
from cnnplay.device import configure_torch_threads, device_label, get_device
from cnnplay.scenes import make_scene, make_scenes
from cnnplay.segmentation.training import SegTrainSettings, train_unet
from cnnplay.segmentation.unet import SHIPPED, UNetConfig, count_params, load_model, predict


def in_tab(label: str, change: Callable[[AppTest, np.random.Generator], object]) -> Callable:
    """An edit that opens a lazy tab first (an untimed run), then changes one of its widgets:
    the timed rerun is the one after the widget change."""

    def edit(at: AppTest, rng: np.random.Generator) -> None:
        if "seg_tab" not in at.session_state or at.session_state["seg_tab"] != label:
            at.session_state["seg_tab"] = label  # as tests/views/apptest_utils.open_tab
            at.run()
        change(at, rng)

    return edit


EDITS = [  # one widget change per tab that has a cheap one; the Architecture tab's is above it
    in_tab(
        "Skips vs no skips vs FCN",
        lambda a, r: a.slider(key="seg_scene").set_value(int(r.integers(1, 25))),
    ),
    in_tab(
        "Architecture", lambda a, r: a.slider(key="seg_depth").set_value(int(r.choice([2, 3, 4])))
    ),
    in_tab(
        "Feature maps",
        lambda a, r: a.selectbox(key="seg_fm_stage").set_value(int(r.integers(0, 5))),
    ),
    in_tab(
        "Semantic vs instance",
        lambda a, r: a.number_input(key="seg_inst_seed").set_value(int(r.integers(0, 100))),
    ),
]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--until", type=float, default=0.85, help="mean IoU to reach")
    parser.add_argument("--max-epochs", type=int, default=SegTrainSettings().epochs)
    parser.add_argument("--skip-rerun", action="store_true")
    args = parser.parse_args()
    configure_torch_threads()
    device = get_device()
    print(f"device: {device_label(device)}; torch {torch.__version__}")

    print("\n== inference, one 128x128 scene (forward + softmax + argmax)   target: <= 50 ms")
    scene = make_scene(0).image
    medians = {}
    for name, cfg in SHIPPED.items():
        model = load_model(name)
        times = timeit(lambda m=model: predict(m, scene), args.repeats)
        medians[name] = statistics.median(times)
        print(f"{cfg.label():28s} {count_params(model):9,d} params  {summary(times)}")
    base = medians["unet_skips"]
    print("ratios to the U-Net: " + ", ".join(f"{n} {m / base:.2f}x" for n, m in medians.items()))

    settings = SegTrainSettings(epochs=args.max_epochs)
    print(
        f"\n== live training of the default configuration ({UNetConfig().label()}, "
        f"{settings.train_scenes} scenes x {settings.epochs} epochs, batch "
        f"{settings.batch_size}); scored on 50 held-out scenes   target: mIoU >= "
        f"{args.until} in <= 60 s"
    )
    held_out = make_scenes(50, seed=3)
    start = time.perf_counter()
    reached: list[float] = []

    def on_progress(step: int, total: int, metrics: dict) -> None:
        if "val_miou" in metrics:
            t = time.perf_counter() - start
            print(
                f"epoch {metrics['epoch']:.0f}: {t:6.1f} s  mIoU {metrics['val_miou']:.3f}  "
                f"boundary {metrics['val_boundary_accuracy']:.3f}",
                flush=True,
            )
            if metrics["val_miou"] >= args.until and not reached:
                reached.append(t)

    _, history = train_unet(UNetConfig(), settings, held_out, on_progress)
    total = time.perf_counter() - start
    best = max(history.series("val_miou"))
    print(
        f"{'reached' if reached else 'did not reach'} mIoU {args.until}"
        + (f" after {reached[0]:.1f} s" if reached else f"; best {best:.3f}")
        + f"; {total:.1f} s in all (scene generation included)"
    )

    if not args.skip_rerun:
        print(
            "\n== Segmentation page: server-side rerun after a widget change in a tab (AppTest "
            "runs the whole script: header, network row and the open tab; 20)   target: <= 100 ms"
        )
        reruns = rerun_times("segmentation.py", EDITS)
        print(f"rerun            {summary(reruns)}")


if __name__ == "__main__":
    main()
