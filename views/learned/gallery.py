"""What the feature-space tabs (Nearest images, Map of images, Top patches) share: the gallery
choice, and the gallery's features, pixel vectors and numbers, computed once per server and
network and cached (bounded).

Shared caches (every session reads the same read-only arrays; dropped when the server is idle):

- galleries: at most 4, the largest (photo crops + Fashion-MNIST, 356 × 96² × 3) 9.8 MB;
- features: N × D float32 per (network, gallery), EfficientNet-Lite0 on 200 images:
  200 × 1,280 × 4 B = 1.0 MB; at most 8 (VGG-16's 4,096-vectors: 2.9 MB for 356 images);
- pixel vectors: N × 3,072 float32 per gallery (2.5 MB for 200 images), at most 4;
- top-patch maxima: N × C float32 + two int16 per (network, gallery, stage, side), at most 8
  (the largest, 1,280 channels of 356 images: 2.9 MB).

One's own Transfer learning images (validation images of this session's trained models, at most
:data:`OWN_LIMIT`) are cached under their content hash, so no other session finds them.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import streamlit as st
import torch

from cnnplay.data.labelled import LabelledImages
from cnnplay.learned.clustering import Projection, project
from cnnplay.learned.features import embed, pixel_vectors
from cnnplay.learned.gallery import (
    Gallery,
    combine,
    fashion_gallery,
    labelled_gallery,
    photo_gallery,
    shifted,
)
from cnnplay.learned.patches import StageMaxima, stage_maxima
from cnnplay.learned.plots import class_style, thumbnail_sources
from cnnplay.learned.retrieval import Agreement, knn_agreement
from cnnplay.models.pretrained import REGISTRY
from cnnplay.receptive import FieldRow
from cnnplay.snippets.learned import gallery_file
from ui.links import LINK
from ui.page import KEEP
from ui.progress import progress_bar
from ui.sessions import release_when_idle
from views.learned.common import Net

SIDE = 128  # the network sees every gallery image at 128×128 (EfficientNet-Lite0: ~8 ms each)
PER_CLASS = 20  # Fashion-MNIST images per class (200 in all)
SHIFT = 0.18  # the moved gallery: up to 18 % of the side (5 of 28 px) each way
OWN_LIMIT = 200  # one's own images in a gallery, at most
OWN_SIDE = 128  # ... stored at most this side
MIXED_SIDE = 96  # photo crops + Fashion-MNIST: stored at this side
THUMB_PX = 28  # a map's pictures, pixels
TL_TRAINED_KEY = "tl_trained"  # Transfer learning's session state: {strategy: its Trained run}
SPACES: tuple[str, ...] = ("features", "pixels")

PHOTOS = "Photo crops"
FASHION = "Fashion-MNIST"
MOVED = "Fashion-MNIST, moved and mirrored"
MIXED = "Photo crops + Fashion-MNIST"
OWN = "Your Transfer learning images"
BUILDERS: dict[str, Callable[[], Gallery]] = {
    PHOTOS: photo_gallery,
    FASHION: lambda: fashion_gallery(PER_CLASS),
    MOVED: lambda: shifted(built(FASHION), SHIFT),
    MIXED: lambda: combine([built(PHOTOS), built(FASHION)], MIXED_SIDE),
}
ABOUT: dict[str, str] = {
    PHOTOS: "the same scene at several zooms and places: one class per photo",
    FASHION: "ten kinds of clothing, 28×28 grey photos",
    MOVED: "the same Fashion-MNIST images, each moved a few pixels and maybe mirrored: same "
    "things, different pixels",
    MIXED: "both galleries together (16 classes)",
    OWN: "the validation images of the model you trained on the Transfer learning page",
}


@dataclass(frozen=True, eq=False)
class Picked:
    """The gallery a tab works on."""

    key: str  # cache key: the choice's name, or "own:" + the images' content hash
    name: str  # the choice as shown
    gallery: Gallery

    @property
    def n(self) -> int:
        return len(self.gallery)


@release_when_idle
@st.cache_resource(max_entries=4, show_spinner="Cutting the gallery…")
def built(name: str) -> Gallery:
    """A built-in gallery by name (shared, read-only)."""
    gallery = BUILDERS[name]()
    gallery.images.flags.writeable = False
    return gallery


def own_images() -> LabelledImages | None:
    """This session's own labelled images from the Transfer learning page, if any: the
    validation images kept with its trained models (the largest set). The page keeps no
    other copy of the images once its uploads are gone."""
    runs = st.session_state.get(TL_TRAINED_KEY)
    if not isinstance(runs, dict):
        return None
    best = None
    for run in runs.values():
        images, labels = getattr(run, "val_images", None), getattr(run, "val_labels", None)
        classes = getattr(run, "classes", None)
        if not isinstance(images, np.ndarray) or images.ndim != 4 or len(images) < 2:
            continue
        if labels is None or classes is None or len(labels) != len(images):
            continue
        if best is None or len(images) > len(best.images):
            best = LabelledImages(
                images,
                np.asarray(labels, np.int64),
                tuple(classes),
                f"your Transfer learning validation images ({len(classes)} classes)",
            )
    return best


@release_when_idle
@st.cache_resource(max_entries=4, ttl=3600, show_spinner=False)
def _own_gallery(digest: str, _data: LabelledImages) -> Gallery:
    side = min(OWN_SIDE, int(_data.images.shape[1]))
    gallery = labelled_gallery(_data, OWN_LIMIT, side)
    gallery.images.flags.writeable = False
    return gallery


def _digest(data: LabelledImages) -> str:
    h = hashlib.sha1(np.ascontiguousarray(data.images).tobytes())
    h.update(np.asarray(data.labels).tobytes() + "|".join(data.classes).encode())
    return h.hexdigest()[:16]


def pick_gallery(key: str, where=st) -> Picked:
    """The gallery select (widget ``key``), its notes and a line about it. The session's own
    Transfer learning images are offered when there are some."""
    own = own_images()
    names = list(BUILDERS) + ([OWN] if own is not None else [])
    if st.session_state.get(key) not in names:
        st.session_state[key] = names[0]  # also when one's own images have gone
    name = where.selectbox(
        "Gallery",
        names,
        key=key,
        persist_state=KEEP,
        bind=LINK,
        help="The images searched and mapped.",
    )
    if name == OWN and own is not None:
        digest = _digest(own)
        picked = Picked(f"own:{digest}", name, _own_gallery(digest, own))
    else:
        picked = Picked(name, name, built(name))
    g = picked.gallery
    where.caption(
        f"{picked.n} images of {len(g.classes)} classes: {g.source}; {ABOUT[name]}. The "
        f"network sees each at {SIDE}×{SIDE} pixels."
    )
    for note in g.notes:
        where.info(note, icon=":material/info:")
    return picked


# --- the gallery's vectors (shared caches) -----------------------------------------------------


@release_when_idle
@st.cache_resource(max_entries=8, show_spinner=False)
def _features(name: str, key: str, _model: torch.nn.Module, _images: np.ndarray) -> np.ndarray:
    with progress_bar(f"Reading the gallery with {name.split(' (')[0]} (once per server):") as bar:
        f = embed(_model, REGISTRY[name], _images, SIDE, on_progress=bar)
    f.flags.writeable = False
    return f


def features(net: Net, picked: Picked) -> np.ndarray:
    """(N, D) float32 penultimate features of the gallery (read-only, shared)."""
    return _features(net.name, picked.key, net.model, picked.gallery.images)


@release_when_idle
@st.cache_resource(max_entries=4, show_spinner=False)
def _pixels(key: str, _images: np.ndarray) -> np.ndarray:
    p = pixel_vectors(_images)
    p.flags.writeable = False
    return p


def pixels(picked: Picked) -> np.ndarray:
    """(N, 3,072) float32 pixel vectors (32×32×3, 0..1) of the gallery (read-only, shared)."""
    return _pixels(picked.key, picked.gallery.images)


@release_when_idle
@st.cache_resource(max_entries=4, show_spinner="Packing the gallery into one picture…")
def _sheet(key: str, _images: np.ndarray) -> tuple[str, bytes]:
    return gallery_file(_images)


def sheet(picked: Picked) -> tuple[str, bytes]:
    """The gallery as one PNG sheet for the code panel's program (file name, bytes; shared:
    the photo crops' 3.2 MB, at most 4)."""
    return _sheet(picked.key, picked.gallery.images)


