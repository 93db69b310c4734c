"""cnnplay.learned.retrieval: distances by hand, the vectorised nearest neighbours against the
readable loop, scikit-learn and torch.cdist, leaving the query out, ties, and the
leave-one-out class agreement on a hand-worked example."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from sklearn.metrics import pairwise_distances as sk_pairwise_distances
from sklearn.neighbors import NearestNeighbors

from cnnplay.learned.retrieval import (
    METRICS,
    distance_loop,
    knn_agreement,
    nearest,
    nearest_loop,
    normalise_rows,
    pairwise_distances,
)


def test_distances_by_hand():
    assert distance_loop([0, 0], [3, 4], "euclidean") == 5.0
    assert distance_loop([1, 0], [0, 1], "cosine") == pytest.approx(1.0)
    assert distance_loop([1, 1], [2, 2], "cosine") == pytest.approx(0.0, abs=1e-12)
    assert distance_loop([1, 0], [-3, 0], "cosine") == pytest.approx(2.0)
    assert distance_loop([0, 0], [1, 2], "cosine") == 1.0  # no direction
    with pytest.raises(ValueError, match="unknown metric"):
        distance_loop([1], [1], "manhattan")


def test_normalise_rows_gives_unit_rows_and_keeps_zero_rows():
    x = np.array([[3.0, 4.0], [0.0, 0.0]])
    np.testing.assert_allclose(normalise_rows(x), [[0.6, 0.8], [0.0, 0.0]])


@pytest.mark.parametrize("metric", METRICS)
@pytest.mark.parametrize("shape", [(1, 5, 3), (4, 9, 16), (6, 30, 64)])
def test_pairwise_distances_match_the_loop(metric, shape):
    m, n, d = shape
    rng = np.random.default_rng(m * n + d)
    q, g = rng.normal(size=(m, d)) + 3, rng.normal(size=(n, d)) + 3  # offset: big norms
    fast = pairwise_distances(q, g, metric)
    slow = np.array([[distance_loop(a, b, metric) for b in g] for a in q])
    np.testing.assert_allclose(fast, slow, rtol=2e-5, atol=2e-5)


def same_neighbours(found_idx, found_dist, ref_idx, ref_dist, exact, tol=1e-5) -> None:
    """Two neighbour lists agree: the same distances in order, and the items found are at
    those distances (exact: float64 distances to every gallery item). Items whose distances
    are within ``tol`` of another's may come in either order."""
    np.testing.assert_allclose(found_dist, ref_dist, rtol=tol, atol=tol)
    np.testing.assert_allclose(exact[found_idx], ref_dist, rtol=tol, atol=tol)
    gaps = np.diff(np.concatenate([[-np.inf], ref_dist, [np.inf]]))
    clear = (gaps[:-1] > 1e-4) & (gaps[1:] > 1e-4)  # no other item near this distance
    np.testing.assert_array_equal(np.asarray(found_idx)[clear], np.asarray(ref_idx)[clear])


@pytest.mark.parametrize("metric", METRICS)
def test_nearest_matches_the_loop_version(metric):
    rng = np.random.default_rng(7)
    gallery, queries = rng.normal(size=(40, 12)), rng.normal(size=(5, 12))
    found = nearest(queries, gallery, 6, metric)
    assert found.indices.shape == (5, 6) and found.distances.shape == (5, 6)
    for row, q in enumerate(queries):
        ref = nearest_loop(q, gallery, 6, metric)
        exact = np.array([distance_loop(q, g, metric) for g in gallery])
        same_neighbours(found.indices[row], found.distances[row], ref.indices[0],
                        ref.distances[0], exact)  # fmt: skip
    assert np.all(np.diff(found.distances, axis=1) >= 0)


@pytest.mark.parametrize("metric", METRICS)
def test_nearest_matches_scikit_learn(metric):
    rng = np.random.default_rng(8)
    gallery, queries = rng.normal(size=(200, 32)), rng.normal(size=(10, 32))
    ref = NearestNeighbors(n_neighbors=8, metric=metric, algorithm="brute").fit(gallery)
    dist, idx = ref.kneighbors(queries)
    found = nearest(queries, gallery, 8, metric)
    exact = sk_pairwise_distances(queries, gallery, metric=metric)  # float64
    for row in range(len(queries)):
        same_neighbours(found.indices[row], found.distances[row], idx[row], dist[row],
                        exact[row], tol=1e-4)  # fmt: skip


