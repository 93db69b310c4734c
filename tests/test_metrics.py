"""cnnplay.metrics.confusion_matrix against a plain loop and torch.bincount, any shape."""

import numpy as np
import pytest
import torch

from cnnplay.metrics import confusion_matrix


@pytest.mark.parametrize(("k", "shape"), [(2, (50,)), (4, (3, 9, 11)), (7, (5, 6))])
def test_counts_like_a_loop(k, shape):
    rng = np.random.default_rng(k)
    truth, pred = rng.integers(0, k, shape), rng.integers(0, k, shape)
    ref = np.zeros((k, k), np.int64)
    for t, p in zip(truth.ravel(), pred.ravel(), strict=True):
        ref[t, p] += 1
    np.testing.assert_array_equal(confusion_matrix(truth, pred, k), ref)
    flat = torch.as_tensor(truth.ravel() * k + pred.ravel())
    np.testing.assert_array_equal(confusion_matrix(truth, pred, k), torch.bincount(flat, minlength=k * k).reshape(k, k))


def test_rows_are_the_truth():
    m = confusion_matrix(np.array([0, 0, 1]), np.array([1, 1, 1]), 2)
    assert m.tolist() == [[0, 2], [0, 1]]


def test_shape_mismatch_is_refused():
    with pytest.raises(ValueError, match="differ in shape"):
        confusion_matrix(np.zeros((4, 4), int), np.zeros((4, 5), int), 2)