def vectors(net: Net, picked: Picked, space: str) -> np.ndarray:
    """The gallery in ``space`` ("features" or "pixels")."""
    return features(net, picked) if space == "features" else pixels(picked)


@st.cache_data(max_entries=32, show_spinner="Comparing every image with every other…")
def _agreement(
    name: str, key: str, space: str, metric: str, k: int, _x: np.ndarray, _labels: list
) -> Agreement:
    return knn_agreement(_x, _labels, k, metric)


def agreement(net: Net, picked: Picked, space: str, metric: str, k: int) -> Agreement:
    """Leave-one-out class agreement of the k nearest images in ``space``."""
    name = net.name if space == "features" else ""
    x = vectors(net, picked, space)
    return _agreement(name, picked.key, space, metric, k, x, picked.gallery.labels)


@st.cache_data(max_entries=16, show_spinner="Placing the images on a map…")
def _projection(
    name: str, key: str, space: str, method: str, perplexity: float, _x: np.ndarray
) -> Projection:
    return project(_x, method, perplexity)


def projection(net: Net, picked: Picked, space: str, method: str, perplexity: float) -> Projection:
    """The gallery's 2D map in ``space`` by ``method`` (t-SNE or PCA), seed 0."""
    name = net.name if space == "features" else ""
    x = vectors(net, picked, space)
    return _projection(name, picked.key, space, method, float(perplexity), x)


