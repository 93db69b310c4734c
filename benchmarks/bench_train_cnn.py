"""Speed and accuracy of the Train a CNN page: the MLP, seed 001's CNN and its all-convolutional
twin trained side by side with the page's defaults on Fashion-MNIST (test accuracy against each
model's own training seconds, epoch by epoch; the CNN's margin over the MLP), the same on the 8×8
digits when scikit-learn is installed, and the page's rerun after a widget change.

Run from the repository root: ``python -m benchmarks.bench_train_cnn`` (``--threads 1`` for one
intra-op thread, ``--seeds 3`` for more training seeds, ``--digits-file PATH`` to read the 8×8
digits from a copy of scikit-learn's ``digits.csv.gz``). Prints figures and ratios measured in
this run. Targets (2-core CPU): the CNN ≥ 88 % test accuracy on Fashion-MNIST within 60 s of its
own training with the page's defaults, and a margin over the MLP (measured and reported); one
page rerun after a widget change ≤ 100 ms (median).
"""

from __future__ import annotations

import argparse
import statistics
import time
from pathlib import Path

import numpy as np
import torch

from benchmarks.common import PAGES_DIR, edit_times, summary
from cnnplay.convnets import data
from cnnplay.convnets.data import load_split
from cnnplay.convnets.models import MODELS
from cnnplay.convnets.training import SideBySideSettings, train_three
from cnnplay.device import configure_torch_threads, device_label, get_device
from views.train_cnn.common import BATCH_SIZE, DEFAULTS

TARGET_ACCURACY = 0.88  # the CNN on Fashion-MNIST ...
TARGET_SECONDS = 60.0  # ... within this many seconds of its own training
EDITS = [  # widget changes of the Train tab (AppTest reruns the whole page)
    lambda a, r: a.select_slider(key="cv_hidden").set_value(int(r.choice([32, 64, 128, 256]))),
    lambda a, r: a.select_slider(key="cv_lr").set_value(float(r.choice([1e-3, 2e-3, 3e-3]))),
    lambda a, r: a.number_input(key="cv_epochs").set_value(int(r.integers(1, 6))),
    lambda a, r: a.toggle(key="cv_augment").set_value(bool(r.integers(0, 2))),
]


def page_settings(seed: int, epochs: int | None = None) -> SideBySideSettings:
    """The page's default training settings (views/train_cnn/common.DEFAULTS)."""
    return SideBySideSettings(
        epochs=epochs or int(DEFAULTS["cv_epochs"]),
        batch_size=BATCH_SIZE,
        lr=float(DEFAULTS["cv_lr"]),
        hidden=int(DEFAULTS["cv_hidden"]),
        seed=seed,
        augment=bool(DEFAULTS["cv_augment"]),
    )  # and the dataclass's cosine annealing, as the page


def timed_run(split, settings: SideBySideSettings):
    """train_three with each model's own seconds at each of its epoch ends: the time between
    the previous epoch end (of any model: they take turns) and this one, summed per model."""
    own: dict[str, float] = dict.fromkeys(MODELS, 0.0)
    curve: dict[str, list[tuple[float, float]]] = {n: [] for n in MODELS}  # (own s, accuracy)
    last = [time.perf_counter()]

    def on_progress(step: int, total: int, m: dict) -> None:
        if "train_loss" in m:
            now = time.perf_counter()
            own[m["model"]] += now - last[0]
            last[0] = now
            curve[m["model"]].append((own[m["model"]], m["test_accuracy"]))

    results = train_three(split, settings, on_progress)
    return results, curve


def seconds_to(curve: list[tuple[float, float]], accuracy: float) -> float | None:
    return next((s for s, a in curve if a >= accuracy), None)


def training_section(source: str, seeds: int, n_train: int, n_test: int, epochs: int | None):
    """Train the three models with the page's settings for each seed; print per-epoch curves,
    final accuracies, seconds and the CNN − MLP margin. Returns the rows."""
    rows = []
    for seed in range(seeds):
        split = load_split(source, n_train, n_test, seed)
        settings = page_settings(seed, epochs)
        results, curve = timed_run(split, settings)
        rows.append((results, curve))
        print(f"seed {seed}: {split.source}; {settings.epochs} epochs, batch {BATCH_SIZE}, "
              f"Adam {settings.lr:g} (cosine over the epochs), MLP hidden {settings.hidden}")  # fmt: skip
        base = results["mlp"].seconds
        for name, r in results.items():
            points = ", ".join(f"{s:.1f} s {100 * a:.2f}%" for s, a in curve[name])
            speed = settings.epochs * len(split.y_train) / max(r.seconds, 1e-9)
            print(
                f"  {MODELS[name]:36s} test {100 * r.test_accuracy:6.2f}%   "
                f"{r.seconds:6.1f} s ({r.seconds / base:5.1f}x the MLP's), {speed:,.0f} img/s"
                f"   per epoch: {points}"
            )
        margin = 100 * (results["cnn"].test_accuracy - results["mlp"].test_accuracy)
        print(f"  CNN - MLP: {margin:+.2f} points")
    return rows


