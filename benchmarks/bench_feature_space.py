"""Speed of the feature-space tabs of What a CNN learned (Nearest images, Map of images, Top
patches): feature extraction per image, a nearest-neighbour query over 1,000 images once their
features are cached (against the readable loop version and scikit-learn in the same run), the
leave-one-out agreement over a whole gallery, t-SNE and PCA maps, a stage's top-patch maxima,
and the Nearest images tab's rerun after a change of k.

Run from the repository root: ``python -m benchmarks.bench_feature_space``.
Prints figures measured in this run. Targets (2-core CPU): one query over 1,000 cached feature
vectors <= 100 ms (issue 19); feature extraction of a default gallery (156-200 images at
128 px) in seconds, not minutes; the tab's rerun after a change median <= 300 ms.
"""

from __future__ import annotations

import argparse
import statistics
import time

import numpy as np
import torch

from benchmarks.common import rerun_times, summary, timeit
from cnnplay.device import configure_torch_threads, device_label, get_device
from cnnplay.learned.clustering import pca, tsne
from cnnplay.learned.features import embed, pixel_vectors
from cnnplay.learned.gallery import fashion_gallery, photo_gallery
from cnnplay.learned.patches import stage_field_row, stage_maxima
from cnnplay.learned.retrieval import knn_agreement, nearest, nearest_loop
from cnnplay.models.pretrained import DEFAULT_MODEL, REGISTRY, load_pretrained

SIDE = 128  # what the tabs feed the network


def seconds(fn) -> tuple[float, object]:
    start = time.perf_counter()
    out = fn()
    return time.perf_counter() - start, out


def change_k(at, rng) -> None:
    """Change the number of neighbours shown in the Nearest images tab (open by default)."""
    slider = at.slider(key="wl_nn_k")
    slider.set_value(int(rng.choice([k for k in range(3, 13) if k != slider.value])))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--repeats", type=int, default=20)
    parser.add_argument("--no-page", action="store_true", help="skip the AppTest rerun timing")
    args = parser.parse_args()
    configure_torch_threads()
    print(f"device: {device_label(get_device())}; torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads")  # fmt: skip
    model = load_pretrained(DEFAULT_MODEL)
    spec = REGISTRY[DEFAULT_MODEL]

    print(f"\n== galleries and their features ({DEFAULT_MODEL}, input {SIDE}×{SIDE})")
    t, photos = seconds(photo_gallery)
    print(f"photo crops      {len(photos):5d} images cut in {t * 1000:7.1f} ms")
    t, big = seconds(lambda: fashion_gallery(100))
    print(f"Fashion-MNIST    {len(big):5d} images read in {t * 1000:7.1f} ms")
    t, f_photos = seconds(lambda: embed(model, spec, photos.images, SIDE))
    print(f"features, photos {t:7.2f} s   {t / len(photos) * 1000:6.1f} ms per image   "
          f"({f_photos.nbytes / 2**20:.1f} MB cached)   target: seconds")  # fmt: skip
    t, feats = seconds(lambda: embed(model, spec, big.images, SIDE))
    per_image = t / len(big) * 1000
    print(f"features, 1,000  {t:7.2f} s   {per_image:6.1f} ms per image   "
          f"({feats.nbytes / 2**20:.1f} MB cached)")  # fmt: skip
    t224, _ = seconds(lambda: embed(model, spec, big.images[:64], 224))
    print(f"features at 224  {t224 / 64 * 1000:6.1f} ms per image "
          f"({t224 / 64 * 1000 / per_image:.1f}× the 128-px input)")  # fmt: skip
    t, pix = seconds(lambda: pixel_vectors(big.images))
    print(f"pixel vectors    {t * 1000:7.1f} ms for 1,000   ({pix.nbytes / 2**20:.1f} MB)")

    print("\n== one query over 1,000 cached vectors, k = 6 (median of repeats)")
    rng = np.random.default_rng(0)
    q = int(rng.integers(len(big)))
    from sklearn.neighbors import NearestNeighbors

    for space, x in (("features", feats), ("pixels", pix)):
        for metric in ("cosine", "euclidean"):
            fast = timeit(lambda x=x, m=metric: nearest(x[q : q + 1], x, 6, m), args.repeats)
            ref = NearestNeighbors(n_neighbors=6, metric=metric, algorithm="brute")
            sk = timeit(lambda x=x, r=ref: r.fit(x).kneighbors(x[q : q + 1]), 5)
            base = statistics.median(fast)
            print(f"{space:8s} {metric:9s} {summary(fast)}   scikit-learn "
                  f"{statistics.median(sk):7.2f} ms ({statistics.median(sk) / base:5.1f}×)   "
                  "target: <= 100 ms")  # fmt: skip
    loop_t, _ = seconds(lambda: nearest_loop(feats[q], feats, 6, "cosine", exclude=q))
    fast_t = statistics.median(timeit(lambda: nearest(feats[q : q + 1], feats, 6, "cosine"), 5))
    print(f"readable loop (features, cosine) {loop_t * 1000:9.1f} ms   "
          f"{loop_t * 1000 / fast_t:7.0f}× the vectorised one")  # fmt: skip

    print("\n== leave-one-out agreement over a whole gallery (k = 6, cosine)")
    for label, x, labels in (
        ("photo crops, features", f_photos, photos.labels),
        ("photo crops, pixels", pixel_vectors(photos.images), photos.labels),
        ("Fashion 1,000, features", feats, big.labels),
        ("Fashion 1,000, pixels", pix, big.labels),
    ):
        t, result = seconds(lambda x=x, labels=labels: knn_agreement(x, labels, 6, "cosine"))
        print(f"{label:24s} {t * 1000:8.1f} ms   nearest same class {result.nearest_same:5.1%}"
              f"   6 nearest {result.k_same:5.1%}   chance {result.chance:5.1%}")  # fmt: skip

    print("\n== 2D maps (seed 0)")
    for n in (156, 356, 1000):
        x = feats[:n] if n <= len(feats) else feats
        t_pca, _ = seconds(lambda x=x: pca(x, 2))
        t_tsne, _ = seconds(lambda x=x: tsne(x))
        print(f"{n:5d} points    PCA {t_pca * 1000:7.1f} ms   t-SNE {t_tsne:6.2f} s "
              f"({t_tsne / t_pca:6.0f}× PCA)")  # fmt: skip

    print("\n== top patches: one stage's per-channel maxima over the photo crops")
    for index in (4, 5):
        field = stage_field_row(model, index, SIDE)
        t, found = seconds(
            lambda index=index, field=field: stage_maxima(
                model, spec, photos.images, index, SIDE, inside=field
            )
        )
        size = (found.values.nbytes + 2 * found.rows.nbytes) / 2**20
        print(f"stage {index}: {found.channels:4d} channels, field {field.size:3d} px   "
              f"{t:6.2f} s   ({size:.2f} MB cached)")  # fmt: skip

    if not args.no_page:
        print("\n== page: the Nearest images tab's rerun after a change of k (AppTest, 10 changes)")
        reruns = rerun_times("learned.py", [change_k], changes=10)
        print(f"rerun            {summary(reruns)}   target: median <= 300 ms")


if __name__ == "__main__":
    main()
