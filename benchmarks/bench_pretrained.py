"""Speed of the Inside a pretrained CNN page: the default model's forward pass, explanations as a
multiple of one forward pass, occlusion, and the page's rerun after a layer change.

Run from the repository root: ``python -m benchmarks.bench_pretrained``.
Prints figures measured in this run. Targets (2-core CPU): forward at 224 median <= 60 ms;
Grad-CAM and saliency <= 2.5x one forward; occlusion (32-px patch, stride 16) <= 5 s; page
rerun after a layer change median <= 300 ms (model cached).
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch

from benchmarks.common import rerun_times, summary, timeit
from cnnplay.device import configure_torch_threads, device_label, get_device
from cnnplay.explain import (
    grad_cam,
    guided_backprop,
    guided_model,
    occlusion,
    predict,
    saliency,
)
from cnnplay.images import load_sample
from cnnplay.models.copies import shared_weights_copy
from cnnplay.models.pretrained import DEFAULT_MODEL, REGISTRY, load_pretrained, preprocess


def change_layer(at, rng) -> None:
    """Change the layer of the Feature maps tab (opened first, untimed, if it is not open)."""
    if at.session_state["pt_tab_open"] != "Feature maps":
        at.session_state["pt_tab"] = "Feature maps"
        at.run()
    box = at.selectbox(key="pt_layer")
    box.set_value(str(rng.choice([o for o in box.options if o != box.value])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    args = parser.parse_args()
    configure_torch_threads()
    print(f"device: {device_label(get_device())}; torch {torch.__version__}")
    model = load_pretrained(DEFAULT_MODEL)
    copy_ = shared_weights_copy(model)
    x = preprocess(load_sample("chelsea (cat)"), REGISTRY[DEFAULT_MODEL]).tensor
    target = int(predict(model, x, 1)[1][0])
    guided = guided_model(model)  # what the page caches once per model

    print(f"\n== {DEFAULT_MODEL}, one 224×224 image, median of {args.repeats}")
    forward = timeit(lambda: predict(model, x), args.repeats)
    base = statistics.median(forward)
    print(f"forward          {summary(forward)}   target: median <= 60 ms")
    for label, fn in [
        ("saliency", lambda: saliency(model, x, target)),
        ("Grad-CAM bn2", lambda: grad_cam(copy_, "bn2", x, target)),
        ("Grad-CAM blk3.0", lambda: grad_cam(copy_, "blocks.3.0", x, target)),
        ("guided backprop (copy per call)", lambda: guided_backprop(model, x, target)),
        ("guided backprop (copy cached)", lambda: guided_backprop(model, x, target, guided)),
    ]:
        times = timeit(fn, args.repeats)
        ratio = statistics.median(times) / base
        print(f"{label:16s} {summary(times)}   {ratio:4.2f}× forward (target <= 2.5×)")

    print("\n== occlusion, 32-px grey patch, stride 16 (169 positions)")
    start = time.perf_counter()
    occlusion(model, x, target, 32, 16)
    print(f"occlusion        {time.perf_counter() - start:7.2f} s   target: <= 5 s")

    print(
        "\n== page: server-side rerun after changing the feature-map layer in its tab "
        "(AppTest, 20 changes)"
    )
    reruns = rerun_times("pretrained.py", [change_layer])
    print(f"rerun            {summary(reruns)}   target: median <= 300 ms")


if __name__ == "__main__":
    main()