def rerun_section(changes: int) -> None:
    """Server-side time of one page rerun after a widget change (AppTest reruns the whole
    script; in the browser only the settings fragment reruns), against the floor of an AppTest
    rerun of a one-line page measured in the same run."""
    from streamlit.testing.v1 import AppTest

    floor = AppTest.from_string("import streamlit as st\nst.write('floor')\n").run()
    rng = np.random.default_rng(0)
    floor_times = edit_times(floor, [], changes, rng)
    at = AppTest.from_file(str(PAGES_DIR / "train_cnn.py"), default_timeout=300).run()
    fresh = edit_times(at, EDITS, changes, rng)
    # after a small run the Train tab also draws the curves and metrics
    at.select_slider(key="cv_n_train").set_value(1000)
    at.select_slider(key="cv_n_test").set_value(1000)
    at.number_input(key="cv_epochs").set_value(1)
    at.toggle(key="cv_augment").set_value(False)
    at.run()
    at.button(key="cv_train").click().run()
    trained = edit_times(at, EDITS[:2], changes, rng)  # hidden width, learning rate: no retraining
    ref = statistics.median(floor_times)
    for label, times in (
        ("floor: one-line page", floor_times),
        ("Train tab, nothing trained", fresh),
        ("Train tab, a run shown", trained),
    ):
        ratio = statistics.median(times) / ref
        print(f"{label:28s} {summary(times)}   {ratio:5.1f}x the floor")
    print("target: median <= 100 ms")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=1, help="training seeds 0..n-1")
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads")
    parser.add_argument("--changes", type=int, default=20, help="widget changes timed")
    parser.add_argument("--digits-file", type=Path, default=None,
                        help="scikit-learn's digits.csv.gz, when scikit-learn is not installed")  # fmt: skip
    parser.add_argument("--skip-training", action="store_true")
    args = parser.parse_args()
    configure_torch_threads(args.threads)
    print(f"device: {device_label(get_device())}; torch {torch.__version__}")
    warm = load_split("fashion", 256, 256, 0)
    train_three(warm, page_settings(0, 1))  # first use of the optimiser imports a lot

    if not args.skip_training:
        n_train, n_test = int(DEFAULTS["cv_n_train"]), int(DEFAULTS["cv_n_test"])
        print(f"\n== Fashion-MNIST, the page's defaults ({n_train:,} training images, "
              f"{n_test:,} test images)")  # fmt: skip
        rows = training_section("fashion", args.seeds, n_train, n_test, None)
        reach = [seconds_to(curve["cnn"], TARGET_ACCURACY) for _, curve in rows]
        final = [r["cnn"].test_accuracy for r, _ in rows]
        margin = [100 * (r["cnn"].test_accuracy - r["mlp"].test_accuracy) for r, _ in rows]
        reached = [s for s in reach if s is not None]
        print(
            f"CNN: >= {100 * TARGET_ACCURACY:.0f}% after "
            + (", ".join(f"{s:.1f} s" for s in reached) if reached else "never")
            + f" of its own training ({len(reached)}/{len(rows)} seeds); final "
            f"{100 * statistics.mean(final):.2f}% (mean)   target: >= 88% within 60 s"
        )
        print(f"CNN - MLP margin: {statistics.mean(margin):+.2f} points (mean over seeds)")

        if args.digits_file is not None:
            data.digits_file = lambda: args.digits_file  # a copy of scikit-learn's file
        if data.digits_file() is not None:
            for epochs in (int(DEFAULTS["cv_epochs"]), 20):
                print(f"\n== 8×8 digits, all of them, {epochs} epochs")
                training_section("digits", args.seeds, 10_000, 10_000, epochs)
        else:
            print("\n(8×8 digits skipped: scikit-learn is not installed; see --digits-file)")

    print(f"\n== page rerun after a widget change (AppTest, {args.changes} changes)")
    rerun_section(args.changes)


if __name__ == "__main__":
    main()
