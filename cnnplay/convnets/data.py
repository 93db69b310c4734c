"""The images the Train a CNN page learns from: a fixed train/test split of one data set, held as
compact uint8 tensors (a batch is converted to floats only when used).

Sources (offline first), :data:`SOURCES`:

- ``"fashion"``: Fashion-MNIST from Debian's ``dataset-fashion-mnist`` (or a copy downloaded
  earlier, see :mod:`cnnplay.data.fashion`): 60,000 training and 10,000 test images, 28×28;
- ``"mnist"``: MNIST digits, read from a cache folder (:data:`MNIST_DIR`, under the same
  ``CNNPLAY_DATA`` folder as the Fashion-MNIST download); :func:`download_mnist` fills it, an
  explicit choice that needs the network (progress, checksums, a clear offline message);
- ``"digits"``: scikit-learn's 1,797 8×8 handwritten digits (values 0..16, the UCI "optdigits"
  test set), enlarged to 28×28 by :func:`enlarge_digits`.

The training images are drawn by ``seed``; the test images never depend on it (the data set's
own test split, or for the 8×8 digits a fixed stratified 20 % of them), so runs with different
seeds are scored on the same images.
"""

from __future__ import annotations

import gzip
import importlib.util
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
import torch.nn.functional as F
from torch import Tensor

from cnnplay.data import fashion
from cnnplay.data.fashion import read_idx
from cnnplay.data.labelled import stratified_split
from cnnplay.download import download_checked
from cnnplay.progress import ProgressFn

SIDE = 28  # every image of a Split is SIDE × SIDE
SOURCES: dict[str, str] = {  # load_split's source -> the name pages show
    "fashion": "Fashion-MNIST",
    "mnist": "MNIST digits (download)",
    "digits": "8×8 digits (scikit-learn)",
}
DIGIT_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))
TEST_ORDER_SEED = 20_240_018  # the fixed order the test subsets are taken from (not the run seed)

MNIST_DIR = fashion.DOWNLOAD_DIR.parent / "mnist"  # CNNPLAY_DATA (or ~/.cache/cnnplay) / mnist
MNIST_MIRROR = "https://ossci-datasets.s3.amazonaws.com/mnist/"  # torchvision's first mirror
MNIST_FILES = fashion.FILES  # split -> (images file, labels file): MNIST's names are the same
MNIST_MD5: dict[str, str] = {  # the checksums torchvision's MNIST.resources publishes
    "train-images-idx3-ubyte.gz": "f68b3c2dcbeaaa9fbdd348bbdeb94873",
    "train-labels-idx1-ubyte.gz": "d53e105ee54ea40749a09fcbcd1e9432",
    "t10k-images-idx3-ubyte.gz": "9fb629c4189551a2d022fa330f9573f3",
    "t10k-labels-idx1-ubyte.gz": "ec29112dd5afa0611ce80d1b7f02629c",
}
MNIST_MB = 11.6  # the four files together, compressed

DIGITS_SMALL = 8  # side of scikit-learn's digits
DIGITS_MAX = 16  # their largest value (ink)
DIGITS_BOX = 20  # enlarged to DIGITS_BOX × DIGITS_BOX, then centred in SIDE × SIDE like MNIST
DIGITS_TEST_SHARE = 0.2  # the fixed stratified share of the 1,797 digits held out for testing


class DataUnavailable(Exception):
    """A source cannot be read (not installed, not downloaded, damaged, offline). ``str(err)``
    is a message for the user."""


@dataclass(frozen=True)
class Split:
    x_train: Tensor  # (N, 1, 28, 28) uint8 pixels 0..255, white object on black like MNIST
    y_train: Tensor  # (N,) int64 class index
    x_test: Tensor  # (M, 1, 28, 28) uint8
    y_test: Tensor  # (M,) int64
    classes: tuple[str, ...]  # class names in label order
    source: str  # for captions: which data set, where it came from, which split
    seed: int  # the seed that drew the subsets (the split itself is the data set's own)


# --------------------------------------------------------------------------- drawing subsets


