"""Speed of the images the What a CNN learned page makes: gradient ascent and DeepDream on the
default network, each beside a reference measured in the same run (the time of one plain
forward + backward pass with respect to the input, times the passes the run makes).

Run from the repository root: ``python -m benchmarks.bench_synthesis``.
Prints figures measured in this run. Targets (2-core CPU): gradient ascent, 200 steps at the
page's default settings (224 px, every regulariser of the defaults on) <= 15 s; DeepDream of a
512-px photo, 3 octaves at the default steps <= 20 s. The ratio to the reference says what the
regularisers, jitter, clipping and bookkeeping cost on top of the network's own passes (1.0 =
nothing).
"""

from __future__ import annotations

import argparse
import statistics
import time
from dataclasses import replace

import torch

from benchmarks.common import summary, timeit
from cnnplay.device import configure_torch_threads, device_label, get_device
from cnnplay.images import load_sample
from cnnplay.models.pretrained import (
    DEFAULT_MODEL,
    REGISTRY,
    imagenet_categories,
    load_pretrained,
)
from cnnplay.models.stages import model_device, truncated
from cnnplay.synthesis.ascent import ClassTarget, ascend, noise_start
from cnnplay.synthesis.deepdream import DeepDreamSettings, dream, fit, octave_sizes
from cnnplay.synthesis.regularisers import AscentSettings

DREAM_STAGE = 6  # the DeepDream tab's default (deep) stage on EfficientNet-Lite0


def pass_ms(model: torch.nn.Module, side: tuple[int, int], repeats: int, stage: int | None = None):
    """Median ms of one forward + backward pass w.r.t. a (1, 3, h, w) input: through the whole
    network to one logit, or through ``truncated(model, stage)`` to ½ mean(a²)."""
    body = model if stage is None else truncated(model, stage)
    x = torch.zeros(1, 3, *side, device=model_device(model))

    def once() -> None:
        leaf = x.clone().requires_grad_(True)
        out = body(leaf)
        score = out[0, 0] if stage is None else 0.5 * (out * out).mean()
        torch.autograd.grad(score, leaf)

    return timeit(once, repeats)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=10)
    parser.add_argument("--steps", type=int, default=200)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: "
                        "the app's own setting); 1 is steadier when others share the cores")
    args = parser.parse_args()
    configure_torch_threads(args.threads)
    print(f"device: {device_label(get_device())}; torch {torch.__version__}; "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    model, spec = load_pretrained(DEFAULT_MODEL), REGISTRY[DEFAULT_MODEL]

    settings = replace(AscentSettings(), steps=args.steps)
    side = settings.size
    print(f"\n== gradient ascent: {DEFAULT_MODEL}, class ostrich, {settings.steps} steps at "
          f"{side}×{side} (the page's defaults: L2, blur, jitter, contribution "
          "clipping)")  # fmt: skip
    times = pass_ms(model, (side, side), args.repeats)
    one = statistics.median(times)
    print(f"one forward+backward   {summary(times)}")
    target = ClassTarget(imagenet_categories().index("ostrich"))
    start = time.perf_counter()
    result = ascend(model, spec, target, settings, noise_start(1, side, spec))
    took = time.perf_counter() - start
    reference = one * settings.steps / 1000
    print(f"ascent                 {took:7.2f} s   reference {reference:.2f} s "
          f"({settings.steps} passes)   ratio {took / reference:.2f}   "
          "target: <= 15 s")  # fmt: skip
    print(f"  ostrich: logit {result.first_score[0]:.1f} -> {result.final_score[0]:.1f}, "
          f"probability {100 * result.probs[0, target.index]:.1f}%")  # fmt: skip
    plain = settings.plain()
    start = time.perf_counter()
    ascend(model, spec, target, plain, noise_start(1, side, spec))
    bare = time.perf_counter() - start
    print(f"ascent, no regulariser {bare:7.2f} s   ratio {bare / reference:.2f}")

    dd = replace(DeepDreamSettings(), max_side=512)
    photo = fit(load_sample("astronaut", 1024), dd.max_side)
    h, w = photo.shape[:2]
    sizes = octave_sizes(h, w, dd.octaves, dd.octave_scale)
    print(f"\n== DeepDream: stage {DREAM_STAGE}, astronaut {w}×{h}, {dd.octaves} octaves "
          f"({', '.join(f'{b}×{a}' for a, b in sizes)}) of {dd.steps} steps")  # fmt: skip
    reference = 0.0
    for size in sizes:
        times = pass_ms(model, size, max(3, args.repeats // 2), DREAM_STAGE)
        reference += statistics.median(times) * dd.steps / 1000
        print(f"one pass at {size[1]}×{size[0]}  {summary(times)}")
    start = time.perf_counter()
    made = dream(model, spec, photo, DREAM_STAGE, dd)
    took = time.perf_counter() - start
    print(f"dream                  {took:7.2f} s   reference {reference:.2f} s "
          f"({dd.octaves * dd.steps} passes)   ratio {took / reference:.2f}   "
          "target: <= 20 s")  # fmt: skip
    print(f"  L = ½ mean(a²): {made.before:.2f} -> {made.after:.2f} "
          f"({made.after / made.before:.1f}×)")  # fmt: skip
    small = replace(dd, max_side=384)
    start = time.perf_counter()
    dream(model, spec, load_sample("chelsea (cat)", 1024), DREAM_STAGE, small)
    print(f"dream at the page's default 384 px (chelsea)   {time.perf_counter() - start:7.2f} s")


if __name__ == "__main__":
    main()
