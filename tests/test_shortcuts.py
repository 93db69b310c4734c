"""cnnplay.shortcuts: vanishing gradients in a deep plain stack, not with identity shortcuts."""

from __future__ import annotations

import numpy as np
import pytest

from cnnplay.shortcuts import StackSettings, gradient_norms


def test_plain_first_layer_gradient_vanishes_at_depth_30():
    s = StackSettings(depth=30)
    plain, residual = gradient_norms(s, False), gradient_norms(s, True)
    assert plain.shape == residual.shape == (30,)
    assert plain[0] < 1e-6 * residual[0]  # the plain stack's first layer learns ~nothing
    assert plain[0] < 1e-6 * plain[-1]  # it fades on the way down
    assert residual[0] > 0.1 * residual[-1]  # the shortcuts carry it down


def test_same_seed_same_numbers():
    s = StackSettings(depth=5, seed=3)
    assert np.array_equal(gradient_norms(s, False), gradient_norms(s, False))
    with pytest.raises(ValueError, match="at least 1"):
        gradient_norms(StackSettings(depth=0), False)