def draw_train(n_available: int, n: int, seed: int) -> np.ndarray:
    """``min(n, n_available)`` distinct indices into a training set of ``n_available`` images:
    a seeded permutation's first n, or, when n covers the set, all of them in their order (the
    same for every seed: training shuffles its batches anyway)."""
    if n >= n_available:
        return np.arange(n_available)
    return np.random.default_rng(seed).permutation(n_available)[: max(0, n)]


def draw_test(n_available: int, n: int) -> np.ndarray:
    """The first ``min(n, n_available)`` indices of one fixed permutation of a test set
    (:data:`TEST_ORDER_SEED`): independent of the run's seed, and a larger n only adds images."""
    return np.random.default_rng(TEST_ORDER_SEED).permutation(n_available)[: max(0, n)]


def drawn(n_available: int, n: int, seed: int) -> str:
    """How a training subset was drawn, for a split's caption."""
    if n >= n_available:
        return f"all {n_available:,} training"
    return f"{n:,} of the {n_available:,} training"


def _pack(images: np.ndarray, labels: np.ndarray, pick: np.ndarray) -> tuple[Tensor, Tensor]:
    """(N, 28, 28) uint8 + (N,) labels, picked rows -> (n, 1, 28, 28) uint8, (n,) int64."""
    x = torch.from_numpy(np.ascontiguousarray(images[pick])).unsqueeze(1)  # (n, 1, 28, 28)
    y = torch.from_numpy(labels[pick].astype(np.int64))  # (n,)
    return x, y


def _check_sizes(n_train: int, n_test: int) -> None:
    if n_train < 1 or n_test < 1:
        raise ValueError(f"need at least one training and one test image (got {n_train}, {n_test})")


# --------------------------------------------------------------------------- idx sets (Fashion, MNIST)


def _read_pair(folder: Path, split: str, files: dict[str, tuple[str, str]], name: str):
    """(images (N, 28, 28) uint8, labels (N,) int64) of one split from its two idx files."""
    images_file, labels_file = files[split]
    try:
        images = read_idx((folder / images_file).read_bytes())  # (N, 28, 28) uint8
        labels = read_idx((folder / labels_file).read_bytes()).astype(np.int64)  # (N,)
    except (OSError, ValueError, EOFError, gzip.BadGzipFile) as err:
        raise DataUnavailable(f"The {name} files in {folder} are damaged ({err}).") from err
    if images.shape[1:] != (SIDE, SIDE) or len(images) != len(labels):
        raise DataUnavailable(f"The {name} files in {folder} do not match each other.")
    return images, labels


def _idx_split(
    folder: Path,
    files: dict[str, tuple[str, str]],
    name: str,
    classes: tuple[str, ...],
    where: str,
    n_train: int,
    n_test: int,
    seed: int,
    on_progress: ProgressFn | None,
) -> Split:
    parts = []
    for step, split in enumerate(("train", "test"), start=1):
        parts.append(_read_pair(folder, split, files, name))
        if on_progress is not None:
            on_progress(step, 2, {"file": files[split][0]})
    (xs, ys), (xt, yt) = parts
    train, test = draw_train(len(ys), n_train, seed), draw_test(len(yt), n_test)
    x_train, y_train = _pack(xs, ys, train)
    x_test, y_test = _pack(xt, yt, test)
    return Split(
        x_train,
        y_train,
        x_test,
        y_test,
        classes,
        f"{name} ({where}): {drawn(len(ys), n_train, seed)} images"
        + ("" if n_train >= len(ys) else f" (drawn by seed {seed})")
        + f", {len(test):,} of the {len(yt):,} test images",
        seed,
    )


def _fashion_folder() -> Path:
    for folder in (fashion.FASHION_DIR, fashion.DOWNLOAD_DIR):
        if all((folder / f).is_file() for pair in fashion.FILES.values() for f in pair):
            return folder
    raise DataUnavailable(
        f"Fashion-MNIST is not installed here (no idx files in {fashion.FASHION_DIR} or "
        f"{fashion.DOWNLOAD_DIR}). Install the Debian package dataset-fashion-mnist, or choose "
        "the 8×8 digits."
    )


