"""The pooling snippet against ``pool2d_naive`` and ``global_avg_pool`` (the Pooling page's grid
tab): the pooled values never depend on which of several tied maxima wins."""

from __future__ import annotations

import itertools

import numpy as np
import pytest
import torch

from cnnplay.ops.pool import POOL_GRIDS, global_avg_pool, pool2d_naive
from cnnplay.snippets.pool import pool2d
from tests.snippets.runner import run

SETTINGS = list(itertools.product(["max", "avg"], [1, 2, 3, (2, 3)], [None, 1, 2, (1, 2)]))


@pytest.mark.parametrize("mode, size, stride", SETTINGS)
@pytest.mark.parametrize("shape", [(7, 8), (2, 6, 5)])
def test_max_and_average_pooling_match_the_loop_version(mode, size, stride, shape):
    x = np.random.default_rng(0).integers(0, 6, shape).astype(float)  # ties, on purpose
    ns = run(pool2d(x, mode, size, stride))
    expected = pool2d_naive(x, size, stride, mode=mode)
    torch.testing.assert_close(ns["y"], torch.from_numpy(expected))


@pytest.mark.parametrize("source", list(POOL_GRIDS))
def test_the_page_grids_with_its_default_window(source):
    x = POOL_GRIDS[source]()
    x = x if x.ndim == 3 else x[None]  # the tab pools (C, H, W)
    ns = run(pool2d(x, "max", 2, 2))
    torch.testing.assert_close(ns["y"], torch.from_numpy(pool2d_naive(x, 2, 2)))


@pytest.mark.parametrize("shape", [(4, 4), (3, 5, 2)])
def test_global_average_pooling(shape):
    x = np.random.default_rng(1).normal(size=shape)
    ns = run(pool2d(x, "global"))
    torch.testing.assert_close(ns["y"], torch.from_numpy(global_avg_pool(x)))


def test_bad_settings_are_refused():
    with pytest.raises(ValueError):
        pool2d(np.zeros((3, 3)), "max", 4)  # the window does not fit
    with pytest.raises(ValueError):
        pool2d(np.zeros((3, 3)), "median")