def test_euclidean_matches_torch_cdist():
    rng = np.random.default_rng(9)
    gallery, queries = rng.random((300, 3072)), rng.random((4, 3072))  # like pixel vectors
    expected = torch.cdist(torch.from_numpy(queries), torch.from_numpy(gallery)).numpy()
    np.testing.assert_allclose(pairwise_distances(queries, gallery, "euclidean"), expected,
                               rtol=1e-4, atol=1e-4)  # fmt: skip


def test_excluded_index_is_left_out_and_k_is_clipped():
    rng = np.random.default_rng(10)
    x = rng.normal(size=(5, 3))
    found = nearest(x, x, 10, "euclidean", exclude=np.arange(5))
    assert found.indices.shape == (5, 4)  # 4 others each
    for row in range(5):
        assert row not in found.indices[row]
        assert sorted(found.indices[row]) == sorted(set(range(5)) - {row})
    with_itself = nearest(x, x, 1, "euclidean")
    np.testing.assert_array_equal(with_itself.indices[:, 0], np.arange(5))
    ref = nearest_loop(x[2], x, 4, "euclidean", exclude=2)
    exact = np.array([distance_loop(x[2], v, "euclidean") for v in x])
    same_neighbours(found.indices[2], found.distances[2], ref.indices[0], ref.distances[0], exact)


def test_ties_give_all_tied_items_whatever_their_order():
    gallery = np.array([[1.0, 0.0], [0.0, 1.0], [-1.0, 0.0], [0.0, -1.0], [5.0, 5.0]])
    found = nearest(np.zeros((1, 2)), gallery, 4, "euclidean")
    assert set(found.indices[0].tolist()) == {0, 1, 2, 3}  # four at distance 1
    np.testing.assert_allclose(found.distances[0], 1.0, rtol=1e-6)


def test_agreement_on_a_hand_worked_line():
    # points 0, 1, 10, 11 on a line, classes a b a b: every nearest point has the other class
    x = np.array([[0.0], [1.0], [10.0], [11.0]])
    result = knn_agreement(x, ["a", "b", "a", "b"], 2, "euclidean")
    assert result.nearest_same == 0.0
    # 2 nearest: 0 -> (1 b, 10 a); 1 -> (0 a, 10 a); 10 -> (11 b, 1 b); 11 -> (10 a, 1 b)
    assert result.k_same == pytest.approx((0.5 + 0 + 0 + 0.5) / 4)
    assert result.chance == pytest.approx((2 + 2) / 12)  # sum n_c (n_c - 1) / (N (N - 1))
    assert result.k == 2 and result.per_class == {"a": 0.0, "b": 0.0}


def test_agreement_of_well_separated_classes_is_one():
    rng = np.random.default_rng(11)
    x = np.concatenate([rng.normal(size=(20, 8)), rng.normal(size=(20, 8)) + 50])
    labels = ["low"] * 20 + ["high"] * 20
    result = knn_agreement(x, labels, 5, "euclidean")
    assert result.nearest_same == 1.0 and result.k_same == 1.0
    shuffled = knn_agreement(x, list(np.random.default_rng(0).permutation(labels)), 5, "euclidean")
    assert shuffled.nearest_same < 0.9
    with pytest.raises(ValueError, match="two images"):
        knn_agreement(x[:1], ["a"], 1, "cosine")


def test_a_near_duplicate_is_near():
    """Features of a real network's size (1280) and scale, one gallery row nudged by 1e-6 per
    value: its distance is the nudge's length, not float32's cancellation error (it was ~0.01)."""
    rng = np.random.default_rng(5)
    gallery = (rng.random((40, 1280)) * 4).astype(np.float32)
    query = gallery[7:8] + np.float32(1e-6) * np.sign(rng.standard_normal((1, 1280)))
    query = query.astype(np.float32)
    true = np.linalg.norm(query.astype(np.float64) - gallery[7].astype(np.float64))
    got = pairwise_distances(query, gallery, "euclidean")[0, 7]
    assert abs(got - true) < 1e-6, (got, true)