def mnist_available() -> bool:
    """Whether the four MNIST files are in :data:`MNIST_DIR` (downloaded earlier)."""
    return all((MNIST_DIR / f).is_file() for pair in MNIST_FILES.values() for f in pair)


def download_mnist(on_progress: ProgressFn | None = None, mirror: str = MNIST_MIRROR) -> Path:
    """Download the four MNIST files (about 11.6 MB) into :data:`MNIST_DIR`, each checked
    against its published MD5 (a damaged file is deleted). Files already there are only
    checked. ``on_progress(files_done, 4, {"file": name, "MB": ...})`` with a fractional
    ``files_done`` during a file. Returns the folder; raises DataUnavailable with a message
    for the user when offline or when a file is damaged."""
    return download_checked(
        mirror,
        {name: MNIST_MD5[name] for pair in MNIST_FILES.values() for name in pair},
        MNIST_DIR,
        DataUnavailable,
        "MNIST could not be downloaded ({err}). This needs an internet connection; "
        "Fashion-MNIST and the 8×8 digits work offline.",
        on_progress,
    )


# --------------------------------------------------------------------------- 8×8 digits


def digits_file() -> Path | None:
    """scikit-learn's ``datasets/data/digits.csv.gz`` (what ``load_digits`` reads), found
    without importing scikit-learn (and so scipy); None when scikit-learn is not installed."""
    try:
        spec = importlib.util.find_spec("sklearn")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    path = Path(next(iter(spec.submodule_search_locations))) / "datasets" / "data" / "digits.csv.gz"
    return path if path.is_file() else None


def read_digits(data: bytes) -> tuple[np.ndarray, np.ndarray]:
    """Parse scikit-learn's digits file (gzip or plain CSV; one digit a line: 64 values 0..16
    row by row, then the label). Returns (images (N, 8, 8) uint8 0..16, labels (N,) int64)."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    try:
        table = np.loadtxt(data.decode("ascii").splitlines(), delimiter=",", ndmin=2)
    except (UnicodeDecodeError, ValueError) as err:
        raise ValueError(f"not a digits file ({err})") from err
    if table.shape[1] != DIGITS_SMALL**2 + 1:
        raise ValueError(f"not a digits file: {table.shape[1]} columns, expected 65")
    values, labels = table[:, :-1], table[:, -1]
    if values.min() < 0 or values.max() > DIGITS_MAX or labels.min() < 0 or labels.max() > 9:
        raise ValueError("not a digits file: values outside 0..16 or labels outside 0..9")
    images = values.astype(np.uint8).reshape(-1, DIGITS_SMALL, DIGITS_SMALL)  # (N, 8, 8)
    return images, labels.astype(np.int64)


def enlarge_digits(small: np.ndarray) -> np.ndarray:
    """(N, 8, 8) values 0..16 -> (N, 28, 28) uint8 0..255, laid out like MNIST: values scaled
    by 255/16, the 8×8 grid enlarged to 20×20 by bilinear interpolation (pixel centres aligned,
    as PIL and OpenCV resize) and centred on a black 28×28 canvas (a 4-pixel border)."""
    x = torch.from_numpy(np.asarray(small, np.float32)).unsqueeze(1)  # (N, 1, 8, 8)
    x = x * (255.0 / DIGITS_MAX)
    box = F.interpolate(x, size=(DIGITS_BOX, DIGITS_BOX), mode="bilinear", align_corners=False)
    border = (SIDE - DIGITS_BOX) // 2
    canvas = F.pad(box, (border,) * 4)  # (N, 1, 28, 28), black border
    return canvas.round().clamp(0, 255).to(torch.uint8).squeeze(1).numpy()  # (N, 28, 28)


def _load_digits_small() -> tuple[np.ndarray, np.ndarray]:
    path = digits_file()
    if path is None:
        raise DataUnavailable(
            "The 8×8 digits come with scikit-learn, which is not installed on this server "
            "(`pip install scikit-learn`). Fashion-MNIST works without it."
        )
    try:
        return read_digits(path.read_bytes())
    except (OSError, ValueError, EOFError, gzip.BadGzipFile) as err:
        raise DataUnavailable(f"scikit-learn's digits file {path} is damaged ({err}).") from err


def digits_test_split(labels: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The 8×8 digits' fixed (train, test) indices: a stratified 20 % per class held out,
    drawn once by :data:`TEST_ORDER_SEED` (never by the run's seed). Both sorted."""
    return stratified_split(labels, DIGITS_TEST_SHARE, TEST_ORDER_SEED)


