"""Speed of the Transfer learning page's work with the default backbone (EfficientNet-Lite0):
feature extraction for 100 images, 20 head epochs on those features, one fine-tuning epoch
(cached frozen part vs the whole network, as with augmentation), a scratch-CNN epoch, and the
page's rerun after a settings change.

Run from the repository root: ``python -m benchmarks.bench_transfer [--side 96]``.
Targets (2-core CPU, 96 px): features for 100 images <= 8 s; 20 head epochs <= 2 s.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch

from benchmarks.common import rerun_times, summary
from cnnplay.device import configure_torch_threads, device_label, get_device
from cnnplay.models.pretrained import (
    DEFAULT_MODEL,
    REGISTRY,
    body_stages,
    feature_dim,
    load_pretrained,
    tunable_stages,
)
from cnnplay.train import TrainConfig
from cnnplay.transfer.strategies import (
    Augmentation,
    FeatureStore,
    Inputs,
    build_transfer,
    prefix_features,
    train_scratch,
    train_transfer,
)


def seconds(fn) -> float:
    start = time.perf_counter()
    fn()
    if get_device().type == "cuda":
        torch.cuda.synchronize()
    return time.perf_counter() - start


def change_val(at, rng) -> None:
    at.slider(key="tl_val").set_value(float(rng.choice([0.2, 0.25, 0.3])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--side", type=int, default=96)
    args = parser.parse_args()
    configure_torch_threads()
    print(f"device: {device_label(get_device())}; torch {torch.__version__}; side {args.side}")
    spec = REGISTRY[DEFAULT_MODEL]
    model = load_pretrained(DEFAULT_MODEL)
    stages = body_stages(model)
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, (100, 28, 28, 3), dtype=np.uint8)
    x = Inputs.from_images(images, args.side, spec.mean, spec.std)  # 100 images, S px
    y = torch.as_tensor(rng.integers(0, 10, 100))
    tr, va = np.arange(80), np.arange(80, 100)
    prefix_features(stages, x[:8])  # warm-up

    print("\n== 100 images")
    feat_s = seconds(lambda: prefix_features(stages, x))
    print(f"feature extraction (frozen base)   {feat_s:7.2f} s   target <= 8 s")
    store = FeatureStore()
    net = build_transfer(stages, len(stages), 10, feature_dim(model))
    train_transfer(net, x, y, tr, va, TrainConfig(epochs=1), store, "bench")  # features cached
    head = build_transfer(stages, len(stages), 10, feature_dim(model))
    head_s = seconds(
        lambda: train_transfer(head, x, y, tr, va, TrainConfig(epochs=20), store, "bench")
    )
    print(f"head, 20 epochs on cached features {head_s:7.2f} s   target <= 2 s")
    split = tunable_stages(stages)[-2]
    ft = build_transfer(stages, split, 10, feature_dim(model))
    train_transfer(ft, x, y, tr, va, TrainConfig(epochs=1), store, "bench")  # cache the prefix
    cached_s = seconds(
        lambda: train_transfer(ft, x, y, tr, va, TrainConfig(epochs=1), store, "bench")
    )
    full_s = seconds(
        lambda: train_transfer(
            ft, x, y, tr, va, TrainConfig(epochs=1), store, "bench", Augmentation()
        )
    )
    print(f"fine-tune 2 blocks, 1 epoch, cached {cached_s:7.2f} s")
    print(
        f"fine-tune 2 blocks, 1 epoch, augm.  {full_s:7.2f} s   "
        f"({full_s / cached_s:.1f}× the cached)"
    )
    scratch_s = seconds(lambda: train_scratch(x, y, tr, va, 10, TrainConfig(epochs=1)))
    print(f"small CNN from scratch, 1 epoch    {scratch_s:7.2f} s")
    print(
        f"head epoch vs fine-tune epoch: {head_s / 20:.3f} s vs {cached_s:.2f} s "
        f"({cached_s / (head_s / 20):.0f}×)"
    )

    print("\n== page: server-side rerun after changing the validation share (AppTest, 10 changes)")
    reruns = rerun_times("transfer_learning.py", [change_val], changes=10)
    print(f"rerun            {summary(reruns)}")


if __name__ == "__main__":
    main()