@release_when_idle
@st.cache_resource(max_entries=4, show_spinner=False)
def _thumbnails(key: str, _images: np.ndarray, _frames: list[str]) -> list[str]:
    return thumbnail_sources(_images, THUMB_PX, _frames)


def thumbnails(picked: Picked) -> list[str]:
    """One small PNG data URI per gallery image, framed in its class colour (a map's
    pictures, sent with each map: 0.24 MB for the 156 photo crops)."""
    return _thumbnails(picked.key, picked.gallery.images, class_frames(picked))


@release_when_idle
@st.cache_resource(max_entries=8, show_spinner=False)
def _maxima(
    name: str,
    key: str,
    index: int,
    side: int,
    inside: bool,
    _model: torch.nn.Module,
    _images: np.ndarray,
    _field: FieldRow,
) -> StageMaxima:
    with progress_bar(f"Running the gallery through stage {index} (once per server):") as bar:
        return stage_maxima(_model, REGISTRY[name], _images, index, side, on_progress=bar,
                            inside=_field if inside else None)  # fmt: skip


def maxima(
    net: Net, picked: Picked, index: int, side: int, field: FieldRow, inside: bool
) -> StageMaxima:
    """Each channel's strongest activation per gallery image at stage ``index`` (shared);
    ``inside``: only units whose whole ``field`` lies inside the image count."""
    images = picked.gallery.images
    return _maxima(net.name, picked.key, index, side, inside, net.model, images, field)


def short(label: str, width: int = 12) -> str:
    """A class name short enough for a thumbnail's caption: "cameraman (grayscale)" ->
    "cameraman", "T-shirt/top" -> "T-shirt/top"."""
    name = label.split(" (")[0]
    return name if len(name) <= width else name[: width - 1] + "…"


def class_frames(picked: Picked) -> list[str]:
    """Each image's class colour on a map (cnnplay.learned.plots.class_style)."""
    return [class_style(int(k))[0] for k in picked.gallery.label_ids()]


def megabytes(array: np.ndarray) -> str:
    return f"{array.nbytes / 2**20:.1f} MB"