def _digits_split(n_train: int, n_test: int, seed: int, on_progress: ProgressFn | None) -> Split:
    small, labels = _load_digits_small()
    if on_progress is not None:
        on_progress(1, 2, {"file": "digits.csv.gz"})
    images = enlarge_digits(small)  # (1797, 28, 28)
    train_idx, test_idx = digits_test_split(labels)
    train = train_idx[draw_train(len(train_idx), n_train, seed)]
    test = test_idx[draw_test(len(test_idx), n_test)]
    x_train, y_train = _pack(images, labels, train)
    x_test, y_test = _pack(images, labels, test)
    if on_progress is not None:
        on_progress(2, 2, {"file": "digits.csv.gz"})
    return Split(
        x_train,
        y_train,
        x_test,
        y_test,
        DIGIT_CLASSES,
        f"8×8 digits (scikit-learn, enlarged to 28×28): {drawn(len(train_idx), n_train, seed)} "
        "digits"
        + ("" if n_train >= len(train_idx) else f" (drawn by seed {seed})")
        + f", {len(test):,} of the {len(test_idx):,} held-out test digits",
        seed,
    )


# --------------------------------------------------------------------------- the one entry point


def available_sizes(source: str) -> tuple[int, int]:
    """(training images, test images) the source holds (before any download); the digits'
    are the sizes of their fixed stratified split (:func:`digits_test_split`)."""
    return {"fashion": (60_000, 10_000), "mnist": (60_000, 10_000), "digits": (1_438, 359)}[source]


def load_split(
    source: str,
    n_train: int,
    n_test: int,
    seed: int,
    on_progress: ProgressFn | None = None,
) -> Split:
    """``n_train`` training images drawn by ``seed`` and ``n_test`` test images (a fixed
    subset, the same for every seed) of ``source`` ("fashion", "mnist", "digits"); a size
    beyond what the source holds takes all of it (``Split.source`` says how many).
    ``on_progress(step, 2, {"file": ...})`` as the files are read.

    Raises DataUnavailable (message for the user) when the source's files are missing or
    damaged, ValueError for an unknown source or sizes below 1."""
    _check_sizes(n_train, n_test)
    loaders: dict[str, Callable[[], Split]] = {
        "fashion": lambda: _idx_split(
            folder := _fashion_folder(),
            fashion.FILES,
            "Fashion-MNIST",
            fashion.CLASSES,
            "the Debian package" if folder == fashion.FASHION_DIR else "a downloaded copy",
            n_train,
            n_test,
            seed,
            on_progress,
        ),
        "mnist": lambda: _mnist_split(n_train, n_test, seed, on_progress),
        "digits": lambda: _digits_split(n_train, n_test, seed, on_progress),
    }
    if source not in loaders:
        raise ValueError(f"unknown source {source!r}; choose one of {', '.join(loaders)}")
    return loaders[source]()


def _mnist_split(n_train: int, n_test: int, seed: int, on_progress: ProgressFn | None) -> Split:
    if not mnist_available():
        raise DataUnavailable(
            f"MNIST is not downloaded yet (no idx files in {MNIST_DIR}). Download it (about "
            f"{MNIST_MB:.1f} MB; needs an internet connection), or choose Fashion-MNIST or the "
            "8×8 digits, which work offline."
        )
    return _idx_split(
        MNIST_DIR,
        MNIST_FILES,
        "MNIST",
        DIGIT_CLASSES,
        "downloaded copy",
        n_train,
        n_test,
        seed,
        on_progress,
    )
