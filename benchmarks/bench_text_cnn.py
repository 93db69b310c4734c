"""Speed and accuracy of the Text CNN page: training the Kim CNN to ≥ 90 % test accuracy on the
generated corpus, the bag-of-words baseline on the same split (overall and on the word-order
sentences), seed 001's Keras stack, one sentence's prediction with attributions, and the page's
rerun after a widget change.

Run from the repository root: ``python -m benchmarks.bench_text_cnn`` (``--threads 1`` to use
one intra-op thread). Prints figures and ratios measured in this run. Targets (2-core CPU):
≥ 90 % test accuracy within 30 s of training; CNN − BoW ≥ 10 points on the word-order
sentences (negation + contrast); one sentence's prediction + attributions ≤ 50 ms (median).
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from benchmarks.common import rerun_times, summary, timeit
from cnnplay.device import configure_torch_threads, device_label, get_device
from cnnplay.text.corpus import KINDS, WORD_ORDER_KINDS, make_corpus, prepare_corpus
from cnnplay.text.explain import explain
from cnnplay.text.models import accuracy_by_kind, build_model, predict_probs, train_text_model
from cnnplay.train import TrainConfig

CNN_CONFIG = TrainConfig(epochs=10, batch_size=32, lr=3e-3)  # the page's defaults
BOW_CONFIG = TrainConfig(epochs=15, batch_size=256, lr=0.2)  # as the page trains the baseline
SENTENCE = "the acting was boring , but the plot was good"
EDITS = [
    lambda a, r: a.slider(key="tc_height").set_value(int(r.integers(1, 6))),
    lambda a, r: a.slider(key="tc_pos").set_value(int(r.integers(0, 5))),
    lambda a, r: a.slider(key="tc_dim").set_value(int(r.integers(2, 9))),
]


def train(name: str, data, config: TrainConfig, seed: int):
    """Train one model; returns (model, seconds to ≥ 90 % test accuracy or None, history,
    per-kind accuracy)."""
    model = build_model(name, len(data.vocab), 2, seed=seed, max_len=data.ids.shape[1])
    start = time.perf_counter()
    reached: list[float] = []

    def on_progress(step: int, total: int, metrics: dict) -> None:
        if metrics.get("val_accuracy", 0) >= 0.9 and not reached:
            reached.append(time.perf_counter() - start)

    config = TrainConfig(config.epochs, config.batch_size, config.lr, seed=seed)
    history = train_text_model(
        model, data.ids, data.corpus.labels, data.train_idx, data.test_idx, config, on_progress
    )
    pred = predict_probs(model, data.ids[data.test_idx]).argmax(1)
    labels = data.corpus.labels[data.test_idx]
    kinds = [data.corpus.kinds[i] for i in data.test_idx]
    per = accuracy_by_kind(pred, labels, kinds, KINDS, {"word order": WORD_ORDER_KINDS})
    return model, (reached[0] if reached else None), history, per


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--seeds", type=int, default=3, help="corpus + training seeds 0..n-1")
    parser.add_argument("--threads", type=int, default=None, help="intra-op threads")
    parser.add_argument("--repeats", type=int, default=200)
    args = parser.parse_args()
    configure_torch_threads(args.threads)
    print(f"device: {device_label(get_device())}; torch {torch.__version__}")
    warm = prepare_corpus(make_corpus(200, 99), 0.25, "warm-up")
    train("kim", warm, TrainConfig(epochs=1), 0)  # first use of the optimiser imports a lot

    print("\n== training on the generated corpus (2,000 sentences, 1,498 train / 502 test)")
    rows = []
    for seed in range(args.seeds):
        data = prepare_corpus(make_corpus(2000, seed), 0.25, f"seed {seed}")
        kim, to90, h_kim, a_kim = train("kim", data, CNN_CONFIG, seed)
        _, _, h_bow, a_bow = train("bow", data, BOW_CONFIG, seed)
        _, k90, h_keras, a_keras = train("keras", data, CNN_CONFIG, seed)
        rows.append((to90, h_kim.seconds, a_kim, a_bow, a_keras))
        reach = f"{to90:.1f} s" if to90 is not None else "not reached"
        print(
            f"seed {seed}: Kim CNN ≥90% after {reach}, {CNN_CONFIG.epochs} epochs "
            f"{h_kim.seconds:.1f} s -> {100 * a_kim['all'][1]:.1f}%; BoW {BOW_CONFIG.epochs} "
            f"epochs {h_bow.seconds:.1f} s -> {100 * a_bow['all'][1]:.1f}%; Keras stack "
            f"({k90 and round(k90, 1)} s to 90%) {h_keras.seconds:.1f} s -> "
            f"{100 * a_keras['all'][1]:.1f}%"
        )
    print(
        "\n== test accuracy per kind (mean over seeds)          BoW    Kim CNN   Keras   Kim − BoW"
    )
    for kind in (*KINDS, "word order", "all"):
        bow = np.mean([r[3][kind][1] for r in rows]) * 100
        kim_acc = np.mean([r[2][kind][1] for r in rows]) * 100
        keras = np.mean([r[4][kind][1] for r in rows]) * 100
        n = rows[0][2][kind][0]
        target = "   target: gap >= 10 points" if kind == "word order" else ""
        print(
            f"{kind:12s} ({n:3d} test sentences, seed 0) {bow:6.1f}%  {kim_acc:6.1f}%  "
            f"{keras:6.1f}%  {kim_acc - bow:+6.1f}{target}"
        )
    reached = [r[0] for r in rows if r[0] is not None]
    print(
        f"Kim CNN: time to >= 90% test accuracy, median over {len(reached)}/{len(rows)} seeds: "
        f"{statistics.median(reached):.1f} s   target: <= 30 s"
        if reached
        else "Kim CNN never reached 90%"
    )
    full = statistics.median(r[1] for r in rows)
    print(f"Kim CNN: full {CNN_CONFIG.epochs} epochs, median {full:.1f} s")

    print("\n== one sentence: prediction + attributions (explain), trained Kim CNN")
    times = timeit(lambda: explain(kim, data.vocab, SENTENCE), args.repeats)
    e = explain(kim, data.vocab, SENTENCE)
    print(f"explain          {summary(times)}   target: median <= 50 ms")
    top = e.filters[0]
    print(
        f"'{SENTENCE}' -> {data.corpus.classes[e.predicted]} ({100 * e.probs.max():.1f}%); "
        f"top filter {top.index} (width {top.width}) on '{' '.join(top.ngram)}', "
        f"influence {top.influence:+.2f}"
    )

    print("\n== Text CNN page: server-side rerun after a widget change (AppTest, 20 changes)")
    reruns = rerun_times("text_cnn.py", EDITS)
    print(f"rerun            {summary(reruns)}   target: median <= 100 ms")


if __name__ == "__main__":
    main()
