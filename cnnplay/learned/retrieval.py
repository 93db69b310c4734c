"""Nearest neighbours in a vector space, and how often they share a class (seed 002,
"Conditioned Retrieval": "semantically consistent despite pixel-level diversity").

Two distances between vectors ``a`` and ``b`` (rows of features or of pixels):

- ``"cosine"``: ``d = 1 - a·b / (|a| |b|)``, the cosine distance, i.e. one minus the dot
  product of the L2-normalised vectors; 0 = same direction, 1 = orthogonal, 2 = opposite.
  It ignores a vector's length (how strongly the network responds overall);
- ``"euclidean"``: ``d = |a - b| = sqrt(sum_i (a_i - b_i)^2)``.

:func:`nearest_loop` is the readable version (one distance at a time, then a sort);
:func:`nearest` the vectorised one (a matrix product for all pairs), tested against it and
against scikit-learn. Ties are broken by the lower gallery index in both, but callers and tests
should not rely on the order of equal distances.

:func:`knn_agreement` turns the notes' claim into a number: leave each image out in turn, find
its nearest neighbours among the others, and count how often they have the image's class.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METRICS: tuple[str, ...] = ("cosine", "euclidean")


def _check_metric(metric: str) -> None:
    if metric not in METRICS:
        raise ValueError(f"unknown metric {metric!r}; choose one of {METRICS}")


def normalise_rows(x: np.ndarray) -> np.ndarray:
    """(N, D) -> (N, D) float rows divided by their L2 norm (all-zero rows stay zero)."""
    x = np.asarray(x)
    norms = np.linalg.norm(x, axis=1, keepdims=True)  # (N, 1)
    return x / np.where(norms > 0, norms, 1)


def distance_loop(a: np.ndarray, b: np.ndarray, metric: str) -> float:
    """One distance between two (D,) vectors, written out (float64). An all-zero vector has
    cosine distance 1 to everything (no direction)."""
    _check_metric(metric)
    a, b = np.asarray(a, np.float64), np.asarray(b, np.float64)
    if metric == "euclidean":
        total = 0.0
        for ai, bi in zip(a, b, strict=True):
            total += (ai - bi) ** 2
        return float(np.sqrt(total))
    dot = sum(ai * bi for ai, bi in zip(a, b, strict=True))
    norm_a = np.sqrt(sum(ai * ai for ai in a))
    norm_b = np.sqrt(sum(bi * bi for bi in b))
    if norm_a == 0 or norm_b == 0:
        return 1.0
    return float(1.0 - dot / (norm_a * norm_b))


@dataclass(frozen=True)
class Neighbours:
    """The k nearest gallery items of each query, nearest first."""

    indices: np.ndarray  # (M, k) int64 gallery indices
    distances: np.ndarray  # (M, k) float, non-decreasing along each row


def nearest_loop(
    query: np.ndarray, gallery: np.ndarray, k: int, metric: str, exclude: int | None = None
) -> Neighbours:
    """The readable version: the distance from ``query`` (D,) to every row of ``gallery``
    (N, D), one at a time, then the k smallest (ties: lower index first). ``exclude``: a
    gallery index to leave out (the query itself). Returns a Neighbours with M = 1."""
    scored = []
    for i, row in enumerate(gallery):
        if i == exclude:
            continue
        scored.append((distance_loop(query, row, metric), i))
    scored.sort()  # by distance, then by index
    best = scored[:k]
    return Neighbours(
        np.array([[i for _, i in best]], np.int64),
        np.array([[d for d, _ in best]], np.float64),
    )


def pairwise_distances(queries: np.ndarray, gallery: np.ndarray, metric: str) -> np.ndarray:
    """All distances at once: (M, D), (N, D) -> (M, N) float32 (>= 0).

    cosine: 1 - (normalised queries) @ (normalised gallery)ᵀ, clipped to 0..2.
    euclidean: sqrt(|q|² + |g|² - 2 q·g) after subtracting the gallery's mean from both (the
    distance does not change, and the products stay small), in float64: in float32 the
    cancellation left ~0.01 for a near-duplicate whose true distance is 0.00002; negative
    rounding clipped to 0."""
    _check_metric(metric)
    q = np.asarray(queries, np.float32)
    g = np.asarray(gallery, np.float32)
    if metric == "cosine":
        sim = normalise_rows(q) @ normalise_rows(g).T  # (M, N)
        return np.clip(1.0 - sim, 0.0, 2.0).astype(np.float32, copy=False)
    q, g = q.astype(np.float64), g.astype(np.float64)
    centre = g.mean(axis=0, keepdims=True)  # (1, D)
    q, g = q - centre, g - centre
    sq = (q * q).sum(1)[:, None] + (g * g).sum(1)[None, :] - 2.0 * (q @ g.T)  # (M, N)
    return np.sqrt(np.maximum(sq, 0.0)).astype(np.float32, copy=False)


def nearest(
    queries: np.ndarray,
    gallery: np.ndarray,
    k: int,
    metric: str,
    exclude: np.ndarray | None = None,
) -> Neighbours:
    """The k nearest rows of ``gallery`` (N, D) for every row of ``queries`` (M, D).

    exclude: (M,) int gallery index to leave out for each query (-1: none); for the gallery
    searched with itself, ``np.arange(N)`` leaves each image out of its own list.
    k is clipped to the number of candidates. Ties: lower gallery index first (a stable sort).
    """
    d = pairwise_distances(queries, gallery, metric)  # (M, N)
    if exclude is not None:
        rows = np.flatnonzero(np.asarray(exclude) >= 0)
        d[rows, np.asarray(exclude)[rows]] = np.inf
    available = d.shape[1] - (1 if exclude is not None and np.any(np.asarray(exclude) >= 0) else 0)
    k = max(0, min(k, available))
    order = np.argsort(d, axis=1, kind="stable")[:, :k]  # (M, k)
    return Neighbours(order.astype(np.int64), np.take_along_axis(d, order, axis=1))


@dataclass(frozen=True)
class Agreement:
    """Leave-one-out class agreement of nearest neighbours over a whole gallery."""

    nearest_same: float  # share of images whose nearest other image has their class (0..1)
    k_same: float  # mean share of the k nearest others that have the image's class (0..1)
    chance: float  # the share for a random other image: sum_c n_c (n_c - 1) / (N (N - 1))
    k: int  # neighbours counted for k_same
    per_class: dict[str, float]  # nearest_same within each class (class name -> 0..1)


def knn_agreement(
    vectors: np.ndarray, labels: list[str] | np.ndarray, k: int, metric: str
) -> Agreement:
    """For every image: its k nearest *other* images (leave-one-out), by ``metric``.
    vectors: (N, D), N >= 2; labels: (N,) class of each. Returns an :class:`Agreement`."""
    labels = np.asarray(labels)
    n = len(labels)
    if n < 2:
        raise ValueError("knn_agreement needs at least two images")
    found = nearest(vectors, vectors, k, metric, exclude=np.arange(n))
    same = labels[found.indices] == labels[:, None]  # (N, k) bool
    classes, counts = np.unique(labels, return_counts=True)
    chance = float((counts * (counts - 1)).sum() / (n * (n - 1)))
    per_class = {str(c): float(same[labels == c, 0].mean()) for c in classes}
    return Agreement(
        nearest_same=float(same[:, 0].mean()),
        k_same=float(same.mean()),
        chance=chance,
        k=int(found.indices.shape[1]),
        per_class=per_class,
    )
