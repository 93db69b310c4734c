"""Speed of the Style transfer tab: one run with the page's defaults on a 256 × 256 photo
(EfficientNet-Lite0, 100 Adam steps; L-BFGS too), against a reference measured in the same
run — 100 bare forward + backward passes through the same truncated network — and the Gram
matrix's loop version against the matrix product.

Run from the repository root: ``python -m benchmarks.bench_style``.
Prints figures and ratios measured in this run. Target (2-core CPU): the default run
(256 × 256, 100 steps) <= 30 s.
"""

from __future__ import annotations

import argparse
import time
from dataclasses import replace

import numpy as np
import torch

from benchmarks.common import summary, timeit
from cnnplay.device import configure_torch_threads, device_label
from cnnplay.images import load_sample
from cnnplay.models.pretrained import DEFAULT_MODEL, REGISTRY, load_pretrained
from cnnplay.models.stages import model_device, truncated
from cnnplay.synthesis.style import StyleSettings, gram_matrix, gram_matrix_loops, transfer
from cnnplay.synthesis.style_images import style_image

TARGET_S = 30.0


def bare_passes(model, side: int, deepest: int, steps: int) -> float:
    """Seconds for ``steps`` forward + backward passes (gradient w.r.t. the input only) of a
    (1, 3, side, side) image through the network truncated at ``deepest``."""
    body = truncated(model, deepest)
    x = torch.zeros(1, 3, side, side, device=model_device(model), requires_grad=True)
    torch.autograd.grad(body(x).square().mean(), x)  # warm-up
    start = time.perf_counter()
    for _ in range(steps):
        torch.autograd.grad(body(x).square().mean(), x)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--side", type=int, default=256)
    args = parser.parse_args()
    threads = configure_torch_threads()
    model = load_pretrained(DEFAULT_MODEL)
    spec = REGISTRY[DEFAULT_MODEL]
    device = model_device(model)
    print(f"device: {device_label(device)}; {threads} thread(s); torch {torch.__version__}")

    content = load_sample("astronaut", 512)  # square: a side × side run
    style = style_image("swirls", 512)
    settings = StyleSettings(steps=args.steps, side=args.side)  # the page's defaults
    deepest = max(settings.stages_needed)
    print(
        f"\n== Style transfer, {DEFAULT_MODEL}, {args.side}×{args.side}, {args.steps} steps, "
        f"content stage {settings.content_stage}, style stages {settings.style_stages}"
    )
    transfer(model, spec, content, style, replace(settings, steps=2))  # warm-up
    results = {}
    for name in ("adam", "lbfgs"):
        run = transfer(model, spec, content, style, replace(settings, optimiser=name))
        results[name] = run
        h = run.history
        print(
            f"{name:6s}  {run.seconds:6.1f} s   ({1000 * run.seconds / run.steps:5.0f} ms/step)   "
            f"total loss {h[0]['total']:.4g} -> {h[-1]['total']:.4g}"
        )
    bare = bare_passes(model, args.side, deepest, args.steps)
    adam = results["adam"].seconds
    print(
        f"reference: {args.steps} forward+backward passes to stage {deepest}: {bare:.1f} s "
        f"({1000 * bare / args.steps:.0f} ms each)"
    )
    print(
        f"ratio Adam run / reference: {adam / bare:.2f}x (Gram matrices, losses, optimiser, "
        f"targets, final Gram matrices); L-BFGS / Adam: {results['lbfgs'].seconds / adam:.2f}x"
    )
    verdict = "meets" if adam <= TARGET_S else "MISSES"
    print(f"target: default run <= {TARGET_S:.0f} s on a 2-core CPU: {adam:.1f} s ({verdict})")

    print("\n== Gram matrix: the loop over positions vs the matrix product (float64)")
    rng = np.random.default_rng(0)
    for shape in ((8, 8, 8), (24, 16, 16)):
        f = rng.normal(size=shape)
        t = torch.from_numpy(f)[None]
        loops = timeit(lambda f=f: gram_matrix_loops(f), 3)
        product = timeit(lambda t=t: gram_matrix(t, normalise=False), 20)
        print(
            f"C, H, W = {shape}: loops {summary(loops)}\n"
            f"{'':19s}matmul {summary(product)}   "
            f"loops / matmul = {np.median(loops) / np.median(product):,.0f}x"
        )


if __name__ == "__main__":
    main()
