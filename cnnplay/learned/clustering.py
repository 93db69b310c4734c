"""A gallery on a 2D map (seed 002, "Clustering Raw Images": t-SNE of a deep layer's activations).

Two ways to squeeze (N, D) vectors into (N, 2) points:

- **PCA** (:func:`pca`): centre the vectors and project them on the two directions of largest
  variance (the first right singular vectors of the centred matrix, ``X_c = U S Vᵀ``, points
  ``X_c V[:, :2] = U[:, :2] S[:2]``). Linear and instant; far-apart groups stay apart, but
  groups that differ along many small directions pile up.
- **t-SNE** (:func:`tsne`, scikit-learn's ``TSNE``): places the points so that each point's
  nearest neighbours in D dimensions stay its neighbours on the map (matching neighbour
  probabilities, with a heavy-tailed Student-t on the map). Groups show clearly; distances
  *between* groups and the groups' sizes mean little. As usual, the vectors are first reduced
  to at most 50 dimensions with PCA (less noise, faster), and the random state is fixed, so
  the same vectors give the same map.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

METHODS: tuple[str, ...] = ("t-SNE", "PCA")
TSNE_PCA_DIMS = 50  # t-SNE starts from the vectors reduced to this many PCA dimensions
TSNE_ITERATIONS = 500  # optimisation steps (scikit-learn's default is 1,000; 500 is plenty here)
EXACT_UP_TO = 600  # t-SNE computes every pair exactly up to this many points (faster than
# Barnes-Hut's tree at gallery sizes: 2.0 s vs 7.4 s for 200 points on two busy cores)


@dataclass(frozen=True)
class Projection:
    """Vectors placed on a plane."""

    points: np.ndarray  # (N, 2) float32 map coordinates (no unit)
    method: str  # "PCA" or "t-SNE"
    kept: float  # share of the variance (0..1) kept by the PCA step: the two axes (PCA) or
    # the TSNE_PCA_DIMS dimensions t-SNE starts from


def _svd_flip(vt: np.ndarray) -> np.ndarray:
    """Signs of the rows of Vᵀ such that each row's largest |entry| is positive (what
    scikit-learn's PCA does, so both give the same axes). vt: (k, D) -> (k,) of ±1."""
    biggest = np.argmax(np.abs(vt), axis=1)  # (k,)
    return np.sign(vt[np.arange(len(vt)), biggest]) + (vt[np.arange(len(vt)), biggest] == 0)


def pca(x: np.ndarray, dims: int = 2) -> tuple[np.ndarray, float]:
    """Project (N, D) vectors on their first ``dims`` principal directions.

    Returns (N, dims) float64 coordinates (the centred vectors times the first dims right
    singular vectors, each direction's sign fixed as in scikit-learn) and the share of the
    variance those directions keep (0..1; 1 when all vectors are equal). dims is clipped to
    min(N, D).

    The directions come from the eigenvectors of the smaller of the two Gram matrices
    (X_c X_cᵀ, N × N, or X_cᵀ X_c, D × D): the same as an SVD of X_c, and an order of
    magnitude faster for a gallery's few hundred 1,280-vectors (an SVD also suffered most
    when two cores were shared)."""
    x = np.asarray(x, np.float64)
    centred = x - x.mean(axis=0, keepdims=True)  # (N, D)
    n, d = centred.shape
    dims = min(dims, n, d)
    if n <= d:
        values, vectors = np.linalg.eigh(centred @ centred.T)  # (N,), (N, N): U, S²
        order = np.argsort(values)[::-1]
        squares = np.clip(values[order], 0, None)  # S², largest first
        u = vectors[:, order[:dims]]  # (N, dims)
        s = np.sqrt(squares[:dims])
        vt = (u.T @ centred) / np.where(s > 0, s, 1)[:, None]  # (dims, D): Vᵀ = S⁻¹ Uᵀ X_c
    else:
        values, vectors = np.linalg.eigh(centred.T @ centred)  # (D,), (D, D): V, S²
        order = np.argsort(values)[::-1]
        squares = np.clip(values[order], 0, None)
        vt = vectors[:, order[:dims]].T  # (dims, D)
    vt = vt * _svd_flip(vt)[:, None]  # (dims, D)
    total = float(squares.sum())
    kept = float(squares[:dims].sum() / total) if total > 0 else 1.0
    return centred @ vt.T, kept  # (N, dims)


def tsne(
    x: np.ndarray,
    perplexity: float = 30.0,
    seed: int = 0,
    pca_dims: int = TSNE_PCA_DIMS,
    iterations: int = TSNE_ITERATIONS,
) -> tuple[np.ndarray, float]:
    """t-SNE map of (N, D) vectors, N >= 4: PCA to ``pca_dims`` first, then scikit-learn's
    TSNE (exact up to :data:`EXACT_UP_TO` points, else Barnes-Hut; PCA initialisation,
    learning rate "auto", ``random_state=seed``).
    perplexity (about the number of neighbours each point cares for) is clipped to
    (N - 1) / 3. Returns (N, 2) float32 points and the share of variance the PCA step kept."""
    from sklearn.manifold import TSNE

    x = np.asarray(x, np.float64)
    n = len(x)
    if n < 4:
        raise ValueError(f"t-SNE needs at least 4 points (got {n})")
    reduced, kept = pca(x, min(pca_dims, x.shape[1]))  # (N, <= pca_dims)
    model = TSNE(
        n_components=2,
        perplexity=float(min(perplexity, (n - 1) / 3)),
        init="pca",
        learning_rate="auto",
        max_iter=max(250, iterations),
        random_state=seed,
        method="exact" if n <= EXACT_UP_TO else "barnes_hut",
    )
    return model.fit_transform(reduced).astype(np.float32), kept


def project(x: np.ndarray, method: str, perplexity: float = 30.0, seed: int = 0) -> Projection:
    """(N, D) vectors -> a :class:`Projection` by ``method`` ("t-SNE" or "PCA")."""
    if method == "PCA":
        points, kept = pca(x, 2)
        if points.shape[1] < 2:  # a single vector, or D = 1: pad the missing axis with zeros
            points = np.pad(points, ((0, 0), (0, 2 - points.shape[1])))
        return Projection(points.astype(np.float32), method, kept)
    if method == "t-SNE":
        points, kept = tsne(x, perplexity, seed)
        return Projection(points, method, kept)
    raise ValueError(f"unknown method {method!r}; choose one of {METHODS}")
