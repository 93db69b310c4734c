"""Fixtures the whole suite shares."""

from __future__ import annotations

import pytest
import torch


@pytest.fixture(scope="module")
def one_thread():
    """Tiny models train fastest on one intra-op thread, and far faster than on two when other
    processes share the cores (OpenMP threads then wait on each other); restored afterwards.
    A module opts in with ``pytestmark = pytest.mark.usefixtures("one_thread")``."""
    before = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(before)
