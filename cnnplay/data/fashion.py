"""Fashion-MNIST (Xiao et al. 2017): 28×28 grayscale photos of 10 kinds of clothing, a real
labelled set for transfer learning that works offline.

Where the images come from, in order: the Debian package ``dataset-fashion-mnist`` (idx files in
:data:`FASHION_DIR`), a copy downloaded earlier into :data:`DOWNLOAD_DIR` (by
:func:`download_fashion`, an explicit choice that needs the network), else
:class:`FashionUnavailable` — and a page falls back to :func:`cnnplay.data.shapes.shapes_set`.
"""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

from cnnplay.data.labelled import LabelledImages, square, subsample
from cnnplay.progress import ProgressFn

FASHION_DIR = Path("/usr/share/datasets/fashion-mnist")  # the Debian package's files
DOWNLOAD_DIR = (
    Path(os.environ.get("CNNPLAY_DATA", Path.home() / ".cache" / "cnnplay")) / "fashion-mnist"
)
MIRROR = "http://fashion-mnist.s3-website.eu-central-1.amazonaws.com/"
FILES: dict[str, tuple[str, str]] = {  # split -> (images file, labels file)
    "train": ("train-images-idx3-ubyte.gz", "train-labels-idx1-ubyte.gz"),
    "test": ("t10k-images-idx3-ubyte.gz", "t10k-labels-idx1-ubyte.gz"),
}
MD5: dict[str, str] = {  # published checksums (the same as torchvision's FashionMNIST.resources)
    "train-images-idx3-ubyte.gz": "8d4fb7e6c68d591d4c3dfef9ec88bf0d",
    "train-labels-idx1-ubyte.gz": "25c81989df183df01b3e8a0aad5dffbe",
    "t10k-images-idx3-ubyte.gz": "bef4ecab320f06d8554ea6380940ec79",
    "t10k-labels-idx1-ubyte.gz": "bb300cfdad3c16e7a12a480ee83cd310",
}
CLASSES: tuple[str, ...] = (
    "T-shirt/top",
    "Trouser",
    "Pullover",
    "Dress",
    "Coat",
    "Sandal",
    "Shirt",
    "Sneaker",
    "Bag",
    "Ankle boot",
)
_IDX_TYPES = {0x08: np.uint8, 0x09: np.int8, 0x0B: ">i2", 0x0C: ">i4", 0x0D: ">f4", 0x0E: ">f8"}


class FashionUnavailable(Exception):
    """Fashion-MNIST could not be read or downloaded. ``str(err)`` is for the user."""


def read_idx(data: bytes) -> np.ndarray:
    """Parse one idx file (gzip-compressed or not): magic 0x0000TTDD, D big-endian uint32 sizes,
    then the values. Returns an array of those sizes (uint8 for image and label files)."""
    if data[:2] == b"\x1f\x8b":
        data = gzip.decompress(data)
    if len(data) < 4 or data[:2] != b"\x00\x00" or data[2] not in _IDX_TYPES:
        raise ValueError("not an idx file (bad magic number)")
    dims = data[3]
    header = 4 + 4 * dims
    shape = tuple(int(v) for v in np.frombuffer(data[4:header], dtype=">u4"))
    dtype = np.dtype(_IDX_TYPES[data[2]])
    count = int(np.prod(shape)) if shape else 1
    if len(data) - header != count * dtype.itemsize:
        raise ValueError(f"idx file is truncated: expected {count} values of shape {shape}")
    return (
        np.frombuffer(data, dtype=dtype, offset=header)
        .reshape(shape)
        .astype(dtype.newbyteorder("="))
    )


def _find(split: str) -> Path | None:
    """The folder holding both files of ``split``: the Debian package first, then a download."""
    for folder in (FASHION_DIR, DOWNLOAD_DIR):
        if all((folder / name).is_file() for name in FILES[split]):
            return folder
    return None


def available(split: str = "train") -> bool:
    """Whether Fashion-MNIST can be read without the network."""
    return _find(split) is not None


def load_fashion(
    per_class: int = 30, seed: int = 0, split: str = "train", side: int = 28
) -> LabelledImages:
    """``per_class`` images of each of the 10 classes, drawn by ``seed`` from ``split``
    ("train": 60,000 images, "test": 10,000), grey copied to RGB and resized to ``side``.

    Returns images (10·per_class, side, side, 3) uint8. Raises FashionUnavailable when the files
    are missing or damaged.
    """
    folder = _find(split)
    if folder is None:
        raise FashionUnavailable(
            f"Fashion-MNIST is not installed here (no idx files in {FASHION_DIR} or "
            f"{DOWNLOAD_DIR}). Install the Debian package dataset-fashion-mnist, or download it "
            "(about 30 MB) when this machine has internet access."
        )
    images_file, labels_file = FILES[split]
    try:
        images = read_idx((folder / images_file).read_bytes())  # (N, 28, 28) uint8
        labels = read_idx((folder / labels_file).read_bytes()).astype(np.int64)  # (N,)
    except (OSError, ValueError, EOFError, gzip.BadGzipFile) as err:
        raise FashionUnavailable(
            f"The Fashion-MNIST files in {folder} are damaged ({err})."
        ) from err
    if images.ndim != 3 or len(images) != len(labels):
        raise FashionUnavailable(f"The Fashion-MNIST files in {folder} do not match each other.")
    pick = subsample(labels, per_class, seed)
    rgb = np.repeat(images[pick][..., None], 3, axis=-1)  # (n, 28, 28, 3)
    if side != rgb.shape[1]:
        rgb = np.stack([square(im, side) for im in rgb])
    where = "the Debian package" if folder == FASHION_DIR else "a downloaded copy"
    return LabelledImages(rgb, labels[pick], CLASSES, f"Fashion-MNIST ({split}, {where})")


def download_fashion(on_progress: ProgressFn | None = None, mirror: str = MIRROR) -> Path:
    """Download the four Fashion-MNIST files (about 30 MB) into :data:`DOWNLOAD_DIR`, checking
    their MD5 sums; ``on_progress(file_number, 4, {"file": name, "MB": ...})``. Returns the
    folder. Raises FashionUnavailable (with a message for the user) when offline or damaged."""
    from cnnplay.download import download_checked

    return download_checked(
        mirror,
        {name: MD5[name] for pair in FILES.values() for name in pair},
        DOWNLOAD_DIR,
        FashionUnavailable,
        "Fashion-MNIST could not be downloaded ({err}). This needs an internet connection; the "
        "page uses its generated shapes set instead.",
        on_progress,
    )
