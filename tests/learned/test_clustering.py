"""cnnplay.learned.clustering: PCA against numpy's SVD and scikit-learn, t-SNE deterministic,
finite and separating two clearly separated groups."""

from __future__ import annotations

import numpy as np
import pytest
from sklearn.decomposition import PCA

from cnnplay.learned.clustering import pca, project, tsne
from cnnplay.learned.retrieval import knn_agreement


@pytest.fixture(scope="module")
def blobs() -> tuple[np.ndarray, list[str]]:
    """Two groups of 30 points in 64 dimensions, far apart."""
    rng = np.random.default_rng(0)
    x = np.concatenate([rng.normal(size=(30, 64)), rng.normal(size=(30, 64)) + 8.0])
    return x, ["a"] * 30 + ["b"] * 30


@pytest.mark.parametrize("shape", [(50, 10), (12, 40), (7, 3)])
def test_pca_matches_numpy_svd_up_to_sign_and_sklearn_exactly(shape):
    rng = np.random.default_rng(sum(shape))
    x = rng.normal(size=shape) * np.linspace(3, 0.5, shape[1])  # distinct variances
    points, kept = pca(x, 2)
    centred = x - x.mean(0)
    u, s, _ = np.linalg.svd(centred, full_matrices=False)
    by_svd = u[:, :2] * s[:2]
    for axis in range(2):  # the same axes, each up to its sign
        sign = np.sign(points[:, axis] @ by_svd[:, axis])
        np.testing.assert_allclose(points[:, axis], sign * by_svd[:, axis], atol=1e-10)
    ref = PCA(n_components=2, svd_solver="full").fit(x)
    np.testing.assert_allclose(points, ref.transform(x), atol=1e-10)  # same sign rule
    assert kept == pytest.approx(ref.explained_variance_ratio_.sum())


def test_pca_of_points_on_a_line_keeps_all_the_variance():
    t = np.linspace(-1, 1, 9)[:, None]
    x = np.hstack([t, 2 * t, -t])
    points, kept = pca(x, 2)
    assert kept == pytest.approx(1.0)
    np.testing.assert_allclose(np.abs(points[:, 0]), np.abs(t[:, 0]) * np.sqrt(6), atol=1e-12)
    np.testing.assert_allclose(points[:, 1], 0, atol=1e-12)


def test_tsne_is_deterministic_finite_and_separates_two_groups(blobs):
    x, labels = blobs
    points, kept = tsne(x, perplexity=10, seed=0)
    assert points.shape == (60, 2) and points.dtype == np.float32
    assert np.isfinite(points).all() and 0 < kept <= 1
    np.testing.assert_array_equal(tsne(x, perplexity=10, seed=0)[0], points)
    assert knn_agreement(points, labels, 5, "euclidean").k_same == 1.0
    a, b = points[:30], points[30:]
    gap = np.linalg.norm(a.mean(0) - b.mean(0))
    spread = max(np.linalg.norm(g - g.mean(0), axis=1).max() for g in (a, b))
    assert gap > spread  # the groups do not even overlap in radius


def test_tsne_works_on_few_points_and_refuses_too_few():
    x = np.random.default_rng(1).normal(size=(6, 5))
    assert tsne(x, perplexity=30)[0].shape == (6, 2)  # perplexity clipped to (6 - 1) / 3
    with pytest.raises(ValueError, match="at least 4"):
        tsne(x[:3])


def test_project_dispatches_by_method(blobs):
    x, _ = blobs
    p = project(x, "PCA")
    assert p.method == "PCA" and p.points.shape == (60, 2) and p.points.dtype == np.float32
    np.testing.assert_allclose(p.points, pca(x, 2)[0], rtol=1e-5, atol=1e-5)
    assert project(x[:, :1], "PCA").points.shape == (60, 2)  # one dimension: padded
    with pytest.raises(ValueError, match="unknown method"):
        project(x, "UMAP")
